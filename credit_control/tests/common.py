import importlib.util
import os

from freezegun import freeze_time

from odoo import Command
from odoo.modules.module import get_module_path

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class CreditControlCommon(AccountTestInvoicingCommon):
    """Accounting fixtures, a Credit Control Manager as test user, and ledger helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id = [Command.link(cls.env.ref("credit_control.group_credit_control_manager").id)]
        cls.payment_terms = {}
        cls.tier_core = cls.env["credit.tier"].create({
            "name": "Core", "code": "CORE", "limit_rule": "avg_monthly_sales", "sales_multiple": 2.0,
            "sales_months": 12, "limit_rounding": 1000.0, "review_interval_months": 3,
        })
        cls.tier_regular = cls.env["credit.tier"].create({
            "name": "Regular", "code": "REG", "limit_rule": "quarter_sales", "quarter_percent": 30.0,
            "limit_rounding": 0.0, "review_interval_months": 6,
        })

    def _run_migration(self, module, version, *scripts):
        """Run ``module``'s migration ``scripts`` of ``version`` (e.g. "post-migrate.py") on the test database,
        as an upgrade from the version before would, with fresh caches around each."""
        folder = os.path.join(get_module_path(module), "migrations", version)
        for script in scripts:
            name = f"{module}_{version}_{script[:-3]}".replace(".", "_").replace("-", "_")
            spec = importlib.util.spec_from_file_location(name, os.path.join(folder, script))
            migration = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(migration)
            self.env.flush_all()
            self.env.invalidate_all()
            migration.migrate(self.env.cr, version)
        self.env.invalidate_all()

    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create({"name": name, "is_company": True, **values})

    @classmethod
    def _term(cls, days):
        if days not in cls.payment_terms:
            cls.payment_terms[days] = cls.env["account.payment.term"].create({
                "name": f"{days} days",
                "line_ids": [Command.create({"value": "percent", "value_amount": 100.0, "nb_days": days})],
            })
        return cls.payment_terms[days]

    @classmethod
    def _invoice(cls, partner, amount, date, days=30, move_type="out_invoice", currency=None, post=True,
                 company=None):
        """A customer invoice (or credit note) of ``amount`` without taxes, due ``days`` after ``date``."""
        company = company or cls.env.company
        move = cls.env["account.move"].with_company(company).create({
            "move_type": move_type,
            "partner_id": partner.id,
            "invoice_date": date,
            "date": date,
            "currency_id": (currency or company.currency_id).id,
            "invoice_payment_term_id": cls._term(days).id if move_type == "out_invoice" else False,
            "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": amount,
                                                 "tax_ids": []})],
        })
        if post:
            move.action_post()
        return move

    @classmethod
    def _pay(cls, invoice, amount, date):
        return cls.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": date, "amount": amount})._create_payments()

    def _print_letters(self, communications):
        """Print the letters of ``communications``, as the credit controller does before posting them."""
        self.env["ir.actions.report"]._render_qweb_html("credit_control.report_dunning_letter",
                                                        communications.filtered("action_letter").ids)

    def _run(self, day):
        """The daily dunning job on ``day``, as the cron runs it (superuser, batch after batch); the communications
        it made."""
        dunning = self.env["credit.dunning.communication"]
        before = dunning.search([])
        with freeze_time(day):
            while dunning.sudo()._cron_run_dunning():
                pass
        return dunning.search([]) - before

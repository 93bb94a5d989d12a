import uuid

from psycopg2.errors import LockNotAvailable, SerializationFailure, UniqueViolation

from odoo import Command, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger

from odoo.addons.credit_control.exceptions import CreditLimitExceeded


class TwoCursorCase(BaseCase):
    """A committed company with one customer and its invoices, for tests that interleave two real cursors
    (the test runner holds the registry lock, so threads could not build an environment while a test runs)."""

    def setUp(self):
        super().setUp()
        self.registry = Registry(get_db_name())
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            company = env["res.company"].create({
                "name": f"Concurrency Co {uuid.uuid4().hex[:8]}", "account_use_credit_limit": True})
            env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
            env = env(context={"allowed_company_ids": company.ids})
            partner = env["res.partner"].create({"name": "Racer", "is_company": True})
            partner.with_company(company).credit_no_limit = True  # each test sets the limit it races on
            moves = self._create_invoices(env, partner)
            self.company_id, self.partner_id, self.move_ids = company.id, partner.id, moves.ids

    def _create_invoices(self, env, partner):
        raise NotImplementedError

    def tearDown(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            self._clean_up(env)
            moves = env["account.move"].browse(self.move_ids)
            moves.filtered(lambda m: m.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(self.partner_id).active = False
            env["res.company"].browse(self.company_id).active = False
        super().tearDown()

    def _clean_up(self, env):
        """Remove what the test made on top of the invoices."""

    def _env(self, cr):
        return api.Environment(cr, api.SUPERUSER_ID, {"allowed_company_ids": [self.company_id]})

    @staticmethod
    def _invoice_vals(partner, **values):
        return {"move_type": "out_invoice", "partner_id": partner.id,
                "invoice_line_ids": [Command.create({"name": "Goods", "price_unit": 600.0, "tax_ids": []})],
                **values}


@tagged("post_install", "-at_install")
class TestCreditConcurrency(TwoCursorCase):
    """Two database transactions post invoices for one customer at the same moment.

    Each invoice fits the limit alone, both together do not: exactly one may be posted. The two
    transactions run on two real cursors, interleaved step by step.
    """

    def _create_invoices(self, env, partner):
        partner.with_company(env.company).credit_limit = 1000.0
        return env["account.move"].create([self._invoice_vals(partner, invoice_date="2026-06-30")
                                           for _ in range(2)])

    def _begin(self, cr, move_id):
        """Open the transaction (and its snapshot) by reading the invoice, as a request would."""
        move = self._env(cr)["account.move"].browse(move_id)
        move.mapped("amount_total")
        return move

    def test_two_cursors_post_at_once(self):
        first_id, second_id = self.move_ids
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            first = self._begin(cr1, first_id)
            second = self._begin(cr2, second_id)
            first.action_post()  # within the limit: 600

            # While the first posting is in flight, the second cannot take the customer's lock.
            cr2.execute("SET LOCAL lock_timeout = '300ms'")
            with self.assertRaises(LockNotAvailable), mute_logger("odoo.sql_db"):
                second.action_post()
            cr2.rollback()

            # It starts again, the first commits meanwhile: the second's snapshot is stale, so it
            # fails to serialise instead of counting without the first invoice...
            second = self._begin(cr2, second_id)
            cr1.commit()
            with self.assertRaises(SerializationFailure), mute_logger("odoo.sql_db"):
                second.action_post()
            cr2.rollback()

            # ...and Odoo's retry sees the first invoice: 1,200 > 1,000, refused.
            second = self._begin(cr2, second_id)
            with self.assertRaises(CreditLimitExceeded):
                second.action_post()
            cr2.rollback()

        with self.registry.cursor() as cr:
            states = self._env(cr)["account.move"].browse(self.move_ids).mapped("state")
        self.assertEqual(states, ["posted", "draft"])

    def test_posting_lock_blocks_no_unrelated_insert(self):
        """While a posting for the customer holds its lock (not yet committed), another transaction can still
        create a draft move for that customer and post an invoice for another customer: the lock is
        ``FOR NO KEY UPDATE``, which the foreign-key checks of new rows (``FOR KEY SHARE``) do not wait for."""
        first_id, _second_id = self.move_ids
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            self._begin(cr1, first_id).action_post()  # holds the Racer's row lock until cr1 ends

            env2 = self._env(cr2)
            cr2.execute("SET LOCAL lock_timeout = '3s'")
            racer = env2["res.partner"].browse(self.partner_id)
            other = env2["res.partner"].create({"name": "Bystander", "is_company": True})
            other.with_company(env2.company).credit_no_limit = True
            draft = env2["account.move"].create(self._invoice_vals(racer, invoice_date="2026-06-30"))
            # Another sales journal: the first one's next number waits for cr1, which is not what is tested.
            sales = env2["account.journal"].search(
                [("type", "=", "sale"), ("company_id", "=", self.company_id)], limit=1)
            journal = sales.copy({"name": "Race Sales", "code": "RACE",
                                  "default_account_id": sales.default_account_id.id})
            invoice = env2["account.move"].create(self._invoice_vals(
                other, invoice_date="2026-06-30", journal_id=journal.id))
            invoice.action_post()
            env2.flush_all()
            self.assertEqual((draft.state, invoice.state), ("draft", "posted"))
            cr2.rollback()
            cr1.rollback()


@tagged("post_install", "-at_install")
class TestDunningConcurrency(TwoCursorCase):
    """The scheduled dunning run and a manual run dun the same invoice at the same moment: one of them wins."""

    def _create_invoices(self, env, partner):
        env.company.credit_dunning_policy_id = env["credit.dunning.policy"].create({
            "name": "Race policy", "company_id": env.company.id,
            "level_ids": [Command.create({"name": "Letter", "offset_days": 10, "action_letter": True})]})
        move = env["account.move"].create(self._invoice_vals(
            partner, invoice_date="2026-01-01", invoice_date_due="2026-01-31"))
        move.action_post()
        return move

    def _clean_up(self, env):
        env["credit.dunning.communication"].search([("company_id", "=", self.company_id)]).unlink()
        env["credit.dunning.run"].search([("company_id", "=", self.company_id)]).unlink()

    def _dunning(self, cr):
        return self._env(cr)["credit.dunning.communication"]

    def test_two_runs_at_once_dun_once(self):
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            manual = self._dunning(cr2)
            self.assertEqual(len(manual._credit_dunning_candidates([self.partner_id])), 1,
                             "the manual run sees the invoice due")
            self.assertEqual(self._dunning(cr1)._credit_run_batch(10), (1, 0))
            cr1.commit()

            # The manual run read the ledger before the scheduled run committed: its insert of the
            # invoice's dunning line for today collides with the committed one...
            with self.assertRaises(UniqueViolation), mute_logger("odoo.sql_db"):
                manual._credit_run_batch(10, [self.partner_id], origin="manual")
            cr2.rollback()
            # ...and run again, it finds the invoice already dunned today.
            self.assertEqual(self._dunning(cr2)._credit_dunning_candidates([self.partner_id]), [])
            cr2.commit()

        with self.registry.cursor() as cr:
            communications = self._dunning(cr).search([("company_id", "=", self.company_id)])
            self.assertEqual(len(communications), 1)
            self.assertEqual(communications.origin, "cron")
            self.assertEqual(communications.line_ids.move_id.ids, self.move_ids)


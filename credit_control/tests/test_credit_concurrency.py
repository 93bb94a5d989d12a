import uuid

from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import Command, api
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, tagged
from odoo.tests.common import get_db_name
from odoo.tools import mute_logger

from odoo.addons.credit_control.exceptions import CreditLimitExceeded


@tagged("post_install", "-at_install")
class TestCreditConcurrency(BaseCase):
    """Two database transactions post invoices for one customer at the same moment.

    Each invoice fits the limit alone, both together do not: exactly one may be posted. The two
    transactions run on two real cursors, interleaved step by step (the test runner holds the
    registry lock, so threads could not build an environment while a test runs).
    """

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
            partner.with_company(company).credit_limit = 1000.0
            self.move_ids = env["account.move"].with_company(company).create([{
                "move_type": "out_invoice", "partner_id": partner.id, "invoice_date": "2026-06-30",
                "invoice_line_ids": [Command.create({"name": "Goods", "price_unit": 600.0, "tax_ids": []})],
            } for _ in range(2)]).ids
            self.company_id, self.partner_id = company.id, partner.id

    def tearDown(self):
        with self.registry.cursor() as cr:
            env = self._env(cr)
            moves = env["account.move"].browse(self.move_ids)
            moves.filtered(lambda m: m.state == "posted").button_draft()
            moves.with_context(force_delete=True).unlink()
            env["res.partner"].browse(self.partner_id).active = False
            env["res.company"].browse(self.company_id).active = False
        super().tearDown()

    def _env(self, cr):
        return api.Environment(cr, api.SUPERUSER_ID, {"allowed_company_ids": [self.company_id]})

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

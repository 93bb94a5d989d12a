from freezegun import freeze_time

from odoo import Command, sql_db
from odoo.tests import tagged

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditDunningQueries(CreditControlCommon):
    """A dunning batch costs a constant number of queries, whatever its numbers of customers and items."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.credit_dunning_policy_id = cls.env["credit.dunning.policy"].create({
            "name": "Letters", "level_ids": [Command.create({
                "name": "Letter", "sequence": 1, "offset_days": 15, "action_letter": True,
                "message": "Please pay."})]})
        cls.dunning = cls.env["credit.dunning.communication"]

    def _batch_queries(self, customers, invoices):
        partners = self.env["res.partner"]
        for index in range(customers):
            partner = self._customer(f"Batch {customers}x{invoices} #{index}")
            for _invoice in range(invoices):
                self._invoice(partner, 100.0, "2026-01-01")
            partners |= partner
        self.env.flush_all()
        self.env.invalidate_all()
        with freeze_time("2026-03-01"):
            start = sql_db.sql_counter
            checked, _remaining = self.dunning._credit_run_batch(customers, partners.ids)
            self.env.flush_all()
            queries = sql_db.sql_counter - start
        self.assertEqual(checked, customers)
        self.assertEqual(len(self.dunning.search([("partner_id", "in", partners.ids)]).line_ids),
                         customers * invoices)
        return queries

    def test_queries_per_batch_are_constant(self):
        """Invariant: dunning 1 customer with 1 invoice, 3 customers with 1 each, and 3 customers with 4 each
        (letters, due 01-31, 29 days overdue on 03-01) takes the same number of queries, once a first batch has
        filled the caches that every batch shares (record refs, model ids)."""
        self._batch_queries(1, 1)
        counts = [self._batch_queries(1, 1), self._batch_queries(3, 1), self._batch_queries(3, 4)]
        self.assertEqual(len(set(counts)), 1, f"queries per batch: {counts}")

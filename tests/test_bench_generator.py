"""The benchmark generator (bench/generate.py) is deterministic: the same seed gives the same ledger."""

import importlib.util
from datetime import date
from pathlib import Path

from odoo.tests import tagged
from odoo.tests.common import TransactionCase

GENERATE = Path(__file__).resolve().parent.parent / "bench" / "generate.py"


def load_generator():
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("standard")
class TestBenchGenerator(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.generate = load_generator()

    def build(self, seed):
        """Build a tiny ledger inside a savepoint that is rolled back; return its totals."""
        with self.env.cr.savepoint(flush=False) as savepoint:
            figures = self.generate.build(self.env, partners=20, lines=300, seed=seed, companies=2,
                                          today=date(2025, 6, 30))
            savepoint.rollback()
        self.env.invalidate_all()
        self.env.registry.clear_cache()
        return figures

    def test_same_seed_same_totals(self):
        first = self.build(seed=8)
        self.assertEqual(first, self.build(seed=8))
        self.assertEqual(first["receivable_lines"], 300)
        self.assertEqual(first["lines"], 600)
        self.assertEqual(first["balance"], 0)
        self.assertTrue(0 < first["open_items"] < 300)
        self.assertGreater(first["full_reconciles"], 0)
        self.assertNotEqual(first, self.build(seed=9))

    def test_ledger_is_consistent_with_the_orm(self):
        """Residuals and payment states written in SQL are what the ORM would compute."""
        with self.env.cr.savepoint(flush=False) as savepoint:
            self.generate.build(self.env, partners=10, lines=200, seed=3, companies=1, today=date(2025, 6, 30))
            company = self.env["res.company"].search([("name", "=", "Bench 3-1")])
            lines = self.env["account.move.line"].search([("company_id", "=", company.id)])
            stored = [(line.amount_residual, line.amount_residual_currency, line.reconciled) for line in lines]
            moves = lines.move_id
            states = moves.mapped("payment_state")
            self.env.invalidate_all()
            lines._compute_amount_residual()
            with self.env.protecting([moves._fields["payment_state"]], moves):
                moves._compute_payment_state()
            self.assertEqual(stored, [(line.amount_residual, line.amount_residual_currency, line.reconciled)
                                      for line in lines])
            self.assertEqual(states, moves.mapped("payment_state"))
            self.assertEqual(len(lines), 400)
            savepoint.rollback()
        self.env.invalidate_all()
        self.env.registry.clear_cache()

    def test_history_days(self):
        """``history_days`` bounds the invoice dates (the dunning preset's three months of open items)."""
        with self.env.cr.savepoint(flush=False) as savepoint:
            figures = self.generate.build(self.env, partners=10, lines=200, seed=5, companies=1,
                                          today=date(2025, 6, 30), history_days=30)
            company = self.env["res.company"].search([("name", "=", "Bench 5-1")])
            invoices = self.env["account.move"].search([("company_id", "=", company.id),
                                                        ("move_type", "=", "out_invoice")])
            self.assertTrue(invoices)
            self.assertGreaterEqual(min(invoices.mapped("invoice_date")), date(2025, 5, 31))
            self.assertEqual(figures["receivable_lines"], 200)
            savepoint.rollback()
        self.env.invalidate_all()
        self.env.registry.clear_cache()

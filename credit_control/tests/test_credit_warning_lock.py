from psycopg2.errors import LockNotAvailable

from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_credit_concurrency import TwoCursorCase


@tagged("post_install", "-at_install")
class TestCreditWarningLock(TwoCursorCase):
    """The warning run's lock on a company's cash-flow refresh and digest, seen from a second transaction."""

    def _create_invoices(self, env, partner):
        return env["account.move"]

    def test_run_lock_blocks_a_second_run_not_the_books(self):
        """While one transaction holds the company's warning-run lock, another can still create and post an
        invoice of that company (a row lock on res_company would block the insert's foreign key check), but a
        second run of the same company's refresh waits for the lock."""
        with self.registry.cursor() as cr1, self.registry.cursor() as cr2:
            self._env(cr1)["credit.warning"]._credit_finish_company()  # takes the lock, until cr1 ends

            cr2.execute("SET LOCAL lock_timeout = '3s'")  # a regression fails instead of hanging
            env2 = self._env(cr2)
            move = env2["account.move"].create(self._invoice_vals(env2["res.partner"].browse(self.partner_id),
                                                                  invoice_date="2026-06-30"))
            move.action_post()
            self.assertEqual(move.state, "posted")
            cr2.rollback()

            cr2.execute("SET LOCAL lock_timeout = '300ms'")
            with self.assertRaises(LockNotAvailable), mute_logger("odoo.sql_db"):
                self._env(cr2)["credit.warning"]._credit_finish_company()
            cr2.rollback()
            cr1.rollback()

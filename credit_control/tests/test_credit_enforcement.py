from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user
from odoo.tools import SQL

from odoo.addons.credit_control.exceptions import CreditLimitExceeded
from odoo.addons.credit_control.tests.common import CreditControlCommon


@freeze_time("2026-06-30")
@tagged("post_install", "-at_install")
class TestCreditEnforcement(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.account_use_credit_limit = True
        cls.customer = cls._customer("Acme", credit_tier_id=cls.tier_regular.id, credit_limit=1000.0)
        cls._invoice(cls.customer, 700.0, "2026-06-01")  # 700 open, not yet due
        cls.accountant = new_test_user(cls.env, "accountant", groups="account.group_account_invoice",
                                       company_id=cls.env.company.id)

    def _draft(self, amount, partner=None, **kwargs):
        return self._invoice(partner or self.customer, amount, "2026-06-30", post=False, **kwargs)

    def assertRefused(self, moves, reason, as_user=None):
        """Posting is refused with ``reason`` and leaves every move in draft."""
        with self.assertRaises(CreditLimitExceeded) as caught:
            moves.with_user(as_user or self.env.user).action_post()
        self.assertEqual([block["reason"] for block in caught.exception.blocks], [reason])
        moves.invalidate_recordset()
        self.assertEqual(set(moves.mapped("state")), {"draft"}, "nothing may be posted half-way")
        return caught.exception

    # -------------------------------------------------------------------------
    # Paths
    # -------------------------------------------------------------------------

    def test_code_path_as_non_manager(self):
        invoice = self._draft(500.0)
        error = self.assertRefused(invoice, "limit", as_user=self.accountant)
        self.assertIn("would bring Acme's exposure to $\xa01,200.00, over its credit limit of $\xa01,000.00 by "
                      "$\xa0200.00 (tier Regular, grade -)", str(error))
        self.assertEqual(error.blocks[0]["breakdown"], {
            "posting": 500.0, "open_amount": 700.0, "not_due_excluded": -0.0, "drafts_included": 0.0})
        with self.assertRaises(CreditLimitExceeded):
            invoice._post()
        self._draft(300.0).with_user(self.accountant).action_post()  # exactly at the limit: allowed

    def test_form_path_opens_dialog(self):
        invoice = self._draft(500.0)
        action = invoice.with_context(credit_control_dialog=True).action_post()
        self.assertEqual(action["res_model"], "credit.override.wizard")
        self.assertEqual(invoice.state, "draft")
        wizard = self.env["credit.override.wizard"].browse(action["res_id"])
        self.assertIn("1,200.00", wizard.breakdown)
        self.assertIn("200.00", wizard.breakdown)

        # A non-manager cannot approve; the manager approves with a reason and the invoice posts.
        with self.assertRaises(AccessError):
            wizard.with_user(self.accountant).action_approve()
        wizard.reason = "Strategic order, CFO agreed"
        wizard.action_approve()
        self.assertEqual(invoice.state, "posted")
        override = invoice.credit_override_ids
        self.assertEqual(override.state, "used")
        self.assertEqual((override.exposure, override.credit_limit, override.excess), (1200.0, 1000.0, 200.0))
        self.assertEqual(override.user_id, self.env.user)
        self.assertIn("CFO agreed", invoice.message_ids[0].body)
        self.assertIn("CFO agreed", self.customer.message_ids[0].body)

        # The approval covered that posting only: the next invoice is refused again.
        self.assertRefused(self._draft(10.0), "limit")

    def test_override_cap_and_expiry(self):
        invoice = self._draft(500.0)
        action = invoice.with_context(credit_control_dialog=True).action_post()
        # The dialog runs with the form's context, as in the browser.
        wizard = self.env["credit.override.wizard"].with_context(credit_control_dialog=True).browse(action["res_id"])
        wizard.write({"reason": "Capped", "max_amount": 1100.0})  # the exposure would be 1,200
        with self.assertRaises(ValidationError):
            wizard.action_approve()
        wizard.write({"max_amount": 0.0, "valid_until": "2026-06-29"})
        with self.assertRaises(ValidationError):
            wizard.action_approve()
        wizard.write({"valid_until": False, "reason": " "})
        with self.assertRaises(ValidationError):
            wizard.action_approve()
        self.assertFalse(self.env["credit.override"].search([("move_ids", "in", invoice.ids)]))
        self.assertEqual(invoice.state, "draft")
        wizard.write({"reason": "Season peak", "max_amount": 1500.0, "valid_until": "2026-07-31"})
        self.assertEqual(wizard.action_approve()["type"], "ir.actions.act_window_close")
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.credit_override_ids.max_amount, 1500.0)

    def test_payment_terms_longer_than_tier_allows(self):
        self.tier_regular.max_payment_term_days = 15
        self.assertRefused(self._draft(10.0, days=30), "terms")
        self._draft(10.0, days=10).action_post()

    def test_batch_wizard_path(self):
        invoices = self._draft(200.0) | self._draft(200.0)
        wizard = self.env["validate.account.move"].with_context(
            active_model="account.move", active_ids=invoices.ids).create({})
        with self.assertRaises(CreditLimitExceeded):
            wizard.validate_move()
        invoices.invalidate_recordset()
        self.assertEqual(set(invoices.mapped("state")), {"draft"})

    def test_programmatic_bypass(self):
        invoice = self._draft(500.0)
        # From a non-manager (e.g. over RPC) the key changes nothing: the posting is refused as without it.
        with self.assertRaises(CreditLimitExceeded):
            invoice.with_user(self.accountant).with_context(
                credit_control_override_reason="integration").action_post()
        self.assertFalse(invoice.credit_override_ids)
        invoice.with_context(credit_control_override_reason="EDI order 42, approved by phone").action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(invoice.credit_override_ids.origin, "code")
        self.assertEqual(invoice.credit_override_ids.reason, "EDI order 42, approved by phone")

    # -------------------------------------------------------------------------
    # Policies and blocks
    # -------------------------------------------------------------------------

    def test_warn_and_none_policies(self):
        self.tier_regular.credit_policy = "warn"
        invoice = self._draft(500.0)
        invoice.action_post()
        self.assertEqual(invoice.state, "posted")
        self.assertIn("over its credit limit", invoice.message_ids[0].body)
        self.assertIn("Acme", invoice.activity_ids.summary)
        self.tier_regular.credit_policy = "none"
        other = self._draft(500.0)
        other.action_post()
        self.assertEqual(other.state, "posted")
        self.assertFalse(other.activity_ids)

    def test_hold_prepayment_and_overdue_blocks(self):
        self.customer.write({"credit_hold": True, "credit_hold_reason": "Bounced cheque"})
        self.assertIn("Bounced cheque", str(self.assertRefused(self._draft(10.0), "hold")))
        self.customer.credit_hold = False

        prepay = self.env["credit.tier"].create({"name": "New", "code": "NEW", "limit_rule": "prepayment"})
        newcomer = self._customer("Newcomer", credit_tier_id=prepay.id)
        self.assertRefused(self._draft(100.0, partner=newcomer), "prepayment")
        immediate = self._draft(100.0, partner=newcomer, days=0)
        self.assertRefused(immediate, "limit")  # no limit set: the company default of 0 means no credit
        newcomer.credit_limit = 100.0
        immediate.action_post()
        self.assertEqual(immediate.state, "posted")

        self.tier_regular.max_overdue_days = 30
        self._invoice(self.customer, 50.0, "2026-04-01")  # due 2026-05-01: 60 days overdue
        self.assertRefused(self._draft(10.0), "overdue")
        self.tier_regular.max_overdue_days = 90
        self._draft(10.0).action_post()

    def test_credit_notes_contacts_and_foreign_currency(self):
        refund = self._draft(400.0, move_type="out_refund")
        refund.action_post()  # a credit note is never refused, it lowers the exposure to 300
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.customer.id})
        eur = self.setup_other_currency("EUR", rates=[("2016-01-01", 2.0)])
        # 1,600 EUR at 2.0 = 800 on a contact: 300 + 800 = 1,100 > 1,000.
        error = self.assertRefused(self._draft(1600.0, partner=contact, currency=eur), "limit")
        self.assertEqual(error.blocks[0]["exposure"], 1100.0)
        self._draft(1400.0, partner=contact, currency=eur).action_post()  # 300 + 700 = 1,000

    def test_draft_and_not_due_options(self):
        self._draft(250.0)  # another draft, not posted
        self.tier_regular.exposure_include_draft = True
        self.assertRefused(self._draft(100.0), "limit")  # 700 + 250 draft + 100 = 1,050
        self.tier_regular.write({"exposure_include_draft": False, "exposure_include_not_due": False})
        self._draft(900.0).action_post()  # the 700 not yet due do not count: 900 <= 1,000

    def test_bad_input(self):
        usd_less = self.env["res.currency"].create({"name": "XTS", "symbol": "X", "rounding": 0.01})
        invoice = self._draft(10.0, currency=usd_less)
        with self.assertRaisesRegex(UserError, "no exchange rate"):
            invoice.action_post()
        other = self.setup_other_company()["company"]
        other.account_use_credit_limit = True
        foreign = self._invoice(self.customer, 10.0, "2026-06-30", post=False, company=other)
        with self.assertRaisesRegex(UserError, "one company at a time"):
            (self._draft(10.0) | foreign).action_post()
        self.assertEqual(foreign.state, "draft")

    def test_multi_company_isolation(self):
        other = self.setup_other_company()["company"]
        self._invoice(self.customer, 5000.0, "2026-06-01", company=other)
        self._draft(300.0).action_post()  # the other company's 5,000 do not count here

    def test_query_count_independent_of_open_items(self):
        few = self._customer("Few", credit_limit=10 ** 9)
        many = self._customer("Many", credit_limit=10 ** 9)
        for partner in few | many:
            self._invoice(partner, 10.0, "2026-06-01")
        self._clone_receivable_line(many, 9999)
        self._draft(1.0, partner=self._customer("Warm-up", credit_limit=10 ** 9)).action_post()

        def post_queries(partner):
            invoice = self._draft(1.0, partner=partner)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            invoice.action_post()
            return self.env.cr.sql_log_count - before

        post_queries(few), post_queries(many)  # the first posting per customer warms caches
        self.assertEqual(post_queries(few), post_queries(many))
        self.assertEqual(many.credit_exposure, 100002.0, "10,000 open items of 10 and two invoices of 1")

    def _clone_receivable_line(self, partner, count):
        """Give ``partner`` ``count`` more open receivable items by copying its receivable line in SQL."""
        self.env.flush_all()
        names = [row[0] for row in self.env.execute_query(SQL(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'account_move_line' AND column_name != 'id'"))]
        columns = SQL(", ").join(SQL.identifier(name) for name in names)
        self.env.execute_query(SQL(
            "INSERT INTO account_move_line (%s) SELECT %s FROM account_move_line l, generate_series(1, %s) "
            "WHERE l.partner_id = %s AND l.display_type = 'payment_term'",
            columns, columns, count, partner.id))

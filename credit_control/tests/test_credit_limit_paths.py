from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.exceptions import CreditLimitExceeded
from odoo.addons.credit_control.tests.common import CreditControlCommon


@freeze_time("2026-06-30")
@tagged("post_install", "-at_install")
class TestCreditLimitPaths(CreditControlCommon):
    """The promise: no customer's receivable grows past its effective limit unless a Credit Control Manager
    approved exactly that posting. Each test replays a sequence that broke it, on every path that raises a
    receivable, at the boundaries of "no limit" and 0."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.account_use_credit_limit = True
        cls.customer = cls._customer("Acme", credit_limit=1000.0)
        cls._invoice(cls.customer, 900.0, "2026-06-01")  # 900 open, not yet due
        cls.billing = new_test_user(cls.env, "billing", groups="account.group_account_invoice",
                                    company_id=cls.company.id)
        cls.receivable = cls.company_data["default_account_receivable"]
        cls.revenue = cls.company_data["default_account_revenue"]

    def _draft(self, amount, partner=None, **kwargs):
        return self._invoice(partner or self.customer, amount, "2026-06-30", post=False, **kwargs)

    def assertRefused(self, moves, reason="limit", user=None):
        """Posting is refused for ``reason`` and every move stays in draft."""
        with self.assertRaises(CreditLimitExceeded) as caught:
            moves.with_user(user or self.billing).action_post()
        self.assertEqual([block["reason"] for block in caught.exception.blocks], [reason])
        moves.invalidate_recordset()
        self.assertEqual(set(moves.mapped("state")), {"draft"}, "nothing may be posted half-way")
        return caught.exception

    def _entry(self, lines, partner=None):
        """A draft journal entry of (account, debit, credit) lines, the receivable ones on ``partner``."""
        partner = partner or self.customer
        return self.env["account.move"].create({
            "move_type": "entry", "date": "2026-06-30",
            "line_ids": [Command.create({
                "account_id": account.id, "debit": debit, "credit": credit, "name": "Entry",
                "partner_id": partner.id if account.account_type == "asset_receivable" else False,
            }) for account, debit, credit in lines],
        })

    # -------------------------------------------------------------------------
    # No limit, and 0
    # -------------------------------------------------------------------------

    def test_zero_means_no_credit_and_no_limit_is_explicit(self):
        """A limit of 0 gives no credit at all: a credit note still posts, 0.01 of invoice does not. Only the
        explicit "No Credit Limit" lets any amount through, and setting a limit again ends it."""
        newcomer = self._customer("Newcomer", credit_limit=0.0)
        self.assertFalse(newcomer.credit_no_limit)
        self._draft(50.0, partner=newcomer, move_type="out_refund").with_user(self.billing).action_post()
        # Exposure -50: an invoice of exactly 50 brings it to 0, within a limit of 0; one cent more does not.
        self._draft(50.0, partner=newcomer).with_user(self.billing).action_post()
        error = self.assertRefused(self._draft(0.01, partner=newcomer))
        self.assertIn("over its credit limit of $\xa00.00", str(error))

        newcomer.credit_no_limit = True
        self._draft(2000000.0, partner=newcomer).with_user(self.billing).action_post()
        self.assertEqual(newcomer.credit_utilization, 0.0, "no limit: no utilisation")
        newcomer.credit_limit = 1000.0  # a limit again: "no limit" ends
        self.assertFalse(newcomer.credit_no_limit)
        self.assertRefused(self._draft(1.0, partner=newcomer))

    def test_customers_without_a_limit_follow_the_company_choice(self):
        """A customer without its own limit gets the company's Settings choice: by default the default credit
        limit (0: no credit), or "no limit" when the company ticks it. A customer's own value always wins."""
        plain = self._customer("Plain")
        own = self._customer("Own", credit_limit=100.0)
        self.assertRefused(self._draft(1.0, partner=plain))
        self.assertFalse(self.env["res.config.settings"].create({}).credit_default_no_limit)
        self.env["res.config.settings"].create({"credit_default_no_limit": True}).execute()
        plain.invalidate_recordset()
        self.assertTrue(plain.credit_no_limit)
        self._draft(5000.0, partner=plain).with_user(self.billing).action_post()
        self.assertRefused(self._draft(101.0, partner=own))  # its own limit of 100 still applies
        # Unticking core's "Partner Limit" follows the company again, here: no limit.
        own.use_partner_credit_limit = False
        self.assertTrue(own.credit_no_limit)

    def test_review_approving_a_suggested_zero_gives_no_credit(self):
        """A tier rule that suggests 0 (no sale in the quarter, prepayment) approved in a review means no
        credit, never "no limit"; the review can be created from code, and a negative limit is refused."""
        dormant = self._customer("Dormant", credit_tier_id=self.tier_regular.id, credit_limit=5000.0)
        dormant._credit_compute_profiles()
        self.assertEqual(dormant.credit_suggested_limit, 0.0, "30% of no sales in the last quarter")
        wizard = self.env["credit.review.wizard"].create({"partner_id": dormant.id, "note": "No recent sales"})
        self.assertEqual((wizard.new_limit, wizard.new_no_limit), (5000.0, False))
        wizard.action_use_suggested_limit()
        wizard.action_confirm()
        self.assertEqual((dormant.credit_limit, dormant.credit_no_limit), (0.0, False))
        self.assertIn("limit $&nbsp;5,000.00 → $&nbsp;0.00", self._chatter(dormant))
        self.assertRefused(self._draft(2000000.0, partner=dormant))

        wizard = self.env["credit.review.wizard"].create({"partner_id": dormant.id, "note": "Typo",
                                                          "new_limit": -1.0})
        with self.assertRaises(ValidationError):
            wizard.action_confirm()
        wizard = self.env["credit.review.wizard"].create({"partner_id": dormant.id, "note": "Guaranteed by parent",
                                                          "new_no_limit": True})
        wizard.action_confirm()
        self.assertTrue(dormant.credit_no_limit)
        self.assertIn("$&nbsp;0.00 → no limit", self._chatter(dormant))
        with self.assertRaises(ValidationError):
            dormant.credit_limit = -1.0

    @staticmethod
    def _chatter(record):
        return "\n".join(str(message.body) for message in record.message_ids)

    # -------------------------------------------------------------------------
    # Every posting that raises a receivable
    # -------------------------------------------------------------------------

    def test_receipts_and_journal_entries_are_checked(self):
        """A sales receipt and a journal entry debiting the customer's receivable are checked as an invoice is:
        900 open + 50,000 or + 70,000 > 1,000."""
        receipt = self.env["account.move"].create({
            "move_type": "out_receipt", "partner_id": self.customer.id, "invoice_date": "2026-06-30",
            "invoice_line_ids": [Command.create({"name": "Cash sale", "price_unit": 50000.0, "tax_ids": []})],
        })
        self.assertRefused(receipt)
        entry = self._entry([(self.receivable, 70000.0, 0.0), (self.revenue, 0.0, 70000.0)])
        error = self.assertRefused(entry)
        self.assertEqual(error.blocks[0]["exposure"], 70900.0)  # 900 + 70,000
        # Exactly at the limit: 900 + 100 = 1,000 posts.
        self._entry([(self.receivable, 100.0, 0.0), (self.revenue, 0.0, 100.0)]).with_user(self.billing).action_post()

    def test_moving_a_receivable_between_accounts_is_not_new_credit(self):
        """An entry that moves a customer's receivable from one receivable account to another raises nothing:
        a billing user may post it for a customer over its limit."""
        self.customer.credit_limit = 500.0  # lowered after invoicing: 900 open > 500
        other = self.receivable.copy({"code": "121099"})
        move = self._entry([(other, 900.0, 0.0), (self.receivable, 0.0, 900.0)])
        move.with_user(self.billing).action_post()
        self.assertEqual(move.state, "posted")

    def test_reset_credit_note_is_checked(self):
        """Resetting (or cancelling) a posted credit note raises the exposure: refused for a billing user when it
        goes over the limit; a Credit Control Manager may, and the reset is logged as an override."""
        refund = self._draft(50000.0, move_type="out_refund")
        refund.with_user(self.billing).action_post()  # exposure 900 - 50,000 = -49,100
        self._draft(50000.0).with_user(self.billing).action_post()  # -49,100 + 50,000 = 900
        for action in ("button_draft", "button_cancel"):
            with self.assertRaises(CreditLimitExceeded) as caught:
                getattr(refund.with_user(self.billing), action)()
            self.assertIn("would bring Acme's exposure to $\xa050,900.00", str(caught.exception))
            refund.invalidate_recordset()
            self.assertEqual(refund.state, "posted")
        self.assertEqual(self.customer.credit_exposure, 900.0)

        refund.button_draft()  # the manager
        override = refund.credit_override_ids
        self.assertEqual((override.origin, override.state, override.user_id), ("reset", "used", self.env.user))
        self.assertEqual((override.exposure, override.credit_limit, override.excess), (50900.0, 1000.0, 49900.0))
        refund.with_context(force_delete=True).unlink()
        self.customer.invalidate_recordset(["credit_exposure"])
        self.assertEqual(self.customer.credit_exposure, 50900.0)

        # Within the limit, anyone may reset: a credit note of 100 for a customer owing nothing, back to 0.
        roomy = self._customer("Roomy", credit_limit=1000.0)
        small = self._draft(100.0, partner=roomy, move_type="out_refund")
        small.action_post()
        small.with_user(self.billing).button_draft()
        self.assertEqual(small.state, "draft")

    def test_cancelled_payment_is_checked(self):
        """Cancelling a customer's payment raises its exposure back: refused for a billing user over the limit."""
        invoice = self._invoice(self.customer, 100.0, "2026-06-30")  # 1,000 open, at the limit
        payment = self._pay(invoice, 100.0, "2026-06-30")
        self._draft(100.0).with_user(self.billing).action_post()  # 900 + 100 = 1,000 again
        with self.assertRaises(CreditLimitExceeded):
            payment.with_user(self.billing).action_draft()
        payment.move_id.invalidate_recordset()
        self.assertEqual(payment.move_id.state, "posted")

    def test_draft_credit_notes_never_lower_the_exposure(self):
        """Counting drafts adds draft invoices and receipts, never subtracts a draft credit note:
        900 + 500,000 > 1,000 even with a draft credit note of 1,000,000."""
        self.customer.credit_tier_id = self.tier_regular
        self.tier_regular.exposure_include_draft = True
        self._draft(1000000.0, move_type="out_refund")
        error = self.assertRefused(self._draft(500000.0))
        self.assertEqual(error.blocks[0]["exposure"], 500900.0)

    # -------------------------------------------------------------------------
    # Approvals
    # -------------------------------------------------------------------------

    def _approval(self, moves, **values):
        return self.env["credit.override"].create({
            "partner_id": self.customer.id, "move_ids": [Command.set(moves.ids)], "reason_code": "limit",
            "reason": "Approved by phone", **values})

    def test_an_approval_covers_its_moves_and_amounts_once(self):
        """An approval covers the moves it names at the signed totals they had, once, until its date. Raising
        the amount, posting it again after a reset or posting after the expiry needs a new approval; the figures
        approved are never rewritten and the use is recorded apart."""
        invoice = self._draft(500.0)
        override = self._approval(invoice, exposure=1400.0, credit_limit=1000.0, excess=400.0)
        invoice.with_user(self.billing).write({"invoice_line_ids": [
            Command.update(invoice.invoice_line_ids.id, {"price_unit": 900000.0})]})
        self.assertRefused(invoice)
        invoice.write({"invoice_line_ids": [Command.update(invoice.invoice_line_ids.id, {"price_unit": 500.0})]})
        invoice.with_user(self.billing).action_post()
        self.assertEqual((override.state, override.used_by_id, override.used_exposure), ("used", self.billing, 1400.0))
        self.assertEqual((override.exposure, override.credit_limit, override.excess), (1400.0, 1000.0, 400.0))
        self.assertEqual(override.used_move_ids, invoice)

        invoice.with_user(self.billing).button_draft()  # lowers the exposure: anyone may
        self.assertRefused(invoice)  # the approval was used

        later = self._draft(200.0)
        self._approval(later)  # valid until the end of today
        with freeze_time("2026-07-01"):
            self.assertRefused(later)

    def test_approval_bad_input(self):
        """An approval cannot expire in the past, nor name another customer's move."""
        invoice = self._draft(500.0)
        with self.assertRaises(ValidationError):
            self._approval(invoice, valid_until="2026-06-29")
        stranger = self._draft(10.0, partner=self._customer("Stranger"))
        with self.assertRaises(ValidationError):
            self._approval(invoice | stranger)
        self.assertFalse(self.env["credit.override"].search([("move_ids", "in", (invoice | stranger).ids)]))

    def test_dialog_approves_only_what_still_blocks(self):
        """The dialog approves the blocks posting meets when the manager confirms, not those it showed: a
        block that no longer blocks gets no approval."""
        invoice = self._draft(500.0)
        action = invoice.with_context(credit_control_dialog=True).action_post()
        wizard = self.env["credit.override.wizard"].browse(action["res_id"])
        self.customer.credit_limit = 2000.0  # meanwhile, another manager raises the limit
        wizard.reason = "Go ahead"
        wizard.action_approve()
        self.assertEqual(invoice.state, "posted")
        self.assertFalse(invoice.credit_override_ids)

    # -------------------------------------------------------------------------
    # Branches
    # -------------------------------------------------------------------------

    def test_branches_share_the_root_company_exposure(self):
        """The exposure in a company counts its root and every branch, as core's ``credit`` does: 900 in the
        parent + 100 in the branch = 1,000, and one more posts nowhere."""
        self.company.write({"child_ids": [Command.create({"name": "Shanghai Branch"})]})
        self.env.cr.precommit.run()
        branch = self.company.child_ids
        self.env.user.company_ids |= branch
        self.billing.company_ids |= branch

        def branch_invoice(amount):
            return self.env["account.move"].with_company(branch).create({
                "move_type": "out_invoice", "partner_id": self.customer.id, "company_id": branch.id,
                "invoice_date": "2026-06-30",
                "invoice_line_ids": [Command.create({"name": "Goods", "price_unit": amount, "tax_ids": []})]})

        branch_invoice(100.0).with_user(self.billing).with_company(branch).action_post()
        self.assertEqual(self.customer.with_company(branch).credit_exposure, 1000.0)
        self.assertEqual(self.customer.credit_exposure, 1000.0)
        with self.assertRaises(CreditLimitExceeded):
            branch_invoice(1.0).with_user(self.billing).with_company(branch).action_post()
        self.assertRefused(self._draft(1.0))

    # -------------------------------------------------------------------------
    # Reconciliation
    # -------------------------------------------------------------------------

    def test_exchange_difference_of_a_payment_is_not_credit(self):
        """A billing user can register a foreign-currency payment for a customer over its limit, although the
        exchange difference core posts while reconciling debits the receivable.

        1,000 EUR invoiced at 2 EUR/USD = 500; paid at 1 EUR/USD = 1,000: the exchange move debits 500."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0), ("2026-06-30", 1.0)])
        self.customer.credit_limit = 10000.0
        invoice = self._invoice(self.customer, 1000.0, "2026-06-01", currency=eur)
        self.customer.credit_limit = 500.0  # 900 + 500 open > 500: over its limit since it was lowered
        wizard = self.env["account.payment.register"].with_user(self.billing).with_context(
            active_model="account.move", active_ids=invoice.ids).create({"payment_date": "2026-06-30"})
        wizard._create_payments()
        self.assertEqual(invoice.payment_state, "paid")
        exchange = invoice.line_ids.matched_credit_ids.exchange_move_id | \
            invoice.line_ids.matched_debit_ids.exchange_move_id
        self.assertTrue(exchange, "the scenario must produce an exchange difference")
        self.assertEqual(self.customer.credit_exposure, 900.0)

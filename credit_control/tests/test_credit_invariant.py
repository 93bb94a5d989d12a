import logging
import os

from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.exceptions import CreditLimitExceeded
from odoo.addons.credit_control.tests.common import CreditControlCommon

_logger = logging.getLogger(__name__)

# make test runs 200 sequences with a fixed seed; make fuzz sets CREDIT_CONTROL_FUZZ_EXAMPLES (and may vary it).
EXAMPLES = int(os.environ.get("CREDIT_CONTROL_FUZZ_EXAMPLES") or 200)
LIMITS = [None, 0.0, 500.0, 1000.0, 5000.0]  # None: no limit
AMOUNTS = st.sampled_from([0.01, 1.0, 99.99, 250.0, 500.0, 999.99, 1000.0, 3000.0])


class CreditMachine(RuleBasedStateMachine):
    """Random postings, resets, payments, limit changes and approvals, by a manager or a billing user, on one
    company and three customers. After every step:

    * a billing user's posting or reset that raised a receivable left the exposure within the effective limit
      (and the customer off hold), or used exactly one approval given for that very move;
    * a refusal changed nothing;
    * the computed exposure equals the sum of the open receivable residuals in company currency.
    """

    case = None  # the running TestCase, set before the run
    drafts = Bundle("drafts")
    posted = Bundle("posted")
    credits = Bundle("credits")  # posted credit notes: resetting them raises the exposure
    payments = Bundle("payments")

    def __init__(self):
        super().__init__()
        self.env = self.case.env
        self.savepoint = self.env.cr.savepoint()  # each sequence starts from the same books
        self.steps = 0

    def teardown(self):
        self.savepoint.close(rollback=True)
        self.case.steps += self.steps

    # -------------------------------------------------------------------------
    # Oracle
    # -------------------------------------------------------------------------

    def _open_residuals(self, partner):
        """The sum of open receivable residuals, read with the ORM (not credit control's SQL)."""
        [(total,)] = self.env["account.move.line"]._read_group(
            [("partner_id", "child_of", partner.id), ("account_id.account_type", "=", "asset_receivable"),
             ("parent_state", "=", "posted"), ("reconciled", "=", False), ("company_id", "=", self.case.company.id)],
            [], ["amount_residual:sum"])
        return total or 0.0

    def _raises(self, move, partner):
        return sum(move.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable").mapped("balance")) > 0.005

    def _user(self, manager):
        return self.env.user if manager else self.case.billing

    def _assert_allowed(self, move, partner, user):
        """A billing user's change that raised ``partner``'s receivable: within the limit, or one used approval."""
        partner.invalidate_recordset()
        exposure = self._open_residuals(partner)
        limit = None if partner.credit_no_limit else partner.credit_limit
        within = not partner.credit_hold and (limit is None or exposure <= limit + 0.005)
        used = self.env["credit.override"].search([("used_move_ids", "in", move.ids), ("origin", "=", "dialog")])
        if not within:
            assert len(used) == 1 and used.used_by_id == user and used.state == "used", (
                f"{move.name} raised {partner.name} to {exposure} over {limit} (hold {partner.credit_hold}) "
                f"with approvals {used.ids}")

    # -------------------------------------------------------------------------
    # Steps
    # -------------------------------------------------------------------------

    @rule(target=drafts, customer=st.integers(0, 2), amount=AMOUNTS,
          kind=st.sampled_from(["out_invoice", "out_invoice", "out_receipt", "out_refund", "entry"]),
          foreign=st.booleans(), term=st.sampled_from(["immediate", "30 days", "instalments"]))
    def draft(self, customer, amount, kind, foreign, term):
        self.steps += 1
        partner = self.case.customers[customer]
        if kind == "entry":
            return self.env["account.move"].create({"move_type": "entry", "date": "2026-06-30",
                                                    "partner_id": partner.id, "line_ids": [
                Command.create({"account_id": self.case.receivable.id, "partner_id": partner.id, "debit": amount,
                                "name": "Receivable"}),
                Command.create({"account_id": self.case.revenue.id, "credit": amount, "name": "Revenue"})]})
        return self.env["account.move"].create({
            "move_type": kind, "partner_id": partner.id, "invoice_date": "2026-06-30",
            "currency_id": (self.case.eur if foreign else self.case.company.currency_id).id,
            "invoice_payment_term_id": self.case.terms[term].id if kind == "out_invoice" else False,
            "invoice_line_ids": [Command.create({"name": "Goods", "price_unit": amount, "tax_ids": []})],
        })

    @rule(target=posted, move=drafts, manager=st.booleans(), bypass=st.booleans())
    def post(self, move, manager, bypass):
        """Post as a manager or a billing user; the bypass key is only a manager's."""
        self.steps += 1
        if move.state != "draft":
            return move
        partner = move.commercial_partner_id
        user = self._user(manager)
        before = self._open_residuals(partner)
        context = {"credit_control_override_reason": "fuzz"} if bypass else {}
        try:
            move.with_user(user).with_context(**context).action_post()
        except CreditLimitExceeded:
            move.invalidate_recordset()
            assert move.state == "draft", "a refusal leaves the move in draft"
            assert abs(self._open_residuals(partner) - before) < 0.005, "a refusal changes nothing"
            return move
        if not manager and self._raises(move, partner):
            self._assert_allowed(move, partner, user)
        return move

    @rule(target=credits, move=drafts, manager=st.booleans())
    def post_credit_note(self, move, manager):
        """Post a credit note (never refused), kept apart so that sequences often reset one."""
        self.steps += 1
        if move.state == "draft" and move.move_type == "out_refund":
            move.with_user(self._user(manager)).action_post()
        return move

    @rule(move=st.one_of(posted, credits), manager=st.booleans(), cancel=st.booleans())
    def reset(self, move, manager, cancel):
        self.steps += 1
        if move.state != "posted":
            return
        partner = move.commercial_partner_id
        user = self._user(manager)
        lowered = not self._raises(move, partner)
        try:
            getattr(move.with_user(user), "button_cancel" if cancel else "button_draft")()
        except CreditLimitExceeded:
            move.invalidate_recordset()
            assert move.state == "posted"
            return
        except UserError:  # e.g. a move with a payment reconciled on an exchange difference
            return
        if not manager and lowered:
            partner.invalidate_recordset()
            limit = None if partner.credit_no_limit else partner.credit_limit
            exposure = self._open_residuals(partner)
            assert limit is None or exposure <= limit + 0.005, (
                f"a billing user's reset of {move.name} took {partner.name} to {exposure} over {limit}")

    @rule(target=payments, move=posted, share=st.sampled_from([0.25, 0.5, 1.0]))
    def pay(self, move, share):
        self.steps += 1
        if move.state != "posted" or move.move_type not in ("out_invoice", "out_receipt") or \
                move.payment_state not in ("not_paid", "partial"):
            return self.env["account.payment"]
        amount = move.currency_id.round(move.amount_residual * share)
        if not amount:
            return self.env["account.payment"]
        return self.env["account.payment.register"].with_user(self.case.billing).with_context(
            active_model="account.move", active_ids=move.ids,
        ).create({"payment_date": "2026-06-30", "amount": amount})._create_payments()

    @rule(payment=payments, manager=st.booleans())
    def cancel_payment(self, payment, manager):
        self.steps += 1
        if not payment or payment.state == "draft":
            return
        partner = payment.partner_id.commercial_partner_id
        try:
            with self.env.cr.savepoint():  # a request that fails rolls back whole, as Odoo's does
                payment.with_user(self._user(manager)).action_draft()
        except CreditLimitExceeded:
            assert payment.move_id.state == "posted"
            return
        if not manager:
            partner.invalidate_recordset()
            limit = None if partner.credit_no_limit else partner.credit_limit
            exposure = self._open_residuals(partner)
            assert limit is None or exposure <= limit + 0.005, "a billing user's cancelled payment went over"

    @rule(customer=st.integers(0, 2), limit=st.sampled_from(LIMITS), hold=st.sampled_from([False, False, True]))
    def change_limit(self, customer, limit, hold):
        self.steps += 1
        partner = self.case.customers[customer]
        values = {"credit_no_limit": True} if limit is None else {"credit_limit": limit}
        partner.write(dict(values, credit_hold=hold, credit_hold_reason="fuzz" if hold else False))

    @rule(move=drafts)
    def approve(self, move):
        """A manager approves what blocks the draft now, as the dialog does."""
        self.steps += 1
        if move.state != "draft":
            return
        overrides = self.env["credit.override"]
        blocks = move._credit_current_blocks()
        overrides.create([overrides._credit_values(block, "fuzz approval") for block in blocks])

    # -------------------------------------------------------------------------
    # Invariants
    # -------------------------------------------------------------------------

    @invariant()
    def exposure_is_the_open_residuals(self):
        for partner in self.case.customers:
            partner.invalidate_recordset(["credit_exposure"])
            assert abs(partner.credit_exposure - self._open_residuals(partner)) < 0.005, (
                f"{partner.name}: exposure {partner.credit_exposure} != open residuals "
                f"{self._open_residuals(partner)}")

    @invariant()
    def approvals_are_used_once(self):
        for override in self.env["credit.override"].search([("origin", "=", "dialog"), ("state", "=", "used")]):
            assert override.used_move_ids, "a used approval records what it was used on"


# Hypothesis's engine keeps real time, so that its shrinking deadline (5 minutes) passes under the frozen clock.
@freeze_time("2026-06-30", ignore=["hypothesis.internal.conjecture.engine"])
@tagged("post_install", "-at_install")
class TestCreditInvariant(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.account_use_credit_limit = True
        cls.customers = [cls._customer("Fuzz A", credit_limit=1000.0), cls._customer("Fuzz B", credit_limit=0.0),
                         cls._customer("Fuzz C", credit_no_limit=True)]
        cls.billing = new_test_user(cls.env, "fuzz_billing", groups="account.group_account_invoice",
                                    company_id=cls.company.id)
        cls.receivable = cls.company_data["default_account_receivable"]
        cls.revenue = cls.company_data["default_account_revenue"]
        cls.eur = cls.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        instalments = cls.env["account.payment.term"].create({"name": "Half now, half in 30", "line_ids": [
            Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 0}),
            Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30})]})
        cls.terms = {"immediate": cls._term(0), "30 days": cls._term(30), "instalments": instalments}

    def test_no_receivable_grows_past_a_limit_without_an_approval(self):
        """The invariants of CreditMachine hold over random sequences (fixed seed in make test)."""
        CreditMachine.case = self
        self.steps = 0
        derandomize = not os.environ.get("CREDIT_CONTROL_FUZZ_RANDOM")
        run_state_machine_as_test(CreditMachine, settings=settings(
            max_examples=EXAMPLES, stateful_step_count=20, deadline=None, derandomize=derandomize,
            database=None, suppress_health_check=list(HealthCheck), print_blob=True))
        _logger.info("credit invariant: %s examples, %s steps, all invariants held", EXAMPLES, self.steps)

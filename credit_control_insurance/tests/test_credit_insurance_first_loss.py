import logging
import os

from freezegun import freeze_time
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule, run_state_machine_as_test

from odoo.tests import tagged

from odoo.addons.credit_control.tests.common import CreditControlCommon

_logger = logging.getLogger(__name__)

EXAMPLES = int(os.environ.get("CREDIT_CONTROL_FUZZ_EXAMPLES") or 30)
FIRST_LOSS = 10000.0
LOSSES = st.sampled_from([0.01, 999.99, 4000.0, 5000.0, 6000.0, 9999.99, 10000.0, 10000.01, 25000.0])


class FirstLossMachine(RuleBasedStateMachine):
    """Random claims on one policy year with an aggregate first loss of 10,000 (90%, no deductible, no cap):
    drafted, filed alone or two at once, rejected, accepted (for nothing when the first loss took them whole)
    and closed. After every step:

    * the live claims (filed or decided, not rejected) took at most 10,000 of first loss in all;
    * each claim filed took min(its loss, 10,000 − what the live claims filed before it took), and pays
      (loss − first loss) × 90%;
    * a draft would take min(its loss, what the live claims leave).
    """

    case = None  # the running TestCase, set before the run
    drafts = Bundle("drafts")
    filed = Bundle("filed")

    def __init__(self):
        super().__init__()
        self.env = self.case.env
        self.savepoint = self.env.cr.savepoint()  # each sequence starts from the same books
        self.live = []  # the claims filed and not rejected, in filing order: the oracle's ledger
        self.count = 0

    def teardown(self):
        self.savepoint.close(rollback=True)

    def _left(self):
        return max(FIRST_LOSS - sum(claim.first_loss for claim in self.live), 0.0)

    @rule(target=drafts, loss=LOSSES)
    def draft(self, loss):
        self.count += 1
        buyer = self.case._buyer(f"First loss {self.count}", amount=10 ** 6, policy=self.case.afl_policy)
        return self.case._claim(self.case._invoice(buyer, loss, "2026-02-01"))

    @rule(target=filed, claim=consumes(drafts))
    def file_one(self, claim):
        expected = min(claim.amount_claimed, self._left())
        self.case._file(claim)
        self.case.assertAlmostEqual(claim.first_loss, expected, places=2)
        self.live.append(claim)
        return claim

    @rule(first=consumes(drafts), second=consumes(drafts))
    def file_two(self, first, second):
        self.case._file(first | second)  # one click: the second sees the first
        for claim in (first, second):
            self.case.assertAlmostEqual(
                claim.first_loss, min(claim.amount_claimed, FIRST_LOSS - sum(c.first_loss for c in self.live)),
                places=2)
            self.live.append(claim)

    @rule(claim=consumes(filed))
    def reject(self, claim):
        if claim.state in ("filed", "under_review"):
            claim.action_reject()
            self.live.remove(claim)
            self.case.assertEqual(claim.first_loss, 0.0)

    @rule(claim=consumes(filed))
    def accept_and_close(self, claim):
        if claim.state in ("filed", "under_review"):
            claim.action_accept()
            if claim.currency_id.is_zero(claim.amount_accepted):
                claim.action_close()  # absorbed: it keeps its first loss

    @invariant()
    def the_first_loss_is_never_exceeded(self):
        self.case.assertLessEqual(sum(claim.first_loss for claim in self.live), FIRST_LOSS + 0.001)

    @invariant()
    def each_claim_pays_the_rest_at_90_percent(self):
        for claim in self.live:
            self.case.assertAlmostEqual(claim.indemnity, round((claim.amount_claimed - claim.first_loss) * 0.9, 2),
                                        places=2)


@tagged("post_install", "-at_install")
class TestCreditInsuranceFirstLoss(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.insurer = cls.env["res.partner"].create({"name": "First Loss Insurer", "is_company": True})
        cls.afl_policy = cls.env["credit.insurance.policy"].create({
            "policy_number": "P-AFL-FUZZ", "insurer_id": cls.insurer.id, "policy_type": "single_buyer",
            "date_start": "2026-01-01", "date_end": "2026-12-31", "indemnity_percent": 90.0,
            "deductible_amount": 0.0, "max_liability": 0.0, "aggregate_first_loss": FIRST_LOSS,
        })
        cls.afl_policy.action_activate()
        cls._term(30)

    @classmethod
    def _buyer(cls, name, amount, policy):
        buyer = cls._customer(name)
        cls.env["credit.insurance.cover"].create({
            "partner_id": buyer.id, "policy_id": policy.id, "decision": "granted", "amount_granted": amount,
            "date_effective": "2026-01-01"})
        return buyer

    def _claim(self, invoices):
        Claim = self.env["credit.insurance.claim"]
        return Claim.create(Claim._credit_prepare_from_invoices(invoices))

    def _file(self, claims):
        claims.document_ids.done = True
        claims.action_file()

    @freeze_time("2026-06-01")
    def test_the_first_loss_ledger_holds_over_random_sequences(self):
        """The invariants of FirstLossMachine hold over random sequences (fixed seed in make test)."""
        FirstLossMachine.case = self
        run_state_machine_as_test(FirstLossMachine, settings=settings(
            max_examples=EXAMPLES, stateful_step_count=10, deadline=None,
            derandomize=not os.environ.get("CREDIT_CONTROL_FUZZ_RANDOM"), database=None,
            suppress_health_check=list(HealthCheck), print_blob=True))
        _logger.info("first loss ledger: %s examples, all invariants held", EXAMPLES)

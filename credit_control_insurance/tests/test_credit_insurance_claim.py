import io
from contextlib import contextmanager

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditInsuranceClaim(CreditControlCommon):
    """Claims: the indemnity computation, the documents, the state machine, the accounting and recoveries.

    The policy: 90% indemnity, a deductible of 500 per claim, a maximum liability of 10,000 (USD, the company's
    currency). Buyers are covered for 50,000 from 2026-01-01 unless a test says otherwise.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.eur = cls.setup_other_currency("EUR", rates=[("2026-01-01", 1.25)])  # 1 USD = 1.25 EUR
        cls.insurer = cls.env["res.partner"].create({"name": "Sinosure", "is_company": True})
        cls.policy = cls._policy("P-1")
        cls.buyer = cls._buyer("Acme")
        cls.Claim = cls.env["credit.insurance.claim"]
        cls.user = new_test_user(cls.env, "claim_user", groups="credit_control.group_credit_control_user",
                                 company_id=cls.env.company.id)
        cls._term(30)  # made here, so that the tests' rollbacks keep it

    @classmethod
    def _policy(cls, number, insurer=None, company=None, **values):
        policy = cls.env["credit.insurance.policy"].create({
            "policy_number": number, "insurer_id": (insurer or cls.insurer).id, "date_start": "2026-01-01",
            "date_end": "2026-12-31", "indemnity_percent": 90.0, "deductible_amount": 500.0,
            "max_liability": 10000.0, "company_id": (company or cls.env.company).id, **values,
        })
        policy.action_activate()
        return policy

    @classmethod
    def _buyer(cls, name, amount=50000.0, policy=None, **cover):
        buyer = cls._customer(name, email=f"ap@{name.lower()}.example")
        cls.env["credit.insurance.cover"].create({
            "partner_id": buyer.id, "policy_id": (policy or cls.policy).id, "decision": "granted",
            "amount_granted": amount, "date_effective": "2026-01-01", **cover,
        })
        return buyer

    @contextmanager
    def _refused(self, exception, text):
        """assertRaises (which rolls back to a savepoint) and the message contains ``text``."""
        with self.assertRaises(exception) as catcher:
            yield
        self.assertIn(text, str(catcher.exception))

    def _claim(self, invoices, **values):
        return self.Claim.create({**self.Claim._credit_prepare_from_invoices(invoices), **values})

    def _file(self, claim):
        claim.document_ids.done = True
        claim.action_file()
        return claim

    def _accept(self, claim):
        self._file(claim).action_accept()
        return claim

    # -------------------------------------------------------------------------
    # The indemnity
    # -------------------------------------------------------------------------

    @freeze_time("2026-06-01")
    def test_liability_cap_reached_across_two_claims(self):
        other = self._buyer("Globex")
        first = self._claim(self._invoice(self.buyer, 8000.0, "2026-02-01"))
        # (8,000 − 500 deductible) × 90% = 6,750, under the 10,000 cap
        self.assertRecordValues(first, [{
            "insured_outstanding": 8000.0, "cover_amount": 50000.0, "insured_loss": 8000.0,
            "amount_claimed": 8000.0, "indemnity_percent": 90.0, "gross_indemnity": 6750.0,
            "remaining_liability": 10000.0, "capped_indemnity": 6750.0, "deductible": 500.0, "indemnity": 6750.0,
        }])
        self.assertRegex(first.name, r"^CLM/2026/\d{4}$")
        self._accept(first)
        self.assertEqual(first.amount_accepted, 6750.0)

        second = self._claim(self._invoice(other, 6000.0, "2026-02-01"))
        # (6,000 − 500) × 90% = 4,950, but only 10,000 − 6,750 = 3,250 is left: the insurer pays its maximum
        self.assertRecordValues(second, [{
            "gross_indemnity": 4950.0, "remaining_liability": 3250.0, "capped_indemnity": 3250.0,
            "deductible": 500.0, "indemnity": 3250.0,
        }])
        self.assertIn("3,250.00", second.computation_note)
        self.assertIn("6,750.00", second.computation_note)
        self._file(second)

        # Filed, the figures are frozen: a new term on the policy or a payment no longer changes them.
        self.policy.indemnity_percent = 50.0
        self._pay(second.move_ids, 1000.0, "2026-06-01")
        self.assertRecordValues(second, [{"insured_outstanding": 6000.0, "indemnity_percent": 90.0,
                                          "indemnity": 3250.0}])

    @freeze_time("2026-06-01")
    def test_the_insurer_pays_up_to_its_maximum_liability(self):
        """Invariant: indemnity = min(max(loss − deductible, 0) × indemnity %, remaining liability): the deductible
        comes off the loss, the cap last, so the insurer pays its whole maximum liability and never more.
        90%, deductible 5,000, maximum 50,000: a loss of 100,000 gives min(95,000 × 90% = 85,500, 50,000) =
        50,000; a loss of 4,000 gives 0; claims of 40,000 then 30,000 give (35,000 × 90% =) 31,500, then
        min(25,000 × 90% = 22,500, 50,000 − 31,500 = 18,500) = 18,500."""
        policy = self._policy("P-MAX", policy_type="single_buyer", deductible_amount=5000.0, max_liability=50000.0)
        big, small, first, second = (self._buyer(name, amount=200000.0, policy=policy)
                                     for name in ("Big", "Small", "First", "Second"))
        self.assertEqual(self._claim(self._invoice(big, 100000.0, "2026-02-01")).indemnity, 50000.0)
        self.assertEqual(self._claim(self._invoice(small, 4000.0, "2026-02-01")).indemnity, 0.0)
        one = self._file(self._claim(self._invoice(first, 40000.0, "2026-02-01")))
        two = self._claim(self._invoice(second, 30000.0, "2026-02-01"))
        self.assertEqual((one.indemnity, two.indemnity), (31500.0, 18500.0))
        self.assertIn("18,500.00", two.computation_note)

    def test_annual_aggregate_first_loss(self):
        """Invariant: the annual aggregate first loss is the company's: each policy year's claims use it up in
        filing order, after the per-claim deductible, before the insurer pays; the next year starts afresh; a
        rejected claim gives its part back; a claim it absorbs whole is accepted for nothing and closed.

        Policy 2026-01-01 to 2027-12-31, 90%, first loss 10,000 a year, deductible 0, maximum 100,000.
        2026: A 4,000 takes 4,000 (pays 0); B 5,000 takes 5,000 (0); C 20,000 takes the last 1,000 and pays
        19,000 × 90% = 17,100. 2027: D 30,000 takes the full 10,000 again and pays 20,000 × 90% = 18,000.
        B rejected, 5,000 is free again: E 8,000 (2026) takes it and pays 3,000 × 90% = 2,700."""
        policy = self._policy("P-AFL", policy_type="single_buyer", date_end="2027-12-31", deductible_amount=0.0,
                              aggregate_first_loss=10000.0, max_liability=100000.0)
        claims = {}
        with freeze_time("2026-06-01"):
            for name, amount in (("A", 4000.0), ("B", 5000.0), ("C", 20000.0)):
                buyer = self._buyer(f"AFL {name}", policy=policy)
                claims[name] = self._file(self._claim(self._invoice(buyer, amount, "2026-02-01")))
        with freeze_time("2027-03-01"):
            buyer = self._buyer("AFL D", policy=policy)
            claims["D"] = self._file(self._claim(self._invoice(buyer, 30000.0, "2027-01-10")))
        self.assertRecordValues(self.Claim.concat(*(claims[name] for name in "ABCD")), [
            {"first_loss": 4000.0, "gross_indemnity": 0.0, "indemnity": 0.0},
            {"first_loss": 5000.0, "gross_indemnity": 0.0, "indemnity": 0.0},
            {"first_loss": 1000.0, "gross_indemnity": 17100.0, "indemnity": 17100.0},
            {"first_loss": 10000.0, "gross_indemnity": 18000.0, "indemnity": 18000.0},
        ])
        note = claims["C"].computation_note
        self.assertIn(f"{claims['A'].name} (Filed: $\xa04,000.00), {claims['B'].name} (Filed: $\xa05,000.00)", note)
        self.assertIn("it takes $\xa01,000.00 of the $\xa020,000.00", note)
        self.assertIn("$\xa00.00 held by no other claim", note, "claims that pay nothing hold nothing")
        self.assertIn("no other claim", claims["D"].computation_note, "the 2027 year's first claim")

        with freeze_time("2026-07-01"):
            claims["B"].action_reject()
            self.assertEqual(claims["B"].first_loss, 0.0)
            buyer = self._buyer("AFL E", policy=policy)
            late = self._claim(self._invoice(buyer, 8000.0, "2026-02-01"))
            # 10,000 − 4,000 (A) − 1,000 (C) = 5,000 left: takes 5,000, pays (8,000 − 5,000) × 90% = 2,700
            self.assertRecordValues(late, [{"first_loss": 5000.0, "indemnity": 2700.0}])
            # A is absorbed whole: accepted for nothing (the insurer admits the loss), then closed
            claims["A"].action_accept()
            self.assertRecordValues(claims["A"], [{"state": "accepted", "amount_accepted": 0.0}])
            claims["A"].action_close()
            self.assertEqual(claims["A"].state, "closed")
            claims["C"].action_accept()
            with self._refused(UserError, "register the indemnity"):
                claims["C"].action_close()
        with self._refused(ValidationError, "cannot be negative"):
            policy.aggregate_first_loss = -1.0

    @freeze_time("2026-06-01")
    def test_a_loss_the_first_loss_absorbed_is_not_claimed_again(self):
        """Invariant: a claim the first loss absorbed, accepted for nothing and closed, still holds its invoices
        and the buyer's cover (only a rejection frees them): the same loss is never claimed twice.
        First loss 4,000, an invoice of 4,000: the claim takes it all and pays 0; a second claim on the invoice
        is refused, and a new invoice of the buyer is covered by 50,000 − 4,000 = 46,000 only."""
        policy = self._policy("P-AFL1", policy_type="single_buyer", deductible_amount=0.0, max_liability=0.0,
                              aggregate_first_loss=4000.0)
        buyer = self._buyer("Absorbed", policy=policy)
        invoice = self._invoice(buyer, 4000.0, "2026-02-01")
        absorbed = self._file(self._claim(invoice))
        absorbed.action_accept()
        absorbed.action_close()
        self.assertRecordValues(absorbed, [{"state": "closed", "amount_accepted": 0.0, "first_loss": 4000.0}])
        with self._refused(ValidationError, "already claimed"):
            self._claim(invoice)
        later = self._claim(self._invoice(buyer, 60000.0, "2026-03-01"))
        self.assertEqual(later.cover_amount, 46000.0)

    def test_a_claim_after_the_policy_ended_is_in_its_last_year(self):
        """Invariant: claims come after the policy ended (extension and claim periods): a claim dated after the
        end belongs to the policy's last year and shares its first loss. Policy 2026, first loss 10,000: a
        claim of 10,000 in November takes it all; a claim of 10,000 dated 2027-02-15 takes nothing and pays
        10,000 × 90% = 9,000."""
        policy = self._policy("P-AFL2", policy_type="single_buyer", deductible_amount=0.0, max_liability=0.0,
                              aggregate_first_loss=10000.0)
        first, second = self._buyer("Year A", policy=policy), self._buyer("Year B", policy=policy)
        with freeze_time("2026-11-15"):
            self._file(self._claim(self._invoice(first, 10000.0, "2026-06-01")))
        with freeze_time("2027-02-15"):
            late = self._claim(self._invoice(second, 10000.0, "2026-10-01"))
        self.assertRecordValues(late, [{"first_loss": 0.0, "indemnity": 9000.0}])
        self.assertIn("01/01/2026 to 12/31/2026", late.computation_note)

    @freeze_time("2026-06-01")
    def test_claims_filed_together_count_against_each_other(self):
        """Invariant: claims filed in one click are filed one after the other, so each sees what the ones
        before hold. Maximum 10,000, deductible 500: 8,000 and 6,000 give 6,750 and 3,250 (10,000 in all);
        first loss 5,000 and two losses of 5,000: the first takes it all, the second pays 4,500."""
        one, two = self._claim(self._invoice(self._buyer("Together A"), 8000.0, "2026-02-01")), \
            self._claim(self._invoice(self._buyer("Together B"), 6000.0, "2026-02-01"))
        self._file(one | two)
        self.assertEqual((one.indemnity, two.indemnity), (6750.0, 3250.0))
        self.assertEqual(self.policy.liability_remaining, 0.0)
        policy = self._policy("P-AFL3", policy_type="single_buyer", deductible_amount=0.0, max_liability=0.0,
                              aggregate_first_loss=5000.0)
        three, four = (self._claim(self._invoice(self._buyer(name, policy=policy), 5000.0, "2026-02-01"))
                       for name in ("Together C", "Together D"))
        self._file(three | four)
        self.assertRecordValues(three | four, [{"first_loss": 5000.0, "indemnity": 0.0},
                                               {"first_loss": 0.0, "indemnity": 4500.0}])

    @freeze_time("2026-06-01")
    def test_deductible_larger_than_the_loss(self):
        claim = self._claim(self._invoice(self.buyer, 300.0, "2026-02-01"))
        # the 500 deductible takes all of the 300 claimed, never below zero: (300 − 300) × 90% = 0
        self.assertRecordValues(claim, [{"gross_indemnity": 0.0, "deductible": 300.0, "indemnity": 0.0}])
        # nothing to accept, so nothing that could never be paid nor closed: it is rejected, then closed
        self._file(claim)
        with self._refused(UserError, "expects no indemnity"):
            claim.action_accept()
        claim.action_reject()
        claim.action_close()
        self.assertEqual(claim.state, "closed")
        self.assertIn("0.00", claim.computation_note.splitlines()[-1])

    @freeze_time("2026-06-01")
    def test_non_qualifying_loss_is_a_threshold(self):
        policy = self._policy("P-NQL", policy_type="single_buyer", deductible_type="nql",
                              deductible_amount=1000.0, max_liability=0.0)
        small, large = self._buyer("Small", policy=policy), self._buyer("Large", policy=policy)
        # 800 is not above the 1,000 threshold: nothing
        self.assertEqual(self._claim(self._invoice(small, 800.0, "2026-02-01")).indemnity, 0.0)
        # 20,000 is above it: 20,000 × 90% = 18,000, nothing deducted; no maximum liability, no cap
        claim = self._claim(self._invoice(large, 20000.0, "2026-02-01"))
        self.assertRecordValues(claim, [{"gross_indemnity": 18000.0, "capped_indemnity": 18000.0,
                                         "deductible": 0.0, "indemnity": 18000.0}])
        self.assertIn("no maximum liability", claim.computation_note)

    @freeze_time("2026-06-01")
    def test_partial_cover(self):
        buyer = self._buyer("Partial", amount=2000.0, decision="partial", amount_requested=8000.0)
        claim = self._claim(self._invoice(buyer, 5000.0, "2026-02-01"))
        # outstanding 5,000 but cover 2,000: loss 2,000; (2,000 − 500) × 90% = 1,350
        self.assertRecordValues(claim, [{"insured_outstanding": 5000.0, "cover_amount": 2000.0,
                                         "insured_loss": 2000.0, "gross_indemnity": 1350.0, "indemnity": 1350.0}])

    @freeze_time("2026-06-01")
    def test_claims_share_the_buyer_cover_and_the_liability(self):
        buyer = self._buyer("Shared", amount=2000.0)
        first = self._claim(self._invoice(buyer, 1500.0, "2026-02-01"))
        second = self._claim(self._invoice(buyer, 1500.0, "2026-02-15"))
        self.assertEqual(second.insured_loss, 1500.0, "a draft claim reserves nothing")
        self._file(first)  # (1,500 − 500) × 90% = 900, filed: it takes 1,500 of the cover and 900 of the liability
        second.invalidate_recordset()
        second._compute_insured_loss()
        second._compute_indemnity()
        # cover left 2,000 − 1,500 = 500: loss 500, all of it taken by the 500 deductible: 0
        self.assertRecordValues(second, [{"cover_amount": 500.0, "insured_loss": 500.0, "indemnity": 0.0,
                                          "remaining_liability": 10000.0 - 900.0}])
        # Rejected, the first claim gives its cover back.
        first.action_reject()
        second._compute_insured_loss()
        self.assertEqual(second.insured_loss, 1500.0)

    @freeze_time("2026-06-01")
    def test_filed_claims_count_against_the_liability(self):
        other = self._buyer("Globex")
        first = self._file(self._claim(self._invoice(self.buyer, 8000.0, "2026-02-01")))  # 6,750, not yet accepted
        second = self._claim(self._invoice(other, 6000.0, "2026-02-01"))
        # only 10,000 − 6,750 = 3,250 left even before the first claim is accepted: min(4,950, 3,250) = 3,250
        self.assertRecordValues(second, [{"remaining_liability": 3250.0, "indemnity": 3250.0}])
        self._accept(second)
        first.action_accept()
        self.assertEqual(first.amount_accepted + second.amount_accepted, 10000.0, "the whole 10,000 cap, no more")

    @freeze_time("2026-06-01")
    def test_foreign_currency_invoice(self):
        self.assertEqual(self.policy.currency_id, self.env.ref("base.USD"))
        invoice = self._invoice(self.buyer, 4000.0, "2026-02-01", currency=self.eur)
        claim = self._claim(invoice)
        # 4,000 EUR at 1.25 EUR per USD = 3,200 USD; (3,200 − 500) × 90% = 2,430
        self.assertRecordValues(claim, [{"currency_id": self.policy.currency_id.id, "insured_outstanding": 3200.0,
                                         "gross_indemnity": 2430.0, "indemnity": 2430.0}])

    @freeze_time("2026-06-01")
    def test_amount_claimed_below_the_loss(self):
        claim = self._claim(self._invoice(self.buyer, 8000.0, "2026-02-01"))
        with self.assertRaises(ValidationError):
            claim.amount_claimed = 9000.0
        with Form(claim) as form:
            form.amount_claimed = 6000.0  # part of the invoice is disputed
            # (6,000 − 500) × 90% = 4,950
            self.assertEqual(form.indemnity, 4950.0)
        self.assertEqual(claim.indemnity, 4950.0)

    # -------------------------------------------------------------------------
    # Bad input
    # -------------------------------------------------------------------------

    @freeze_time("2026-06-01")
    def test_bad_invoices_are_refused(self):
        other_policy = self._policy("P-2", policy_type="single_buyer")
        other_buyer = self._buyer("Globex")
        elsewhere = self._buyer("Initech", policy=other_policy)
        uninsured = self._customer("Uninsured")
        invoice = self._invoice(self.buyer, 1000.0, "2026-02-01")
        base = {"policy_id": self.policy.id, "partner_id": self.buyer.id}
        elsewhere_invoice = self._invoice(elsewhere, 1000.0, "2026-02-01")
        cases = {
            "another buyer": (self._invoice(other_buyer, 1000.0, "2026-02-01"), "not of the claim's buyer"),
            "uninsured": (self._invoice(uninsured, 1000.0, "2026-02-01"), "not of the claim's buyer"),
            "draft": (self._invoice(self.buyer, 1000.0, "2026-02-01", post=False), "not a posted customer invoice"),
        }
        for case, (bad, text) in cases.items():
            with self.subTest(case=case), self._refused(ValidationError, text):
                self.Claim.create({**base, "move_ids": [Command.set((invoice | bad).ids)]})
        cases = {case: bad for case, (bad, _text) in cases.items()}
        with self._refused(ValidationError, "is insured under policy P-2, not under the claim's policy P-1"):
            self.Claim.create({**base, "partner_id": elsewhere.id, "move_ids": [Command.set(elsewhere_invoice.ids)]})
        with self._refused(ValidationError, "not insured"):
            self.Claim.create({**base, "partner_id": uninsured.id, "move_ids": [Command.set(cases["uninsured"].ids)]})
        with self._refused(ValidationError, "not insured"):
            self.Claim._credit_prepare_from_invoices(invoice | cases["uninsured"])
        with self._refused(ValidationError, "one buyer"):
            self.Claim._credit_prepare_from_invoices(invoice | cases["another buyer"])
        # An invoice is claimed once, unless the claim was rejected.
        first = self._claim(invoice)
        with self._refused(ValidationError, first.name):
            self._claim(invoice)
        self._file(first).action_reject()
        self.assertTrue(self._claim(invoice))

    # -------------------------------------------------------------------------
    # Documents, states and rights
    # -------------------------------------------------------------------------

    @freeze_time("2026-06-10")
    def test_documents_state_machine_and_rights(self):
        invoice = self._invoice(self.buyer, 8000.0, "2026-02-01")  # due 2026-03-03
        claim = self.Claim.with_user(self.user).create(
            self.Claim._credit_prepare_from_invoices(invoice.with_user(self.user)))  # users prepare drafts
        self.assertEqual(claim.document_ids.mapped("doc_type"),
                         ["invoices", "delivery_proof", "contract", "reconciliation", "dunning_history"])
        with self.assertRaises(AccessError):
            claim.action_file()
        with self.assertRaises(AccessError):  # nor around the buttons
            claim.write({"state": "accepted", "amount_accepted": 6750.0})
        with self.assertRaises(AccessError):
            self.Claim.with_user(self.user).create({
                "policy_id": self.policy.id, "partner_id": self.buyer.id, "state": "indemnified"})
        claim = claim.with_user(self.env.user)
        with self._refused(UserError, "Delivery Proofs"):
            claim.action_file()
        with self.assertRaises(UserError):
            claim.action_accept()
        self._file(claim)
        # due 2026-03-03 + 60 days extension + 30 days = 2026-06-01: filed on 2026-06-10, late but filed
        self.assertEqual(claim.state, "filed")
        self.assertIn("2026-06-01", claim.message_ids[0].body)
        with self.assertRaises(AccessError):
            claim.with_user(self.user).write({"insurer_reference": "X"})
        with self.assertRaises(AccessError):
            claim.with_user(self.user).action_reject()
        with self.assertRaises(AccessError):
            self.policy.with_user(self.user).write({"claim_journal_id": self.company_data["default_journal_misc"].id})
        self.assertEqual(claim.with_user(self.user).indemnity, 6750.0)  # users still read it
        with self.assertRaises(UserError):
            claim.unlink()

        claim.action_start_review()
        claim.amount_accepted = 7000.0  # more than the 6,750 expected is no partial acceptance
        with self.assertRaises(UserError):
            claim.action_partially_accept()
        claim.amount_accepted = 5000.0
        claim.action_partially_accept()
        self.assertEqual(claim.state, "partially_accepted")
        self.assertEqual(claim.date_decision.isoformat(), "2026-06-10")
        with self.assertRaises(UserError):  # more than accepted
            claim._credit_register_indemnity(5000.01, "2026-06-15")
        wizard = Form(self.env["credit.insurance.indemnity.wizard"].with_context(
            **claim.action_register_indemnity()["context"])).save()
        self.assertEqual(wizard.amount, 5000.0)
        wizard.action_confirm()
        self.assertRecordValues(claim, [{"state": "indemnified", "amount_indemnified": 5000.0,
                                         "indemnity_move_id": False}])
        self.assertEqual(invoice.amount_residual, 8000.0, "no journal on the policy: no entry")
        claim.action_close()
        self.assertEqual(claim.state, "closed")

    @freeze_time("2026-06-01")
    def test_dunning_history_attached(self):
        template = self.env.ref("credit_control.mail_template_dunning")
        dunning_policy = self.env["credit.dunning.policy"].create({
            "name": "Claims", "level_ids": [
                Command.create({"name": "Reminder", "sequence": 1, "offset_days": 15, "action_email": True,
                                "mail_template_id": template.id, "message": "Please pay."}),
                Command.create({"name": "Final notice", "sequence": 2, "offset_days": 30, "action_email": True,
                                "mail_template_id": template.id, "message": "Pay now."}),
            ]})
        self.env.company.credit_dunning_policy_id = dunning_policy
        invoice = self._invoice(self.buyer, 8000.0, "2026-02-01")  # due 2026-03-03
        for day in ("2026-03-18", "2026-04-02"):  # +15 and +30 days
            with freeze_time(day):
                while self.env["credit.dunning.communication"].sudo()._cron_run_dunning():
                    pass
        claim = self._claim(invoice)
        history = claim.document_ids.filtered(lambda doc: doc.doc_type == "dunning_history")
        self.assertTrue(history.done)
        self.assertFalse(claim.document_ids.filtered(lambda doc: doc.doc_type == "invoices").done,
                         "no invoice PDF yet: left to do")
        sheet = openpyxl.load_workbook(io.BytesIO(history.attachment_ids.raw)).active
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        self.assertEqual(rows[0][:6], ["Date", "Level", "Invoice", "Due Date", "Days Overdue", "Open Amount"])
        self.assertEqual([row[1:3] + row[4:6] for row in rows[1:]], [
            ["Reminder", invoice.name, 15, 8000.0],
            ["Final notice", invoice.name, 30, 8000.0],
        ])
        self.assertEqual(rows[1][0].date().isoformat(), "2026-03-18")
        # Refreshed, the history replaces the old file.
        claim.action_refresh_documents()
        self.assertEqual(len(history.attachment_ids), 1)

    @freeze_time("2026-06-01")
    def test_claim_from_invoices_and_buyer(self):
        invoices = self._invoice(self.buyer, 1000.0, "2026-02-01") | self._invoice(self.buyer, 2000.0, "2026-03-01")
        not_due = self._invoice(self.buyer, 500.0, "2026-05-20")
        action = self.buyer.action_credit_insurance_claim()
        self.assertEqual(action["context"]["default_move_ids"], invoices.ids, "the overdue insured invoices")
        action = invoices.action_credit_insurance_claim()
        claim = self.Claim.browse(action["res_id"])
        self.assertRecordValues(claim, [{"state": "draft", "partner_id": self.buyer.id,
                                         "policy_id": self.policy.id, "insured_outstanding": 3000.0}])
        self.assertEqual(invoices.mapped("credit_insurance_claim_count"), [1, 1])
        self.assertEqual(not_due.credit_insurance_claim_count, 0)
        self.assertIn(claim, self.buyer.credit_insurance_claim_ids)

    # -------------------------------------------------------------------------
    # Accounting and recoveries
    # -------------------------------------------------------------------------

    @freeze_time("2026-06-01")
    def test_indemnity_entry_write_off_and_recoveries(self):
        due_from_insurer = self.env["account.account"].create({
            "code": "141900", "name": "Claims due from insurer", "account_type": "asset_current"})
        loss = self.company_data["default_account_expense"]
        self.policy.write({"claim_journal_id": self.company_data["default_journal_misc"].id,
                           "claim_receivable_account_id": due_from_insurer.id, "loss_account_id": loss.id})
        first = self._invoice(self.buyer, 5000.0, "2026-02-01")
        second = self._invoice(self.buyer, 3000.0, "2026-02-15")
        claim = self._accept(self._claim(first | second))
        # (8,000 − 500) × 90% = 6,750
        self.assertEqual(claim.amount_accepted, 6750.0)
        with self.assertRaises(ValidationError):  # recoveries come after the indemnity
            self.env["credit.insurance.recovery"].create({"claim_id": claim.id, "amount": 100.0})

        claim._credit_register_indemnity(6750.0, "2026-07-01")
        entry = claim.indemnity_move_id
        receivable = first.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        self.assertEqual(entry.state, "posted")
        self.assertEqual(entry.journal_id, self.company_data["default_journal_misc"])
        # Dr due from insurer 6,750 / Cr receivable 5,000 (oldest invoice) and 1,750 (the next)
        self.assertRecordValues(entry.line_ids.sorted(lambda line: (-line.debit, -line.credit)), [
            {"account_id": due_from_insurer.id, "partner_id": self.insurer.id, "debit": 6750.0, "credit": 0.0},
            {"account_id": receivable.account_id.id, "partner_id": self.buyer.id, "debit": 0.0, "credit": 5000.0},
            {"account_id": receivable.account_id.id, "partner_id": self.buyer.id, "debit": 0.0, "credit": 1750.0},
        ])
        self.assertRecordValues(first | second, [
            {"amount_residual": 0.0, "payment_state": "paid"},
            {"amount_residual": 1250.0, "payment_state": "partial"},
        ])
        self.assertTrue(all(entry.line_ids.filtered("credit").mapped("reconciled")))

        # Closing writes off the 1,250 the insurer does not pay: Dr loss / Cr receivable, reconciled.
        claim.action_close()
        self.assertRecordValues(claim.loss_move_id.line_ids.sorted("debit", reverse=True), [
            {"account_id": loss.id, "debit": 1250.0, "credit": 0.0},
            {"account_id": receivable.account_id.id, "debit": 0.0, "credit": 1250.0},
        ])
        self.assertEqual(second.amount_residual, 0.0)

        # Recoveries, shared as the loss was: the insurer paid 6,750 of 8,000, 84.375%.
        # 1,000 → 843.75 / 156.25; 555 × 84.375% = 468.28125 → 468.28 / 86.72
        self.env["credit.insurance.recovery"].create([
            {"claim_id": claim.id, "date": "2026-09-01", "amount": 1000.0},
            {"claim_id": claim.id, "date": "2026-10-01", "amount": 555.0},
        ])
        self.assertRecordValues(claim.recovery_ids.sorted("date"), [
            {"insurer_percent": 84.375, "insurer_share": 843.75, "company_share": 156.25},
            {"insurer_percent": 84.375, "insurer_share": 468.28, "company_share": 86.72},
        ])
        self.assertRecordValues(claim, [{"recovered_amount": 1555.0, "recovered_insurer_share": 1312.03,
                                         "recovered_company_share": 242.97}])
        # 8,000 was open: 6,445 is all that is left. 6,445 × 84.375% = 5,437.96875 → 5,437.97, which is what the
        # insurer still has to get back: 6,750 − 1,312.03. One cent more is refused.
        with self._refused(ValidationError, "more than is left to recover"):
            self.env["credit.insurance.recovery"].create({"claim_id": claim.id, "date": "2026-11-01",
                                                          "amount": 6445.01})
        last = self.env["credit.insurance.recovery"].create({"claim_id": claim.id, "date": "2026-11-01",
                                                             "amount": 6445.0})
        self.assertRecordValues(last, [{"insurer_share": 5437.97, "company_share": 1007.03}])
        self.assertEqual(claim.recovered_insurer_share, 6750.0)
        with self.assertRaises(ValidationError):
            self.env["credit.insurance.recovery"].create({"claim_id": claim.id, "amount": -5.0})
        with self.assertRaises(AccessError):
            self.env["credit.insurance.recovery"].with_user(self.user).create(
                {"claim_id": claim.id, "amount": 10.0})

    @freeze_time("2026-06-01")
    def test_recoveries_after_a_capped_indemnity(self):
        """Invariant: the insurer's share of a recovery follows its share of the loss and never exceeds the
        indemnity it paid less what it already got back; the rest is ours. A claim of 10,000 (an invoice of
        12,000, a cover of 10,000) indemnified 1,000 (a partial acceptance): the insurer's share is
        1,000 / 10,000 = 10%.
        Recovering 10,000 gives it 1,000 (all it paid) and us 9,000; the next 2,000 are all ours; nothing is
        left to recover then (12,000 was open)."""
        buyer = self._buyer("Capped", amount=10000.0)
        claim = self._file(self._claim(self._invoice(buyer, 12000.0, "2026-02-01")))
        self.assertEqual((claim.insured_outstanding, claim.amount_claimed), (12000.0, 10000.0))
        claim.amount_accepted = 1000.0
        claim.action_partially_accept()
        claim._credit_register_indemnity(1000.0, "2026-07-01")
        Recovery = self.env["credit.insurance.recovery"]
        first = Recovery.create({"claim_id": claim.id, "date": "2026-08-01", "amount": 10000.0})
        second = Recovery.create({"claim_id": claim.id, "date": "2026-09-01", "amount": 2000.0})
        self.assertRecordValues(first | second, [
            {"insurer_percent": 10.0, "insurer_share": 1000.0, "company_share": 9000.0},
            {"insurer_percent": 10.0, "insurer_share": 0.0, "company_share": 2000.0},
        ])
        with self._refused(ValidationError, "more than is left to recover"):
            Recovery.create({"claim_id": claim.id, "date": "2026-10-01", "amount": 0.01})

    @freeze_time("2026-06-01")
    def test_a_whole_loss_recovered_in_parts_repays_the_insurer_in_full(self):
        """Invariant: the shares are rounded on the running total, so they add up to what the insurer paid once
        the whole loss is recovered. Paid 1,000 on a claim of 3,000: three recoveries of 1,000 give it 333.33,
        333.34 (666.67 − 333.33) and 333.33 (1,000 − 666.67), 1,000 in all, not 3 × 333.33 = 999.99."""
        claim = self._file(self._claim(self._invoice(self._buyer("Thirds"), 3000.0, "2026-02-01")))
        claim.amount_accepted = 1000.0
        claim.action_partially_accept()
        claim._credit_register_indemnity(1000.0, "2026-07-01")
        recoveries = self.env["credit.insurance.recovery"].create([
            {"claim_id": claim.id, "date": f"2026-{month}-01", "amount": 1000.0} for month in ("08", "09", "10")])
        self.assertEqual(recoveries.sorted("date").mapped("insurer_share"), [333.33, 333.34, 333.33])
        self.assertEqual(claim.recovered_insurer_share, 1000.0)

    @freeze_time("2026-06-01")
    def test_upgrade_shares_the_earlier_recoveries_by_the_new_rule(self):
        """Invariant: after the 18.0.1.2.0 upgrade, a recovery recorded before is shared by the new rule and its
        claim's totals follow. Paid 1,000 on a claim of 10,000 (an invoice of 12,000, a cover of 10,000); a
        recovery of 10,000 stored as 18.0.1.0.0 did (90%: 9,000 / 1,000) becomes 1,000 / 9,000."""
        claim = self._file(self._claim(self._invoice(self._buyer("Upgraded", amount=10000.0), 12000.0,
                                                     "2026-02-01")))
        claim.amount_accepted = 1000.0
        claim.action_partially_accept()
        claim._credit_register_indemnity(1000.0, "2026-07-01")
        recovery = self.env["credit.insurance.recovery"].create({"claim_id": claim.id, "date": "2026-08-01",
                                                                 "amount": 10000.0})
        self.env.flush_all()
        self.env.cr.execute("UPDATE credit_insurance_recovery SET insurer_share = 9000, company_share = 1000 "
                            "WHERE id = %s", [recovery.id])
        self.env.cr.execute("UPDATE credit_insurance_claim SET recovered_insurer_share = 9000, "
                            "recovered_company_share = 1000 WHERE id = %s", [claim.id])
        self.env.invalidate_all()
        self._run_migration("credit_control_insurance", "18.0.1.2.0", "post-migrate.py")
        self.assertEqual((recovery.insurer_share, recovery.company_share), (1000.0, 9000.0))
        self.assertEqual((claim.recovered_insurer_share, claim.recovered_company_share), (1000.0, 9000.0))

    @freeze_time("2026-06-01")
    def test_eur_invoice_indemnified_in_a_usd_company(self):
        """Invariant: the indemnity and write-off entries credit a foreign-currency invoice in its own currency,
        at the entry's rate, and reconciling them books the exchange difference (core's exchange entry), so the
        invoice ends paid in both currencies.

        USD company, EUR invoice of 10,000 on 2026-02-01 at 1 USD = 1.25 EUR: booked USD 8,000. Claim on
        06-01 (same rate): USD 8,000; (8,000 − 500) × 90% = USD 6,750. Paid 07-01 when 1 USD = 1 EUR: the entry
        credits EUR 6,750 (USD 6,750); at the invoice's rate that EUR 6,750 was USD 5,400, so USD 1,350 is an
        exchange gain; EUR 3,250 is left (USD 2,600 as booked). Closing on 07-01 writes off EUR 3,250 =
        USD 3,250 to the loss account, another USD 650 of exchange gain: 1,350 + 650 = 2,000 = 10,000 − 8,000."""
        self.env["res.currency.rate"].create({"currency_id": self.eur.id, "name": "2026-07-01", "rate": 1.0,
                                              "company_id": self.env.company.id})
        due_from_insurer = self.env["account.account"].create({
            "code": "141901", "name": "Claims due from insurer", "account_type": "asset_current"})
        loss = self.company_data["default_account_expense"]
        self.policy.write({"claim_journal_id": self.company_data["default_journal_misc"].id,
                           "claim_receivable_account_id": due_from_insurer.id, "loss_account_id": loss.id})
        buyer = self._buyer("Euro Buyer")
        invoice = self._invoice(buyer, 10000.0, "2026-02-01", currency=self.eur)
        receivable = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term")
        self.assertEqual((receivable.amount_currency, receivable.balance), (10000.0, 8000.0))
        claim = self._accept(self._claim(invoice))
        self.assertEqual((claim.insured_outstanding, claim.indemnity), (8000.0, 6750.0))
        with freeze_time("2026-07-01"):
            claim._credit_register_indemnity(6750.0, "2026-07-01")
        self.assertRecordValues(claim.indemnity_move_id.line_ids.sorted("balance", reverse=True), [
            {"account_id": due_from_insurer.id, "currency_id": self.env.company.currency_id.id,
             "amount_currency": 6750.0, "balance": 6750.0, "reconciled": False},
            {"account_id": receivable.account_id.id, "currency_id": self.eur.id, "amount_currency": -6750.0,
             "balance": -6750.0, "reconciled": True},
        ])
        self.assertEqual((receivable.amount_residual_currency, receivable.amount_residual), (3250.0, 2600.0))
        gain_account = self.env.company.income_currency_exchange_account_id

        def exchange_gain():
            return sum(self.env["account.move.line"].search([
                ("account_id", "=", gain_account.id), ("move_id.state", "=", "posted"),
                ("partner_id", "=", buyer.id)]).mapped("balance"))

        self.assertEqual(exchange_gain(), -1350.0)
        with freeze_time("2026-07-01"):
            claim.action_close()
        self.assertRecordValues(claim.loss_move_id.line_ids.sorted("balance", reverse=True), [
            {"account_id": loss.id, "currency_id": self.env.company.currency_id.id, "amount_currency": 3250.0,
             "balance": 3250.0},
            {"account_id": receivable.account_id.id, "currency_id": self.eur.id, "amount_currency": -3250.0,
             "balance": -3250.0},
        ])
        self.assertEqual(exchange_gain(), -2000.0)
        self.assertRecordValues(invoice, [{"amount_residual": 0.0, "payment_state": "paid"}])

    @freeze_time("2026-06-01")
    def test_journal_without_insurer_account(self):
        self.policy.claim_journal_id = self.company_data["default_journal_misc"]
        claim = self._accept(self._claim(self._invoice(self.buyer, 8000.0, "2026-02-01")))
        with self._refused(UserError, "P-1"):
            claim._credit_register_indemnity(6750.0, "2026-07-01")
        self.assertEqual(claim.state, "accepted")

    # -------------------------------------------------------------------------
    # Multi-company
    # -------------------------------------------------------------------------

    @freeze_time("2026-06-01")
    def test_multi_company_isolation(self):
        company_b = self.setup_other_company()["company"]
        policy_b = self._policy("P-B", company=company_b)
        buyer_b = self._buyer("Buyer B", policy=policy_b)
        invoice_b = self._invoice(buyer_b, 4000.0, "2026-02-01", company=company_b)
        self.assertEqual(invoice_b.credit_insurance_policy_id, policy_b)
        claim_b = self.Claim.with_company(company_b).create(self.Claim._credit_prepare_from_invoices(invoice_b))
        self.assertEqual(claim_b.company_id, company_b)
        # (4,000 − 500) × 90% = 3,150, whatever company A claims on its own policy
        self._accept(self._claim(self._invoice(self.buyer, 8000.0, "2026-02-01")))
        claim_b.invalidate_recordset()
        claim_b._compute_indemnity()
        self.assertEqual(claim_b.indemnity, 3150.0)
        self.assertNotIn(claim_b, self.Claim.with_user(self.user).search([]))
        self.assertNotIn(claim_b.document_ids[0], self.env["credit.insurance.claim.document"].with_user(
            self.user).search([]))
        with self.assertRaises(UserError):  # company A's claim on company B's invoice
            self.Claim.create({"policy_id": self.policy.id, "partner_id": buyer_b.id,
                               "move_ids": [Command.set(invoice_b.ids)]})

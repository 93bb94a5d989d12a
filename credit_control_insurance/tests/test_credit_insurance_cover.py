import base64
import io

import openpyxl
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.exceptions import CreditLimitExceeded
from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditInsuranceCover(CreditControlCommon):
    """Buyer cover: decision history, the cover in force on a day, insured invoices, and the hooks into
    credit control (insurance-required tiers, limits capped by cover, warnings on cover cuts)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.insurer = cls.env["res.partner"].create({"name": "Sino Credit Insurance", "is_company": True})
        cls.policy = cls.env["credit.insurance.policy"].create({
            "policy_number": "TCI-1", "insurer_id": cls.insurer.id, "date_start": "2026-01-01",
            "date_end": "2026-12-31", "discretionary_limit": 5000.0,
        })
        cls.policy.action_activate()
        cls.buyer = cls._customer("Wuhan Steel", country_id=cls.env.ref("base.cn").id, credit_no_limit=True)
        cls.Cover = cls.env["credit.insurance.cover"]
        cls.env.company.account_use_credit_limit = True
        cls._term(30)

    def _cover(self, decision, date, granted=0.0, buyer=None, **values):
        return self.Cover.create({"partner_id": (buyer or self.buyer).id, "policy_id": self.policy.id,
                                  "decision": decision, "amount_granted": granted, "date_effective": date,
                                  **values})

    def _in_force(self, date, buyer=None):
        return self.Cover._credit_current_covers((buyer or self.buyer).ids, fields.Date.to_date(date)).get(
            (buyer or self.buyer).id, self.Cover)

    def test_history_and_cover_in_force_on_a_day(self):
        self._cover("requested", "2026-01-10", amount_requested=60000.0)
        granted = self._cover("granted", "2026-02-01", 50000.0, amount_requested=60000.0)
        reduced = self._cover("reduced", "2026-04-01", 20000.0)
        withdrawn = self._cover("withdrawn", "2026-06-01")
        self.assertFalse(self._in_force("2026-01-15"), "a request covers nothing")
        self.assertEqual(self._in_force("2026-03-01"), granted)
        self.assertEqual(self._in_force("2026-05-01"), reduced)
        self.assertEqual(self._in_force("2026-05-01")._credit_covered_amount(), 20000.0)
        self.assertEqual(self._in_force("2026-07-01"), withdrawn)
        self.assertEqual(withdrawn._credit_covered_amount(), 0.0)
        self.assertEqual(len(self.buyer.credit_insurance_cover_ids), 4, "every decision is kept")
        # An expired decision no longer covers, and nothing is in force outside the policy's dates.
        other = self._customer("Tianjin Machinery")
        self._cover("granted", "2026-02-01", 10000.0, buyer=other, date_expiry="2026-03-31")
        self.assertTrue(self._in_force("2026-03-31", other))
        self.assertFalse(self._in_force("2026-04-01", other))
        self.assertFalse(self._in_force("2027-01-05"), "the policy ended")
        # A grant later reduced with an expiry: after the expiry there is no cover; the grant does not revive.
        third = self._customer("Dalian Marine")
        self._cover("granted", "2026-02-01", 30000.0, buyer=third)
        self._cover("reduced", "2026-05-01", 10000.0, buyer=third, date_expiry="2026-08-31")
        self.assertEqual(self._in_force("2026-08-31", third)._credit_covered_amount(), 10000.0)
        self.assertFalse(self._in_force("2026-09-01", third))

    def test_invoices_remember_whether_they_were_insured(self):
        cover = self._cover("granted", "2026-02-01", 50000.0)
        self._cover("withdrawn", "2026-06-01")
        insured = self._invoice(self.buyer, 1000.0, "2026-03-01")
        uninsured = self._invoice(self.buyer, 1000.0, "2026-07-01")
        self.assertTrue(insured.credit_insured)
        self.assertEqual((insured.credit_insurance_policy_id, insured.credit_insurance_cover_id), (self.policy, cover))
        self.assertFalse(uninsured.credit_insured)
        self.assertFalse(uninsured.credit_insurance_policy_id)
        # Terms longer than the policy's maximum credit period are not insured.
        self.policy.max_credit_period_days = 45
        self.assertTrue(self._invoice(self.buyer, 500.0, "2026-03-02", days=30).credit_insured)
        self.assertFalse(self._invoice(self.buyer, 500.0, "2026-03-02", days=60).credit_insured)
        # A buyer outside the policy's countries is not insured.
        self.policy.country_ids = [Command.set(self.env.ref("base.fr").ids)]
        self.assertFalse(self._invoice(self.buyer, 500.0, "2026-03-02").credit_insured)

    def test_insurance_required_tier_blocks_uncovered_buyers(self):
        self.tier_regular.insurance_required = True
        self.buyer.credit_tier_id = self.tier_regular
        with freeze_time("2026-03-01"):
            draft = self._invoice(self.buyer, 1000.0, "2026-03-01", post=False)
            with self.assertRaises(CreditLimitExceeded) as caught:
                draft.action_post()
            self.assertEqual(caught.exception.blocks[0]["reason"], "insurance")
            self.assertIn("requires credit insurance", caught.exception.blocks[0]["message"])
            self.assertEqual(draft.state, "draft")
            self._cover("granted", "2026-02-01", 50000.0)
            draft.action_post()
            self.assertEqual(draft.state, "posted")
            self.assertTrue(draft.credit_insured)

    def test_limit_capped_by_cover_plus_discretionary_limit(self):
        self.buyer.credit_limit = 100000.0
        self._cover("granted", "2026-02-01", 20000.0)
        with freeze_time("2026-03-01"):
            self._invoice(self.buyer, 24000.0, "2026-03-01")  # within 20,000 + 5,000
            draft = self._invoice(self.buyer, 2000.0, "2026-03-01", post=False)
            self.env.company.credit_insurance_cap_limit = True
            with self.assertRaises(CreditLimitExceeded) as caught:
                draft.action_post()  # 26,000 > min(100,000, 25,000)
            block = caught.exception.blocks[0]
            self.assertEqual((block["reason"], block["limit"], block["excess"]), ("limit", 25000.0, 1000.0))
            self.env.company.credit_insurance_cap_limit = False
            draft.action_post()
            self.assertEqual(draft.state, "posted")

    def test_cap_without_cover_is_no_credit_not_no_limit(self):
        """With limits capped by insurer cover, a withdrawn cover or no decision at all caps the limit at the
        policy's discretionary limit, even for a customer with no limit of its own: at 0 that is no credit, never
        "no limit"."""
        self.env.company.credit_insurance_cap_limit = True
        self.policy.discretionary_limit = 0.0
        self._cover("granted", "2026-02-01", 1000000.0)
        self._cover("withdrawn", "2026-06-01")
        stranger = self._customer("Never Insured", credit_no_limit=True)
        with freeze_time("2026-06-15"):
            for buyer, amount in ((self.buyer, 1000000.0), (stranger, 250000.0)):
                with self.assertRaises(CreditLimitExceeded) as caught:
                    self._invoice(buyer, amount, "2026-06-15")
                block = caught.exception.blocks[0]
                self.assertEqual((block["reason"], block["limit"], block["excess"]), ("limit", 0.0, amount))
            self.policy.discretionary_limit = 5000.0
            self._invoice(stranger, 5000.0, "2026-06-15")  # exactly the discretionary limit
            with self.assertRaises(CreditLimitExceeded):
                self._invoice(stranger, 0.01, "2026-06-15")

    def test_insured_and_uninsured_exposure(self):
        self._cover("granted", "2026-02-01", 20000.0)
        self._invoice(self.buyer, 30000.0, "2026-03-01")
        with freeze_time("2026-03-15"):
            self.buyer.invalidate_recordset()
            self.assertEqual(self.buyer.credit_insured_cover, 20000.0)
            self.assertEqual(self.buyer.credit_insured_exposure, 20000.0)
            self.assertEqual(self.buyer.credit_uninsured_exposure, 10000.0)

    def test_cover_cut_raises_an_early_warning(self):
        rule = self.env["credit.warning.rule"].search([("company_id", "=", self.env.company.id),
                                                        ("indicator", "=", "insurance_cover")])
        self.assertEqual((rule.threshold, rule.severity), (1.0, "red"), "every company gets the rule")
        self._cover("granted", "2026-02-01", 50000.0)
        self._cover("reduced", "2026-05-01", 20000.0)
        other = self._customer("Tianjin Machinery")
        self._cover("granted", "2026-02-01", 10000.0, buyer=other)
        self._cover("withdrawn", "2026-03-01", buyer=other)  # before the 3-month lookback from Jun 30
        with freeze_time("2026-06-30"):
            self.env["credit.warning"].sudo()._credit_measure_partners(self.buyer | other)
        warning = self.env["credit.warning"].search([("rule_id", "=", rule.id)])
        self.assertEqual(warning.partner_id, self.buyer)
        self.assertEqual(warning.value, 60.0)  # 50,000 -> 20,000
        self.assertEqual(warning.note, "Reduced: 50,000 → 20,000")

    def test_request_wizard_records_and_exports(self):
        self.buyer.write({"vat": "91420100MA4K", "credit_limit": 80000.0})
        wizard = Form(self.env["credit.insurance.cover.request"].with_context(
            credit_request_partner_ids=self.buyer.ids)).save()
        self.assertEqual(wizard.policy_id, self.policy)
        self.assertEqual(wizard.line_ids.amount, 80000.0, "the credit limit is the default request")
        action = wizard.action_request()
        self.assertEqual((action["res_id"], wizard.state), (wizard.id, "done"), "the dialog offers the file")
        request = self.buyer.credit_insurance_cover_ids
        self.assertEqual((request.decision, request.amount_requested), ("requested", 80000.0))
        with self.assertRaisesRegex(UserError, "already recorded"):
            wizard.action_request()
        self.assertEqual(len(self.buyer.credit_insurance_cover_ids), 1, "a second click requests nothing")
        sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.file_data))).active
        self.assertEqual([cell.value for cell in sheet[1]][:5],
                         ["Buyer", "Tax ID", "Address", "Country", "Cover Requested"])
        self.assertEqual([sheet["A2"].value, sheet["B2"].value, sheet["E2"].value],
                         ["Wuhan Steel", "91420100MA4K", 80000.0])

    def test_bad_decisions_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "cannot expire"):
            self._cover("granted", "2026-03-01", 1000.0, date_expiry="2026-02-01")
        with self.assertRaisesRegex(ValidationError, "needs the granted amount"):
            self._cover("granted", "2026-03-01")
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._cover("reduced", "2026-03-01", -5.0)
        with self.assertRaisesRegex(ValidationError, "less than the amount requested"):
            self._cover("partial", "2026-03-01", 1000.0, amount_requested=1000.0)

    def test_a_request_is_answered_once_by_the_decision_it_opens(self):
        """Invariant: *Record Decision* on a request opens the new decision (its own form, prefilled), which
        answers the request: the request shows its answer and cannot be answered again, by the button or by
        linking another decision to it. A decision on a decision answers no request."""
        request = self._cover("requested", "2026-03-01", amount_requested=40000.0)
        action = request.action_record_decision()
        self.assertEqual((action["res_model"], action["target"]), ("credit.insurance.cover", "current"))
        with Form(self.Cover.with_context(**action["context"])) as form:
            self.assertEqual((form.decision, form.amount_granted), ("granted", 40000.0))
            form.insurer_reference = "SCI-1"
        answer = form.record
        self.assertEqual((answer.request_id, request.answer_id), (request, answer))
        self.assertFalse(answer.action_record_decision()["context"]["default_request_id"])
        with self.assertRaisesRegex(ValidationError, "already answered"):
            request.action_record_decision()
        with self.assertRaisesRegex(ValidationError, "already answered"):
            self._cover("refused", "2026-03-05", request_id=request.id)
        with self.assertRaisesRegex(ValidationError, "can only answer a request"):
            self._cover("reduced", "2026-04-01", 10000.0, request_id=answer.id)

    def test_lists_mark_the_decision_in_force(self):
        """Invariant: of a buyer's decisions, the one in force today (per company) is marked and found by the
        *In Force Today* filter; a request never is, an expired latest decision leaves none in force, and
        another company's decision does not unmark this company's."""
        buyer = self._customer("Hubei Glass")
        granted = self._cover("granted", "2026-01-10", 20000.0)
        reduced = self._cover("reduced", "2026-03-01", 8000.0)
        request = self._cover("requested", "2026-04-01", amount_requested=30000.0)
        expired = self._cover("granted", "2026-02-01", 5000.0, buyer=buyer, date_expiry="2026-04-30")
        company_b = self.setup_other_company(name="Company B")["company"]
        policy_b = self.policy.copy({"policy_number": "TCI-B", "company_id": company_b.id,
                                     "insurer_id": self.insurer.id})
        policy_b.action_activate()
        other = self.Cover.with_company(company_b).create({
            "partner_id": self.buyer.id, "policy_id": policy_b.id, "decision": "granted",
            "amount_granted": 1000.0, "date_effective": "2026-04-15"})
        everything = granted | reduced | request | expired | other
        with freeze_time("2026-05-01"):
            everything.invalidate_recordset(["in_force"])
            self.assertEqual(everything.filtered("in_force"), reduced | other)
            self.assertEqual(self.Cover.search([("id", "in", everything.ids), ("in_force", "=", True)]),
                             reduced | other)
            self.assertEqual(self.Cover.search([("id", "in", everything.ids), ("in_force", "!=", True)]),
                             granted | request | expired)
        with freeze_time("2026-04-20"):  # the buyer's grant has not expired yet
            expired.invalidate_recordset(["in_force"])
            self.assertTrue(expired.in_force)

    def test_a_refusal_under_one_policy_keeps_the_other_policys_grant(self):
        """Invariant: decisions are in force per policy; the buyer's cover is the one covering the most, so a
        refusal under a second insurer's policy does not take away the grant under the first, and the invoice
        is insured under it."""
        other = self.env["credit.insurance.policy"].create({
            "policy_number": "COF-1", "insurer_id": self._customer("Coface").id, "date_start": "2026-01-01",
            "date_end": "2026-12-31"})
        other.action_activate()
        buyer = self._customer("Hubei Motors", credit_no_limit=True)
        grant = self._cover("granted", "2026-01-01", 50000.0, buyer=buyer)
        refusal = self.Cover.create({"partner_id": buyer.id, "policy_id": other.id, "decision": "refused",
                                     "date_effective": "2026-02-01"})
        with freeze_time("2026-03-01"):
            invoice = self._invoice(buyer, 1000.0, "2026-03-01")
            self.assertEqual((grant.in_force, refusal.in_force), (True, True))
        self.assertEqual(self._in_force("2026-03-01", buyer), grant)
        self.assertEqual((invoice.credit_insured, invoice.credit_insurance_policy_id), (True, self.policy))

    def test_rights_and_companies(self):
        user = new_test_user(self.env, "cc_user", groups="credit_control.group_credit_control_user",
                             company_id=self.env.company.id)
        with self.assertRaises(AccessError):
            self.Cover.with_user(user).create({"partner_id": self.buyer.id, "policy_id": self.policy.id,
                                               "date_effective": "2026-03-01"})
        cover = self._cover("granted", "2026-02-01", 50000.0)
        self.assertEqual(self.Cover.with_user(user).search([("id", "=", cover.id)]), cover)
        company_b = self.setup_other_company(name="Company B")["company"]
        user_b = new_test_user(self.env, "user_b", groups="credit_control.group_credit_control_user",
                               company_id=company_b.id, company_ids=[Command.set(company_b.ids)])
        self.assertFalse(self.Cover.with_user(user_b).search([("id", "=", cover.id)]))
        self.assertFalse(self.Cover.with_company(company_b)._credit_current_covers(
            self.buyer.ids, fields.Date.to_date("2026-03-01")), "company A's cover is nothing in company B")

import io

import openpyxl
from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user
from odoo.tools import mute_logger

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditInsuranceDeclaration(CreditControlCommon):
    """Q1 2026 of a quarterly policy (rate 0.3%, annual minimum 100), company currency USD.

    In the period, insured:   France  USD  invoice 10,000 (15 Jan) + invoice 1,000 + 15% tax = 1,150 (10 Feb)
                                           - credit note 2,000 (5 Mar) reversing the 15 Jan invoice
                              Germany EUR  invoice 5,000 EUR (20 Feb) at 2 EUR per USD = 2,500 USD
    Left out:  the uninsured buyer's invoice 7,000 and its credit note 1,000; buyer A's invoice of 2 Apr (3,000,
               next quarter) and a credit note of 500 linked to no invoice (15 Mar).

    France/USD:  invoiced 11,150, credited 2,000, net 9,150 (= 9,150 USD)
    Germany/EUR: invoiced 5,000, credited 0, net 5,000 EUR (= 2,500 USD)
    Insured turnover 11,650 USD; premium 11,650 x 0.3% = 34.95 = premium due (Q1 does not close the policy year:
    no true-up); due for the year so far 34.95.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Declaration = cls.env["credit.insurance.declaration"]
        cls.usd = cls.env.company.currency_id
        cls.eur = cls.setup_other_currency("EUR", rates=[("2025-01-01", 2.0)])
        cls.insurer = cls.env["res.partner"].create({"name": "Insurer", "is_company": True})
        cls.policy = cls._policy("P-1", premium_rate=0.3, minimum_premium=100.0,
                                 declaration_frequency="quarterly")
        cls.buyer_fr = cls._customer("Buyer FR", country_id=cls.env.ref("base.fr").id)
        cls.buyer_de = cls._customer("Buyer DE", country_id=cls.env.ref("base.de").id)
        cls.uninsured = cls._customer("Uninsured", country_id=cls.env.ref("base.fr").id)
        cls._cover(cls.policy, cls.buyer_fr | cls.buyer_de)

        cls.inv_fr_1 = cls._invoice(cls.buyer_fr, 10000.0, "2026-01-15")
        cls.inv_fr_2 = cls._invoice(cls.buyer_fr, 1000.0, "2026-02-10", post=False)
        cls.inv_fr_2.invoice_line_ids.tax_ids = [Command.set(cls.tax_sale_a.ids)]
        cls.inv_fr_2.action_post()
        cls.inv_de = cls._invoice(cls.buyer_de, 5000.0, "2026-02-20", currency=cls.eur)
        cls.refund_fr = cls._refund(cls.inv_fr_1, 2000.0, "2026-03-05")
        cls.inv_uninsured = cls._invoice(cls.uninsured, 7000.0, "2026-02-01")
        cls._refund(cls.inv_uninsured, 1000.0, "2026-02-15")
        cls.inv_next_quarter = cls._invoice(cls.buyer_fr, 3000.0, "2026-04-02")
        cls._invoice(cls.buyer_fr, 500.0, "2026-03-15", move_type="out_refund")

    @classmethod
    def _policy(cls, number, company=None, insurer=None, **values):
        company = company or cls.env.company
        policy = cls.env["credit.insurance.policy"].with_company(company).create({
            "policy_number": number, "insurer_id": (insurer or cls.insurer).id, "date_start": "2026-01-01",
            "date_end": "2026-12-31", "company_id": company.id, "currency_id": company.currency_id.id, **values,
        })
        policy.action_activate()
        return policy

    @classmethod
    def _cover(cls, policy, buyers):
        cls.env["credit.insurance.cover"].create([{
            "partner_id": buyer.id, "policy_id": policy.id, "decision": "granted", "amount_granted": 50000.0,
            "date_effective": "2026-01-01",
        } for buyer in buyers])

    @classmethod
    def _refund(cls, invoice, amount, date):
        refund = cls._invoice(invoice.partner_id, amount, date, move_type="out_refund", post=False,
                              currency=invoice.currency_id, company=invoice.company_id)
        refund.reversed_entry_id = invoice
        refund.action_post()
        return refund

    def _q1(self, policy=None):
        return self.Declaration.create({"policy_id": (policy or self.policy).id, "date_from": "2026-01-01",
                                        "date_to": "2026-03-31"})

    def _line(self, declaration, country_code):
        return declaration.line_ids.filtered(lambda line: line.country_id.code == country_code)

    # -------------------------------------------------------------------------

    def test_fixture_insured_flags(self):
        self.assertTrue(self.inv_fr_1.credit_insured and self.inv_de.credit_insured)
        self.assertFalse(self.inv_uninsured.credit_insured)
        self.assertEqual(self.inv_fr_2.amount_total, 1150.0)  # 15% tax

    def test_totals_net_of_credit_notes(self):
        declaration = self._q1()
        self.assertEqual(declaration.name, "P-1 2026-Q1")
        self.assertEqual(declaration.state, "draft")
        self.assertEqual(len(declaration.line_ids), 2)
        fr, de = self._line(declaration, "FR"), self._line(declaration, "DE")
        self.assertRecordValues(fr, [{
            "currency_id": self.usd.id, "invoice_count": 2, "refund_count": 1, "amount_invoiced": 11150.0,
            "amount_refunded": 2000.0, "amount_net": 9150.0, "amount_net_company": 9150.0,
            "amount_net_policy": 9150.0,
        }])
        self.assertRecordValues(de, [{
            "currency_id": self.eur.id, "invoice_count": 1, "refund_count": 0, "amount_invoiced": 5000.0,
            "amount_refunded": 0.0, "amount_net": 5000.0, "amount_net_company": 2500.0,
            "amount_net_policy": 2500.0,
        }])
        self.assertRecordValues(declaration, [{
            "invoice_count": 3, "refund_count": 1, "insured_turnover": 11650.0, "premium_rate": 0.3,
            "premium": 34.95, "minimum_premium": 100.0, "year_closing": False, "year_premium_before": 0.0,
            "true_up": 0.0, "premium_due": 34.95, "year_to_date_premium": 34.95,
        }])

    def test_minimum_premium_and_recompute(self):
        declaration = self._q1()
        # Annual minimum 4,000: the terms are copied when computing; a quarter that does not close the policy year
        # bills its premium only, the minimum is trued up on the year's last period.
        self.policy.minimum_premium = 4000.0
        self.assertEqual(declaration.minimum_premium, 100.0)
        # A late credit note of 150 on the German invoice (EUR, 75 USD) dated in the quarter.
        self._refund(self.inv_de, 150.0, "2026-03-31")
        declaration.action_compute()
        # Germany: 5,000 - 150 = 4,850 EUR = 2,425 USD; turnover 9,150 + 2,425 = 11,575; premium 34.725 -> 34.73
        self.assertRecordValues(self._line(declaration, "DE"), [{"amount_net": 4850.0, "amount_net_policy": 2425.0}])
        self.assertRecordValues(declaration, [{
            "insured_turnover": 11575.0, "premium": 34.73, "minimum_premium": 4000.0, "true_up": 0.0,
            "premium_due": 34.73,
        }])

    def test_minimum_premium_is_trued_up_on_the_year_s_last_period(self):
        """Invariant: each period bills rate × turnover; the period that closes the policy year adds the true-up
        that brings the year to max(rate × the year's turnover, annual minimum), never per period.
        Rate 1%, annual minimum 12,000, three empty quarters: 0, 0, 0 due. Q4 with 2,000,000 insured: premium
        20,000, no true-up (the year costs 20,000, not 3 × 3,000 + 20,000 = 29,000). With 500,000 instead:
        premium 5,000, true-up 12,000 − 0 − 5,000 = 7,000, the year costs 12,000."""
        insurer = self.env["res.partner"].create({"name": "Annual insurer", "is_company": True})
        policy = self._policy("P-MIN", insurer=insurer, premium_rate=1.0, minimum_premium=12000.0,
                              declaration_frequency="quarterly")
        buyer = self._customer("Q4 Buyer", country_id=self.env.ref("base.fr").id)
        self.env["credit.insurance.cover"].create({
            "partner_id": buyer.id, "policy_id": policy.id, "decision": "granted", "amount_granted": 3000000.0,
            "date_effective": "2026-01-01"})
        periods = (("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30"), ("2026-07-01", "2026-09-30"))
        quarters = self.Declaration.create([{"policy_id": policy.id, "date_from": start, "date_to": end}
                                            for start, end in periods])
        self.assertEqual(quarters.mapped("premium_due"), [0.0, 0.0, 0.0])
        invoice = self._invoice(buyer, 2000000.0, "2026-11-15")
        self.assertTrue(invoice.credit_insured)
        q4 = self.Declaration.create({"policy_id": policy.id, "date_from": "2026-10-01", "date_to": "2026-12-31"})
        self.assertRecordValues(q4, [{"year_closing": True, "year_premium_before": 0.0, "premium": 20000.0,
                                      "true_up": 0.0, "premium_due": 20000.0, "year_to_date_premium": 20000.0}])
        self._refund(invoice, 1500000.0, "2026-12-20")
        q4.action_compute()
        self.assertRecordValues(q4, [{"insured_turnover": 500000.0, "premium": 5000.0, "true_up": 7000.0,
                                      "premium_due": 12000.0, "year_to_date_premium": 12000.0}])

    def _annual(self, number, date_start, date_end, frequency="quarterly", minimum=12000.0):
        """A policy at 1% with an annual minimum of ``minimum``, covering a French buyer for 5,000,000."""
        insurer = self.env["res.partner"].create({"name": f"Insurer {number}", "is_company": True})
        policy = self._policy(number, insurer=insurer, date_start=date_start, date_end=date_end, premium_rate=1.0,
                              minimum_premium=minimum, declaration_frequency=frequency)
        buyer = self._customer(f"Buyer {number}", country_id=self.env.ref("base.fr").id)
        self.env["credit.insurance.cover"].create({
            "partner_id": buyer.id, "policy_id": policy.id, "decision": "granted", "amount_granted": 5000000.0,
            "date_effective": date_start})
        return policy, buyer

    def _declare(self, policy, *periods):
        return self.Declaration.create([{"policy_id": policy.id, "date_from": start, "date_to": end}
                                        for start, end in periods])

    def _year_due(self, policy):
        return sum(self.Declaration.search([("policy_id", "=", policy.id),
                                            ("state", "!=", "cancelled")]).mapped("premium_due"))

    QUARTERS = (("2026-01-01", "2026-03-31"), ("2026-04-01", "2026-06-30"), ("2026-07-01", "2026-09-30"),
                ("2026-10-01", "2026-12-31"))

    def test_the_year_s_true_up_follows_every_change_of_the_year(self):
        """Invariant: the premium due of a policy year's declarations (not cancelled) totals max(1% of the year's
        turnover, 12,000), whatever the order they are made, computed again or cancelled in.
        The cron makes Q4 first (nothing earlier: a 12,000 true-up); Q1–Q3 come later with 500,000 in Q3
        (5,000): the true-up drops to 7,000. Q3 cancelled: 12,000 again. Q3 back with 1,500,000 (15,000): no
        true-up, the year costs 15,000."""
        policy, buyer = self._annual("P-YEAR", "2026-01-01", "2026-12-31")
        with freeze_time("2027-01-05"):
            q4 = self.Declaration._cron_generate_declarations().filtered(lambda d: d.policy_id == policy)
        self.assertRecordValues(q4, [{"year_closing": True, "year_premium_before": 0.0, "true_up": 12000.0}])
        invoice = self._invoice(buyer, 500000.0, "2026-08-01")
        q1, q2, q3 = self._declare(policy, *self.QUARTERS[:3])
        self.assertRecordValues(q4, [{"year_premium_before": 5000.0, "true_up": 7000.0, "premium_due": 7000.0,
                                      "year_to_date_premium": 12000.0}])
        self.assertEqual(self._year_due(policy), 12000.0)
        q3.action_cancel()
        self.assertEqual((q4.true_up, self._year_due(policy)), (12000.0, 12000.0))
        q3.action_reset_to_draft()
        self._invoice(buyer, 1000000.0, "2026-09-01")
        q3.action_compute()
        self.assertRecordValues(q4, [{"year_premium_before": 15000.0, "true_up": 0.0, "premium_due": 0.0}])
        self.assertEqual(self._year_due(policy), 15000.0)
        # the year's last period goes last, and then freezes the year
        with self.assertRaisesRegex(UserError, "submit the year's earlier periods first"):
            q4.action_submit()
        (q1 | q2 | q3 | q4).action_submit()
        self.assertEqual(q4.state, "submitted")
        q3.action_reset_to_draft()
        self._refund(invoice, 100000.0, "2026-09-15")
        with self.assertRaisesRegex(UserError, "reset it to draft before changing"):
            q3.action_compute()

    def test_the_policy_s_dates_move_the_true_up_or_are_refused(self):
        """Invariant: moving a policy's dates moves its years' true-ups: a draft that closed the year no longer
        does; once the year's closing declaration is submitted, the change is refused until it is reset.
        Policy to 09-30, minimum 12,000: Q3 closes the year (12,000 true-up). Extended to 12-31 with Q3 a draft:
        Q3 no longer closes it. With Q1–Q3 submitted and the end at 09-30 again, extending it is refused."""
        policy, _buyer = self._annual("P-MOVE", "2026-01-01", "2026-09-30")
        q1, q2, q3 = self._declare(policy, *self.QUARTERS[:3])
        self.assertRecordValues(q3, [{"year_closing": True, "true_up": 12000.0}])
        policy.date_end = "2026-12-31"
        self.assertRecordValues(q3, [{"year_closing": False, "true_up": 0.0}])
        policy.date_end = "2026-09-30"
        (q1 | q2 | q3).action_submit()
        with self.assertRaises(UserError) as refused:  # (assertRaises rolls the write back)
            policy.date_end = "2026-12-31"
        self.assertIn("before changing the policy's dates", str(refused.exception))
        policy.invalidate_recordset()
        self.assertEqual(policy.date_end, fields.Date.to_date("2026-09-30"))

    def test_a_period_that_starts_before_the_policy_counts_in_its_first_year(self):
        """Invariant: the first period of a policy that starts mid-period belongs to its first year. Policy from
        2026-02-01 to 2027-01-31: Q1 2026 (1,000,000, 10,000 due) and the empty quarters up to Q1 2027, which
        closes the year: true-up 12,000 − 10,000 = 2,000."""
        policy, buyer = self._annual("P-MID", "2026-02-01", "2027-01-31")
        self._invoice(buyer, 1000000.0, "2026-02-15")
        declarations = self._declare(policy, *self.QUARTERS, ("2027-01-01", "2027-03-31"))
        self.assertEqual(declarations[0].premium_due, 10000.0)
        self.assertRecordValues(declarations[-1], [{"year_closing": True, "year_premium_before": 10000.0,
                                                    "true_up": 2000.0, "year_to_date_premium": 12000.0}])
        self.assertEqual(self._year_due(policy), 12000.0)

    def test_upgrade_keeps_what_was_billed_and_computes_the_drafts_again(self):
        """Invariant: the 18.0.1.2.0 upgrade keeps what submitted declarations billed, with their annual minimum
        and a running year to date, and bills the drafts by the new rule. Monthly, annual minimum 10,000: January
        and February submitted with the old share 10,000 / 12 = 833.33 each; March a draft with that share too:
        it is due 0 now (no true-up before the year's last month)."""
        policy, _buyer = self._annual("P-UPG", "2026-01-01", "2026-12-31", frequency="monthly", minimum=10000.0)
        january, february, march = self._declare(policy, ("2026-01-01", "2026-01-31"), ("2026-02-01", "2026-02-28"),
                                                 ("2026-03-01", "2026-03-31"))
        (january | february).action_submit()
        self.env.flush_all()
        self.env.cr.execute("UPDATE credit_insurance_declaration SET minimum_premium = 833.33, premium_due = 833.33, "
                            "true_up = NULL, year_to_date_premium = NULL, year_closing = NULL, "
                            "year_premium_before = NULL WHERE id = ANY(%s)", [(january | february | march).ids])
        self._run_migration("credit_control_insurance", "18.0.1.2.0", "pre-migrate.py", "post-migrate.py")
        self.assertRecordValues(january | february | march, [
            {"minimum_premium": 10000.0, "premium_due": 833.33, "true_up": 833.33, "year_to_date_premium": 833.33},
            {"minimum_premium": 10000.0, "premium_due": 833.33, "true_up": 833.33, "year_to_date_premium": 1666.66},
            {"minimum_premium": 10000.0, "premium_due": 0.0, "true_up": 0.0, "year_to_date_premium": 1666.66},
        ])

    def test_monthly_period_and_foreign_policy_currency(self):
        # A monthly EUR policy with another insurer covering the French buyer's invoices from March on.
        insurer = self.env["res.partner"].create({"name": "Other insurer", "is_company": True})
        policy = self._policy("P-EUR", insurer=insurer, currency_id=self.eur.id, premium_rate=1.0)
        declaration = self.Declaration.create({"policy_id": policy.id, "date_from": "2026-03-01",
                                               "date_to": "2026-03-31"})
        self.assertEqual(declaration.name, "P-EUR 2026-03")
        self.assertFalse(declaration.line_ids)  # nothing insured under it
        self.assertEqual(declaration._credit_period_months(), 1)
        # Move the January invoice under this policy: its March credit note (2,000 USD) is netted here, converted
        # at the period end's rate: -2,000 USD x 2 = -4,000 EUR.
        self.inv_fr_1.credit_insurance_policy_id = policy
        declaration.action_compute()
        self.assertRecordValues(declaration.line_ids, [{
            "currency_id": self.usd.id, "invoice_count": 0, "refund_count": 1, "amount_net": -2000.0,
            "amount_net_policy": -4000.0,
        }])
        self.assertEqual(declaration.premium, -40.0)

    def test_bad_input(self):
        with self.assertRaises(ValidationError):
            self.Declaration.create({"policy_id": self.policy.id, "date_from": "2026-03-31",
                                     "date_to": "2026-01-01"})
        declaration = self._q1()
        with self.assertRaises(ValidationError), self.cr.savepoint():
            declaration.date_to = "2025-12-31"
        declaration.invalidate_recordset()
        self.assertEqual(declaration.date_to, fields.Date.to_date("2026-03-31"))
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), self.cr.savepoint():
            self._q1()  # one declaration per policy and period
        declaration.action_submit()
        with self.assertRaises(UserError):
            declaration.action_compute()
        with self.assertRaises(UserError):
            declaration.date_to = "2026-02-28"
        with self.assertRaises(UserError):
            declaration.line_ids[0].amount_invoiced = 1.0
        with self.assertRaises(UserError):
            declaration.unlink()
        self.assertEqual(declaration.insured_turnover, 11650.0)

    def test_submit_rights(self):
        user = new_test_user(self.env, "decl_user", groups="credit_control.group_credit_control_user")
        declaration = self._q1().with_user(user)
        declaration.action_compute()  # users prepare the drafts
        declaration.insurer_reference = "REF-1"
        with self.assertRaises(AccessError):
            declaration.action_submit()
        with self.assertRaises(AccessError):
            declaration.write({"state": "submitted"})
        with self.assertRaises(AccessError):
            declaration.action_cancel()
        with self.assertRaises(AccessError):
            declaration.unlink()
        with self.assertRaises(AccessError):
            self.policy.with_user(user).write({"premium_rate": 0.1})
        self.assertEqual(declaration.state, "draft")

        with freeze_time("2026-04-10"):
            declaration.with_user(self.env.user).action_submit()
        self.assertRecordValues(declaration, [{"state": "submitted", "date_submitted": fields.Date.to_date(
            "2026-04-10"), "submitted_by_id": self.env.user.id}])
        with self.assertRaises(AccessError):
            declaration.action_reset_to_draft()
        declaration.with_user(self.env.user).action_reset_to_draft()
        self.assertEqual(declaration.state, "draft")
        self.assertFalse(declaration.date_submitted)

    def test_cron_creates_once_per_policy_and_period(self):
        draft_policy = self.env["credit.insurance.policy"].create({
            "policy_number": "P-DRAFT", "insurer_id": self.insurer.id, "date_start": "2026-01-01",
            "date_end": "2026-12-31",
        })
        with freeze_time("2026-04-05"):
            self.Declaration._cron_generate_declarations()
            self.Declaration._cron_generate_declarations()
        declarations = self.Declaration.search([("policy_id", "in", (self.policy | draft_policy).ids)])
        self.assertRecordValues(declarations, [{
            "name": "P-1 2026-Q1", "date_from": fields.Date.to_date("2026-01-01"),
            "date_to": fields.Date.to_date("2026-03-31"), "state": "draft", "insured_turnover": 11650.0,
            "premium_due": 34.95,
        }])
        # Mid-May the last complete quarter is still Q1: nothing new. In July, Q2: buyer A's 2 April invoice.
        with freeze_time("2026-05-15"):
            self.Declaration._cron_generate_declarations()
        self.assertEqual(self.Declaration.search_count([("policy_id", "=", self.policy.id)]), 1)
        with freeze_time("2026-07-01"):
            self.Declaration._cron_generate_declarations()
        q2 = self.Declaration.search([("policy_id", "=", self.policy.id), ("date_from", "=", "2026-04-01")])
        self.assertEqual(q2.insured_turnover, 3000.0)
        # Before the policy started, there is no period to declare.
        with freeze_time("2026-01-20"):
            self.assertFalse(self.Declaration._cron_generate_declarations())

    def test_generate_wizard(self):
        declaration = self._q1()
        self.assertEqual(declaration.insured_turnover, 11650.0)
        self._invoice(self.buyer_fr, 850.0, "2026-03-20")  # posted late
        with freeze_time("2026-05-15"):
            wizard = self.env["credit.insurance.declaration.generate"].create({})
            self.assertEqual(wizard.policy_ids, self.policy)
            action = wizard.action_generate()  # last complete period: Q1, computed again
            self.assertEqual(action["domain"], [("id", "in", declaration.ids)])
            self.assertEqual(declaration.insured_turnover, 12500.0)
            wizard.date = "2026-04-30"  # the quarter in progress
            q2 = self.Declaration.search(wizard.action_generate()["domain"])
            self.assertEqual((q2.name, q2.insured_turnover), ("P-1 2026-Q2", 3000.0))
            with self.assertRaises(ValidationError):
                wizard.date = "2026-06-01"  # a future period
            wizard.date = "2025-12-31"  # before the policy
            with self.assertRaises(UserError):
                wizard.action_generate()

    def test_multi_company_isolation(self):
        other = self.setup_other_company()["company"]
        policy_b = self._policy("P-B", company=other, premium_rate=0.5, declaration_frequency="monthly")
        buyer_b = self._customer("Buyer B", country_id=self.env.ref("base.fr").id)
        self._cover(policy_b.with_company(other), buyer_b)
        self._invoice(buyer_b, 4000.0, "2026-03-02", company=other)
        with freeze_time("2026-04-05"):
            self.Declaration._cron_generate_declarations()
        mine = self.Declaration.sudo().search([("policy_id", "=", self.policy.id)])
        theirs = self.Declaration.sudo().search([("policy_id", "=", policy_b.id)])
        self.assertEqual((mine.company_id, mine.insured_turnover), (self.env.company, 11650.0))
        # Company B's monthly declaration for March counts only its own invoice: 4,000, premium 0.5% = 20.
        self.assertRecordValues(theirs, [{"name": "P-B 2026-03", "company_id": other.id, "insured_turnover": 4000.0,
                                          "premium": 20.0}])
        user = new_test_user(self.env, "decl_user_a", groups="credit_control.group_credit_control_user",
                             company_id=self.env.company.id, company_ids=[Command.set(self.env.company.ids)])
        visible = self.Declaration.with_user(user).search([])
        self.assertIn(mine, visible)
        self.assertNotIn(theirs, visible)
        self.assertFalse(self.env["credit.insurance.declaration.line"].with_user(user).search(
            [("declaration_id", "=", theirs.id)]))
        with self.assertRaises(AccessError):
            theirs.with_user(user).insured_turnover  # noqa: B018

    def test_export_xlsx(self):
        declaration = self._q1()
        action = declaration.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        sheet = openpyxl.load_workbook(io.BytesIO(attachment.raw)).active
        self.assertEqual(sheet.title, "Declaration 2026-Q1")
        rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
        self.assertEqual(rows[0], ("Buyer Country", "Currency", "Invoices", "Credit Notes", "Invoiced", "Credited",
                                   "Net Turnover", "Net Turnover (USD)"))
        self.assertEqual(rows[1], ("France", "USD", 2, 1, 11150, 2000, 9150, 9150))
        self.assertEqual(rows[2], ("Germany", "EUR", 1, 0, 5000, 0, 5000, 2500))
        self.assertEqual(rows[3][0], "Insured turnover")
        self.assertEqual((rows[3][2], rows[3][3], rows[3][7]), (3, 1, 11650))
        self.assertEqual([(row[0], row[7]) for row in rows[4:]], [
            ("Premium rate (%)", 0.3), ("Premium", 34.95), ("Annual minimum premium", 100),
            ("Due earlier in the policy year", 0), ("Minimum premium true-up", 0), ("Premium due", 34.95),
            ("Due for the policy year so far", 34.95),
        ])

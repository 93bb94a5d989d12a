from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.models.credit_warning_rule import DEFAULT_RULES
from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditWarning(CreditControlCommon):
    """Early warnings: one indicator per test with values computed by hand, then the life of a warning
    (no duplicates, auto-resolve), traffic lights, escalation, digest, rights and bad input."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rules = cls.env["credit.warning.rule"].search([("company_id", "=", cls.env.company.id)])
        cls.rules.active = False  # each test turns on the rules it is about
        cls.customer = cls._customer("Acme", email="ap@acme.example")
        cls.other = cls._customer("Globex", email="ap@globex.example")
        cls.warnings = cls.env["credit.warning"]
        cls._term(30)

    @classmethod
    def _rule(cls, indicator, threshold, lookback=3, severity="red", company=None):
        company = company or cls.env.company
        return cls.env["credit.warning.rule"].with_company(company).create({
            "indicator": indicator, "threshold": threshold, "lookback_months": lookback, "severity": severity,
            "company_id": company.id,
        })

    def _measure(self, day, partners=None, company=None):
        """Measure ``partners`` (both customers by default) on ``day``, as the nightly run does."""
        partners = partners or self.customer | self.other
        with freeze_time(day):
            self.warnings.sudo().with_company(company or self.env.company)._credit_measure_partners(partners)

    def _open(self, partner, rule):
        return self.warnings.search([("partner_id", "=", partner.id), ("rule_id", "=", rule.id),
                                     ("state", "!=", "resolved")])

    # -------------------------------------------------------------------------
    # One test per indicator
    # -------------------------------------------------------------------------

    def test_dso_rising_three_periods(self):
        rule = self._rule("dso_trend", 3, lookback=3)
        # 900 invoiced on the 15th of each month; January and February are paid, nothing after.
        for month in range(1, 7):
            invoice = self._invoice(self.customer, 900.0, f"2026-{month:02d}-15")
            if month <= 2:
                self._pay(invoice, 900.0, f"2026-{month + 1:02d}-20")
            self._invoice(self.other, 900.0, f"2026-{month:02d}-15")  # never pays: DSO stays at 90 x 3 / 3
        # Quarterly DSO = receivables x 90 / sales of the 90 days before (always 3 invoices = 2,700):
        # Mar 30: 2,700 - 1,800 paid = 900 -> 30 days; Apr 30: 1,800 -> 60; May 30: 2,700 -> 90;
        # Jun 30: 3,600 -> 120. Three rises in a row.
        self._measure("2026-06-30")
        warning = self._open(self.customer, rule)
        self.assertEqual(warning.value, 3)
        self.assertEqual(warning.note, "30 → 60 → 90 → 120 days")
        self.assertEqual(warning.severity, "red")
        # Globex never pays: 2,700 open / 2,700 sold x 90 = 90, then 120, 150, 180. Three rises as well.
        self.assertEqual(self._open(self.other, rule).note, "90 → 120 → 150 → 180 days")
        # With a lookback of 4 months, Acme's DSO on Feb 28 (900 open, 1,800 sold since Nov 30 -> 45) is
        # above March's 30, and Globex's (1,800 / 1,800 -> 90) equals it: 3 rises, short of 4.
        rule.write({"lookback_months": 4, "threshold": 4})
        self._measure("2026-06-30")
        self.assertFalse(self.warnings.search([("rule_id", "=", rule.id), ("state", "!=", "resolved")]))
        self.assertEqual(len(self.warnings.search([("rule_id", "=", rule.id), ("state", "=", "resolved")])), 2)

    def test_utilisation_crossing_90_then_clearing(self):
        rule = self._rule("utilization", 90)
        self.customer.credit_limit = 1000.0
        self._invoice(self.customer, 850.0, "2026-06-01")
        self._measure("2026-06-30")
        self.assertFalse(self._open(self.customer, rule), "85% is below the threshold")
        self.assertEqual(self.customer.credit_light, "green")

        second = self._invoice(self.customer, 100.0, "2026-06-10")
        self._measure("2026-06-30")
        warning = self._open(self.customer, rule)
        self.assertEqual(warning.value, 95.0)
        self.assertEqual(warning.threshold, 90.0)
        self.assertEqual(self.customer.credit_light, "red")
        self.assertIn(self.customer, self.env["res.partner"].search([("credit_light", "=", "red")]))
        self.assertNotIn(self.other, self.env["res.partner"].search([("credit_light", "=", "red")]))

        # The signal clears: the warning resolves itself and the light turns green.
        self._pay(second, 100.0, "2026-07-01")
        self._measure("2026-07-01")
        self.assertEqual(warning.state, "resolved")
        self.assertEqual(str(warning.resolved_date), "2026-07-01")
        self.assertEqual(self.customer.credit_light, "green")
        # Without a credit limit there is nothing to measure.
        self.other.credit_limit = 0.0
        self._invoice(self.other, 5000.0, "2026-06-01")
        self._measure("2026-07-01")
        self.assertFalse(self._open(self.other, rule))

    def test_no_duplicate_on_rerun_and_acknowledged_stays(self):
        rule = self._rule("utilization", 90)
        self.customer.credit_limit = 1000.0
        self._invoice(self.customer, 950.0, "2026-06-01")
        self._measure("2026-06-29")
        self._measure("2026-06-30")
        warning = self.warnings.search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(warning), 1)
        self.assertEqual((str(warning.date), str(warning.last_date)), ("2026-06-29", "2026-06-30"))
        warning.action_acknowledge()
        self.assertEqual(warning.acknowledged_by_id, self.env.user)
        # Still active and worse: the same warning is updated, not duplicated, and stays acknowledged.
        self._invoice(self.customer, 150.0, "2026-06-15")
        self._measure("2026-07-01")
        self.assertEqual(self.warnings.search([("partner_id", "=", self.customer.id)]), warning)
        self.assertEqual((warning.state, warning.value), ("acknowledged", 110.0))
        self.assertEqual(rule.warning_count, 1)

    def test_overdue_share(self):
        rule = self._rule("overdue_share", 50, severity="amber")
        self._invoice(self.customer, 1000.0, "2026-05-01")  # due May 31: overdue
        self._invoice(self.customer, 1000.0, "2026-06-15")  # due Jul 15
        self._invoice(self.other, 1000.0, "2026-06-15")
        self._measure("2026-06-30")
        warning = self._open(self.customer, rule)
        self.assertEqual((warning.value, warning.severity), (50.0, "amber"))
        self.assertEqual(self.customer.credit_light, "amber")
        self.assertFalse(self._open(self.other, rule))

    def test_overdue_share_growing(self):
        rule = self._rule("overdue_growth", 20, lookback=3)
        paid_early = self._invoice(self.customer, 700.0, "2026-01-10")  # settled before the lookback
        self._pay(paid_early, 700.0, "2026-02-20")
        late = self._invoice(self.customer, 500.0, "2026-01-10")  # due Feb 9, paid after the lookback began
        self._pay(late, 500.0, "2026-04-15")
        partly = self._invoice(self.customer, 1000.0, "2026-03-01")  # due Mar 31
        self._pay(partly, 400.0, "2026-05-10")
        # Mar 30: open 500 (overdue) + 1,000 (not due) -> 33.3% overdue.
        # Jun 30: open 600, all overdue -> 100%. Growth: 66.7 points.
        # Globex owed nothing on Mar 30: one overdue invoice today is no growth to compare.
        self._invoice(self.other, 1000.0, "2026-05-01")
        self._measure("2026-06-30")
        warning = self._open(self.customer, rule)
        self.assertAlmostEqual(warning.value, 100.0 - 100.0 * 500 / 1500, places=2)
        self.assertEqual(warning.note, "33% → 100%")
        self.assertFalse(self._open(self.other, rule))
        # A stricter rule takes effect on the open warning at the next run.
        rule.write({"severity": "amber", "threshold": 30})
        self._measure("2026-06-30")
        self.assertEqual((warning.severity, warning.threshold), ("amber", 30.0))

    def test_payments_slipping(self):
        rule = self._rule("payment_delay", 10, lookback=3)
        first = self._invoice(self.customer, 1000.0, "2026-01-01")  # due Jan 31, paid 5 days late
        self._pay(first, 1000.0, "2026-02-05")
        second = self._invoice(self.customer, 1000.0, "2026-03-15")  # due Apr 14, paid 25 days late
        self._pay(second, 1000.0, "2026-05-09")
        punctual = self._invoice(self.other, 1000.0, "2026-03-15")
        self._pay(punctual, 1000.0, "2026-04-14")
        self._measure("2026-06-30")
        warning = self._open(self.customer, rule)
        self.assertEqual(warning.value, 20.0)
        self.assertEqual(warning.note, "5 → 25 days late")
        self.assertFalse(self._open(self.other, rule), "no payment before the lookback: nothing to compare")

    def test_invoices_less_frequent(self):
        rule = self._rule("invoice_frequency", 50, lookback=3, severity="amber")
        # Monthly from April 2025 to March 2026 (12 in the year before the lookback), then only one.
        for month in range(12):
            year, number = (2025, month + 4) if month < 9 else (2026, month - 8)
            self._invoice(self.customer, 100.0, f"{year}-{number:02d}-15")
        self._invoice(self.customer, 100.0, "2026-04-15")
        self._measure("2026-06-30")
        warning = self._open(self.customer, rule)
        # 12 a year let expect 3 in 3 months; 1 came: 66.7% fewer.
        self.assertAlmostEqual(warning.value, 100.0 * (1 - 1 / 3), places=2)
        self.assertEqual(warning.note, "1 invoices, 3.0 expected")

    def test_grade_downgrade(self):
        rule = self._rule("grade_downgrade", 2, lookback=3)
        self._invoice(self.customer, 1000.0, "2026-05-01")
        with freeze_time("2026-06-01"):
            self.customer._credit_compute_profiles()
        score, grade = self.customer.credit_score, self.customer.credit_grade
        self.assertFalse(self.customer.credit_grade_previous)
        # Stricter bands put the same score in grade E: the change is recorded with its date.
        self.env.company.write({"credit_grade_a_min": 100, "credit_grade_b_min": 99, "credit_grade_c_min": 98,
                                "credit_grade_d_min": 97})
        self.assertLess(score, 97)
        with freeze_time("2026-06-15"):
            self.customer._credit_compute_profiles()
        self.assertEqual((self.customer.credit_grade_previous, self.customer.credit_grade), (grade, "E"))
        self.assertEqual(str(self.customer.credit_grade_changed_on), "2026-06-15")
        self._measure("2026-06-30")
        steps = "ABCDE".index("E") - "ABCDE".index(grade)
        warning = self._open(self.customer, rule)
        self.assertEqual(warning.value, steps)
        self.assertEqual(warning.note, f"{grade} → E")
        # Outside the lookback the downgrade no longer warns.
        self._measure("2026-09-16")
        self.assertEqual(warning.state, "resolved")

    def test_dunning_escalated_to_phone(self):
        rule = self._rule("dunning_stage", 2, severity="amber")
        self.env.company.credit_dunning_policy_id = self.env["credit.dunning.policy"].create({
            "name": "Short", "company_id": self.env.company.id,
            "level_ids": [
                Command.create({"name": "Reminder", "sequence": 1, "offset_days": 1, "action_email": True,
                                "mail_template_id": self.env.ref("credit_control.mail_template_dunning").id}),
                Command.create({"name": "Call", "sequence": 2, "offset_days": 15, "action_call": True}),
            ],
        })
        self._invoice(self.customer, 1000.0, "2026-05-01")  # due May 31
        communications = self.env["credit.dunning.communication"]
        for day in ("2026-06-05", "2026-06-20"):
            with freeze_time(day):
                while communications.sudo()._cron_run_dunning():
                    pass
        self._measure("2026-06-20")
        self.assertEqual(self._open(self.customer, rule).value, 2, "the call level is dunning stage 2")

    def test_outside_events(self):
        rule = self._rule("outside_events", 1, lookback=12)
        contact = self.env["res.partner"].create({"name": "Buyer", "parent_id": self.customer.id})
        with freeze_time("2026-06-30"):
            lawsuit = self.env["credit.event"].create({
                "name": "Sued by a supplier", "partner_id": contact.id, "event_type": "lawsuit",
                "date": "2026-05-01", "source": "Court records",
            })
            self.env["credit.event"].create({"name": "New CFO", "partner_id": self.other.id,
                                             "event_type": "management", "severity": "amber"})
            with self.assertRaisesRegex(ValidationError, "cannot happen after today"):
                self.env["credit.event"].create({"name": "Later", "partner_id": self.other.id, "date": "2026-07-01"})
        self.assertEqual(lawsuit.partner_id, self.customer, "events belong to the company, not the contact")
        self._measure("2026-06-30")
        warning = self._open(self.customer, rule)
        self.assertEqual((warning.value, warning.note), (1, "Sued by a supplier"))
        self.assertFalse(self._open(self.other, rule), "a red rule counts only the red events")
        # Archived, the event no longer counts.
        lawsuit.active = False
        self._measure("2026-06-30")
        self.assertEqual(warning.state, "resolved")

    # -------------------------------------------------------------------------
    # Escalation, the run, the digest
    # -------------------------------------------------------------------------

    def _three_red_lights(self, partner):
        partner.credit_limit = 1000.0
        self._invoice(partner, 950.0, "2026-04-01")  # due May 1: 95% of the limit, 100% overdue
        with freeze_time("2026-06-30"):
            self.env["credit.event"].create({"name": "Lawsuit", "partner_id": partner.id, "date": "2026-06-01"})

    def test_three_red_lights_escalate(self):
        self._rule("utilization", 90)
        self._rule("overdue_share", 50)
        self._rule("outside_events", 1, lookback=12)
        self.env.company.credit_warning_hold = True
        self._three_red_lights(self.customer)
        # Globex has two red lights only: utilisation and overdue.
        self.other.credit_limit = 1000.0
        self._invoice(self.other, 950.0, "2026-04-01")
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_warning")
        self._measure("2026-06-30")
        activities = self.env["mail.activity"].search([("activity_type_id", "=", activity_type.id),
                                                       ("res_model", "=", "res.partner")])
        self.assertEqual(activities.mapped("res_id"), self.customer.ids)
        self.assertTrue(activities.user_id.has_group("credit_control.group_credit_control_manager"))
        self.assertTrue(self.customer.credit_hold)
        self.assertIn("3 or more red lights", self.customer.credit_hold_reason)
        self.assertFalse(self.other.credit_hold)
        # The next day, the same red lights escalate nothing more.
        activities.action_done()
        self._measure("2026-07-01")
        self.assertFalse(self.env["mail.activity"].search([("activity_type_id", "=", activity_type.id)]))

    def test_escalation_without_hold_and_configurable_limit(self):
        self._rule("utilization", 90)
        self._rule("overdue_share", 50)
        self._three_red_lights(self.customer)
        self._measure("2026-06-30")
        self.assertFalse(self.env["mail.activity"].search([("res_id", "=", self.customer.id), (
            "activity_type_id", "=", self.env.ref("credit_control.mail_activity_type_credit_warning").id)]))
        self.env.company.credit_warning_red_limit = 2  # the same day: both red lights were raised today
        self._measure("2026-06-30")
        self.assertTrue(self.env["mail.activity"].search([("res_id", "=", self.customer.id), (
            "activity_type_id", "=", self.env.ref("credit_control.mail_activity_type_credit_warning").id)]))
        self.assertFalse(self.customer.credit_hold, "no hold unless the company asks for it")

    def _escalation_user(self, controller):
        """Who gets the escalation activity of Acme (three red lights) when ``controller`` is its credit
        controller."""
        self._rule("utilization", 90)
        self._rule("overdue_share", 50)
        self._rule("outside_events", 1, lookback=12)
        self.customer.credit_user_id = controller
        self._three_red_lights(self.customer)
        self._measure("2026-06-30")
        return self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "=", self.customer.id),
            ("activity_type_id", "=", self.env.ref("credit_control.mail_activity_type_credit_warning").id),
        ]).user_id

    def test_escalation_skips_a_controller_who_is_no_manager(self):
        """Escalations go only to Credit Control Managers: a credit controller who is a mere Credit Control
        User does not get the three-red escalation, a Credit Control Manager of the company does."""
        controller = new_test_user(self.env, "credit_clerk", groups="credit_control.group_credit_control_user",
                                   company_id=self.env.company.id)
        user = self._escalation_user(controller)
        self.assertEqual(len(user), 1)
        self.assertNotEqual(user, controller)
        self.assertTrue(user.has_group("credit_control.group_credit_control_manager"))
        self.assertIn(self.env.company, user.company_ids)

    def test_escalation_to_a_controller_who_is_a_manager(self):
        """A credit controller who is a Credit Control Manager gets the escalation of its own customer."""
        controller = new_test_user(self.env, "credit_chief",
                                   groups="credit_control.group_credit_control_manager",
                                   company_id=self.env.company.id)
        self.assertEqual(self._escalation_user(controller), controller)

    def test_cron_in_batches_resumes_and_sends_one_digest(self):
        rule = self._rule("utilization", 90)
        manager = new_test_user(self.env, "credit_boss", groups="credit_control.group_credit_control_manager",
                                email="boss@example.com", company_id=self.env.company.id)
        for partner in self.customer | self.other:
            partner.credit_limit = 1000.0
            self._invoice(partner, 950.0, "2026-06-01")
        idle = self.setup_other_company(name="No Customers")["company"]
        with freeze_time("2026-06-30"):
            calls = 0
            while self.warnings.sudo()._cron_compute_credit_warnings(batch_size=1):
                calls += 1
            self.assertGreaterEqual(calls, 1, "one customer per call")
            self.assertEqual(self.warnings.sudo()._cron_compute_credit_warnings(batch_size=1), 0)
        self.assertEqual(len(self.warnings.search([("rule_id", "=", rule.id)])), 2)
        kpi = self.env["credit.cash.kpi"].search([("company_id", "=", self.env.company.id)])
        self.assertEqual(str(kpi.date), "2026-06-30", "the run refreshes the company's cash-flow monitor")
        self.assertTrue(self.env["credit.cash.kpi"].search([("company_id", "=", idle.id)]),
                        "so it does for a company without customers to measure")
        digests = self.env["mail.mail"].search([("subject", "like", "new red early warnings")])
        self.assertEqual(len(digests), 1)
        self.assertIn(manager.partner_id, digests.recipient_ids)
        self.assertIn("Acme: Credit use ≥ 90 %", digests.body_html)
        self.assertIn("95.0", digests.body_html)
        # A customer nobody measures any more (say it was merged away) keeps no open warning.
        ghost = self._customer("Ghost")
        with freeze_time("2026-06-29"):
            self.env["credit.warning"].sudo().create({"partner_id": ghost.id, "rule_id": rule.id, "severity": "red"})
        # Switched off, no digest; measured already today, nobody is measured twice.
        self.env.company.credit_warning_digest = False
        with freeze_time("2026-07-01"):
            while self.warnings.sudo()._cron_compute_credit_warnings():
                pass
        self.assertEqual(len(self.env["mail.mail"].search([("subject", "like", "new red early warnings")])), 1)
        self.assertEqual(self.warnings.search([("partner_id", "=", ghost.id)]).state, "resolved")
        self.assertEqual(len(self.warnings.search([("rule_id", "=", rule.id), ("partner_id", "!=", ghost.id)])), 2)

    # -------------------------------------------------------------------------
    # Companies, rights, bad input
    # -------------------------------------------------------------------------

    def test_multi_company_and_access_rights(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        rules_b = self.env["credit.warning.rule"].search([("company_id", "=", company_b.id)])
        self.assertLessEqual({(indicator, threshold, severity) for indicator, threshold, _m, severity in DEFAULT_RULES},
                             {(rule.indicator, rule.threshold, rule.severity) for rule in rules_b},
                             "a new company gets the default rules")
        rule_a = self._rule("utilization", 90)
        self.customer.credit_limit = 1000.0
        self._invoice(self.customer, 950.0, "2026-06-01")
        self.customer.with_company(company_b).credit_limit = 1000.0
        self._invoice(self.customer, 100.0, "2026-06-01", company=company_b)
        self._measure("2026-06-30")
        self._measure("2026-06-30", company=company_b)
        warning = self._open(self.customer, rule_a)
        self.assertEqual(warning.company_id, self.env.company)
        self.assertEqual(self.customer.credit_light, "red")
        self.assertEqual(self.customer.with_company(company_b).credit_light, "green", "10% in company B")

        user = new_test_user(self.env, "cc_user", groups="credit_control.group_credit_control_user",
                             company_id=self.env.company.id)
        warning.with_user(user).action_acknowledge()
        self.assertEqual(warning.state, "acknowledged")
        with self.assertRaises(AccessError):
            rule_a.with_user(user).threshold = 95
        with self.assertRaises(AccessError):
            warning.with_user(user).value = 10.0
        with self.assertRaises(AccessError):
            warning.with_user(user).unlink()
        with self.assertRaises(AccessError):
            self.env["credit.warning"].with_user(user).create({"severity": "red"})
        accountant = new_test_user(self.env, "accountant_only", groups="account.group_account_invoice",
                                   company_id=self.env.company.id)
        with self.assertRaises(AccessError):
            warning.with_user(accountant).read(["value"])
        user_b = new_test_user(self.env, "user_b", groups="credit_control.group_credit_control_user",
                               company_id=company_b.id, company_ids=[Command.set(company_b.ids)])
        self.assertFalse(self.env["credit.warning"].with_user(user_b).search([("id", "=", warning.id)]))
        self.assertFalse(self.env["credit.warning.rule"].with_user(user_b).search([("id", "=", rule_a.id)]))

    def test_bad_rules_are_refused(self):
        cases = [
            ({"indicator": "utilization", "threshold": -90}, "between 1 and 1000"),
            ({"indicator": "utilization", "threshold": 0.9}, "enter 90 for 90%"),
            ({"indicator": "overdue_share", "threshold": 150}, "between 1 and 100"),
            ({"indicator": "payment_delay", "threshold": 10, "lookback_months": 0}, "at least one month"),
            ({"indicator": "dso_trend", "threshold": 4, "lookback_months": 3}, "between 1 and 3"),
            ({"indicator": "ebitda", "threshold": 1}, "Unknown early-warning indicator ebitda"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message):
                self.env["credit.warning.rule"].create({"company_id": self.env.company.id, **values})
        with self.assertRaisesRegex(ValidationError, "At least one red light"):
            self.env.company.credit_warning_red_limit = 0

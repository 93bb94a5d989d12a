from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditTier(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tier = cls.tier_core

    def test_suggested_limit_per_rule(self):
        # Core: 2 × (120,000 / 12 months) = 20,000
        self.assertEqual(self.tier._suggest_limit(120000.0, 0.0), 20000.0)
        # Rounded down to the tier's multiple of 1,000: 2 × 125,900 / 12 = 20,983.33 -> 20,000
        self.assertEqual(self.tier._suggest_limit(125900.0, 0.0), 20000.0)
        self.tier.write({"limit_rule": "quarter_sales", "quarter_percent": 30.0, "limit_rounding": 0.0})
        self.assertEqual(self.tier._suggest_limit(0.0, 45000.0), 13500.0)
        self.tier.write({"limit_rule": "fixed", "fixed_amount": 7777.0, "limit_rounding": 1000.0})
        self.assertEqual(self.tier._suggest_limit(999999.0, 999999.0), 7000.0)
        self.tier.limit_rule = "prepayment"
        self.assertEqual(self.tier._suggest_limit(999999.0, 999999.0), 0.0)
        # Net sales below zero (more credit notes than invoices) never suggest a negative limit.
        self.tier.limit_rule = "avg_monthly_sales"
        self.assertEqual(self.tier._suggest_limit(-5000.0, 0.0), 0.0)

    def test_bad_input(self):
        for values in ({"sales_multiple": -1.0}, {"quarter_percent": 120.0}, {"quarter_percent": -5.0},
                       {"fixed_amount": -10.0}, {"sales_months": 0}, {"review_interval_months": -3}):
            with self.subTest(values=values), self.assertRaises(ValidationError):
                self.tier.write(values)
        self.assertEqual(self.tier.sales_multiple, 2.0, "a rejected write must leave the tier untouched")

    def test_access_rights(self):
        user = new_test_user(self.env, "cc_user", groups="credit_control.group_credit_control_user",
                             company_id=self.env.company.id)
        manager = new_test_user(self.env, "cc_manager", groups="credit_control.group_credit_control_manager",
                                company_id=self.env.company.id)
        self.assertEqual(self.tier.with_user(user).name, "Core")
        with self.assertRaises(AccessError):
            self.tier.with_user(user).write({"fixed_amount": 5.0})
        self.tier.with_user(manager).write({"fixed_amount": 5.0})
        self.assertEqual(self.tier.fixed_amount, 5.0)

    def test_multi_company_isolation(self):
        other = self.setup_other_company()["company"]
        foreign = self.env["credit.tier"].with_company(other).create({"name": "Other", "code": "CORE"})
        self.assertEqual(foreign.company_id, other)
        user = new_test_user(self.env, "cc_mc", groups="credit_control.group_credit_control_user",
                             company_id=self.env.company.id)
        visible = self.env["credit.tier"].with_user(user).search([("code", "=", "CORE")])
        self.assertEqual(visible, self.tier)

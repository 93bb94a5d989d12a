from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditInsurancePolicy(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.insurer = cls.env["res.partner"].create({"name": "Insurer", "is_company": True})
        cls.policy = cls._create_policy("P-1", "2026-01-01", "2026-12-31")

    @classmethod
    def _create_policy(cls, number, start, end, **values):
        return cls.env["credit.insurance.policy"].create({
            "policy_number": number, "insurer_id": cls.insurer.id, "date_start": start, "date_end": end, **values,
        })

    def test_defaults_and_activation(self):
        self.assertEqual(self.policy.indemnity_percent, 90.0)
        self.assertEqual(self.policy.state, "draft")
        self.policy.action_activate()
        self.assertEqual(self.policy.state, "active")

    def test_bad_input(self):
        with self.assertRaises(ValidationError):
            self.policy.indemnity_percent = 120.0
        with self.assertRaises(ValidationError):
            self.policy.max_liability = -1.0
        with self.assertRaises(ValidationError):
            self._create_policy("P-2", "2026-06-01", "2026-05-01")
        self.assertEqual(self.policy.indemnity_percent, 90.0)

    def test_overlapping_active_policies(self):
        self.policy.action_activate()
        second = self._create_policy("P-2", "2026-06-01", "2027-05-31")
        with self.assertRaises(ValidationError):
            second.action_activate()
        # The next year's policy does not overlap, and a single-buyer policy may run alongside.
        self._create_policy("P-3", "2027-01-01", "2027-12-31").action_activate()
        self._create_policy("P-4", "2026-03-01", "2026-09-30", policy_type="single_buyer").action_activate()

    def test_access_rights(self):
        user = new_test_user(self.env, "ins_user", groups="credit_control.group_credit_control_user")
        self.assertEqual(self.policy.with_user(user).policy_number, "P-1")
        with self.assertRaises(AccessError):
            self.policy.with_user(user).write({"indemnity_percent": 80.0})
        other = self.setup_other_company()["company"]
        foreign = self._create_policy("P-X", "2026-01-01", "2026-12-31", company_id=other.id)
        visible = self.env["credit.insurance.policy"].with_user(user).search([])
        self.assertNotIn(foreign, visible)

    def test_ended_policies_expire(self):
        self.policy.action_activate()
        with freeze_time("2026-12-31"):
            self.env["credit.insurance.policy"]._cron_expire_policies()
        self.assertEqual(self.policy.state, "active", "in force on its last day")
        with freeze_time("2027-01-01"):
            self.env["credit.insurance.policy"]._cron_expire_policies()
        self.assertEqual(self.policy.state, "expired")

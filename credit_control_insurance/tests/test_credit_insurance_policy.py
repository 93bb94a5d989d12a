from freezegun import freeze_time

from odoo import SUPERUSER_ID, fields
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

    def test_smart_buttons_and_liability(self):
        """Invariant: the policy's smart buttons count and open its own covers, claims, notifications and
        declarations (new ones on it), and the liability used is what its claims hold (expected while filed,
        accepted once decided, paid once indemnified; nothing for drafts and rejections).

        Maximum 10,000; a filed claim expecting 2,500 and a draft expecting 1,000: used 2,500, remaining 7,500."""
        self.policy.write({"max_liability": 10000.0})
        self.policy.action_activate()
        other = self._create_policy("P-OTHER", "2026-01-01", "2026-12-31", policy_type="single_buyer")
        buyer = self._customer("Shanghai Motors")
        Claim = self.env["credit.insurance.claim"]
        Cover = self.env["credit.insurance.cover"]
        Cover.create({"partner_id": buyer.id, "policy_id": self.policy.id, "decision": "granted",
                      "amount_granted": 20000.0, "date_effective": "2026-01-01"})
        Cover.create({"partner_id": buyer.id, "policy_id": other.id, "decision": "requested",
                      "amount_requested": 1000.0})
        filed = Claim.create({"policy_id": self.policy.id, "partner_id": buyer.id})
        draft = Claim.create({"policy_id": self.policy.id, "partner_id": buyer.id})
        filed.sudo().write({"state": "filed", "indemnity": 2500.0})
        draft.sudo().write({"indemnity": 1000.0})
        self.policy.invalidate_recordset()
        self.assertRecordValues(self.policy, [{
            "cover_count": 1, "claim_count": 2, "notification_count": 0, "declaration_count": 0,
            "liability_used": 2500.0, "liability_remaining": 7500.0}])
        action = self.policy.action_view_claims()
        self.assertEqual(Claim.search(action["domain"]), filed | draft)
        self.assertEqual(action["context"], {"default_policy_id": self.policy.id})
        self.assertEqual(Cover.search(self.policy.action_view_covers()["domain"]).policy_id, self.policy)
        for method in ("action_view_notifications", "action_view_declarations"):
            action = getattr(self.policy, method)()
            self.assertEqual(self.env[action["res_model"]].search(action["domain"]).policy_id, self.policy.browse())

    def test_renewal_activity_before_the_end(self):
        """Invariant: an active policy gives its responsible person one renewal activity, on the day that is
        ``renewal_notice_days`` before its end (due that day), and again only when its end date moves, which
        replaces the former one (later or earlier).

        Ends 2026-12-31, 30 days' notice: due 2026-12-01; nothing on 11-30, one activity from 12-01 (29 days
        before the end it is still there, once). Extended to 2027-06-30: a new one due 2027-05-31; moved back to
        2027-06-20: one due 2027-05-21."""
        responsible = new_test_user(self.env, "renewal_mgr", groups="credit_control.group_credit_control_manager")
        self.policy.write({"renewal_notice_days": 30, "user_id": responsible.id})
        self.policy.action_activate()
        draft = self._create_policy("P-DRAFT", "2026-01-01", "2026-12-31", renewal_notice_days=30)
        none = self._create_policy("P-NONE", "2026-01-01", "2026-12-31", renewal_notice_days=0,
                                   policy_type="single_buyer")
        none.action_activate()
        activity_type = self.env.ref("credit_control_insurance.mail_activity_type_policy_renewal")
        Policy = self.env["credit.insurance.policy"]

        def renewals(policy):
            return policy.activity_ids.filtered(lambda activity: activity.activity_type_id == activity_type)

        self.assertEqual(self.policy.date_renewal, fields.Date.to_date("2026-12-01"))
        with freeze_time("2026-11-30"):
            Policy._cron_policy_renewals()
        self.assertFalse(renewals(self.policy))
        for day in ("2026-12-01", "2026-12-02"):
            with freeze_time(day):
                Policy._cron_policy_renewals()
        activity = renewals(self.policy)
        self.assertEqual(len(activity), 1)
        self.assertEqual((activity.user_id, activity.date_deadline), (responsible, fields.Date.to_date("2026-12-01")))
        self.assertIn("P-1", activity.summary)
        self.assertFalse(renewals(draft) or renewals(none), "drafts and policies without notice get none")
        self.policy.date_end = "2027-06-30"
        with freeze_time("2027-05-31"):
            Policy._cron_policy_renewals()
        self.assertEqual(renewals(self.policy).mapped("date_deadline"), [fields.Date.to_date("2027-05-31")],
                         "the activity of the former end date is replaced")
        self.policy.date_end = "2027-06-20"  # moved earlier: replaced again, due 30 days before
        with freeze_time("2027-06-01"):
            Policy._cron_policy_renewals()
        activity = renewals(self.policy)
        self.assertEqual(activity.date_deadline, fields.Date.to_date("2027-05-21"))
        self.assertIn("06/20/2027", activity.summary)
        with self.assertRaises(ValidationError):
            self.policy.renewal_notice_days = -1

    def test_renewal_reaches_someone_who_reads_it(self):
        """Invariant: the renewal activity goes to a person who can act: the responsible person while active,
        else a Credit Control Manager of the policy's company; a policy created by the superuser (install,
        upgrade, import) has no responsible person by default."""
        installed = self.env["credit.insurance.policy"].with_user(SUPERUSER_ID).create({
            "policy_number": "P-SU", "insurer_id": self.insurer.id, "date_start": "2026-01-01",
            "date_end": "2026-12-31"})
        self.assertFalse(installed.user_id)
        gone = new_test_user(self.env, "renewal_gone", groups="credit_control.group_credit_control_manager")
        self.policy.write({"user_id": gone.id, "renewal_notice_days": 30})
        self.policy.action_activate()
        gone.active = False
        with freeze_time("2026-12-05"):
            self.env["credit.insurance.policy"]._cron_policy_renewals()
        user = self.policy.activity_ids.user_id
        self.assertTrue(user.active)
        self.assertTrue(user.has_group("credit_control.group_credit_control_manager"))

    def test_upgrade_gives_policies_their_creator_as_responsible(self):
        """Invariant (18.0.1.3.0): the upgrade, run as the superuser, makes each policy's active internal
        creator its responsible person, not the superuser."""
        creator = new_test_user(self.env, "policy_creator", groups="credit_control.group_credit_control_manager")
        policy = self._create_policy("P-UPG", "2026-01-01", "2026-12-31")
        self.env.flush_all()
        self.env.cr.execute("UPDATE credit_insurance_policy SET user_id = NULL, create_uid = %s WHERE id = %s",
                            [creator.id, policy.id])
        self._run_migration("credit_control_insurance", "18.0.1.3.0", "post-migrate.py")
        self.assertEqual(policy.user_id, creator)

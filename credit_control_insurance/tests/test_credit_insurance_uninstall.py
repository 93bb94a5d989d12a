from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditInsuranceUninstall(CreditControlCommon):
    """What uninstalling the insurance add-on leaves of the records it added values to, run the way the
    uninstall does it (``ir.model.fields.selection._process_ondelete`` on the add-on's selection values),
    and who can use its context keys."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls._customer("Wuhan Steel")

    def _selection(self, model, field, value):
        return self.env["ir.model.fields.selection"].search([
            ("field_id", "=", self.env["ir.model.fields"]._get(model, field).id), ("value", "=", value)])

    def test_uninstall_keeps_insurance_approvals(self):
        """An approval is evidence: one refused for lack of insurer cover keeps its record and its meaning
        when the insurance add-on goes. The reason is credit control's own value, which the add-on's
        uninstall neither removes from the field nor cascades to the approvals."""
        invoice = self._invoice(self.buyer, 900.0, "2026-06-30", post=False)
        override = self.env["credit.override"].create({
            "partner_id": self.buyer.id, "move_ids": invoice.ids, "reason_code": "insurance",
            "reason": "Cover applied for, insurer's answer expected Monday"})
        selection = self._selection("credit.override", "reason_code", "insurance")
        owners = self.env["ir.model.data"].search([("model", "=", selection._name), ("res_id", "=", selection.id)])
        self.assertIn("credit_control", owners.mapped("module"), "the value stays with credit control")
        selection._process_ondelete()
        self.assertTrue(override.exists())
        self.assertEqual(override.reason_code, "insurance")
        reasons = dict(override._fields["reason_code"]._description_selection(self.env))
        self.assertEqual(reasons["insurance"], "No insurer cover")

    def test_uninstall_archives_insurance_rules_and_keeps_their_warnings(self):
        """A warning once raised is evidence: uninstalling archives the insurer-cover rules, named as they
        were shown, instead of deleting them and, with them, their warnings."""
        rule = self.env["credit.warning.rule"].create({"indicator": "insurance_cover", "threshold": 50,
                                                       "lookback_months": 3, "severity": "red"})
        shown_as = rule.display_name
        warning = self.env["credit.warning"].sudo().create({
            "partner_id": self.buyer.id, "rule_id": rule.id, "severity": "red", "value": 60.0,
            "threshold": 50.0, "note": "Reduced: 50,000 → 20,000"})
        self._selection("credit.warning.rule", "indicator", "insurance_cover")._process_ondelete()
        self.assertTrue(rule.exists())
        self.assertEqual((rule.active, rule.name), (False, shown_as))
        self.assertEqual(warning.exists().rule_id, rule)
        self.assertEqual(warning.display_name, f"Wuhan Steel: {shown_as}")

    def test_cover_request_context_only_for_managers(self):
        """``credit_request_partner_ids`` prefills the buyers of the cover request sent to the insurer; a
        Credit Control User cannot use it to record requests (the wizard is a manager's)."""
        user = new_test_user(self.env, "credit_clerk", groups="credit_control.group_credit_control_user",
                             company_id=self.env.company.id)
        wizard = self.env["credit.insurance.cover.request"].with_user(user).with_context(
            credit_request_partner_ids=self.buyer.ids)
        with self.assertRaises(AccessError):
            wizard.create({})
        self.assertFalse(self.env["credit.insurance.cover"].search([("partner_id", "=", self.buyer.id)]))

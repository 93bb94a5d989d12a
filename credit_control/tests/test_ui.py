import base64
import os
from pathlib import Path
from unittest.mock import patch

from odoo.tests import HttpCase, tagged
from odoo.tests.common import ChromeBrowser, new_test_user
from odoo.tools import mute_logger

# `make screenshots` sets this folder: tour steps that log "credit-screenshot:<name>" are saved there as PNG.
SCREENSHOTS = os.environ.get("CREDIT_CONTROL_SCREENSHOTS")


class FocusedChromeBrowser(ChromeBrowser):
    """Headless Chromium 132+ never focuses the page; emulate focus so that blur-based fields commit.

    It also takes the screenshots of the documentation when asked to (``SCREENSHOTS``).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._websocket_request("Emulation.setFocusEmulationEnabled", params={"enabled": True})

    def _handle_console(self, type, args=None, stackTrace=None, **kw):  # pylint: disable=redefined-builtin,missing-return
        super()._handle_console(type, args=args, stackTrace=stackTrace, **kw)
        message = str(self._from_remoteobject(args[0])) if args else ""
        if SCREENSHOTS and message.startswith("credit-screenshot:"):
            path = Path(SCREENSHOTS, message.split(":", 1)[1] + ".png")
            capture = self._websocket_send("Page.captureScreenshot", params={"format": "png"}, with_future=True)
            capture.add_done_callback(lambda done: path.write_bytes(base64.b64decode(done.result()["data"])))


@tagged("post_install", "-at_install")
class TestCreditControlUi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(patch("odoo.tests.common.ChromeBrowser", FocusedChromeBrowser))
        company = cls.env.company
        company.account_use_credit_limit = True
        cls.env["credit.tier"].create({"name": "Tour Core", "code": "TOURCORE", "limit_rule": "fixed",
                                       "fixed_amount": 8000.0})
        regular = cls.env["credit.tier"].create({"name": "Tour Regular", "code": "TOURREG"})
        cls.customer = cls.env["res.partner"].create({
            "name": "Tour Customer", "is_company": True, "credit_tier_id": regular.id, "credit_limit": 1000.0})
        line = {"name": "Goods", "quantity": 1, "tax_ids": []}
        cls.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": cls.customer.id, "invoice_date": "2026-06-01",
            "invoice_line_ids": [(0, 0, dict(line, price_unit=700.0))]}).action_post()
        cls.draft = cls.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": cls.customer.id, "invoice_date": "2026-06-02",
            "invoice_line_ids": [(0, 0, dict(line, price_unit=500.0))]})
        new_test_user(cls.env, "accountant", groups="account.group_account_invoice")
        new_test_user(cls.env, "cc_user", groups="credit_control.group_credit_control_user")

    def test_credit_manager_reviews_a_customer(self):
        self.start_tour("/odoo/action-credit_control.res_partner_credit_profile_action",
                        "credit_control_review_tour", login="admin")
        self.assertEqual(self.customer.credit_limit, 5000.0)
        self.assertEqual(self.customer.credit_tier_id.name, "Tour Core")
        self.assertEqual(self.customer.credit_review_ids.note, "Quarterly review: volumes grow, pays on time")

    def test_refusal_then_manager_override(self):
        url = f"/odoo/action-account.action_move_out_invoice_type/{self.draft.id}"
        self.start_tour(url, "credit_control_refusal_tour", login="accountant")
        self.assertEqual(self.draft.state, "draft")
        self.assertTrue(self.draft.activity_ids, "the accountant asked a credit manager")
        self.start_tour(url, "credit_control_override_tour", login="admin")
        self.assertEqual(self.draft.state, "posted")
        self.assertEqual(self.draft.credit_override_ids.reason, "Strategic order approved by the CFO")

    def test_zh_cn_user_sees_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "in", ("base", "web", "account", "credit_control"))]) \
            ._update_translations(["zh_CN"])
        new_test_user(self.env, "zh_manager", groups="credit_control.group_credit_control_manager", lang="zh_CN")
        customer = self.env["res.partner"].create({"name": "ZH Customer", "is_company": True, "customer_rank": 1})
        customer._credit_compute_profiles()
        self.start_tour("/odoo/action-credit_control.res_partner_credit_profile_action",
                        "credit_control_zh_cn_tour", login="zh_manager")

    def test_hidden_approve_button_cannot_be_clicked(self):
        """A Credit Control User does not see "Approve override": a tour that clicks it fails."""
        url = f"/odoo/action-account.action_move_out_invoice_type/{self.draft.id}"
        self.start_tour(url, "credit_control_approve_click_tour", login="admin")  # the tour itself works
        with self.assertRaises(AssertionError) as caught, \
                mute_logger("odoo.tests.common", f"{__name__}.{type(self).__name__}"):
            self.start_tour(url, "credit_control_approve_click_tour", login="cc_user", timeout=40)
        self.assertIn("Step Click Approve override", str(caught.exception))
        self.assertEqual(self.draft.state, "draft")
        self.assertFalse(self.draft.credit_override_ids)

    def test_credit_controller_runs_dunning_for_a_customer(self):
        policy = self.env["credit.dunning.policy"].create({"name": "Tour policy", "level_ids": [(0, 0, {
            "name": "Tour reminder", "offset_days": -5, "action_email": True,
            "mail_template_id": self.env.ref("credit_control.mail_template_dunning").id,
            "message": "Please pay the invoices below."})]})
        self.env.company.credit_dunning_policy_id = policy
        self.customer.email = "ap@tour.example"
        self.start_tour("/odoo/action-credit_control.res_partner_credit_profile_action",
                        "credit_control_dunning_tour", login="cc_user")
        communication = self.env["credit.dunning.communication"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(communication.level_id.name, "Tour reminder")
        self.assertEqual(communication.origin, "manual")
        self.assertEqual(communication.state, "done")
        self.assertIn("Please pay the invoices below.", communication.message_ids.filtered(
            lambda m: m.message_type == "comment").body)

    def test_credit_controller_acknowledges_a_red_warning(self):
        rule = self.env["credit.warning.rule"].search([("company_id", "=", self.env.company.id),
                                                        ("indicator", "=", "utilization")], limit=1)
        self.customer.credit_limit = 720.0
        self.env["credit.warning"]._credit_measure_partners(self.customer)
        warning = self.env["credit.warning"].search([("partner_id", "=", self.customer.id), ("rule_id", "=", rule.id)])
        self.assertEqual((warning.severity, warning.state), ("red", "new"))
        self.env["credit.cash.kpi"]._credit_refresh()
        self.start_tour("/odoo/action-account.action_move_out_invoice_type", "credit_control_warning_tour",
                        login="cc_user")
        self.assertEqual(warning.state, "acknowledged")
        self.assertEqual(warning.acknowledged_by_id.login, "cc_user")

    def test_credit_controller_logs_a_promise_from_to_do(self):
        """Invariant: a call in To Do can be logged as a promise from the list; the promise is the customer's,
        for the amount and date typed, and the call leaves To Do."""
        policy = self.env["credit.dunning.policy"].create({"name": "Tour calls", "level_ids": [(0, 0, {
            "name": "Tour call", "offset_days": 15, "action_call": True, "message": "We call."})]})
        self.env.company.credit_dunning_policy_id = policy
        self.customer.write({"phone": "+86 21 5555 0000", "credit_limit": 5000.0,
                             "credit_user_id": self.env["res.users"].search([("login", "=", "cc_user")]).id})
        self.env["account.move"].create({
            "move_type": "out_invoice", "partner_id": self.customer.id, "invoice_date": "2026-05-01",
            "invoice_date_due": "2026-06-01", "invoice_line_ids": [
                (0, 0, {"name": "Goods", "quantity": 1, "tax_ids": [], "price_unit": 600.0})]}).action_post()
        dunning = self.env["credit.dunning.communication"]
        while dunning.sudo()._cron_run_dunning():  # the 600 due 2026-06-01 is long overdue: the call level
            pass
        call = dunning.search([("partner_id", "=", self.customer.id)])
        self.assertEqual((call.level_id.name, call.state, call.todo), ("Tour call", "sent", True))
        self.start_tour("/odoo/action-account.action_move_out_invoice_type", "credit_control_call_promise_tour",
                        login="cc_user")
        promise = self.customer.credit_promise_ids
        self.assertEqual((promise.amount, str(promise.promise_date), promise.state), (400.0, "2030-12-31", "open"))
        log = self.env["credit.call.log"].search([("communication_id", "=", call.id)])
        self.assertEqual((log.outcome, log.promise_id, log.note), ("promise", promise,
                                                                   "Pays the first part at month end"))
        self.assertFalse(call.todo)

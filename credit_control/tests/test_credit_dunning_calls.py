from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditDunningCalls(CreditControlCommon):
    """Dunning calls sit on the customer, tell the caller what to say, and *Log Call* records what happened."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        template = cls.env.ref("credit_control.mail_template_dunning")
        cls.policy = cls.env["credit.dunning.policy"].create({"name": "Calls", "level_ids": [
            Command.create({"name": "Reminder", "sequence": 1, "offset_days": 5, "action_email": True,
                            "mail_template_id": template.id, "message": "Please pay."}),
            Command.create({"name": "Call", "sequence": 2, "offset_days": 15, "action_call": True,
                            "message": "We call."}),
        ]})
        cls.env.company.credit_dunning_policy_id = cls.policy
        cls.customer = cls._customer("Call Me Ltd", email="ap@callme.example", phone="+86 21 5555 0000")
        cls.accounts = cls.env["res.partner"].create({
            "name": "Ms Wang", "type": "invoice", "parent_id": cls.customer.id, "phone": "+86 21 5555 0101",
            "mobile": "+86 139 0000 0101", "email": "wang@callme.example"})
        company = {"company_id": cls.env.company.id, "company_ids": [Command.set(cls.env.company.ids)]}
        cls.controller = new_test_user(cls.env, "caller", groups="credit_control.group_credit_control_user",
                                       **company)
        cls.customer.credit_user_id = cls.controller
        cls.dunning = cls.env["credit.dunning.communication"]
        cls._term(30)

    def _call(self):
        """Invoices of 1,000 (due 01-31) and 250 (due 02-10); on 02-25 they are 25 and 15 days overdue: the call
        level (+15) for 1,250."""
        self.first = self._invoice(self.customer, 1000.0, "2026-01-01")
        self.second = self._invoice(self.customer, 250.0, "2026-01-11")
        call = self._run("2026-02-25")
        self.assertEqual((call.level_id.name, call.amount_due, call.state), ("Call", 1250.0, "sent"))
        return call

    def _wizard(self, call, **values):
        action = call.with_user(self.controller).action_log_call()
        return self.env[action["res_model"]].with_user(self.controller).with_context(**action["context"]).create(
            values)

    # -------------------------------------------------------------------------
    # The call activity
    # -------------------------------------------------------------------------

    def test_call_activity_is_on_the_customer_with_what_to_say(self):
        """Invariant: the call activity is on the customer (not on the communication), linked to the
        communication, for the credit controller, and its note names whom to call on which numbers, each
        invoice with its amount and age, the net and the last call's outcome."""
        call = self._call()
        activity = call.call_activity_ids
        self.assertEqual((activity.res_model, activity.res_id, activity.user_id),
                         ("res.partner", self.customer.id, self.controller))
        self.assertEqual(activity.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        self.assertFalse(call.activity_ids, "nothing hangs on the communication")
        self.assertIn(activity, self.customer.activity_ids)
        note = str(activity.note)
        for text in ("Ms Wang", "+86 21 5555 0101", "+86 139 0000 0101", self.first.name, self.second.name,
                     "1,000.00", "250.00", "1,250.00", "(<span>25 days overdue</span>)",
                     "(<span>15 days overdue</span>)"):
            self.assertIn(text, note)
        self.assertNotIn("Last call", note, "no call before")

        # No answer; the next call of the customer says so.
        self._wizard(call, outcome="no_answer", note="Voicemail").action_confirm()
        self._invoice(self.customer, 400.0, "2026-02-01")  # due 03-03, 15 days overdue on 03-18
        again = self._run("2026-03-18").filtered("action_call")
        self.assertIn("Last call", str(again.call_activity_ids.note))
        self.assertIn("No answer", str(again.call_activity_ids.note))
        self.assertIn("Voicemail", str(again.call_activity_ids.note))

    def test_call_note_in_the_callers_language(self):
        """Invariant: a Chinese-speaking credit controller reads the call note in Chinese."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "credit_control")])._update_translations(["zh_CN"])
        self.controller.lang = "zh_CN"
        note = str(self._call().call_activity_ids.note)
        self.assertIn("逾期 25 天", note)
        self.assertIn("手机", note)
        self.assertNotIn("Mobile", note)

    def test_done_and_cancel_close_the_call_activity(self):
        """Invariant: marking the communication done closes its call on the customer; cancelling removes it."""
        call = self._call()
        call.action_done()
        self.assertFalse(call.call_activity_ids)
        self.assertFalse(self.customer.activity_ids)
        other = self._customer("Cancel Co", email="ap@cancel.example")
        self._invoice(other, 500.0, "2026-01-01")
        cancelled = self._run("2026-02-26").filtered(lambda c: c.partner_id == other)
        self.assertTrue(cancelled.call_activity_ids)
        cancelled.action_cancel()
        self.assertFalse(other.activity_ids)

    # -------------------------------------------------------------------------
    # Log Call
    # -------------------------------------------------------------------------

    def test_promise_outcome_records_the_promise_and_opens_it(self):
        """Invariant: a promise to pay logged on a call is a promise of the customer (date, amount, who), opened
        in its form; the call is logged in the customer's collection history; its activity and its
        communication are done."""
        call = self._call()
        with freeze_time("2026-02-25"):
            wizard = self._wizard(call, outcome="promise", contact_id=self.accounts.id, promise_date="2026-03-05",
                                  note="Will pay on Thursday")
            self.assertEqual((wizard.phone, wizard.promise_amount, wizard.promised_by),
                             ("+86 21 5555 0101", 1250.0, "Ms Wang"))
            wizard.promise_amount = 1000.0
            action = wizard.action_confirm()
        promise = self.env["credit.payment.promise"].browse(action["res_id"])
        self.assertEqual((action["res_model"], promise.partner_id, str(promise.promise_date), promise.amount,
                          promise.promised_by, promise.state), ("credit.payment.promise", self.customer,
                                                                "2026-03-05", 1000.0, "Ms Wang", "open"))
        log = self.customer.credit_call_log_ids
        self.assertRecordValues(log, [{
            "outcome": "promise", "promise_id": promise.id, "communication_id": call.id, "user_id": self.controller.id,
            "contact_id": self.accounts.id, "phone": "+86 21 5555 0101", "note": "Will pay on Thursday"}])
        self.assertEqual(call.call_log_ids, log)
        self.assertFalse(call.call_activity_ids, "the call is done")
        self.assertEqual(call.state, "done")
        self.assertEqual(str(self.customer.credit_promise_date), "2026-03-05")
        self.assertFalse(self._run("2026-03-01"), "dunning pauses for the promise")

    def test_promise_without_date_or_amount_is_refused(self):
        """Invariant: a promise outcome needs a date, a positive amount, and a date not in the past; a refusal
        writes nothing (no log, no promise, the call still to do)."""
        call = self._call()
        with freeze_time("2026-02-25"):
            for values in ({"promise_date": False}, {"promise_date": "2026-03-05", "promise_amount": 0.0},
                           {"promise_date": "2026-03-05", "promise_amount": -5.0}):
                with self.assertRaisesRegex(ValidationError, "promised date and a positive amount"):
                    self._wizard(call, outcome="promise", **values).action_confirm()
            with self.assertRaisesRegex(ValidationError, "cannot be in the past"):
                self._wizard(call, outcome="promise", promise_date="2026-02-24").action_confirm()
        self.assertFalse(self.customer.credit_call_log_ids)
        self.assertFalse(self.customer.credit_promise_ids)
        self.assertTrue(call.call_activity_ids)

    def test_no_answer_reschedules_the_call(self):
        """Invariant: no answer moves the call to the day to call again (today or later, never the past) and
        keeps the communication open; the log says when."""
        call = self._call()
        with freeze_time("2026-02-25"):
            with self.assertRaisesRegex(ValidationError, "today or later"):
                self._wizard(call, outcome="no_answer", next_call_date="2026-02-24").action_confirm()
            wizard = self._wizard(call, outcome="no_answer")
            self.assertEqual(str(wizard.next_call_date), "2026-02-26", "tomorrow by default")
            wizard.action_confirm()
        self.assertEqual(str(call.call_activity_ids.date_deadline), "2026-02-26")
        self.assertEqual(call.state, "sent")
        self.assertEqual((call.call_log_ids.outcome, str(call.call_log_ids.next_call_date)),
                         ("no_answer", "2026-02-26"))

    def test_dispute_outcome_marks_the_invoices(self):
        """Invariant: a dispute marks the chosen invoices of this customer disputed with the reason (dunning
        holds them) and opens them; another customer's invoice is refused, and nothing is written."""
        call = self._call()
        stranger = self._invoice(self._customer("Stranger"), 90.0, "2026-01-01")
        with self.assertRaisesRegex(ValidationError, "is not a posted invoice of Call Me Ltd"):
            self._wizard(call, outcome="dispute", dispute_reason="Wrong price",
                         dispute_move_ids=[Command.set((self.first | stranger).ids)]).action_confirm()
        self.assertFalse(stranger.credit_disputed or self.first.credit_disputed)
        with self.assertRaisesRegex(ValidationError, "disputed invoices and the reason"):
            self._wizard(call, outcome="dispute", dispute_move_ids=[Command.set(self.first.ids)]).action_confirm()
        action = self._wizard(call, outcome="dispute", dispute_reason="Wrong price",
                              dispute_move_ids=[Command.set(self.first.ids)]).action_confirm()
        self.assertEqual((action["res_model"], action["res_id"]), ("account.move", self.first.id))
        self.assertEqual((self.first.credit_disputed, self.first.credit_dispute_reason), (True, "Wrong price"))
        self.assertFalse(self.second.credit_disputed)
        self.assertEqual(call.call_log_ids.disputed_move_ids, self.first)

    def test_other_outcome_needs_a_note_and_paid_closes(self):
        """Invariant: *Other* needs a note; *Says it has paid* closes the call with the outcome in its feedback."""
        call = self._call()
        with self.assertRaisesRegex(ValidationError, "in the note"):
            self._wizard(call, outcome="other").action_confirm()
        self._wizard(call, outcome="paid", note="Paid yesterday by bank transfer").action_confirm()
        self.assertEqual(call.state, "done")
        done = self.customer.message_ids.filtered(lambda m: "Paid yesterday" in str(m.body))
        self.assertIn("Says it has paid", str(done.body))

    def test_log_call_from_the_customer_and_wrong_ids(self):
        """Invariant: *Log Call* on the customer opens the wizard on its open call; a wizard pointing at another
        customer's communication or another communication's activity is refused; nobody writes a call log by
        hand."""
        call = self._call()
        action = self.customer.with_user(self.controller).action_credit_log_call()
        self.assertEqual(action["context"]["default_communication_id"], call.id)
        self.assertEqual(action["context"]["default_activity_id"], call.call_activity_ids.id)
        other = self._customer("Other Co")
        wizard = self.env["credit.call.wizard"].with_user(self.controller).create({
            "partner_id": other.id, "communication_id": call.id, "outcome": "paid"})
        with self.assertRaisesRegex(ValidationError, "not about Other Co"):
            wizard.action_confirm()
        foreign = self.env["mail.activity"].create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": self.customer.id,
            "activity_type_id": self.env.ref("mail.mail_activity_data_call").id, "user_id": self.controller.id})
        wizard = self.env["credit.call.wizard"].with_user(self.controller).create({
            "partner_id": self.customer.id, "communication_id": call.id, "activity_id": foreign.id,
            "outcome": "paid"})
        with self.assertRaisesRegex(ValidationError, "not the dunning communication's"):
            wizard.action_confirm()
        self._wizard(call, outcome="paid").action_confirm()
        log = call.call_log_ids.with_user(self.controller)
        with self.assertRaises(UserError):
            log.note = "rewritten"
        with self.assertRaises(UserError):
            log.unlink()
        with self.assertRaises(UserError):
            self.env["credit.call.log"].with_user(self.controller).create(
                {"partner_id": self.customer.id, "outcome": "paid"})

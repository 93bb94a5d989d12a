from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditCallGuard(CreditControlCommon):
    """*Log Call* acts only on the customer's own dunning call; promises are the workflow's once recorded."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        template = cls.env.ref("credit_control.mail_template_dunning")
        cls.env.company.credit_dunning_policy_id = cls.env["credit.dunning.policy"].create({
            "name": "Guarded calls", "level_ids": [
                Command.create({"name": "Reminder", "sequence": 1, "offset_days": 5, "action_email": True,
                                "mail_template_id": template.id, "message": "Please pay."}),
                Command.create({"name": "Call", "sequence": 2, "offset_days": 15, "action_call": True,
                                "message": "We call."}),
            ]})
        cls.customer = cls._customer("Call Me Ltd", email="ap@callme.example", phone="+86 21 5555 0000")
        company = {"company_id": cls.env.company.id, "company_ids": [Command.set(cls.env.company.ids)]}
        cls.controller = new_test_user(cls.env, "guarded_caller", groups="credit_control.group_credit_control_user",
                                       **company)
        cls.manager = new_test_user(cls.env, "guarded_manager",
                                    groups="credit_control.group_credit_control_manager", **company)
        cls.customer.credit_user_id = cls.controller
        cls.promises = cls.env["credit.payment.promise"]
        cls._term(30)

    def _call(self, *others):
        """Invoices of 1,000 of 01-01, due 01-31, of the customer (and of ``others``): on 02-15 they are 15 days
        overdue, the call level; the customer's call (and the others')."""
        for customer in (self.customer, *others):
            self._invoice(customer, 1000.0, "2026-01-01")
        calls = self._run("2026-02-15")
        for call in calls:
            self.assertEqual((call.level_id.name, call.amount_due, len(call.call_activity_ids)), ("Call", 1000.0, 1))
        self.assertEqual(calls.partner_id, self.customer.union(*others))
        return [calls.filtered(lambda c, customer=customer: c.partner_id == customer)
                for customer in (self.customer, *others)]

    def _wizard(self, communication, **values):
        action = communication.with_user(self.controller).action_log_call()
        return self.env[action["res_model"]].with_user(self.controller).with_context(**action["context"]).create(
            values)

    def _raw_wizard(self, **values):
        """The wizard as an RPC client may create it, with any ids."""
        return self.env["credit.call.wizard"].with_user(self.controller).create(
            {"partner_id": self.customer.id, **values})

    # -------------------------------------------------------------------------
    # The call activity
    # -------------------------------------------------------------------------

    def test_only_the_customers_own_dunning_call_is_closed(self):
        """Invariant: *Log Call* closes or moves only a dunning call activity of its customer (a colleague's
        too): another customer's call, an activity on another record, or one the user cannot see is refused,
        and nothing is written (no log, the activity as it was)."""
        other = self._customer("Other Co", email="ap@other.example", credit_user_id=self.controller.id)
        call, other_call = self._call(other)
        others_activity = other_call.call_activity_ids
        invoice_todo = self.env["mail.activity"].create({
            "res_model_id": self.env["ir.model"]._get_id("account.move"), "res_id": call.line_ids.move_id.id,
            "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id, "user_id": self.controller.id,
            "date_deadline": "2026-03-01"})
        hidden_company = self.env["res.company"].create({"name": "Hidden Branch"})
        hidden = self.env["res.partner"].create({"name": "Hidden Customer", "company_id": hidden_company.id})
        hidden_activity = self.env["mail.activity"].create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": hidden.id,
            "activity_type_id": self.env.ref("mail.mail_activity_data_call").id, "user_id": self.env.user.id,
            "date_deadline": "2026-03-01"})
        with freeze_time("2026-02-15"):
            for activity in (others_activity, invoice_todo):
                for outcome in ("paid", "no_answer"):
                    with self.assertRaisesRegex(ValidationError, "not a dunning call of Call Me Ltd"):
                        self._raw_wizard(activity_id=activity.id, outcome=outcome).action_confirm()
            with self.assertRaisesRegex(ValidationError, "not the dunning communication's"):
                self._raw_wizard(communication_id=call.id, activity_id=others_activity.id,
                                 outcome="paid").action_confirm()
            with self.assertRaises(UserError):  # AccessError or ValidationError, both UserErrors
                self._raw_wizard(activity_id=hidden_activity.id, outcome="paid").action_confirm()
        self.assertEqual(len((others_activity | invoice_todo | hidden_activity).exists()), 3)
        self.assertEqual([str(d) for d in (others_activity | invoice_todo).mapped("date_deadline")],
                         ["2026-02-15", "2026-03-01"])
        self.assertFalse((self.customer | other).credit_call_log_ids)
        self.assertEqual(other_call.state, "sent")

        # Its own call, given without the communication, is the customer's: it is closed.
        with freeze_time("2026-02-15"):
            self._raw_wizard(activity_id=call.call_activity_ids.id, outcome="paid").action_confirm()
        self.assertFalse(self.customer.activity_ids)
        self.assertEqual(self.customer.credit_call_log_ids.outcome, "paid")

    def test_no_answer_without_a_call_activity_schedules_the_next_call(self):
        """Invariant: *No answer* on a communication without a call activity (a reminder the controller called
        about) schedules the next call as the dunning run does: on the customer, linked to the communication,
        for its follow-up person, on the day to call again; logging that call closes it.
        The reminder (+5) of 02-05 is for the invoice of 1,000 due 01-31."""
        self._invoice(self.customer, 1000.0, "2026-01-01")
        reminder = self._run("2026-02-05")
        self.assertEqual((reminder.level_id.name, reminder.call_activity_ids.ids), ("Reminder", []))
        with freeze_time("2026-02-05"):
            self._wizard(reminder, outcome="no_answer", next_call_date="2026-02-09", note="Voicemail").action_confirm()
        activity = reminder.call_activity_ids
        self.assertEqual((activity.res_model, activity.res_id, activity.user_id, activity.activity_type_id,
                          str(activity.date_deadline)), ("res.partner", self.customer.id, self.controller,
                                                         self.env.ref("mail.mail_activity_data_call"), "2026-02-09"))
        self.assertIn("Call Me Ltd", activity.summary)
        self.assertIn("Reminder", activity.summary)
        self.assertIn("Voicemail", str(activity.note), "the note says how the last call ended")
        with freeze_time("2026-02-09"):
            wizard = self._wizard(reminder, outcome="paid")
            self.assertEqual(wizard.activity_id, activity, "the next Log Call is on that call")
            wizard.action_confirm()
        self.assertFalse(reminder.call_activity_ids)
        self.assertEqual(reminder.state, "done")

    # -------------------------------------------------------------------------
    # Promises
    # -------------------------------------------------------------------------

    def test_promise_state_is_the_workflows_and_a_closed_promise_is_evidence(self):
        """Invariant: a credit controller records a promise with *Log Call* and cancels it with its button, but
        never writes its state, closing day or recording day; an open promise's terms can be corrected, a
        closed (kept, broken, cancelled) one cannot be changed or deleted by anyone but the workflow. Nor do a
        user's context defaults or personal defaults set its workflow's fields."""
        call = self._call()[0]
        with freeze_time("2026-02-15"):
            action = self._wizard(call, outcome="promise", promise_date="2026-02-20").action_confirm()
            promise = self.promises.with_user(self.controller).browse(action["res_id"])
            self.assertEqual((promise.state, promise.amount), ("open", 1000.0))
            for vals in ({"state": "kept"}, {"state": "cancelled"}, {"closed_on": "2026-02-15"},
                         {"date": "2026-01-01"}, {"user_id": self.manager.id}):
                with self.assertRaisesRegex(UserError, "set by its workflow's buttons only"):
                    promise.write(vals)
            # nor through the context's defaults: a promise recorded today, by its recorder, open
            forged = self.promises.with_user(self.controller).with_context(
                default_date="2026-01-01", default_user_id=self.manager.id, default_state="kept",
                default_closed_on="2026-01-01",
            ).create({"partner_id": self.customer.id, "promise_date": "2026-03-10", "amount": 100.0,
                      "promised_by": "AP"})
            self.assertEqual((str(forged.date), forged.user_id, forged.state, forged.closed_on),
                             ("2026-02-15", self.controller, "open", False))
            # nor through personal defaults, which any user may set for himself over RPC (ir.default)
            for name, value in (("date", "2026-01-01"), ("user_id", self.manager.id), ("state", "kept")):
                self.env["ir.default"].with_user(self.controller).set("credit.payment.promise", name, value,
                                                                      user_id=True)
            forged = self.promises.with_user(self.controller).create({
                "partner_id": self.customer.id, "promise_date": "2026-03-10", "amount": 100.0, "promised_by": "AP"})
            self.assertEqual((str(forged.date), forged.user_id, forged.state), ("2026-02-15", self.controller, "open"))
            with self.assertRaisesRegex(UserError, "cannot be created by hand"):
                self.promises.with_user(self.controller).create({
                    "partner_id": self.customer.id, "promise_date": "2026-02-20", "amount": 10.0,
                    "promised_by": "Mr Lee", "state": "kept"})
            promise.write({"promise_date": "2026-02-25", "amount": 900.0, "note": "Corrected"})
            promise.action_cancel()
        self.assertEqual((promise.state, str(promise.closed_on)), ("cancelled", "2026-02-15"))
        with freeze_time("2026-02-16"):
            for vals in ({"state": "open"}, {"promise_date": "2026-03-01"}, {"amount": 1.0}, {"note": "x"}):
                with self.assertRaisesRegex(UserError, "is kept as evidence"):
                    promise.write(vals)
                with self.assertRaisesRegex(UserError, "is kept as evidence"):
                    promise.with_user(self.manager).write(vals)  # a manager neither
            with self.assertRaisesRegex(UserError, "is kept as evidence"):
                promise.with_user(self.manager).unlink()
        self.assertEqual((promise.state, str(promise.promise_date), promise.amount), ("cancelled", "2026-02-25", 900.0))

        # The dunning run still closes the promises: broken the day after its date.
        with freeze_time("2026-02-16"):
            broken = self.promises.create({"partner_id": self.customer.id, "promise_date": "2026-02-17",
                                           "amount": 50.0, "promised_by": "Mr Lee"})
        self._run("2026-02-18")
        self.assertEqual((broken.state, str(broken.closed_on)), ("broken", "2026-02-18"))

    def test_a_payments_write_off_does_not_keep_a_promise(self):
        """Invariant: only the money the customer paid keeps a promise, never the write-off of a payment
        registered as "mark as fully paid".
        Invoice of 1,000, promise of 1,000 on 02-01: 900 paid on 02-05 with a write-off of 100 settles the
        invoice but pays 900, so the promise breaks after 02-10; a second promise of 1,000 on a new invoice,
        paid in full, is kept."""
        invoice = self._invoice(self.customer, 1000.0, "2026-01-01")
        with freeze_time("2026-02-01"):
            promise = self.promises.create({"partner_id": self.customer.id, "promise_date": "2026-02-10",
                                            "amount": 1000.0, "promised_by": "Mr Lee"})
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create({
            "payment_date": "2026-02-05", "amount": 900.0, "payment_difference_handling": "reconcile",
            "writeoff_account_id": self.company_data["default_account_expense"].id, "writeoff_label": "Discount",
        })._create_payments()
        self.assertEqual(invoice.payment_state, "paid", "the write-off settles the invoice")
        promise.invalidate_recordset(["paid_amount"])
        self.assertEqual(promise.paid_amount, 900.0)
        self._run("2026-02-06")
        self.assertEqual(promise.state, "open", "900 of 1,000 paid")
        self._run("2026-02-11")
        self.assertEqual(promise.state, "broken")

        second = self._invoice(self.customer, 1000.0, "2026-02-01")
        with freeze_time("2026-02-12"):
            kept = self.promises.create({"partner_id": self.customer.id, "promise_date": "2026-02-20",
                                         "amount": 1000.0, "promised_by": "Mr Lee"})
        self._pay(second, 1000.0, "2026-02-15")
        kept.invalidate_recordset(["paid_amount"])
        self.assertEqual(kept.paid_amount, 1000.0)
        self._run("2026-02-16")
        self.assertEqual(kept.state, "kept")

import io
from contextlib import contextmanager
from datetime import date, datetime

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.exceptions import CreditLimitExceeded
from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditInsuranceNotification(CreditControlCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Notification = cls.env["credit.insurance.notification"]
        cls.insurer = cls._customer("Sinosure")
        cls.policy = cls._policy("P-1")
        cls.buyer = cls._customer("Wuhan Steel", vat="91420100MA4K0001")
        cls._cover(cls.buyer, cls.policy)
        # Due 2026-03-31; deadline = Mar 31 + 60 days = May 30; warned from May 30 - 5 = May 25.
        cls.invoice = cls._invoice(cls.buyer, 1000.0, "2026-03-01")
        cls.activity_type = cls.env.ref("credit_control_insurance.mail_activity_type_insurer_notification")

    @classmethod
    def _policy(cls, number, company=None):
        policy = cls.env["credit.insurance.policy"].create({
            "policy_number": number, "insurer_id": cls.insurer.id, "date_start": "2026-01-01",
            "date_end": "2026-12-31", "max_extension_days": 60, "notice_days": 5,
            "company_id": (company or cls.env.company).id,
        })
        policy.action_activate()
        return policy

    def _instalment_invoice(self, name):
        """A buyer covered under the policy and its posted invoice of 2,000 on 2026-03-01, half due 30 days
        later (03-31), half 120 days later (06-29)."""
        term = self.env["account.payment.term"].create({"name": "50/50 30-120", "line_ids": [
            Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
            Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 120}),
        ]})
        buyer = self._customer(name)
        self._cover(buyer, self.policy)
        invoice = self._invoice(buyer, 2000.0, "2026-03-01", post=False)
        invoice.invoice_payment_term_id = term
        invoice.action_post()
        return buyer, invoice

    @classmethod
    def _cover(cls, buyer, policy):
        return cls.env["credit.insurance.cover"].create({
            "partner_id": buyer.id, "policy_id": policy.id, "decision": "granted", "amount_granted": 50000.0,
            "date_effective": "2026-01-01",
        })

    def _run(self, day, **kwargs):
        with freeze_time(day):
            calls = 1
            while self.Notification._cron_insurance_deadlines(**kwargs):
                calls += 1
        self.env.invalidate_all()
        return calls

    @staticmethod
    def _late_warnings(notification):
        return notification.message_ids.filtered(lambda m: "after the notification deadline" in (m.body or ""))

    @contextmanager
    def _refused(self, exception, text):
        with self.assertRaises(exception) as catcher:
            yield
        self.assertIn(text, str(catcher.exception))

    def _xlsx(self, notification):
        action = notification.action_export_xlsx()
        return self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0])).raw

    def _notifications(self, buyer=None):
        return self.Notification.search([("partner_id", "in", (buyer or self.buyer).ids)])

    # -------------------------------------------------------------------------
    # Deadlines
    # -------------------------------------------------------------------------

    def test_warning_before_the_deadline(self):
        self.assertTrue(self.invoice.credit_insured)
        self.assertEqual(self.invoice.credit_insurance_deadline, date(2026, 5, 30))
        self.assertEqual(self.invoice.credit_insurance_state, "covered")

        # May 24: overdue, 6 days left, more than the 5 days' notice: nothing prepared yet.
        self._run("2026-05-24")
        self.assertEqual(self.invoice.credit_insurance_state, "to_notify")
        self.assertFalse(self._notifications())

        # May 25: 5 days left: one draft for the buyer, with an activity for the responsible person.
        self._run("2026-05-25")
        notification = self._notifications()
        self.assertEqual(len(notification), 1)
        self.assertRecordValues(notification, [{
            "state": "draft", "policy_id": self.policy.id, "insurer_id": self.insurer.id,
            "deadline": date(2026, 5, 30), "amount_overdue": 1000.0, "move_ids": self.invoice.ids,
            "date": date(2026, 5, 25),
        }])
        self.assertTrue(notification.name.startswith("OVN/"))
        self.assertEqual(self.invoice.credit_insurance_notification_id, notification)
        self.assertEqual(self.invoice.credit_insurance_state, "to_notify")
        activity = notification.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.activity_type_id, self.activity_type)
        self.assertEqual(activity.date_deadline, date(2026, 5, 30))
        self.assertEqual(activity.user_id, self.buyer._credit_responsible_user())
        self.assertIn("Wuhan Steel", activity.summary)

        # A second overdue invoice of the buyer: due Apr 2, deadline Jun 1, warned from May 27: same draft.
        second = self._invoice(self.buyer, 500.0, "2026-03-03")
        self._run("2026-05-26")
        self.assertEqual(notification.move_ids, self.invoice)
        self._run("2026-05-27")
        self.assertEqual(self._notifications(), notification)
        self.assertEqual(notification.move_ids, self.invoice | second)
        self.assertEqual(notification.amount_overdue, 1500.0)  # 1,000 + 500
        self.assertEqual(notification.deadline, date(2026, 5, 30))  # the earliest
        self.assertEqual(len(notification.activity_ids), 1, "one activity per notification, once")

        # Re-run the same day: nothing new anywhere.
        messages = self.env["mail.message"].search_count([])
        self.assertEqual(self._run("2026-05-27"), 1)
        self.assertEqual(self._notifications(), notification)
        self.assertEqual(len(notification.activity_ids), 1)
        self.assertEqual(self.env["mail.message"].search_count([]), messages)

    def test_missed_deadline_is_flagged(self):
        paid = self._invoice(self.buyer, 300.0, "2026-03-01")
        self._pay(paid, 300.0, "2026-04-15")
        uninsured_buyer = self._customer("Uninsured Co")
        uninsured = self._invoice(uninsured_buyer, 800.0, "2026-03-01")
        self.assertFalse(uninsured.credit_insured)

        # First run on June 1, after the May 30 deadline: cover at risk, one message on the buyer.
        self._run("2026-06-01")
        self.assertEqual(self.invoice.credit_insurance_state, "late")
        messages = self.buyer.message_ids.filtered(lambda m: "Cover at risk" in (m.body or ""))
        self.assertEqual(len(messages), 1)
        self.assertIn(self.invoice.name, messages.body)
        self.assertIn("05/30/2026", messages.body)
        # Still to notify, late: it is in a draft for the buyer.
        self.assertEqual(self._notifications().move_ids, self.invoice)
        # The paid invoice is left alone, the uninsured one ignored.
        self.assertEqual(paid.credit_insurance_state, "covered")
        self.assertFalse(paid.credit_insurance_notification_id)
        self.assertFalse(uninsured.credit_insurance_state)
        self.assertFalse(self._notifications(uninsured_buyer))
        # The invoice filters find it.
        self.assertEqual(self.env["account.move"].search([("credit_insurance_state", "=", "late")]), self.invoice)

        self._run("2026-06-02")
        self.assertEqual(len(self.buyer.message_ids.filtered(lambda m: "Cover at risk" in (m.body or ""))), 1)

        # Sent late: notified, with a warning that the insurer may refuse cover.
        notification = self._notifications()
        notification.date_sent = "2026-06-02"
        with freeze_time("2026-06-02"):
            notification.action_send()
        self.assertEqual(self.invoice.credit_insurance_state, "notified")
        self.assertTrue(self._late_warnings(notification))

    def test_instalment_overdue_starts_the_clock(self):
        """Invariant: an insured invoice is overdue, for the insurer, from its first open instalment's due date,
        not from its last (``invoice_date_due``); paying that instalment moves the clock to the next one.

        2,000 on 2026-03-01: 1,000 due 03-31 and 1,000 due 06-29 (120 days). Deadline 03-31 + 60 = 05-30,
        warned from 05-25; once the first is paid, 06-29 + 60 = 08-28."""
        buyer, invoice = self._instalment_invoice("Hubei Pumps")
        self.assertEqual((invoice.invoice_date_due, invoice.credit_date_due), (date(2026, 6, 29), date(2026, 3, 31)))
        self.assertEqual(invoice.credit_insurance_deadline, date(2026, 5, 30))
        self._run("2026-04-01")
        self.assertEqual(invoice.credit_insurance_state, "to_notify", "the first instalment is overdue")
        self._run("2026-05-25")
        self.assertEqual(self._notifications(buyer).move_ids, invoice)

        self._pay(invoice, 1000.0, "2026-05-26")
        self.assertEqual(invoice.credit_insurance_deadline, date(2026, 8, 28))
        self._run("2026-05-27")
        self.assertEqual(invoice.credit_insurance_state, "covered", "the open instalment is not due yet")
        self.assertEqual(self._notifications(buyer).state, "cancelled", "nothing overdue left to notify")
        self.assertFalse(invoice.credit_insurance_notification_id)

    def test_instalment_deadline_and_listing(self):
        """Invariant: the status, deadline and cover-at-risk flag of an insured invoice in instalments follow its
        earliest unpaid instalment, and the notification lists (and counts as overdue) only the instalments past
        due; the invoice's whole unpaid amount is declared as outstanding.

        2,000 on 2026-03-01, 50% due 03-31 and 50% due 06-29 (30 and 120 days), 60-day extension: deadline
        03-31 + 60 = 05-30 (not 06-29 + 60 = 08-28); still to notify on 05-30, cover at risk on 05-31."""
        buyer, invoice = self._instalment_invoice("Jiangsu Valves")
        self.assertEqual(invoice.invoice_date_due, date(2026, 6, 29))
        self.assertEqual(invoice.credit_insurance_deadline, date(2026, 5, 30))
        self._run("2026-05-25")  # 05-30 - 5 days' notice
        notification = self._notifications(buyer)
        first, second = invoice.line_ids.filtered(lambda line: line.display_type == "payment_term").sorted(
            "date_maturity")
        self.assertRecordValues(notification, [{
            "deadline": date(2026, 5, 30), "amount_overdue": 1000.0, "amount_outstanding": 2000.0,
            "move_ids": invoice.ids}])
        self.assertEqual(notification.line_ids.move_line_id, first, "the instalment due 06-29 is not overdue")
        self._run("2026-05-30")
        self.assertEqual(invoice.credit_insurance_state, "to_notify", "the deadline day itself is in time")
        self._run("2026-05-31")
        self.assertEqual(invoice.credit_insurance_state, "late")
        # Sent on 07-01, both instalments are overdue (06-29 < 07-01): 2,000 declared overdue, both listed.
        notification.date_sent = "2026-07-01"
        with freeze_time("2026-07-01"):
            notification.action_send()
            self.assertEqual(notification.line_ids.move_line_id, first | second)
            rows = list(openpyxl.load_workbook(io.BytesIO(self._xlsx(notification)))["Overdue Notification"]
                        .iter_rows(values_only=True))
        self.assertEqual((notification.amount_overdue, notification.amount_outstanding), (2000.0, 2000.0))
        # Days overdue on 07-01: from 03-31, 92; from 06-29, 2. Each instalment 1,000 of the invoice's 2,000.
        self.assertEqual([row[2:9] for row in rows[1:]], [
            (invoice.name, datetime(2026, 3, 1), datetime(2026, 3, 31), 92, 1000.0, 2000.0, "USD"),
            (invoice.name, datetime(2026, 3, 1), datetime(2026, 6, 29), 2, 1000.0, 2000.0, "USD"),
        ])

    def test_a_sent_notification_keeps_what_it_declared(self):
        """Invariant: once sent, a notification's instalments, amounts and file are what the insurer was told:
        the buyer paying afterwards, or the run, changes none of them. 1,000 overdue, sent on 05-26, paid on
        06-10: the file still lists the instalment due 03-31, 56 days overdue (05-26 − 03-31), for 1,000."""
        self._run("2026-05-25")
        notification = self._notifications()
        notification.date_sent = "2026-05-26"
        with freeze_time("2026-05-26"):
            notification.action_send()
        self._pay(self.invoice, 1000.0, "2026-06-10")
        self._run("2026-06-11")
        self.assertRecordValues(notification.line_ids, [{
            "move_id": self.invoice.id, "date_maturity": date(2026, 3, 31), "amount_residual_currency": 1000.0,
            "amount_residual": 1000.0, "invoice_amount_due": 1000.0}])
        self.assertEqual((notification.amount_overdue, notification.amount_outstanding), (1000.0, 1000.0))
        with freeze_time("2026-06-11"):
            rows = list(openpyxl.load_workbook(io.BytesIO(self._xlsx(notification)))["Overdue Notification"]
                        .iter_rows(values_only=True))
        self.assertEqual(rows[1][2:10], (self.invoice.name, datetime(2026, 3, 1), datetime(2026, 3, 31), 56, 1000.0,
                                         1000.0, "USD", datetime(2026, 5, 30)))

    def test_what_is_declared_is_what_was_unpaid_on_the_day_sent(self):
        """Invariant: a notification declares each instalment for what it left unpaid on the day sent, even when
        it is marked sent later: the reconciliations dated after that day do not count, those before do. A
        draft follows the day's payments after each daily run. An invoice reset to draft cannot be declared.

        1,000 due 03-31; 400 paid on 05-26 (after the 05-25 run): the draft shows 600 after the 05-26 run.
        Sent on 05-26 but marked on 05-28, with 100 more paid on 05-27: 600 declared (1,000 − 400)."""
        reset_buyer = self._customer("Reset Buyer")
        self._cover(reset_buyer, self.policy)
        reset = self._invoice(reset_buyer, 700.0, "2026-03-01")
        self._run("2026-05-25")
        reset.button_draft()
        self._notifications(reset_buyer).date_sent = "2026-05-25"
        with freeze_time("2026-05-25"), self._refused(UserError, "no longer posted"):
            self._notifications(reset_buyer).action_send()
        notification = self._notifications()
        self._pay(self.invoice, 400.0, "2026-05-26")
        self._run("2026-05-26")
        self.assertEqual((notification.line_ids.amount_residual_currency, notification.amount_overdue),
                         (600.0, 600.0))
        self._pay(self.invoice, 100.0, "2026-05-27")
        notification.date_sent = "2026-05-26"
        with freeze_time("2026-05-28"):
            notification.action_send()
        self.assertRecordValues(notification.line_ids, [{"amount_residual_currency": 600.0,
                                                         "invoice_amount_due": 600.0}])
        self.assertEqual((notification.amount_overdue, notification.amount_outstanding), (600.0, 600.0))

    def test_foreign_currency_instalments_at_the_invoice_rate(self):
        """Invariant: a foreign-currency instalment is declared in its currency and, in company currency, at
        its invoice's rate; the upgrade rebuilds the same figures as sending does.

        EUR 1,000 on 03-01 at 1 USD = 2 EUR (USD 500); EUR 300 paid on 05-20 at 4, a EUR 100 credit note
        reconciled on 05-21: EUR 600 declared, USD 600 / 2 = 300."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0), ("2026-05-01", 4.0)])
        buyer = self._customer("Ningbo Port")
        self._cover(buyer, self.policy)
        invoice = self._invoice(buyer, 1000.0, "2026-03-01", currency=eur)
        self._run("2026-05-25")
        notification = self._notifications(buyer)
        self.env["account.payment.register"].with_context(active_model="account.move", active_ids=invoice.ids).create(
            {"payment_date": "2026-05-20", "amount": 300.0, "currency_id": eur.id})._create_payments()
        refund = self._invoice(buyer, 100.0, "2026-05-21", move_type="out_refund", currency=eur)
        (refund | invoice).line_ids.filtered(lambda line: line.display_type == "payment_term").reconcile()
        notification.date_sent = "2026-05-26"
        with freeze_time("2026-05-26"):
            notification.action_send()
        fields_ = ["amount_residual_currency", "amount_residual", "invoice_amount_due"]
        self.assertRecordValues(notification.line_ids, [{"amount_residual_currency": 600.0, "amount_residual": 300.0,
                                                         "invoice_amount_due": 600.0}])
        sent = notification.line_ids.read(fields_)
        with freeze_time("2026-05-26"):
            self._run_migration("credit_control_insurance", "18.0.1.3.0", "post-migrate.py")
        self.assertEqual([{k: v for k, v in row.items() if k != "id"} for row in notification.line_ids.read(fields_)],
                         [{k: v for k, v in row.items() if k != "id"} for row in sent])

    def test_upgrade_keeps_what_sent_notifications_declared(self):
        """Invariant (18.0.1.3.0): a notification sent before the upgrade declared its invoices' whole unpaid
        amount as overdue: it keeps that amount overdue, which also becomes its amount outstanding; a draft is
        computed again (2,000 in two instalments, 1,000 of them overdue on 2026-05-25)."""
        self._run("2026-05-25")
        sent = self._notifications()
        sent.date_sent = "2026-05-25"
        with freeze_time("2026-05-25"):
            sent.action_send()
        buyer, invoice = self._instalment_invoice("Anhui Cables")
        self._run("2026-05-25")
        draft = self._notifications(buyer)
        self.env.flush_all()
        # as 18.0.1.2.0 left them: the whole unpaid amount as overdue, no outstanding column yet
        self.env.cr.execute("UPDATE credit_insurance_notification SET amount_overdue = 2000, "
                            "amount_outstanding = NULL WHERE id = %s", [draft.id])
        self.env.cr.execute("UPDATE credit_insurance_notification SET amount_outstanding = NULL WHERE id = %s; "
                            "DELETE FROM credit_insurance_notification_line WHERE notification_id = %s",
                            [sent.id, sent.id])
        with freeze_time("2026-05-25"):
            self._run_migration("credit_control_insurance", "18.0.1.3.0", "post-migrate.py")
        self.assertRecordValues(sent | draft, [
            {"state": "sent", "amount_overdue": 1000.0, "amount_outstanding": 1000.0},
            {"state": "draft", "amount_overdue": 1000.0, "amount_outstanding": 2000.0},
        ])
        self.assertEqual(sent.line_ids.amount_residual_currency, 1000.0, "rebuilt as of the day sent")

    def test_paid_before_sending_leaves_the_draft(self):
        self._run("2026-05-25")
        notification = self._notifications()
        self._pay(self.invoice, 1000.0, "2026-05-26")
        self._run("2026-05-26")
        self.assertEqual(notification.state, "cancelled")
        self.assertFalse(notification.move_ids)
        self.assertFalse(self.invoice.credit_insurance_notification_id)
        self.assertEqual(self.invoice.credit_insurance_state, "covered")
        self._run("2026-06-01")  # paid: never late
        self.assertEqual(self.invoice.credit_insurance_state, "covered")

    def test_send_notifies_and_holds_the_buyer(self):
        self._run("2026-05-25")
        notification = self._notifications()
        own_todo = notification.activity_schedule("mail.mail_activity_data_todo", summary="Call the buyer")
        with self.assertRaises(UserError):  # the date sent is required
            notification.action_send()
        notification.write({"date_sent": "2026-05-27", "insurer_reference": "SIN-2026-778"})
        with freeze_time("2026-05-26"), self.assertRaises(UserError):  # not sent tomorrow
            notification.action_send()
        notification.date_sent = "2026-05-26"
        with freeze_time("2026-05-26"):
            notification.action_send()
        self.assertEqual(notification.state, "sent")
        self.assertEqual(self.invoice.credit_insurance_state, "notified")
        self.assertEqual(notification.activity_ids, own_todo, "the notification activity is done, not the others")
        self.assertTrue(self.buyer.credit_hold)
        self.assertFalse(self._late_warnings(notification))
        self.assertEqual(self.buyer.credit_hold_reason,
                         f"Overdue notified to the insurer (notification {notification.name})")
        with self.assertRaises(UserError):
            notification.action_send()
        with self.assertRaises(UserError):  # kept as evidence
            notification.unlink()

        # The credit hold blocks new invoices for the buyer.
        self.env.company.account_use_credit_limit = True
        with freeze_time("2026-05-27"), self.assertRaises(CreditLimitExceeded) as caught:
            self._invoice(self.buyer, 200.0, "2026-05-27")
        self.assertEqual([block["reason"] for block in caught.exception.blocks], ["hold"])

        # Notified in time: never late, never in another notification.
        self._run("2026-06-15")
        self.assertEqual(self.invoice.credit_insurance_state, "notified")
        self.assertEqual(self._notifications(), notification)

        # The buyer does not pay: the claim starts from the notification, dated from it.
        action = notification.action_create_claim()
        claim = self.env["credit.insurance.claim"].browse(action["res_id"])
        self.assertEqual((claim.notification_id, claim.move_ids, claim.partner_id, claim.policy_id),
                         (notification, self.invoice, self.buyer, self.policy))
        self.assertEqual(str(claim.notification_date), "2026-05-26")
        self.assertEqual(notification.claim_ids, claim)

    def test_cancel_frees_the_invoices(self):
        self._run("2026-05-25")
        notification = self._notifications()
        with self.assertRaisesRegex(UserError, "before claiming"):
            notification.action_create_claim()
        notification.action_cancel()
        self.assertEqual(notification.state, "cancelled")
        self.assertFalse(notification.activity_ids)
        self.assertFalse(self.invoice.credit_insurance_notification_id)
        self.assertEqual(notification.move_ids, self.invoice, "the cancelled notification keeps its list")
        self._run("2026-05-26")
        fresh = self._notifications() - notification
        self.assertEqual(fresh.move_ids, self.invoice)
        self.assertEqual(fresh.state, "draft")

    def test_manual_notification_and_wrong_invoices(self):
        other_buyer = self._customer("Other Buyer")
        self._cover(other_buyer, self.policy)
        foreign = self._invoice(other_buyer, 100.0, "2026-03-01")
        with self.assertRaises(ValidationError):
            self.Notification.create({"policy_id": self.policy.id, "partner_id": self.buyer.id,
                                      "move_ids": [Command.set(foreign.ids)]})
        manual = self.Notification.create({"policy_id": self.policy.id, "partner_id": self.buyer.id,
                                           "move_ids": [Command.set(self.invoice.ids)]})
        self.assertEqual(self.invoice.credit_insurance_notification_id, manual)
        self.assertEqual(manual.amount_overdue, 1000.0)
        # The run extends it rather than making another.
        self._run("2026-05-25")
        self.assertEqual(self._notifications(), manual)
        # One draft per policy and buyer.
        with self.assertRaises(ValidationError):
            self.Notification.create({"policy_id": self.policy.id, "partner_id": self.buyer.id})
        # Taking an invoice off a draft frees it.
        manual.move_ids = [Command.clear()]
        self.assertFalse(self.invoice.credit_insurance_notification_id)
        self.assertEqual(manual.amount_overdue, 0.0)
        manual.move_ids = [Command.set(self.invoice.ids)]
        # Once sent, it cannot be listed in another notification.
        manual.date_sent = "2026-05-26"
        manual.action_send()
        with self.assertRaises(ValidationError):
            self.Notification.create({"policy_id": self.policy.id, "partner_id": self.buyer.id,
                                      "move_ids": [Command.set(self.invoice.ids)]})
        with self.assertRaises(UserError):
            manual.move_ids = [Command.clear()]

    def test_bounded_batches(self):
        self._invoice(self.buyer, 500.0, "2026-03-01")
        self._invoice(self.buyer, 250.0, "2026-03-01")
        # Three invoices to flag, one per call: three calls, the last one reporting nothing left.
        self.assertEqual(self._run("2026-05-25", batch_size=1), 3)
        notification = self._notifications()
        self.assertEqual(len(notification), 1)
        self.assertEqual(len(notification.move_ids), 3)
        self.assertEqual(notification.amount_overdue, 1750.0)
        self.assertEqual(len(notification.activity_ids), 1)

    def test_queries_per_batch_do_not_grow_with_the_batch(self):
        """Invariant: one batch of the daily run costs the same number of queries whatever it holds: 2 buyers
        with 2 overdue invoices each, 6 buyers with 3 each or 12 with 2 (drafts created, activities scheduled,
        cover-at-risk messages logged, statuses set). The first batch warms the ORM caches up."""
        self._run("2026-06-01")  # the class's invoice
        counts = []
        for buyers, invoices in ((2, 2), (2, 2), (6, 3), (12, 2)):
            partners = self.env["res.partner"]
            for index in range(buyers):
                buyer = self._customer(f"Batch {buyers}-{index}")
                self._cover(buyer, self.policy)
                partners |= buyer
                for _invoice in range(invoices):
                    self._invoice(buyer, 100.0, "2026-03-01")
            self.env.flush_all()
            self.env.invalidate_all()
            with freeze_time("2026-06-01"):
                start = self.env.cr.sql_log_count
                self.Notification._cron_insurance_deadlines()
                self.env.flush_all()
                counts.append(self.env.cr.sql_log_count - start)
            self.assertEqual(len(self._notifications(partners)), buyers)
        self.assertEqual(len(set(counts[1:])), 1, counts)

    def test_notice_days_cannot_be_negative(self):
        with self.assertRaises(ValidationError):
            self.policy.notice_days = -1

    # -------------------------------------------------------------------------
    # Companies and rights
    # -------------------------------------------------------------------------

    def test_multi_company_isolation(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        policy_b = self._policy("P-B", company=company_b)
        self._cover(self.buyer, policy_b)
        invoice_b = self._invoice(self.buyer, 700.0, "2026-03-01", company=company_b)
        self.assertEqual(invoice_b.credit_insurance_policy_id, policy_b)
        self._run("2026-05-25")
        notifications = self._notifications()
        self.assertEqual(len(notifications), 2, "one per company")
        by_company = {n.company_id: n for n in notifications}
        self.assertEqual(by_company[self.env.company].move_ids, self.invoice)
        self.assertEqual(by_company[company_b].move_ids, invoice_b)
        self.assertEqual(by_company[company_b].policy_id, policy_b)

        # Sending B's puts the buyer on hold in B only.
        sent = by_company[company_b]
        sent.date_sent = "2026-05-26"
        sent.action_send()
        self.assertTrue(self.buyer.with_company(company_b).credit_hold)
        self.assertFalse(self.buyer.with_company(self.env.company).credit_hold)

        user_a = new_test_user(self.env, "ins_a", groups="credit_control.group_credit_control_user",
                               company_id=self.env.company.id, company_ids=[Command.set(self.env.company.ids)])
        self.assertEqual(self.Notification.with_user(user_a).search([]), by_company[self.env.company])

    def test_access_rights(self):
        self._run("2026-05-25")
        notification = self._notifications()
        user = new_test_user(self.env, "ins_user", groups="credit_control.group_credit_control_user")
        # Users prepare: they read and fill in the draft.
        as_user = notification.with_user(user)
        self.assertEqual(as_user.move_ids, self.invoice)
        as_user.write({"date_sent": "2026-05-26", "insurer_reference": "SIN-1"})
        # Managers send and cancel.
        with self.assertRaises(AccessError):
            as_user.action_send()
        with self.assertRaises(AccessError):
            as_user.action_cancel()
        with self.assertRaises(AccessError):
            as_user.unlink()
        with self.assertRaises(AccessError):
            as_user.write({"state": "sent"})
        self.assertEqual(notification.state, "draft")
        self.assertFalse(self.buyer.credit_hold)
        outsider = new_test_user(self.env, "ins_outsider", groups="account.group_account_invoice")
        with self.assertRaises(AccessError):
            notification.with_user(outsider).read(["name"])
        notification.action_send()  # the test user is a Credit Control Manager
        self.assertEqual(notification.state, "sent")

    def test_xlsx_export(self):
        second = self._invoice(self.buyer, 500.0, "2026-03-03")
        self._pay(second, 200.0, "2026-04-20")  # 300 left
        self._run("2026-05-27")
        notification = self._notifications()
        notification.date_sent = "2026-05-28"
        sheet = openpyxl.load_workbook(io.BytesIO(self._xlsx(notification)))["Overdue Notification"]
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(rows[0], ("Buyer", "Tax ID", "Invoice", "Invoice Date", "Due Date", "Days Overdue",
                                   "Amount Overdue", "Invoice Amount Due", "Currency", "Notification Deadline",
                                   "Policy", "Notification"))
        # Days overdue as of the date sent: May 28 - Mar 31 = 58; May 28 - Apr 2 = 56.
        self.assertEqual(rows[1], ("Wuhan Steel", "91420100MA4K0001", self.invoice.name, datetime(2026, 3, 1),
                                   datetime(2026, 3, 31), 58, 1000.0, 1000.0, "USD", datetime(2026, 5, 30), "P-1",
                                   notification.name))
        self.assertEqual(rows[2][2:11], (second.name, datetime(2026, 3, 3), datetime(2026, 4, 2), 56, 300.0, 300.0,
                                         "USD", datetime(2026, 6, 1), "P-1"))
        self.assertEqual(len(rows), 3)

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
@freeze_time("2026-06-10")
class TestCreditInsuranceEvidence(CreditControlCommon):
    """What was told to the insurer stays as it was told: sent notifications, filed claims and their documents.

    The policy: 90% indemnity, a deductible of 500, no maximum liability; the buyer is covered for 50,000.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.insurer = cls.env["res.partner"].create({"name": "Sinosure", "is_company": True})
        cls.policy = cls.env["credit.insurance.policy"].create({
            "policy_number": "P-EV", "insurer_id": cls.insurer.id, "date_start": "2026-01-01",
            "date_end": "2026-12-31", "indemnity_percent": 90.0, "deductible_amount": 500.0,
            "company_id": cls.env.company.id,
        })
        cls.policy.action_activate()
        cls.buyer = cls._customer("Acme", email="ap@acme.example")
        cls.env["credit.insurance.cover"].create({
            "partner_id": cls.buyer.id, "policy_id": cls.policy.id, "decision": "granted",
            "amount_granted": 50000.0, "date_effective": "2026-01-01",
        })
        company = {"company_id": cls.env.company.id, "company_ids": [Command.set(cls.env.company.ids)]}
        cls.user = new_test_user(cls.env, "ins_ev_user", groups="credit_control.group_credit_control_user",
                                 **company)
        cls.manager = new_test_user(cls.env, "ins_ev_manager", groups="credit_control.group_credit_control_manager",
                                    **company)
        cls.Claim = cls.env["credit.insurance.claim"]
        cls.Notification = cls.env["credit.insurance.notification"]
        cls._term(30)

    def _sent_notification(self):
        self.invoice = self._invoice(self.buyer, 8000.0, "2026-02-01")  # due 2026-03-03
        notification = self.Notification.create({
            "policy_id": self.policy.id, "partner_id": self.buyer.id, "move_ids": [Command.set(self.invoice.ids)],
            "date_sent": "2026-06-01",
        })
        notification.with_user(self.manager).action_send()
        self.assertEqual(notification.state, "sent")
        return notification

    def _filed_claim(self):
        self.invoice = self._invoice(self.buyer, 8000.0, "2026-02-01")
        claim = self.Claim.create(self.Claim._credit_prepare_from_invoices(self.invoice))
        claim.document_ids.done = True
        claim.with_user(self.manager).action_file()
        # (8,000 claimed − 500 deductible) × 90% = 6,750
        self.assertRecordValues(claim, [{"state": "filed", "amount_claimed": 8000.0, "indemnity": 6750.0}])
        return claim

    @staticmethod
    def _snapshot(records, field_names):
        records.invalidate_recordset()
        return records.read(field_names)

    # -------------------------------------------------------------------------
    # Overdue notifications
    # -------------------------------------------------------------------------

    def test_sent_notification_cannot_be_rewritten(self):
        """Invariant: once sent, a notification's buyer, policy, invoices, date sent, amount and state change by
        no hand, a manager's included; the insurer's reference, the note and the responsible stay open, and
        the Cancel button still works (and is tracked: who and when)."""
        notification = self._sent_notification()
        other = self._invoice(self.buyer, 100.0, "2026-02-01")
        frozen = ["partner_id", "policy_id", "move_ids", "date_sent", "amount_overdue", "state", "deadline"]
        before = self._snapshot(notification, frozen)
        rewrites = [{"date_sent": "2026-05-01"}, {"amount_overdue": 1.0}, {"move_ids": [Command.link(other.id)]},
                    {"partner_id": self.insurer.id}, {"state": "cancelled"}, {"deadline": "2026-12-31"}]
        for who in (self.user, self.manager):
            for vals in rewrites:  # UserError, or its AccessError for a user writing the state
                with self.assertRaises(UserError, msg=f"{who.login}: {vals}"):
                    notification.with_user(who).write(vals)
        with self.assertRaises(UserError) as caught:
            notification.with_user(self.manager).write({"date_sent": "2026-05-01"})
        self.assertIn(notification.name, str(caught.exception))
        with self.assertRaises(AccessError):
            notification.with_user(self.user).unlink()
        with self.assertRaises(UserError):
            notification.with_user(self.manager).unlink()
        self.assertEqual(self._snapshot(notification, frozen), before)

        notification.with_user(self.user).write({"insurer_reference": "SIN-1", "note": "Phoned in."})
        notification.with_user(self.manager).user_id = self.user
        self.assertRecordValues(notification, [{"insurer_reference": "SIN-1", "note": "Phoned in.",
                                                "user_id": self.user.id}])

        tracked = {"tracking_disable": False, "mail_notrack": False}  # the test context turns tracking off
        notification.with_user(self.manager).with_context(**tracked).action_cancel()
        self.assertEqual(notification.state, "cancelled")
        self.env.flush_all()
        self.env.cr.precommit.run()  # the tracking is written when the transaction commits
        cancelled = notification.message_ids.tracking_value_ids.filtered(
            lambda t: t.field_id.name == "state" and t.new_value_char == "Cancelled")
        self.assertEqual(cancelled.mail_message_id.author_id, self.manager.partner_id)
        with self.assertRaises(UserError):  # cancelled, still what the insurer was told
            notification.with_user(self.manager).write({"date_sent": "2026-05-01"})
        with self.assertRaises(UserError):
            notification.with_user(self.manager).unlink()

    def test_notification_state_only_through_the_buttons(self):
        """Invariant: a manager cannot mark a draft sent (which skips the date check, the invoices' status and
        the hold) by writing its state, nor create one already sent."""
        invoice = self._invoice(self.buyer, 8000.0, "2026-02-01")
        draft = self.Notification.create({"policy_id": self.policy.id, "partner_id": self.buyer.id,
                                          "move_ids": [Command.set(invoice.ids)]})
        with self.assertRaises(UserError):
            draft.with_user(self.manager).write({"state": "sent", "date_sent": "2026-06-01"})
        self.assertEqual((draft.state, draft.date_sent, self.buyer.credit_hold), ("draft", False, False))
        other = self._invoice(self.buyer, 100.0, "2026-02-01")
        with self.assertRaises(UserError):
            self.Notification.with_user(self.manager).create({
                "policy_id": self.policy.id, "partner_id": self.buyer.id, "state": "sent",
                "move_ids": [Command.set(other.ids)], "date_sent": "2026-06-01"})
        self.assertEqual(self.Notification.search([("partner_id", "=", self.buyer.id)]), draft)
        draft.with_user(self.user).write({"date_sent": "2026-06-01", "note": "Sent by portal."})  # users prepare

    # -------------------------------------------------------------------------
    # Claims and their documents
    # -------------------------------------------------------------------------

    def test_filed_claim_cannot_be_rewritten(self):
        """Invariant: a filed claim's figures, invoices, dates and workflow fields change by no hand (a manager
        once could raise the amount claimed or write it indemnified); the insurer's answers stay open until
        the decision, the buttons still take it to the end, and recoveries are still recorded."""
        claim = self._filed_claim()
        frozen = ["amount_claimed", "indemnity", "move_ids", "date", "policy_id", "state", "date_filed",
                  "amount_indemnified"]
        before = self._snapshot(claim, frozen)
        rewrites = [{"amount_claimed": 9000.0}, {"date": "2026-01-01"}, {"move_ids": [Command.clear()]},
                    {"state": "indemnified", "amount_indemnified": 6750.0}, {"date_filed": "2026-01-01"}]
        for who, refused in ((self.user, AccessError), (self.manager, UserError)):
            for vals in rewrites:
                with self.assertRaises(refused, msg=f"{who.login}: {vals}"):
                    claim.with_user(who).write(vals)
        with self.assertRaises(UserError) as caught:
            claim.with_user(self.manager).write({"amount_claimed": 9000.0})
        self.assertIn(claim.name, str(caught.exception))
        self.assertEqual(self._snapshot(claim, frozen), before)

        as_manager = claim.with_user(self.manager)
        as_manager.action_start_review()
        as_manager.write({"insurer_reference": "CLM-7", "decision_note": "Part of the goods was returned.",
                          "amount_accepted": 5000.0})
        as_manager.action_partially_accept()
        with self.assertRaises(UserError):  # decided: the accepted amount is the insurer's
            as_manager.amount_accepted = 6000.0
        wizard = Form(self.env["credit.insurance.indemnity.wizard"].with_user(self.manager).with_context(
            **as_manager.action_register_indemnity()["context"])).save()
        wizard.action_confirm()
        self.assertRecordValues(claim, [{"state": "indemnified", "amount_accepted": 5000.0,
                                         "amount_indemnified": 5000.0}])
        as_manager.write({"recovery_ids": [Command.create({"amount": 1000.0, "date": "2026-06-10"})]})
        self.assertEqual(claim.recovered_insurer_share, 625.0)  # 1,000 recovered × 5,000 paid / 8,000 claimed
        as_manager.action_close()
        self.assertEqual(claim.state, "closed")
        with self.assertRaises(UserError):
            as_manager.insurer_reference = "CLM-8"
        with self.assertRaises(UserError):
            as_manager.unlink()

    def test_draft_claim_workflow_fields_only_through_the_buttons(self):
        """Invariant: a manager cannot skip the buttons on a draft claim (write it indemnified, or create it
        closed): the state and the insurer's payment come from the workflow only."""
        invoice = self._invoice(self.buyer, 8000.0, "2026-02-01")
        draft = self.Claim.create(self.Claim._credit_prepare_from_invoices(invoice))
        with self.assertRaises(UserError):
            draft.with_user(self.manager).write({"state": "indemnified", "amount_indemnified": 6750.0})
        self.assertRecordValues(draft, [{"state": "draft", "amount_indemnified": 0.0}])
        with self.assertRaises(UserError):
            self.Claim.with_user(self.manager).create({"policy_id": self.policy.id, "partner_id": self.buyer.id,
                                                      "state": "closed"})
        draft.with_user(self.user).write({"notification_date": "2026-06-01"})  # users prepare drafts

    def test_a_user_sets_no_insurer_decision_through_defaults(self):
        """Invariant: only a manager records the insurer's decision: a Credit Control User's new claim takes no
        accepted amount from the context's defaults nor from his personal defaults (ir.default), which a manager's
        claim still may."""
        Claim = self.Claim.with_user(self.user)
        first, second, third = (self._invoice(self.buyer, 8000.0, "2026-02-01") for _i in range(3))
        by_context = Claim.with_context(default_amount_accepted=6000.0).create(
            Claim._credit_prepare_from_invoices(first.with_user(self.user)))
        self.env["ir.default"].with_user(self.user).set("credit.insurance.claim", "amount_accepted", 5000.0,
                                                        user_id=True)
        by_default = Claim.create(Claim._credit_prepare_from_invoices(second.with_user(self.user)))
        self.assertEqual((by_context.amount_accepted, by_default.amount_accepted), (0.0, 0.0))
        Claim = self.Claim.with_user(self.manager)
        by_manager = Claim.with_context(default_amount_accepted=6000.0).create(
            Claim._credit_prepare_from_invoices(third.with_user(self.manager)))
        self.assertEqual(by_manager.amount_accepted, 6000.0)

    def test_filed_claim_documents_cannot_be_changed(self):
        """Invariant: the documents of a filed claim (what the insurer received) can be neither changed,
        added, removed nor moved in from a draft, by a user or a manager; a draft's checklist stays open."""
        claim = self._filed_claim()
        document = claim.document_ids[0]
        draft = self.Claim.create(self.Claim._credit_prepare_from_invoices(
            self._invoice(self.buyer, 500.0, "2026-02-01")))
        fields_ = ["doc_type", "description", "done", "attachment_ids", "claim_id"]
        before = self._snapshot(claim.document_ids, fields_)
        attachment = self.env["ir.attachment"].create({"name": "forged.pdf", "raw": b"%PDF-1.4"})
        for who in (self.user, self.manager):
            with self.assertRaises(UserError, msg=who.login) as caught:
                document.with_user(who).write({"done": False, "attachment_ids": [Command.set(attachment.ids)]})
            self.assertIn(claim.name, str(caught.exception))
            with self.assertRaises(UserError, msg=who.login):
                document.with_user(who).unlink()
            with self.assertRaises(UserError, msg=who.login):
                self.env["credit.insurance.claim.document"].with_user(who).create(
                    {"claim_id": claim.id, "doc_type": "other", "description": "Late addition"})
            with self.assertRaises(UserError, msg=who.login):
                draft.document_ids[0].with_user(who).claim_id = claim
        self.assertEqual(self._snapshot(claim.document_ids, fields_), before)

        draft.document_ids[0].with_user(self.user).write({"done": True, "description": "Signed copy"})
        self.env["credit.insurance.claim.document"].with_user(self.user).create(
            {"claim_id": draft.id, "doc_type": "other"})

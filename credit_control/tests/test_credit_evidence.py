from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditEvidence(CreditControlCommon):
    """Dunning communications and their lines are evidence: what was sent stays as it was sent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        template = cls.env.ref("credit_control.mail_template_dunning")
        cls.policy = cls.env["credit.dunning.policy"].create({
            "name": "Evidence",
            "company_id": cls.env.company.id,
            "level_ids": [
                Command.create({"name": "Reminder", "sequence": 10, "offset_days": -3, "action_email": True,
                                "mail_template_id": template.id, "message": "Please pay."}),
                Command.create({"name": "Call", "sequence": 20, "offset_days": 15, "action_call": True,
                                "message": "We will call."}),
            ],
        })
        cls.env.company.credit_dunning_policy_id = cls.policy
        cls.customer = cls._customer("Acme", email="ap@acme.example")
        company = {"company_id": cls.env.company.id, "company_ids": [Command.set(cls.env.company.ids)]}
        cls.user = new_test_user(cls.env, "ev_user", groups="credit_control.group_credit_control_user", **company)
        cls.manager = new_test_user(cls.env, "ev_manager", groups="credit_control.group_credit_control_manager",
                                    **company)
        cls.dunning = cls.env["credit.dunning.communication"]
        cls._term(30)

    def _sent(self):
        """A reminder sent on 2026-03-28 for an invoice of 1,000 due on 2026-03-31 (3 days before)."""
        self.invoice = self._invoice(self.customer, 1000.0, "2026-03-01", days=30)
        sent = self._run("2026-03-28")
        self.assertEqual((sent.state, str(sent.date), sent.amount_due), ("sent", "2026-03-28", 1000.0))
        return sent

    def _snapshot(self, communication):
        communication.invalidate_recordset()
        return (communication.read(["state", "date", "amount_due", "partner_id", "level_id"])[0],
                communication.line_ids.read(["move_id", "amount_residual", "days_overdue", "date"]))

    # -------------------------------------------------------------------------
    # The reviewers' reproduction
    # -------------------------------------------------------------------------

    def test_sent_communication_cannot_be_rewritten(self):
        """Invariant: a sent communication keeps its state, date and amount whatever a user or a manager writes
        (the review set one to cancelled with another date and amount over RPC); only the responsible person
        can be changed."""
        sent = self._sent()
        before = self._snapshot(sent)
        rewrite = {"state": "cancelled", "date": "2026-04-15", "amount_due": 1.0}
        for who in (self.user, self.manager):
            with self.assertRaises(UserError, msg=who.login) as refused:
                sent.with_user(who).write(rewrite)
            self.assertIn(sent.display_name, str(refused.exception))
            for field, value in rewrite.items():
                with self.assertRaises(UserError, msg=f"{who.login}: {field}"):
                    sent.with_user(who).write({field: value})
            with self.assertRaises(AccessError, msg=who.login):
                sent.with_user(who).unlink()
        self.assertEqual(self._snapshot(sent), before)

        sent.with_user(self.user).user_id = self.manager  # the follow-up changes hands
        self.assertEqual(sent.user_id, self.manager)
        sent.with_user(self.user).message_post(body="Customer says the cheque is in the mail.")

    def test_dunning_lines_are_never_made_or_changed_by_hand(self):
        """Invariant: a user or a manager can neither create dunning lines (the review did, directly) nor
        communications, nor change or delete lines, nor add lines through their communication."""
        sent = self._sent()
        before = self._snapshot(sent)
        line = sent.line_ids
        other = self._invoice(self.customer, 500.0, "2026-03-01", days=30)
        for who in (self.user, self.manager):
            Lines = self.env["credit.dunning.line"].with_user(who)
            with self.assertRaises(AccessError, msg=who.login):
                Lines.create({"communication_id": sent.id, "move_id": other.id,
                              "currency_id": other.currency_id.id, "amount_residual": 500.0})
            with self.assertRaises(AccessError, msg=who.login):
                line.with_user(who).amount_residual = 1.0
            with self.assertRaises(AccessError, msg=who.login):
                line.with_user(who).unlink()
            with self.assertRaises(UserError, msg=who.login):
                sent.with_user(who).line_ids = [Command.create({"move_id": other.id,
                                                                "currency_id": other.currency_id.id})]
            with self.assertRaises(AccessError, msg=who.login):
                self.dunning.with_user(who).create({"partner_id": self.customer.id, "level_id": sent.level_id.id,
                                                    "state": "sent", "date": "2026-03-01"})
        self.assertEqual(self._snapshot(sent), before)
        self.assertFalse(other.credit_dunning_line_ids)

    def test_guards_hold_without_the_access_rules(self):
        """Invariant: the state guards stand on their own: even with full access rights, a non-superuser can
        neither create a dunning line nor change or delete one (the guard names the line)."""
        sent = self._sent()
        self.env["ir.model.access"].create({
            "name": "too generous", "model_id": self.env["ir.model"]._get_id("credit.dunning.line"),
            "group_id": self.env.ref("credit_control.group_credit_control_user").id,
            "perm_read": True, "perm_write": True, "perm_create": True, "perm_unlink": True,
        })
        line = sent.line_ids.with_user(self.user)
        with self.assertRaises(UserError) as refused:
            line.amount_residual = 1.0
        self.assertIn(line.display_name, str(refused.exception))
        with self.assertRaises(UserError):
            line.unlink()
        other = self._invoice(self.customer, 500.0, "2026-03-01", days=30)
        item = other.line_ids.filtered(lambda aml: aml.account_type == "asset_receivable")
        with self.assertRaises(UserError):
            line.create({"communication_id": sent.id, "move_id": other.id, "move_line_id": item.id,
                         "currency_id": other.currency_id.id})
        self.assertEqual(sent.line_ids.amount_residual, 1000.0)

    def test_sent_email_cannot_be_rewritten_notes_can_be_posted(self):
        """Invariant: the dunning email sent to the customer stays as sent: no user rewrites its body, subject or
        attachments (nor the files' content) or deletes it, over RPC or from the chatter (which edits and deletes
        as superuser); notes and other attachments can still be posted, edited and deleted."""
        sent = self._sent()
        email = sent.message_ids.filtered(lambda m: m.subtype_id == self.env.ref("mail.mt_comment"))
        self.assertEqual(len(email), 1)
        body, subject, attachments = email.body, email.subject, email.attachment_ids
        extra = self.env["ir.attachment"].create({"name": "forged.pdf", "raw": b"%PDF forged"})
        for user in (self.user, self.manager):
            rpc = email.with_user(user)
            for vals in ({"body": "<p>Please ignore this reminder.</p>"}, {"subject": "Nothing due"},
                         {"attachment_ids": [Command.link(extra.id)]}, {"attachment_ids": [Command.clear()]},
                         {"subtype_id": self.env.ref("mail.mt_note").id},
                         {"is_internal": True}):  # an internal note would be the users' own
                with self.assertRaisesRegex(UserError, "emails and letters sent or received on it"):
                    rpc.write(vals)
            with self.assertRaisesRegex(UserError, "emails and letters sent or received on it"):
                rpc.unlink()
            chatter = sent.with_user(user)
            with self.assertRaisesRegex(UserError, "emails and letters sent or received on it"):
                chatter._message_update_content(email.sudo(), "Please ignore this reminder.")
            with self.assertRaisesRegex(UserError, "emails and letters sent or received on it"):
                chatter._message_update_content(email.sudo(), "", attachment_ids=[])  # the chatter's Delete
        email.invalidate_recordset()
        self.assertEqual((email.exists(), email.body, email.subject, email.attachment_ids),
                         (email, body, subject, attachments))

        # nor the files it carried (the agency's collection file is an attachment of the communication)
        carried = self.env["ir.attachment"].create({"name": "Collection file.xlsx", "raw": b"original",
                                                    "res_model": sent._name, "res_id": sent.id})
        sent.sudo().message_post(body="Hand-over", message_type="comment", subtype_xmlid="mail.mt_comment",
                                 attachment_ids=carried.ids)
        for vals in ({"raw": b"forged"}, {"name": "nothing.txt", "mimetype": "text/plain"},
                     {"res_id": self.customer.id, "res_model": "res.partner"}):
            with self.assertRaisesRegex(UserError, "emails and letters sent or received on it"):
                carried.with_user(self.user).write(vals)
        with self.assertRaisesRegex(UserError, "emails and letters sent or received on it"):
            carried.with_user(self.user).unlink()
        carried.invalidate_recordset()
        self.assertEqual((carried.raw, carried.name), (b"original", "Collection file.xlsx"))
        loose = self.env["ir.attachment"].create({"name": "draft.txt", "raw": b"x", "res_model": sent._name,
                                                  "res_id": sent.id})
        loose.with_user(self.user).write({"name": "notes.txt"})  # an attachment of no email stays the user's
        loose.with_user(self.user).unlink()

        note = sent.with_user(self.user).message_post(body="Customer says the cheque is in the post.",
                                                      message_type="comment", subtype_xmlid="mail.mt_note")
        sent.with_user(self.user)._message_update_content(note, "Customer says the cheque left on Monday.")
        self.assertIn("left on Monday", note.body)
        note.with_user(self.user).unlink()
        self.assertFalse(note.exists())

    # -------------------------------------------------------------------------
    # The workflow still works
    # -------------------------------------------------------------------------

    def test_buttons_and_runs_still_work(self):
        """Invariant: the guards stop hand edits only: the cron and a user's manual run still make
        communications and lines, users send drafts and mark them done, and cancel drafts."""
        self.policy.level_ids.auto_send = False
        self._invoice(self.customer, 1000.0, "2026-03-01", days=30)
        draft = self._run("2026-03-28")  # the cron, as superuser
        self.assertEqual((draft.state, len(draft.line_ids)), ("draft", 1))
        with freeze_time("2026-03-28 09:00:00"):
            draft.with_user(self.user).action_send()
            self.assertEqual(draft.state, "sent")
            draft.with_user(self.user).action_done()
        self.assertEqual(draft.state, "done")
        self.assertIn(f"Marked done by {self.user.name}", draft.message_ids[0].body)

        other = self._customer("Globex", email="ap@globex.example")
        self._invoice(other, 300.0, "2026-01-01", days=30)  # due 2026-01-31: 60 days overdue on 2026-04-01
        with freeze_time("2026-04-01"):
            action = self.env["credit.dunning.wizard"].with_user(self.user).create(
                {"partner_ids": [Command.set(other.ids)]}).action_run()
            manual = self.dunning.search(action["params"]["next"]["domain"])
            self.assertEqual((manual.origin, manual.state, manual.line_ids.amount_residual), ("manual", "draft", 300.0))
            manual.with_user(self.user).action_cancel()
        self.assertEqual(manual.state, "cancelled")
        self.assertIn(f"Cancelled by {self.user.name}", manual.message_ids[0].body)

    def test_cancelling_a_sent_communication_is_a_logged_manager_decision(self):
        """Invariant: only a Credit Control Manager cancels a sent communication, and the chatter says who and
        when; the invoice is then back to its previous dunning level."""
        sent = self._sent()
        with self.assertRaises(AccessError):
            sent.with_user(self.user).action_cancel()
        self.assertEqual(sent.state, "sent")
        self.assertEqual(self.invoice.credit_dunning_level_id.name, "Reminder")
        with freeze_time("2026-03-29 10:30:00"):
            sent.with_user(self.manager).action_cancel()
        self.assertEqual(sent.state, "cancelled")
        log = sent.message_ids[0]
        self.assertEqual(log.author_id, self.manager.partner_id)
        self.assertEqual(log.date, fields.Datetime.to_datetime("2026-03-29 10:30:00"))
        self.assertIn(f"Cancelled by {self.manager.name} on Mar 29, 2026, 10:30:00", log.body)
        self.invoice.invalidate_recordset(["credit_dunning_level_id"])
        self.assertFalse(self.invoice.credit_dunning_level_id, "the only dunning of the invoice was cancelled")
        with self.assertRaises(UserError):
            sent.with_user(self.manager).action_cancel()

    # -------------------------------------------------------------------------
    # Context keys
    # -------------------------------------------------------------------------

    def test_dunning_date_from_a_user_changes_nothing(self):
        """Invariant: ``credit_dunning_date`` replays or anticipates a run for a Credit Control Manager or the
        superuser only; from a plain user (over RPC, any method) the run is today's."""
        invoice = self._invoice(self.customer, 1000.0, "2026-03-01", days=30)
        # due 2026-03-31: on 2026-03-20 nothing is due (the reminder comes 3 days before, on 2026-03-28);
        # on the asked 2026-04-20 the call is due (20 days overdue: entry by age, the call's 15 days are reached,
        # and the pre-due reminder is never sent for an overdue item)
        future = {"credit_dunning_date": "2026-04-20"}
        with freeze_time("2026-03-20"):
            wizard = self.env["credit.dunning.wizard"].with_user(self.user).with_context(**future).create(
                {"partner_ids": [Command.set(self.customer.ids)]})
            self.assertEqual(wizard.due_partner_count, 0, "the preview is today's")
            wizard.action_run()
            self.assertFalse(invoice.credit_dunning_line_ids, "nothing is due today")
            # Without a selection the wizard restarts today's run and triggers the cron: today's, not the asked day's.
            self.env["credit.dunning.wizard"].with_user(self.user).with_context(**future).create({}).action_run()
            runs = self.env["credit.dunning.run"].search([("company_id", "=", self.env.company.id)])
            self.assertEqual(runs.mapped("date"), [fields.Date.to_date("2026-03-20")])

            wizard = self.env["credit.dunning.wizard"].with_user(self.manager).with_context(**future).create(
                {"partner_ids": [Command.set(self.customer.ids)]})
            self.assertEqual(wizard.due_partner_count, 1)
            wizard.action_run()
        line = invoice.credit_dunning_line_ids
        self.assertEqual((str(line.date), line.days_overdue, line.level_id.name), ("2026-04-20", 20, "Call"))

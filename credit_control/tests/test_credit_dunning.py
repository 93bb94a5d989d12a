import io
from contextlib import contextmanager

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.tests.common import CreditControlCommon


class SimulatedCrash(Exception):
    """The worker dies before the batch is committed."""


@tagged("post_install", "-at_install")
class TestCreditDunning(CreditControlCommon):
    """The daily dunning run: ladder, grouping, idempotency, holds, evidence and rights."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency = cls.env["res.partner"].create({"name": "Recovery Partners", "email": "files@recovery.example"})
        cls.legal_user = new_test_user(cls.env, "legal", groups="credit_control.group_credit_control_user",
                                       company_id=cls.env.company.id)
        cls.policy = cls._policy("Standard", [
            ("Friendly reminder", -3, {"action_email": True}),
            ("Reminder and call", 15, {"action_email": True, "action_call": True}),
            ("Formal letter", 30, {"action_letter": True}),
            ("Collection agency", 45, {"action_agency": True, "agency_partner_id": cls.agency.id}),
            ("Legal action", 90, {"action_legal": True, "legal_user_id": cls.legal_user.id}),
        ])
        cls.env.company.credit_dunning_policy_id = cls.policy
        cls.customer = cls._customer("Acme", email="ap@acme.example")
        cls.other = cls._customer("Globex", email="ap@globex.example")
        cls.dunning = cls.env["credit.dunning.communication"]
        cls._term(30)  # made here, so that the tests' rollbacks keep it

    @classmethod
    def _policy(cls, name, levels, company=None):
        company = company or cls.env.company
        return cls.env["credit.dunning.policy"].with_company(company).create({
            "name": name,
            "company_id": company.id,
            "level_ids": [Command.create({
                "name": level_name, "sequence": 10 * index, "offset_days": offset,
                "mail_template_id": cls.env.ref("credit_control.mail_template_dunning").id,
                "message": f"{level_name}: please pay.", **actions,
            }) for index, (level_name, offset, actions) in enumerate(levels, start=1)],
        })

    def _run(self, day, **kwargs):
        """Run the daily job on ``day`` until nothing is left, as the cron does (superuser, every company);
        the communications it made."""
        before = self.dunning.search([])
        with freeze_time(day):
            while self.dunning.sudo()._cron_run_dunning(**kwargs):
                pass
        return self.dunning.search([]) - before

    def _levels(self, invoices):
        invoices.invalidate_recordset(["credit_dunning_level_id"])
        return invoices.mapped("credit_dunning_level_id.name")

    # -------------------------------------------------------------------------
    # The ladder
    # -------------------------------------------------------------------------

    def test_pre_due_reminder(self):
        invoice = self._invoice(self.customer, 1000.0, "2026-03-01", days=30)  # due 2026-03-31
        self.assertFalse(self._run("2026-03-27"), "4 days before the due date is too early")
        sent = self._run("2026-03-28")
        self.assertEqual(sent.level_id.name, "Friendly reminder")
        self.assertEqual(sent.state, "sent")
        self.assertEqual(sent.line_ids.days_overdue, -3)
        self.assertEqual(sent.amount_due, 1000.0)
        self.assertEqual(self._levels(invoice), ["Friendly reminder"])
        message = sent.message_ids.filtered(lambda m: m.message_type == "comment")
        self.assertEqual(len(message), 1)
        self.assertIn("Friendly reminder: please pay.", message.body)
        self.assertIn(invoice.name, message.body)
        self.assertEqual(message.partner_ids, self.customer)

    def test_escalation_one_level_per_run(self):
        invoice = self._invoice(self.customer, 1000.0, "2026-01-01", days=30)  # due 2026-01-31
        expected = ["Friendly reminder", "Reminder and call", "Formal letter", "Collection agency", "Legal action"]
        # -3 days, +15, +30, +45 (the letter of +30 was sent 15 >= 14 days before), +90
        for day, level_name in zip(["2026-01-28", "2026-02-15", "2026-03-02", "2026-03-17", "2026-05-01"],
                                   expected, strict=True):
            sent = self._run(day)
            self.assertEqual(sent.level_id.name, level_name, f"the level of {day}")
            self.assertEqual(self._levels(invoice), [level_name])
        self.assertFalse(self._run("2026-05-02"), "the last level is never repeated")

        history = invoice.credit_dunning_line_ids
        self.assertEqual(history.sorted("date").mapped("level_id.name"), expected)
        self.assertEqual(invoice.credit_collection_state, "legal")
        self.assertTrue(self.customer.credit_hold)
        self.assertIn("Legal action", self.customer.credit_hold_reason)
        self.assertEqual(self.customer._credit_dunning_stages(), {self.customer.id: 5})

        communications = history.communication_id
        call = communications.filtered("action_call")
        self.assertEqual(call.call_activity_ids.activity_type_id, self.env.ref("mail.mail_activity_data_call"))
        legal = communications.filtered("action_legal")
        self.assertEqual(legal.activity_ids.user_id, self.legal_user)
        agency = communications.filtered("action_agency")
        package = agency.message_ids.filtered(lambda m: m.partner_ids == self.agency)
        self.assertEqual(len(package), 1)
        self.assertEqual(package.attachment_ids.mimetype,
                         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        workbook = openpyxl.load_workbook(io.BytesIO(package.attachment_ids.raw))
        self.assertEqual(workbook.sheetnames, ["Statement", "Open Items", "Dunning History"])
        self.assertEqual(workbook["Open Items"]["A2"].value, invoice.name)
        self.assertEqual(workbook["Dunning History"].max_row, 1 + 4, "every step so far, this one included")

    def test_grouping_per_partner(self):
        first = self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        second = self._invoice(self.customer, 200.0, "2026-01-05", days=30)
        later = self._invoice(self.customer, 400.0, "2026-05-20", days=30)  # due 2026-06-19: not yet
        other = self._invoice(self.other, 50.0, "2026-01-01", days=30)
        sent = self._run("2026-05-31")
        self.assertEqual(len(sent), 2, "one communication per customer and level")
        mine = sent.filtered(lambda c: c.partner_id == self.customer)
        self.assertEqual(mine.line_ids.move_id, first | second)
        self.assertEqual(mine.amount_due, 300.0)
        self.assertEqual(sent.filtered(lambda c: c.partner_id == self.other).line_ids.move_id, other)
        self.assertFalse(later.credit_dunning_level_id)
        with freeze_time("2026-05-31"):
            self._print_letters(mine)

        # The next day the old invoices go on while the newer one gets its first reminder: two levels, two mails.
        sent = self._run("2026-06-16")
        mine = sent.filtered(lambda c: c.partner_id == self.customer)
        self.assertEqual(len(mine), 2)
        self.assertEqual(mine.filtered(lambda c: c.level_id.name == "Friendly reminder").line_ids.move_id, later)

    def test_an_unprinted_letter_does_not_start_the_spacing(self):
        """Invariant: a letter is a written reminder once it is printed, not when it is made: the hand-over's
        spacing counts from the print. Due 01-31: the letter (+30) on 03-02, not printed; 03-17 (+45): no
        agency; printed 03-20; 04-02 (13 days after): no agency; 04-03 (14 days): the agency."""
        invoice = self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        letter = self._run("2026-03-02")
        self.assertEqual(letter.level_id.name, "Formal letter")
        self.assertFalse(self._run("2026-03-17"))
        with freeze_time("2026-03-20 10:00:00"):
            self._print_letters(letter)
        self.assertFalse(self._run("2026-04-02"))
        self.assertEqual(self._run("2026-04-03").filtered(lambda c: invoice in c.line_ids.move_id).level_id.name,
                         "Collection agency")

    def test_second_run_same_day_sends_nothing(self):
        self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        first = self._run("2026-05-31")
        messages = self.env["mail.message"].search_count([])
        mails = self.env["mail.mail"].search_count([])
        self.assertEqual(len(first), 1)
        self.assertFalse(self._run("2026-05-31"))
        with freeze_time("2026-05-31"):
            self.assertEqual(self.dunning._credit_run_batch(), (0, 0))
        self.assertEqual(self.env["mail.message"].search_count([]), messages)
        self.assertEqual(self.env["mail.mail"].search_count([]), mails)

    def test_crash_and_resume_without_duplicates(self):
        customers = self.customer | self.other | self._customer("Initech", email="ap@initech.example")
        invoices = self.env["account.move"]
        for customer in customers:
            invoices |= self._invoice(customer, 100.0, "2026-01-01", days=30)
            invoices |= self._invoice(customer, 150.0, "2026-01-02", days=30)
        with freeze_time("2026-01-29"):  # 2 and 3 days before the due dates
            done, remaining = self.dunning._credit_run_batch(batch_size=1)
            self.assertEqual((done, remaining), (1, 2))
            # The worker dies after making the second batch's communications, before the commit.
            with self.assertRaises(SimulatedCrash), self.env.cr.savepoint():
                self.dunning._credit_run_batch(batch_size=1)
                self.assertEqual(self.dunning.search_count([]), 2)
                raise SimulatedCrash()
            self.env.invalidate_all()
            self.assertEqual(self.dunning.search_count([]), 1, "the crashed batch left nothing behind")
            self.assertEqual(self.dunning._credit_run_batch(batch_size=1), (1, 1))
            self.assertEqual(self.dunning._credit_run_batch(batch_size=1), (1, 1), "a full batch asks for a call more")
            self.assertEqual(self.dunning._credit_run_batch(batch_size=1), (0, 0))
            run = self.env["credit.dunning.run"].search([("company_id", "=", self.env.company.id)])
            self.assertEqual((run.state, run.customer_total, run.customer_count, run.communication_count,
                              run.invoice_count), ("done", 3, 3, 3, 6))
        communications = self.dunning.search([])
        self.assertEqual(communications.partner_id, customers)
        self.assertEqual(len(communications), 3, "one communication per customer, none twice")
        self.assertEqual(sorted(communications.line_ids.move_id.ids), sorted(invoices.ids))
        self.assertEqual(len(communications.line_ids), 6)
        mails = self.env["mail.message"].search([("model", "=", communications._name),
                                                 ("res_id", "in", communications.ids),
                                                 ("message_type", "=", "comment")])
        self.assertEqual(len(mails), 3)

    def test_paid_between_runs_is_never_dunned(self):
        invoice = self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        self._run("2026-05-31")
        self._pay(invoice, 100.0, "2026-05-31")
        self.assertFalse(self._run("2026-06-01"))
        self.assertEqual(len(invoice.credit_dunning_line_ids), 1)

    def test_minimum_amount(self):
        self.policy.level_ids[0].min_amount = 500.0
        self._invoice(self.customer, 300.0, "2026-01-01", days=30)
        self.assertFalse(self._run("2026-01-28"), "300 is below the level's minimum of 500")
        self._invoice(self.customer, 300.0, "2026-01-02", days=30)  # due 02-01
        self.assertEqual(len(self._run("2026-01-29").line_ids), 2, "together they reach it")

    # -------------------------------------------------------------------------
    # Holds: disputes and promises to pay
    # -------------------------------------------------------------------------

    def test_disputed_invoice_is_skipped_until_the_dispute_ends(self):
        disputed = self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        undisputed = self._invoice(self.customer, 200.0, "2026-01-01", days=30)
        with self.assertRaises(ValidationError):
            disputed.credit_disputed = True  # no reason
        with self.assertRaises(ValidationError):
            disputed.write({"credit_disputed": True, "credit_dispute_reason": "Wrong quantity",
                            "credit_dispute_until": "2025-12-01"})  # ends before the invoice date
        disputed.write({"credit_disputed": True, "credit_dispute_reason": "Wrong quantity",
                        "credit_dispute_until": "2026-06-10"})
        with freeze_time("2026-05-31"):
            self.assertEqual(self.customer.credit_exposure, 300.0, "a dispute leaves the exposure untouched")
            self.assertEqual(self.customer.credit_dispute_count, 1)
            self.assertIn(self.customer, self.env["res.partner"].search([("credit_dispute_count", ">", 0)]))
        sent = self._run("2026-05-31")
        self.assertEqual(sent.line_ids.move_id, undisputed)
        self.assertFalse(self._run("2026-06-10").filtered(lambda c: disputed in c.line_ids.move_id))
        sent = self._run("2026-06-11")
        self.assertIn(disputed, sent.line_ids.move_id, "the dispute expired: dunning resumes")

    def test_promise_to_pay_pauses_then_broken_promise_resumes(self):
        invoice = self._invoice(self.customer, 1000.0, "2026-01-01", days=30)
        with freeze_time("2026-05-31"):
            with self.assertRaises(ValidationError):
                self.env["credit.payment.promise"].create({
                    "partner_id": self.customer.id, "promise_date": "2026-05-30", "amount": 500.0,
                    "promised_by": "Mr Lee"})
            with self.assertRaises(ValidationError):
                self.env["credit.payment.promise"].create({
                    "partner_id": self.customer.id, "promise_date": "2026-06-05", "amount": 0.0,
                    "promised_by": "Mr Lee"})
            promise = self.env["credit.payment.promise"].create({
                "partner_id": self.customer.id, "promise_date": "2026-06-05", "amount": 500.0,
                "promised_by": "Mr Lee, CFO"})
            self.assertEqual(self.customer.credit_promise_date, promise.promise_date)
            self.assertEqual(invoice.credit_promise_date, promise.promise_date)
            self.assertIn(invoice, self.env["account.move"].search([("credit_promise_date", "!=", False)]))
        self.assertFalse(self._run("2026-05-31"))
        self.assertFalse(self._run("2026-06-05"), "paused up to the promised date included")
        sent = self._run("2026-06-06")
        self.assertEqual(promise.state, "broken")
        self.assertEqual(sent.line_ids.move_id, invoice, "a broken promise resumes dunning at once")
        self.assertIn("Promise to pay broken", self.customer.message_ids[0].body)

    def test_kept_promise(self):
        invoice = self._invoice(self.customer, 1000.0, "2026-01-01", days=30)
        with freeze_time("2026-05-31"):
            promise = self.env["credit.payment.promise"].create({
                "partner_id": self.customer.id, "promise_date": "2026-06-05", "amount": 400.0,
                "promised_by": "Mr Lee"})
        self.assertFalse(self._run("2026-06-02"))
        self._pay(invoice, 400.0, "2026-06-03")
        sent = self._run("2026-06-04")
        self.assertEqual(promise.state, "kept", "paid before the date: kept")
        self.assertEqual(promise.paid_amount, 400.0)
        self.assertEqual(sent.amount_due, 600.0, "dunning resumes for what is still open")

    # -------------------------------------------------------------------------
    # Channels
    # -------------------------------------------------------------------------

    def test_missing_or_blacklisted_email_fails_with_reason(self):
        no_email = self._customer("Nomail Ltd")
        blacklisted = self._customer("Blocked Ltd", email="blocked@example.com")
        self.env["mail.blacklist"].create({"email": "blocked@example.com"})
        self._invoice(no_email, 100.0, "2026-01-01", days=30)
        self._invoice(blacklisted, 100.0, "2026-01-01", days=30)
        sent = self._run("2026-01-29")
        self.assertEqual(set(sent.mapped("state")), {"failed"})
        self.assertIn("no valid email address", sent.filtered(lambda c: c.partner_id == no_email).failure_reason)
        self.assertIn("blacklist", sent.filtered(lambda c: c.partner_id == blacklisted).failure_reason)
        sent.action_done()
        self.assertEqual(set(sent.mapped("state")), {"done"})

    def test_draft_levels_wait_for_review(self):
        self.policy.level_ids[0].auto_send = False
        self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        draft = self._run("2026-01-29")
        self.assertEqual(draft.state, "draft")
        self.assertFalse(draft.message_ids.filtered(lambda m: m.message_type == "comment"))
        draft.action_send()
        self.assertEqual(draft.state, "sent")
        with self.assertRaises(UserError):
            draft.action_send()

    def test_letter_in_the_invoice_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        invoice = self._invoice(self.customer, 1234.5, "2026-01-01", days=30, currency=eur)
        self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        self.policy.level_ids[0].write({"action_email": False, "action_letter": True})
        sent = self._run("2026-01-29")
        self.assertEqual(sent.amount_due, 617.25 + 100.0, "company currency, at the invoice's rate")
        html = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.report_dunning_letter", sent.ids)[0].decode()
        self.assertIn(invoice.name, html)
        self.assertIn("1,234.50", html)
        self.assertIn("Total <span>EUR</span>", html)
        self.assertIn("Total <span>USD</span>", html)
        self.assertIn("Friendly reminder: please pay.", html)

    def test_partner_language_chooses_the_template_text(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "credit_control")])._update_translations(["zh_CN"])
        self.policy.level_ids[0].with_context(lang="zh_CN").message = "友好提醒：请付款。"
        chinese = self._customer("Wuhan Parts", email="ap@wuhan.example", lang="zh_CN")
        self._invoice(chinese, 100.0, "2026-01-01", days=30)
        self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        sent = self._run("2026-01-29")
        body_zh = sent.filtered(lambda c: c.partner_id == chinese).message_ids[0].body
        body_en = sent.filtered(lambda c: c.partner_id == self.customer).message_ids[0].body
        self.assertIn("友好提醒：请付款。", body_zh)
        self.assertIn("尊敬的", body_zh)
        self.assertIn("Dear", body_en)
        self.assertIn("Friendly reminder: please pay.", body_en)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.report_dunning_letter", sent.ids)[0].decode()
        self.assertIn("2 天后到期", html)  # 01-31 is 2 days after 01-29

    # -------------------------------------------------------------------------
    # Manual control, statements and exports
    # -------------------------------------------------------------------------

    def test_dunning_run_wizard_previews_and_runs_a_selection(self):
        self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        self._invoice(self.other, 100.0, "2026-01-01", days=30)
        with freeze_time("2026-01-29"):
            wizard = self.env["credit.dunning.wizard"].create({})
            self.assertEqual(wizard.due_partner_count, 2)
            self.assertIn("Acme", wizard.preview)
            self.assertIn("Globex", wizard.preview)
            wizard = self.env["credit.dunning.wizard"].with_context(
                active_model="res.partner", active_ids=self.customer.ids).create({})
            self.assertEqual(wizard.partner_ids, self.customer)
            self.assertNotIn("Globex", wizard.preview)
            action = wizard.action_run()
            sent = self.dunning.search(action["params"]["next"]["domain"])
        self.assertEqual(sent.partner_id, self.customer)
        self.assertEqual(sent.origin, "manual")
        self.assertEqual(self.dunning.search_count([("partner_id", "=", self.other.id)]), 0)

    def test_customer_statement(self):
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        first = self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        second = self._invoice(self.customer, 80.0, "2026-02-01", days=30, currency=eur)
        paid = self._invoice(self.customer, 50.0, "2026-02-01", days=30)
        self._pay(paid, 50.0, "2026-02-10")
        wizard = self.env["credit.statement.wizard"].create({"partner_ids": [Command.set(self.customer.ids)]})
        with freeze_time("2026-05-31"):
            action = wizard.action_download_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        sheet = openpyxl.load_workbook(io.BytesIO(attachment.raw))["Open Items"]
        self.assertEqual([sheet.cell(row, 1).value for row in (2, 3)], [first.name, second.name])
        self.assertEqual(sheet.max_row, 3, "paid invoices are not on the statement")
        self.assertEqual(sheet["D2"].value, 120)
        self.assertEqual(sheet["H3"].value, 80.0)

        html = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.report_customer_statement", self.customer.ids)[0].decode()
        self.assertIn(first.name, html)
        self.assertNotIn(paid.name, html)

        wizard.action_send_email()
        message = self.customer.message_ids.filtered(lambda m: m.message_type == "comment")[:1]
        self.assertIn("statement of your open items", message.body)
        self.assertTrue(message.attachment_ids, "the PDF statement is attached")
        wizard.partner_ids = self._customer("No Email Co")
        with self.assertRaises(UserError):
            wizard.action_send_email()

    def test_dunning_activity_export(self):
        self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        sent = self._run("2026-01-29")
        action = sent.action_export_xlsx()
        attachment = self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0]))
        sheet = openpyxl.load_workbook(io.BytesIO(attachment.raw)).active
        self.assertEqual(sheet["B2"].value, "Acme")
        self.assertEqual(sheet["D2"].value, "Friendly reminder")
        self.assertEqual(sheet["G2"].value, 100.0)
        self.assertEqual(sheet["I2"].value, "Sent")

    # -------------------------------------------------------------------------
    # Configuration errors, rights and companies
    # -------------------------------------------------------------------------

    def test_bad_policies_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "is not due later"):
            self._policy("Backwards", [("Late", 30, {"action_letter": True}), ("Early", 15, {"action_call": True})])
        with self.assertRaisesRegex(ValidationError, "does nothing"):
            self._policy("Idle", [("Nothing", 10, {})])
        with self.assertRaisesRegex(ValidationError, "must be for Dunning Communications"):
            self._policy("Wrong template", [("Mail", 10, {
                "action_email": True, "mail_template_id": self.env.ref("account.email_template_edi_invoice").id})])
        with self.assertRaisesRegex(ValidationError, "choose the agency"):
            self._policy("No agency", [("Agency", 45, {"action_agency": True})])
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._policy("Negative", [("Letter", 10, {"action_letter": True, "min_amount": -1.0})])
        with self.assertRaisesRegex(ValidationError, "is not due later"):
            self.policy.level_ids[1].offset_days = -10

    def test_only_managers_edit_policies(self):
        user = new_test_user(self.env, "dunning_user", groups="credit_control.group_credit_control_user",
                             company_id=self.env.company.id)
        policy = self.policy.with_user(user)
        self.assertEqual(len(policy.level_ids), 5, "users read the policies")
        with self.assertRaises(AccessError):
            policy.name = "Lenient"
        with self.assertRaises(AccessError):
            policy.level_ids[0].offset_days = -1
        with self.assertRaises(AccessError):
            self._policy("Mine", [("Letter", 10, {"action_letter": True})]).with_user(user).unlink()
        with self.assertRaises(AccessError):
            self.customer.with_user(user).credit_dunning_policy_id = self.policy
        # ... but they run the dunning and record promises.
        invoice = self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        with freeze_time("2026-05-31"):
            self.env["credit.dunning.wizard"].with_user(user).with_context(
                active_model="res.partner", active_ids=self.customer.ids).create({}).action_run()
            self.env["credit.payment.promise"].with_user(user).create({
                "partner_id": self.customer.id, "promise_date": "2026-06-10", "amount": 100.0,
                "promised_by": "Mr Lee"})
        self.assertEqual(self.dunning.search_count([("partner_id", "=", self.customer.id)]), 1)
        # An accountant outside Credit Control still opens the invoice and sees that it was dunned.
        accountant = new_test_user(self.env, "accountant_only", groups="account.group_account_invoice",
                                   company_id=self.env.company.id)
        with freeze_time("2026-05-31"):
            values = invoice.with_user(accountant).read(["credit_dunning_count", "credit_promise_date"])[0]
        self.assertEqual(values["credit_dunning_count"], 1)
        self.assertEqual(str(values["credit_promise_date"]), "2026-06-10")
        with self.assertRaises(AccessError):
            self.dunning.with_user(accountant).search([])

    def test_policy_from_partner_then_tier_then_company(self):
        strict = self._policy("Strict", [("Strict reminder", -7, {"action_letter": True})])
        tier_policy = self._policy("Tier policy", [("Tier reminder", -5, {"action_letter": True})])
        self.tier_regular.dunning_policy_id = tier_policy
        in_tier = self._customer("Tiered", credit_tier_id=self.tier_regular.id)
        own = self._customer("Own", credit_tier_id=self.tier_regular.id, credit_dunning_policy_id=strict.id)
        for partner in (in_tier, own, self.customer):
            self._invoice(partner, 100.0, "2026-01-01", days=30)
        sent = self._run("2026-01-28")
        self.assertEqual({c.partner_id.name: c.level_id.name for c in sent},
                         {"Tiered": "Tier reminder", "Own": "Strict reminder", "Acme": "Friendly reminder"})

    def test_multi_company(self):
        company_b = self.setup_other_company(name="Company B")["company"]
        policy_b = self._policy("B policy", [("B letter", 10, {"action_letter": True})], company=company_b)
        company_b.credit_dunning_policy_id = policy_b
        invoice_a = self._invoice(self.customer, 100.0, "2026-01-01", days=30)
        invoice_b = self._invoice(self.customer, 300.0, "2026-01-01", days=30, company=company_b)
        sent = self._run("2026-05-31")
        self.assertEqual(len(sent), 2, "the run covers every company")
        by_company = {c.company_id: c for c in sent}
        self.assertEqual(by_company[self.env.company].line_ids.move_id, invoice_a)
        self.assertEqual(by_company[company_b].line_ids.move_id, invoice_b)
        self.assertEqual(by_company[company_b].level_id, policy_b.level_ids)
        with self.assertRaises(ValidationError):  # a policy of another company cannot be the default
            self.env.company.credit_dunning_policy_id = policy_b
        user_a = new_test_user(self.env, "user_a", groups="credit_control.group_credit_control_user",
                               company_id=self.env.company.id, company_ids=[Command.set(self.env.company.ids)])
        self.assertEqual(self.dunning.with_user(user_a).search([]), by_company[self.env.company])

    # -------------------------------------------------------------------------
    # Set-based
    # -------------------------------------------------------------------------

    @contextmanager
    def _count_queries(self):
        self.env.flush_all()
        self.env.invalidate_all()
        start = self.env.cr.sql_log_count
        counter = {}
        yield counter
        self.env.flush_all()
        counter["queries"] = self.env.cr.sql_log_count - start

    def test_query_count_does_not_grow_with_invoices(self):
        letters = self._policy("Letters", [("Letter", 10, {"action_letter": True}),
                                           ("Call", 20, {"action_call": True})])
        counts = []
        # The first run warms the registry caches (xml ids, models); the next two are compared.
        for invoices_per_customer, day in ((2, "2026-05-30"), (1, "2026-05-31"), (8, "2026-06-01")):
            customers = [self._customer(f"C{invoices_per_customer}-{i}", credit_dunning_policy_id=letters.id)
                         for i in range(3)]
            for customer in customers:
                for _i in range(invoices_per_customer):
                    self._invoice(customer, 100.0, "2026-01-01", days=30)
            with freeze_time(day), self._count_queries() as counter:
                done, _remaining = self.dunning._credit_run_batch(
                    batch_size=10, partner_ids=[c.id for c in customers])
            self.assertEqual(done, 3)
            counts.append(counter["queries"])
        self.assertEqual(counts[1], counts[2], "8 invoices per customer cost the same queries as 1")

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditDunningTodo(CreditControlCommon):
    """*To Do* holds only what needs a person, its amounts count each customer's debt once, a template that
    fails to render fails one communication only, and the manual run says what it did."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        template = cls.env.ref("credit_control.mail_template_dunning")
        cls.policy = cls.env["credit.dunning.policy"].create({"name": "To Do", "level_ids": [
            Command.create({"name": "Reminder", "sequence": 1, "offset_days": 5, "action_email": True,
                            "mail_template_id": template.id, "message": "Please pay."}),
            Command.create({"name": "Letter", "sequence": 2, "offset_days": 15, "action_letter": True,
                            "message": "Formal reminder."}),
            Command.create({"name": "Call", "sequence": 3, "offset_days": 30, "action_call": True,
                            "message": "We call."}),
            Command.create({"name": "Review", "sequence": 4, "offset_days": 45, "action_email": True,
                            "auto_send": False, "mail_template_id": template.id, "message": "Last reminder."}),
        ]})
        cls.env.company.credit_dunning_policy_id = cls.policy
        cls.dunning = cls.env["credit.dunning.communication"]
        cls._term(30)

    def _todo(self):
        return self.dunning.search([("todo", "=", True)])

    def test_todo_holds_only_what_needs_a_person(self):
        """Invariant: To Do is drafts, failed sends, sent letters not printed, and sent communications whose call
        is due today or late; a sent email, a printed letter and a rescheduled call are not in it, and searching
        To Do unset gives exactly the rest.

        Run on 2026-03-01, invoices of 30 days: due 02-24 (5 days overdue: Reminder), 02-14 (15: Letter),
        01-30 (30: Call), 01-10 (50: Review, a draft).
        """
        emailed = self._customer("Emailed Ltd", email="ap@emailed.example")
        lettered = self._customer("Letter Ltd")
        called = self._customer("Called Ltd", phone="+86 21 5555 0000")
        reviewed = self._customer("Review Ltd", email="ap@review.example")
        no_email = self._customer("No Email Ltd")
        for partner, day in ((emailed, "2026-01-25"), (lettered, "2026-01-15"), (called, "2025-12-31"),
                             (reviewed, "2025-12-11"), (no_email, "2026-01-25")):
            self._invoice(partner, 100.0, day)
        made = self._run("2026-03-01")
        by_partner = {c.partner_id: c for c in made}
        self.assertEqual({p.name: (c.level_id.name, c.state) for p, c in by_partner.items()}, {
            "Emailed Ltd": ("Reminder", "sent"), "Letter Ltd": ("Letter", "sent"), "Called Ltd": ("Call", "sent"),
            "Review Ltd": ("Review", "draft"), "No Email Ltd": ("Reminder", "failed")})
        with freeze_time("2026-03-01"):
            todo = self._todo()
            self.assertEqual(todo.partner_id, lettered | called | reviewed | no_email)
            self.assertEqual(self.dunning.search([("todo", "=", False)]) & made, by_partner[emailed])
            self.assertEqual(made.filtered("todo").partner_id, todo.partner_id, "compute and search agree")

            # The letter is printed: it leaves To Do, and the print is logged.
            letter = by_partner[lettered]
            self.env["ir.actions.report"]._render_qweb_pdf("credit_control.report_dunning_letter", letter.ids)
            self.assertTrue(letter.letter_printed_date)
            self.assertIn("Letter printed by", letter.message_ids[0].body)
            self.assertNotIn(letter, self._todo())

            # No answer: the call waits until the day to call again.
            call = by_partner[called]
            action = call.action_log_call()
            self.env[action["res_model"]].with_context(**action["context"]).create(
                {"outcome": "no_answer", "next_call_date": "2026-03-03"}).action_confirm()
            self.assertNotIn(call, self._todo())
        with freeze_time("2026-03-03"):
            self.assertIn(call, self._todo(), "due again on the day to call")
        with freeze_time("2026-03-05"):
            self.assertIn(call, self._todo(), "and while late")

    def test_group_amounts_count_each_customer_once(self):
        """Invariant: a group's Customer Overdue is the sum of its customers' net overdue today, each customer
        once however many communications it has; the communications' own amounts are not summed.

        Gansu: 1,000 due 02-24, reminded 03-01 (1,000); a credit note of 200 on 03-05; the letter on 03-11 asks
        for 1,000 - 200 = 800. Hubei: 300 due 02-24, reminded 03-01 and written to on 03-11 (300 each).
        On 03-11: Gansu owes 800 net overdue, Hubei 300: 800 + 300 = 1,100 for any group holding both, where the
        communications' amounts would add 1,000 + 800 + 300 + 300 = 2,400.
        """
        gansu = self._customer("Gansu Ltd", email="ap@gansu.example")
        hubei = self._customer("Hubei Ltd", email="ap@hubei.example")
        self._invoice(gansu, 1000.0, "2026-01-25")
        self._invoice(hubei, 300.0, "2026-01-25")
        self._run("2026-03-01")
        self._invoice(gansu, 200.0, "2026-03-05", move_type="out_refund")
        letters = self._run("2026-03-11")
        self.assertEqual(sorted(letters.mapped("amount_due")), [300.0, 800.0])
        with freeze_time("2026-03-11"):
            communications = self.dunning.search([("partner_id", "in", (gansu | hubei).ids)])
            self.assertEqual(len(communications), 4)
            self.assertEqual(set(communications.filtered(lambda c: c.partner_id == gansu).mapped(
                "customer_overdue")), {800.0})
            domain = [("id", "in", communications.ids)]
            [(total,)] = self.dunning._read_group(domain, aggregates=["customer_overdue:sum"])
            self.assertEqual(total, 1100.0)
            by_level = dict(self.dunning._read_group(domain, ["level_id"], ["customer_overdue:sum"]))
            self.assertEqual({level.name: amount for level, amount in by_level.items()},
                             {"Reminder": 1100.0, "Letter": 1100.0})
            by_partner = dict(self.dunning._read_group(domain, ["partner_id"], ["customer_overdue:sum"]))
            self.assertEqual(by_partner, {gansu: 800.0, hubei: 300.0})
            groups = self.dunning.web_read_group(domain, ["customer_overdue:sum"], ["state"])["groups"]
            self.assertEqual([g["customer_overdue"] for g in groups], [1100.0])
        described = self.dunning.fields_get(["customer_overdue", "amount_due"], ["aggregator"])
        self.assertEqual(described["customer_overdue"].get("aggregator"), "sum")
        self.assertFalse(described["amount_due"].get("aggregator"), "one customer's debt is in many of them")

    def test_template_that_fails_to_render_fails_one_communication(self):
        """Invariant: a template that cannot be rendered for one customer marks that communication failed with
        the reason, posts nothing on it, and the run goes on: the other customer's email leaves and the run
        ends done."""
        template = self.env["mail.template"].create({
            "name": "Needs a reference", "model_id": self.env["ir.model"]._get_id("credit.dunning.communication"),
            "subject": "Reminder", "email_to": "{{ object.partner_id.email }}",
            "body_html": '<p>Your reference <t t-out="object.partner_id.ref.upper()"/></p>'})
        self.policy.level_ids.filtered(lambda lv: lv.name == "Reminder").mail_template_id = template
        good = self._customer("Good Ref Ltd", email="ap@good.example", ref="gr-1")
        bad = self._customer("No Ref Ltd", email="ap@noref.example")
        self._invoice(good, 100.0, "2026-01-25")
        self._invoice(bad, 100.0, "2026-01-25")
        made = self._run("2026-03-01")
        sent, failed = (made.filtered(lambda c, p=p: c.partner_id == p) for p in (good, bad))
        self.assertEqual((sent.state, failed.state), ("sent", "failed"))
        self.assertIn("GR-1", sent.message_ids.filtered(lambda m: m.message_type == "comment").body)
        self.assertIn("The email could not be prepared", failed.failure_reason)
        self.assertIn("upper", failed.failure_reason, "the reason says what broke")
        self.assertFalse(failed.message_ids.filtered(lambda m: m.message_type == "comment"))
        run = self.env["credit.dunning.run"].search([("date", "=", "2026-03-01")])
        self.assertEqual(run.state, "done")
        with freeze_time("2026-03-01"):
            self.assertIn(failed, self._todo())

    def test_manual_run_says_what_it_did_and_opens_it(self):
        """Invariant: the manual run of chosen customers is recorded as manual, its notification counts the
        customers checked and the communications made by state, and it opens exactly those; with nothing due it
        says so and opens nothing."""
        first = self._customer("First Ltd", email="ap@first.example")
        second = self._customer("Second Ltd")
        idle = self._customer("Idle Ltd", email="ap@idle.example")
        self._invoice(first, 100.0, "2026-01-25")
        self._invoice(second, 100.0, "2026-01-25")
        self._invoice(idle, 100.0, "2026-02-25")  # due 03-27: nothing yet
        with freeze_time("2026-03-01"):
            wizard = self.env["credit.dunning.wizard"].create({"partner_ids": [Command.set((first | second).ids)]})
            result = wizard.action_run()
            self.assertEqual(result["params"]["message"],
                             "2 customers checked: 2 communications made (1 Failed, 1 Sent).")
            self.assertEqual(result["params"]["type"], "warning", "a failure is shown as a warning")
            made = self.dunning.search(result["params"]["next"]["domain"])
            self.assertEqual(made.partner_id, first | second)
            self.assertEqual(set(made.mapped("origin")), {"manual"})

            result = self.env["credit.dunning.wizard"].create({"partner_ids": [Command.set(idle.ids)]}).action_run()
            self.assertEqual(result["params"]["message"], "1 customers checked: nothing is due for them today.")
            self.assertEqual(result["params"]["next"], {"type": "ir.actions.act_window_close"})

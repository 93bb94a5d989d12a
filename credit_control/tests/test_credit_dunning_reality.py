from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.credit_control.tests.common import CreditControlCommon


@tagged("post_install", "-at_install")
class TestCreditDunningReality(CreditControlCommon):
    """Dunning that matches the customer's situation: entry by age, spacing before hand-overs, net of credits,
    promises kept only by the customer's own payments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        template = cls.env.ref("credit_control.mail_template_dunning")
        cls.agency = agency = cls.env["res.partner"].create({"name": "Recovery Partners",
                                                             "email": "files@recovery.example"})
        levels = [
            ("Friendly reminder", -3, {"action_email": True}),
            ("Reminder and call", 15, {"action_email": True, "action_call": True}),
            ("Formal letter", 30, {"action_email": True, "action_letter": True}),
            ("Collection agency", 45, {"action_email": True, "action_agency": True, "agency_partner_id": agency.id,
                                       "action_hold": True}),
            ("Legal action", 90, {"action_letter": True, "action_legal": True}),
        ]
        cls.policy = cls.env["credit.dunning.policy"].create({"name": "Standard", "level_ids": [Command.create({
            "name": name, "sequence": 10 * index, "offset_days": offset, "mail_template_id": template.id,
            "message": f"{name}: please pay.", **actions,
        }) for index, (name, offset, actions) in enumerate(levels, start=1)]})
        cls.env.company.credit_dunning_policy_id = cls.policy
        cls.dunning = cls.env["credit.dunning.communication"]
        cls.customer = cls._customer("Golive Ltd", email="ap@golive.example")
        for days in (0, 30):  # made here, so that the tests' rollbacks keep them
            cls._term(days)

    def _level(self, communications, invoice):
        return communications.filtered(lambda c: invoice in c.line_ids.move_id).level_id.name

    @staticmethod
    def _body(communication):
        return communication.message_ids.filtered(lambda m: m.message_type == "comment").body

    def _entry(self, partner, amount, date, invoice):
        """A journal entry crediting the customer's receivable by ``amount`` (an insurer's indemnity, a write-off),
        reconciled with ``invoice``."""
        receivable = invoice.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")
        move = self.env["account.move"].create({"move_type": "entry", "date": date, "line_ids": [
            Command.create({"account_id": receivable.account_id.id, "partner_id": partner.id, "credit": amount}),
            Command.create({"account_id": self.company_data["default_account_expense"].id, "debit": amount}),
        ]})
        move.action_post()
        (move.line_ids.filtered(lambda line: line.account_id == receivable.account_id) | receivable).reconcile()
        return move

    # -------------------------------------------------------------------------
    # Entry by age, escalation by spacing
    # -------------------------------------------------------------------------

    def test_go_live_enters_each_invoice_at_the_level_of_its_age(self):
        """Invariant: the first run on a company with old overdue invoices sends each invoice the level its age
        calls for among the levels that only communicate; never a pre-due reminder for an overdue invoice; no
        agency, legal action or hold before a written reminder was sent 14 days earlier.

        Run on 2026-06-30: due 07-02 (in 2 days), 06-25 (5 days overdue), 06-07 (23), 05-14 (47), 03-16 (106).
        """
        not_due = self._invoice(self.customer, 100.0, "2026-06-02", days=30)  # due 07-02
        five = self._invoice(self.customer, 200.0, "2026-06-25", days=0)
        twenty_three = self._invoice(self.customer, 300.0, "2026-06-07", days=0)
        forty_seven = self._invoice(self.customer, 400.0, "2026-05-14", days=0)
        hundred_six = self._invoice(self.customer, 500.0, "2026-03-16", days=0)

        sent = self._run("2026-06-30")
        self.assertEqual(self._level(sent, not_due), "Friendly reminder")
        self.assertFalse(self._level(sent, five), "5 days overdue: past the reminder, before the call (+15)")
        self.assertEqual(self._level(sent, twenty_three), "Reminder and call")
        self.assertEqual(self._level(sent, forty_seven), "Formal letter", "the agency (+45) waits for spacing")
        self.assertEqual(self._level(sent, hundred_six), "Formal letter", "not legal action (+90) on day one")
        self.assertEqual(len(sent), 3, "one communication per level")
        self.assertFalse(sent.filtered(lambda c: c.action_agency or c.action_legal or c.action_hold))
        self.assertFalse(self.customer.credit_hold)

        reminder = sent.filtered(lambda c: c.level_id.name == "Friendly reminder")
        call = sent.filtered(lambda c: c.level_id.name == "Reminder and call")
        letter = sent.filtered(lambda c: c.level_id.name == "Formal letter")
        self.assertIn("Due in <span>2</span> days", self._body(reminder))
        self.assertNotIn("overdue", self._body(reminder))
        self.assertIn("<span>23</span> days overdue", self._body(call))
        self.assertIn("<span>47</span> days overdue", self._body(letter))
        self.assertIn("<span>106</span> days overdue", self._body(letter))
        self.assertEqual(letter.amount_due, 900.0)  # 400 + 500

        # 07-13: the letter was sent 13 days ago, the agency waits; the 23-day invoice (now 36) gets its letter,
        # the 5-day one (now 18) enters at the call.
        sent = self._run("2026-07-13")
        self.assertEqual(self._level(sent, twenty_three), "Formal letter")
        self.assertEqual(self._level(sent, five), "Reminder and call")
        self.assertFalse(self._level(sent, forty_seven) or self._level(sent, hundred_six))
        # 07-14: 14 days after the letter, both go to the agency, and the customer is on hold.
        sent = self._run("2026-07-14")
        self.assertEqual(self._level(sent, forty_seven), "Collection agency")
        self.assertEqual(self._level(sent, hundred_six), "Collection agency")
        self.assertTrue(self.customer.credit_hold)
        # 07-15: the letter of 06-30 is 15 days old: the 121-day invoice reaches legal action, the 62-day one not.
        sent = self._run("2026-07-15")
        self.assertEqual(self._level(sent, hundred_six), "Legal action")
        self.assertFalse(self._level(sent, forty_seven))

    def test_go_live_text_in_chinese(self):
        """Invariant: a Chinese customer reads the state of each invoice in Chinese."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "credit_control")])._update_translations(["zh_CN"])
        chinese = self._customer("武汉精密零件有限公司", email="ap@wuhan.example", lang="zh_CN")
        self._invoice(chinese, 300.0, "2026-06-07", days=0)  # 23 days overdue on 06-30
        self._invoice(chinese, 100.0, "2026-06-02", days=30)  # due 07-02
        sent = self._run("2026-06-30")
        call = sent.filtered(lambda c: c.level_id.name == "Reminder and call")
        reminder = sent - call
        self.assertIn("逾期 <span>23</span> 天", self._body(call))
        self.assertIn("<span>2</span> 天后到期", self._body(reminder))
        html = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.report_dunning_letter", call.ids)[0].decode()
        self.assertIn("天", html)
        self.assertNotIn("days overdue", html)

    def test_a_past_due_invoice_skips_the_pre_due_levels(self):
        """Invariant: an invoice that got no reminder before its due date never gets one after it: the first
        level it may get is the first level on or after the due date (+15 here), not before its day."""
        invoice = self._invoice(self.customer, 100.0, "2026-01-01", days=30)  # due 01-31
        self.assertFalse(self._run("2026-02-01"), "1 day overdue: the reminder (-3) is skipped")
        self.assertFalse(self._run("2026-02-14"))
        self.assertEqual(self._level(self._run("2026-02-15"), invoice), "Reminder and call")

    def test_spacing_is_counted_from_a_written_level(self):
        """Invariant: a cancelled letter does not count as written; the agency waits for a letter that was sent."""
        invoice = self._invoice(self.customer, 100.0, "2026-01-01", days=0)
        letter = self._run("2026-03-01")  # 59 days: the letter
        self.assertEqual(self._level(letter, invoice), "Formal letter")
        letter.action_cancel()
        self.assertEqual(self._level(self._run("2026-03-20"), invoice), "Formal letter", "sent again")
        self.assertFalse(self._run("2026-04-02"), "13 days after the letter that was sent")
        self.assertEqual(self._level(self._run("2026-04-03"), invoice), "Collection agency")

    def test_bad_levels_are_refused(self):
        """Invariant: a negative spacing, or a hand-over with no written level before it, is a clear error."""
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self.policy.level_ids.filtered("action_agency").spacing_days = -1
        with self.assertRaisesRegex(ValidationError, "told in writing first"):
            self.env["credit.dunning.policy"].create({"name": "Straight to court", "level_ids": [
                Command.create({"name": "Pre-due", "offset_days": -3, "action_email": True, "sequence": 1,
                                "mail_template_id": self.env.ref("credit_control.mail_template_dunning").id}),
                Command.create({"name": "Court", "offset_days": 10, "action_legal": True, "sequence": 2}),
            ]})

    # -------------------------------------------------------------------------
    # Net of credits
    # -------------------------------------------------------------------------

    def test_invoices_offset_by_open_credits_are_not_dunned(self):
        """Invariant: a customer whose open credit notes cover its invoices (net 0) gets nothing."""
        self._invoice(self.customer, 1000.0, "2026-01-01", days=30)
        self._invoice(self.customer, 500.0, "2026-01-05", days=30)
        self._invoice(self.customer, 1500.0, "2026-01-10", move_type="out_refund")
        with freeze_time("2026-03-15"):
            self.assertEqual(self.customer.credit_exposure, 0.0)
        self.assertFalse(self._run("2026-03-15"))

    def test_partly_offset_customer_is_dunned_for_the_net(self):
        """Invariant: the communication asks for the invoices less the open credits (oldest invoice first), and
        lists the credits. 1,000 + 500 invoices, a 400 credit note and a 100 payment on account: net 1,000."""
        old = self._invoice(self.customer, 1000.0, "2026-01-01", days=30)  # due 01-31, 43 days on 03-15
        self._invoice(self.customer, 500.0, "2026-01-20", days=30)  # due 02-19, 24 days
        refund = self._invoice(self.customer, 400.0, "2026-02-01", move_type="out_refund")
        on_account = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id,
            "amount": 100.0, "date": "2026-02-05"})
        on_account.action_post()
        sent = self._run("2026-03-15")
        letter = sent.filtered(lambda c: old in c.line_ids.move_id)
        call = sent - letter
        # the 500 credit (400 + 100) goes to the oldest invoice: letter 1,000 - 500 = 500, call 500 - 0 = 500
        self.assertEqual((letter.amount_due, letter.amount_credit), (500.0, 500.0))
        self.assertEqual((call.amount_due, call.amount_credit), (500.0, 0.0))
        self.assertEqual(sorted(letter.credit_ids.mapped("amount_residual")), [-400.0, -100.0])
        self.assertIn(refund, letter.credit_ids.move_id)
        body = self._body(letter)
        self.assertIn(refund.name, body)
        self.assertIn("Net amount due, after your open credits", body)
        html = self.env["ir.actions.report"]._render_qweb_html(
            "credit_control.report_dunning_letter", letter.ids)[0].decode()
        self.assertIn(refund.name, html)
        self.assertIn("Open credit", html)
        self.assertIn("500.00", html)

    def test_net_at_the_minimum_gets_the_level_below(self):
        """Invariant: a level is sent only when its net is more than its minimum (at it: not; one cent more: yes).
        An item entering dunning below a level's minimum gets the highest level under it whose minimum is met, so
        it is still chased; an item in dunning waits at its level until the next level's minimum is met.

        Formal letter (+30) minimum 500. 03-15: 700 - 200 = 500 at 43 days: the call (+15) for 500, not the
        letter; 700.01 - 200 = 500.01: the letter. 03-16: the letter still nets 500: nothing. 03-17: an invoice of
        100 due 02-10 (35 days) joins: 500 + 100 = 600 > 500, the letter for both."""
        self.policy.level_ids.filtered(lambda lv: lv.name == "Formal letter").min_amount = 500.0
        invoice = self._invoice(self.customer, 700.0, "2026-01-01", days=30)
        self._invoice(self.customer, 200.0, "2026-01-05", move_type="out_refund")
        other = self._customer("Cent Ltd", email="ap@cent.example")
        self._invoice(other, 700.01, "2026-01-01", days=30)
        self._invoice(other, 200.0, "2026-01-05", move_type="out_refund")
        sent = self._run("2026-03-15")
        mine, theirs = sent.filtered(lambda c: c.partner_id == self.customer), sent.filtered(
            lambda c: c.partner_id == other)
        self.assertEqual((mine.level_id.name, mine.amount_due), ("Reminder and call", 500.0))
        self.assertEqual((theirs.level_id.name, theirs.amount_due), ("Formal letter", 500.01))

        self.assertFalse(self._run("2026-03-16").filtered(lambda c: c.partner_id == self.customer))
        second = self._invoice(self.customer, 100.0, "2026-01-11", days=30)  # due 02-10
        sent = self._run("2026-03-17")
        self.assertEqual((sent.level_id.name, sent.amount_due), ("Formal letter", 600.0))
        self.assertEqual(sent.line_ids.move_id, invoice | second)

    def test_small_old_invoice_under_every_minimum_but_one(self):
        """Invariant: at go-live, an old invoice below the minimum of the level its age calls for is still dunned
        at the highest level it qualifies for. 200 at 50 days, letter (+30) minimum 500: the call (+15)."""
        self.policy.level_ids.filtered(lambda lv: lv.name == "Formal letter").min_amount = 500.0
        self._invoice(self.customer, 200.0, "2026-01-24", days=0)  # 50 days on 03-15
        sent = self._run("2026-03-15")
        self.assertEqual((sent.level_id.name, sent.amount_due), ("Reminder and call", 200.0))

    def test_a_communication_lists_only_the_credit_applied_to_its_invoices(self):
        """Invariant: what a communication lists adds up to what it asks: its invoices, less the part of each
        open credit applied to them (oldest credit to oldest invoice), never a credit's full amount when it
        went to another invoice; its letter's totals and ageing equal its net amount due.

        03-15: 1,000 due 01-24 (50 days), 1,000 due 02-23 (20 days), a credit note of 1,500. The credit covers
        the oldest 1,000 (net 0: no letter) and 500 of the other: the call asks 1,000 - 500 = 500 and lists the
        credit note for -500 (not -1,500)."""
        self._invoice(self.customer, 1000.0, "2026-01-24", days=0)
        recent = self._invoice(self.customer, 1000.0, "2026-02-23", days=0)
        refund = self._invoice(self.customer, 1500.0, "2026-01-05", move_type="out_refund")
        sent = self._run("2026-03-15")
        self.assertEqual(sent.level_id.name, "Reminder and call")
        self.assertEqual(sent.line_ids.move_id, recent)
        self.assertEqual((sent.amount_due, sent.amount_credit), (500.0, 500.0))
        self.assertEqual((sent.credit_ids.move_id, sent.credit_ids.amount_residual,
                          sent.credit_ids.amount_residual_company), (refund, -500.0, -500.0))
        data = sent._credit_letter_data()
        self.assertEqual([amount for _currency, amount in data["totals"]], [500.0])
        self.assertEqual([row["total"] for row in data["ageing"]], [500.0])
        self.assertNotIn("1,500.00", self._body(sent))

    def test_credits_net_in_the_customers_currency(self):
        """Invariant: credits are applied in the currency of the invoices they offset, as the letter shows them:
        an EUR credit note of 1,000 covers an EUR invoice of 1,000 whatever the rates did in between (net 0, no
        dunning), and what a communication lists adds up, per currency, to what it asks.

        EUR rate 1.0 from 01-01, 2.0 from 03-01: the invoice (01-01) is USD 1,000, the credit note (03-01) USD
        500. 03-20: nothing (the old netting in company currency asked USD 500). 03-21, with an EUR invoice of
        600 due 02-01 (48 days): both invoices get the letter (+30); the credit covers the oldest, so the letter
        lists EUR 1,000 + 600 - 1,000 = EUR 600 and asks USD 600 (600 at 1.0); the credit applied, in company
        currency at the invoice's rate, is USD 1,000; the credit note is listed for EUR -1,000 (USD -500)."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 1.0), ("2026-03-01", 2.0)])
        first = self._invoice(self.customer, 1000.0, "2026-01-01", currency=eur)
        refund = self._invoice(self.customer, 1000.0, "2026-03-01", move_type="out_refund", currency=eur)
        self.assertFalse(self._run("2026-03-20"))
        later = self._invoice(self.customer, 600.0, "2026-02-01", days=0, currency=eur)
        sent = self._run("2026-03-21")
        self.assertEqual((sent.line_ids.move_id, sent.amount_due, sent.amount_credit), (first | later, 600.0, 1000.0))
        self.assertEqual((sent.credit_ids.move_id, sent.credit_ids.amount_residual,
                          sent.credit_ids.amount_residual_company), (refund, -1000.0, -500.0))
        self.assertEqual([(currency.name, amount) for currency, amount in sent._credit_letter_data()["totals"]],
                         [("EUR", 600.0)])

    def test_a_credit_left_over_offsets_invoices_in_another_currency(self):
        """Invariant: what is left of a credit after the invoices of its own currency offsets invoices in other
        currencies at each one's rate: a customer at net zero in company currency is not dunned.

        EUR at 2.0 per USD. An EUR invoice of 1,000 (USD 500) due 01-31 and a USD payment on account of 300
        (EUR 600): 03-15 (43 days), the letter asks EUR 400 = USD 200 and lists the payment for USD -300. Another
        customer paid USD 500 on account: net 0, nothing."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        other = self._customer("Paid Up GmbH", email="ap@paidup.example")
        for partner, paid in ((self.customer, 300.0), (other, 500.0)):
            self._invoice(partner, 1000.0, "2026-01-01", currency=eur)
            payment = self.env["account.payment"].create({
                "payment_type": "inbound", "partner_type": "customer", "partner_id": partner.id, "amount": paid,
                "date": "2026-02-01"})
            payment.action_post()
        sent = self._run("2026-03-15")
        self.assertEqual(sent.partner_id, self.customer)
        self.assertEqual((sent.level_id.name, sent.amount_due, sent.amount_credit), ("Formal letter", 200.0, 300.0))
        self.assertEqual((sent.credit_ids.currency_id.name, sent.credit_ids.amount_residual,
                          sent.credit_ids.amount_residual_company), ("USD", -300.0, -300.0))

    def test_credits_go_to_overdue_items_first(self):
        """Invariant: credits offset the overdue items before those not yet due, as the customer's net overdue
        counts them: at net overdue 0 nothing is sent, even when the credit is in the currency of an invoice not
        yet due.

        EUR at 2.0 per USD. A USD invoice of 500 due 01-31, an EUR credit note of 1,000 (USD 500) and an EUR
        invoice of 1,000 due 04-09. 03-15: net overdue 500 - 500 = 0, nothing (the credit went to the EUR invoice
        not yet due, and the letter asked USD 500)."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        self._invoice(self.customer, 500.0, "2026-01-01", days=30)
        self._invoice(self.customer, 1000.0, "2026-03-01", move_type="out_refund", currency=eur)
        self._invoice(self.customer, 1000.0, "2026-03-10", days=30, currency=eur)
        with freeze_time("2026-03-15"):
            self.assertEqual(self.env["res.partner"]._credit_net_overdue_by_partner(self.customer.ids),
                             {self.customer.id: 0.0})
        self.assertFalse(self._run("2026-03-15"))

    def test_a_foreign_currency_letter_asks_its_net_in_that_currency(self):
        """Invariant: what the customer reads adds up: the net a letter or an email asks is in the currency of
        the items it lists when they are all in one (else in company currency).

        EUR at 2.0 per USD. An EUR invoice of 1,000 due 01-31 less an EUR credit note of 400: 03-15 (43 days),
        the formal letter lists EUR 1,000 and EUR -400 and asks EUR 600 (USD 300 in company currency), in English
        and in Chinese."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        self._invoice(self.customer, 1000.0, "2026-01-01", currency=eur)
        self._invoice(self.customer, 400.0, "2026-03-01", move_type="out_refund", currency=eur)
        sent = self._run("2026-03-15")
        self.assertEqual((sent.level_id.name, sent.amount_due, sent.amount_credit), ("Formal letter", 300.0, 200.0))
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "credit_control")])._update_translations(["zh_CN"])
        for lang, net in (("en_US", "Net amount due, after your open credits"),
                          ("zh_CN", "扣除未核销贷项后的应付净额")):
            self.customer.lang = lang
            letter = self.env["ir.actions.report"].with_context(lang=lang)._render_qweb_html(
                "credit_control.report_dunning_letter", sent.ids)[0].decode()
            self.assertIn(net, letter, lang)
            self.assertIn("600.00", letter, lang)
            self.assertNotIn("300.00", letter, f"{lang}: the net in company currency next to EUR items")
        self.assertIn("600.00", self._body(sent))
        self.assertNotIn("300.00", self._body(sent))

    def test_pre_due_reminder_is_not_the_written_warning(self):
        """Invariant: a hand-over waits for a written reminder from the due date on that reached the customer:
        a pre-due reminder or a failed email does not count; a letter the controller marked done does.

        Due 06-10. 06-07 the friendly reminder is sent; then the email address is gone: the call (06-25) and
        the letter (07-10) fail. 07-25 (+45): no agency. The letter is marked done (posted by hand): 07-26, 16
        days after it, the agency."""
        invoice = self._invoice(self.customer, 300.0, "2026-05-11", days=30)  # due 06-10
        self.assertEqual(self._run("2026-06-07").state, "sent")
        self.customer.email = False
        self.assertEqual(self._run("2026-06-25").state, "failed")
        letter = self._run("2026-07-10")
        self.assertEqual((letter.level_id.name, letter.state), ("Formal letter", "failed"))
        self.assertFalse(self._run("2026-07-25"))
        letter.action_done()
        self.assertEqual(self._level(self._run("2026-07-26"), invoice), "Collection agency")

    # -------------------------------------------------------------------------
    # Instalments
    # -------------------------------------------------------------------------

    def _instalments(self):
        """An invoice of 1,000 on 2026-01-01: 500 due 01-31 (30 days) and 500 due 05-01 (120 days)."""
        term = self.env["account.payment.term"].create({"name": "50/50", "line_ids": [
            Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 30}),
            Command.create({"value": "percent", "value_amount": 50.0, "nb_days": 120}),
        ]})
        invoice = self._invoice(self.customer, 1000.0, "2026-01-01")
        invoice.button_draft()
        invoice.invoice_payment_term_id = term
        invoice.action_post()
        first, second = invoice.line_ids.filtered(lambda line: line.account_type == "asset_receivable").sorted(
            "date_maturity")
        self.assertEqual((str(first.date_maturity), str(second.date_maturity), str(invoice.invoice_date_due)),
                         ("2026-01-31", "2026-05-01", "2026-05-01"))
        return invoice, first, second

    def test_each_instalment_is_dunned_on_its_own_due_date(self):
        """Invariant: dunning works per receivable line: an overdue first instalment is dunned on its own due
        date, for its own amount, while the second (the invoice's due date) is not yet due; each instalment
        climbs the levels on its own; a paid instalment leaves the customer's level.

        02-20: the first is 20 days overdue (01-31 + 20): it enters at the call (+15) for 500; the second is due
        in 70 days, before its reminder (-3). 04-28: the first gets the letter (+30, 03-02), the second its
        pre-due reminder (05-01 - 3 = 04-28)."""
        invoice, first, second = self._instalments()
        sent = self._run("2026-02-20")
        self.assertEqual(sent.level_id.name, "Reminder and call")
        self.assertEqual((sent.line_ids.move_line_id, sent.line_ids.days_overdue, sent.amount_due),
                         (first, 20, 500.0))
        self.assertEqual(str(sent.line_ids.date_due), "2026-01-31")
        self.assertIn("<span>20</span> days overdue", self._body(sent))
        self.assertEqual(str(invoice.credit_date_due), "2026-01-31", "overdue since its first instalment")

        sent = self._run("2026-04-28")
        letter = sent.filtered("action_letter")
        reminder = sent - letter
        self.assertEqual((letter.level_id.name, letter.line_ids.move_line_id, letter.amount_due),
                         ("Formal letter", first, 500.0))
        self.assertEqual((reminder.level_id.name, reminder.line_ids.move_line_id, reminder.line_ids.days_overdue),
                         ("Friendly reminder", second, -3))
        self.assertEqual(invoice.credit_dunning_level_id.name, "Formal letter", "the invoice's highest")
        self.assertEqual(self.customer.credit_dunning_level_id.name, "Formal letter")

        self._pay(invoice, 500.0, "2026-04-29")  # pays the first instalment
        self.assertTrue(first.reconciled)
        self.assertEqual(str(invoice.credit_date_due), "2026-05-01", "only the second is open")
        self.customer.invalidate_recordset(["credit_dunning_level_id"])
        self.assertEqual(self.customer.credit_dunning_level_id.name, "Friendly reminder",
                         "the paid instalment's letter no longer counts")
        self.assertEqual(self.customer._credit_dunning_stages(), {self.customer.id: 1})
        # 05-16: the second is 15 days overdue: the call, for its 500 only
        sent = self._run("2026-05-16")
        self.assertEqual((sent.level_id.name, sent.line_ids.move_line_id, sent.amount_due),
                         ("Reminder and call", second, 500.0))

    def test_instalment_credit_goes_to_the_oldest_instalment(self):
        """Invariant: open credits are applied to the oldest item first, instalments included: a 500 credit note
        covers the overdue first instalment, so nothing is dunned while the second is not yet due; on the
        second's reminder day the reminder asks for its 500."""
        self._instalments()
        self._invoice(self.customer, 500.0, "2026-01-10", move_type="out_refund")
        self.assertFalse(self._run("2026-02-20"))
        sent = self._run("2026-04-28")
        self.assertEqual((sent.level_id.name, sent.amount_due, sent.amount_credit), ("Friendly reminder", 500.0, 0.0))

    # -------------------------------------------------------------------------
    # Promises
    # -------------------------------------------------------------------------

    def test_promise_is_kept_only_by_the_customers_payments(self):
        """Invariant: an insurer's indemnity or a write-off (journal entries on the receivable) and a payment
        dated before the promise do not keep it; the customer's payment dated after it does.
        Promise of 400 recorded on 06-01: 150 paid on 05-30 (before), 400 indemnity and 100 write-off on 06-02,
        then 400 paid on 06-05."""
        invoice = self._invoice(self.customer, 2000.0, "2026-01-01", days=30)
        self._pay(invoice, 150.0, "2026-05-30")
        with freeze_time("2026-06-01"):
            promise = self.env["credit.payment.promise"].create({
                "partner_id": self.customer.id, "promise_date": "2026-06-10", "amount": 400.0,
                "promised_by": "Mr Lee"})
        self.assertEqual(str(promise.date), "2026-06-01")
        self._entry(self.customer, 400.0, "2026-06-02", invoice)
        self._entry(self.customer, 100.0, "2026-06-02", invoice)
        promise.invalidate_recordset(["paid_amount"])
        self.assertEqual(promise.paid_amount, 0.0)
        self._run("2026-06-03")
        self.assertEqual(promise.state, "open")
        self._pay(invoice, 400.0, "2026-06-05")
        promise.invalidate_recordset(["paid_amount"])
        self.assertEqual(promise.paid_amount, 400.0)
        self._run("2026-06-06")
        self.assertEqual(promise.state, "kept")

    def test_money_paid_back_or_paid_by_another_does_not_keep_a_promise(self):
        """Invariant: only the customer's own payments towards what it owes keep a promise: not a credit note
        or a payment on account that we refund to it (the customer paid nothing net), nor a payment by its
        insurer matched with its invoice.
        Promise of 400 recorded on 06-01 on an invoice of 2,000; on 06-02: a credit note of 400 refunded, a
        payment of 400 on account refunded, the insurer's payment of 400 matched with the invoice (1,600 open)."""
        invoice = self._invoice(self.customer, 2000.0, "2026-01-01", days=30)
        with freeze_time("2026-06-01"):
            promise = self.env["credit.payment.promise"].create({
                "partner_id": self.customer.id, "promise_date": "2026-06-30", "amount": 400.0,
                "promised_by": "Mr Lee"})
        refund = self._invoice(self.customer, 400.0, "2026-06-02", move_type="out_refund")
        self._pay(refund, 400.0, "2026-06-02")  # an outbound payment to the customer
        insurer = self._customer("Sinosure")
        payments = self.env["account.payment"].create([{
            "payment_type": direction, "partner_type": "customer", "partner_id": partner.id, "amount": 400.0,
            "date": "2026-06-02",
        } for direction, partner in (("inbound", self.customer), ("outbound", self.customer),
                                     ("inbound", insurer))])
        payments.action_post()

        def receivable(moves):
            return moves.line_ids.filtered(lambda line: line.account_id.account_type == "asset_receivable")

        receivable(payments[:2].move_id).reconcile()
        (receivable(payments[2].move_id) | receivable(invoice)).reconcile()
        self.assertEqual(invoice.amount_residual, 1600.0)
        promise.invalidate_recordset(["paid_amount"])
        self.assertEqual(promise.paid_amount, 0.0)
        self._run("2026-06-03")
        self.assertEqual(promise.state, "open")

    # -------------------------------------------------------------------------
    # Hand-overs
    # -------------------------------------------------------------------------

    def test_a_hand_over_the_agency_cannot_receive_fails_and_does_nothing(self):
        """Invariant: an automatic level's communication is sent only when all it does can be done: a hand-over
        to an agency without an email address is failed with the reason, and neither marks the invoice handed
        over nor holds the customer; sent again once the address is set, it does it all.
        An invoice of 1,000 due 01-01: the formal letter on 02-01 (31 days), the agency on 02-16 (46 days, 15
        days after the letter)."""
        self.agency.email = False
        invoice = self._invoice(self.customer, 1000.0, "2026-01-01", days=0)
        self._run("2026-02-01")
        handover = self._run("2026-02-16")
        self.assertEqual((handover.level_id.name, handover.state), ("Collection agency", "failed"))
        self.assertIn("Recovery Partners has no valid email address", handover.failure_reason)
        self.assertEqual((invoice.credit_collection_state, self.customer.credit_hold), (False, False))
        self.assertFalse(handover.message_ids.filtered(lambda m: m.message_type == "comment"))
        self.agency.email = "files@recovery.example"
        with freeze_time("2026-02-17"):
            handover.action_send()
        self.assertEqual((handover.state, invoice.credit_collection_state, self.customer.credit_hold),
                         ("sent", "agency", True))

    def test_a_failed_communication_out_of_date_is_not_sent_again(self):
        """Invariant: a failed communication is sent again only while it still says what is true: not once its
        invoice is partly paid (nothing is handed over, no customer is held, no file leaves), nor once a later
        level dunned its invoice (legal action never goes back to the agency).
        Two customers, an invoice of 1,000 due 01-01 each: the formal letter on 02-01, the agency (without an
        email address) fails on 02-16. One pays 400 on 02-20 and its hand-over is refused on 02-21; the other gets
        legal action on 04-02 (91 days; 60 after the letter) and its hand-over is refused on 04-03."""
        other = self._customer("Later Legal Ltd", email="ap@later.example")
        self.agency.email = False
        paid = self._invoice(self.customer, 1000.0, "2026-01-01", days=0)
        sued = self._invoice(other, 1000.0, "2026-01-01", days=0)
        self._run("2026-02-01")
        handovers = self._run("2026-02-16")
        self.assertEqual(handovers.mapped("state"), ["failed", "failed"])
        self.agency.email = "files@recovery.example"
        self._pay(paid, 400.0, "2026-02-20")
        with freeze_time("2026-02-21"), self.assertRaisesRegex(UserError, "is out of date"):
            handovers.filtered(lambda c: c.partner_id == self.customer).action_send()
        self.assertEqual((paid.credit_collection_state, self.customer.credit_hold), (False, False))
        legal = self._run("2026-04-02").filtered(lambda c: c.partner_id == other)
        self.assertEqual(legal.level_id.name, "Legal action")
        legal.filtered(lambda c: c.state == "draft").action_send()
        self.assertEqual(sued.credit_collection_state, "legal")
        with freeze_time("2026-04-03"), self.assertRaisesRegex(UserError, "is out of date"):
            handovers.filtered(lambda c: c.partner_id == other).action_send()
        self.assertEqual(handovers.mapped("state"), ["failed", "failed"])
        self.assertEqual(sued.credit_collection_state, "legal")
        self.assertFalse(handovers.message_ids.filtered(lambda m: m.message_type == "comment"))

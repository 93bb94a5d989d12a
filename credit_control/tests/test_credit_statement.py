import io
from datetime import datetime

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase, tagged
from odoo.tests.common import new_test_user

from odoo.addons.credit_control.report.credit_dunning_xlsx import collection_file_workbook, statement_workbook
from odoo.addons.credit_control.tests.common import CreditControlCommon
from odoo.addons.credit_control.tests.xlsx_checks import XlsxInjectionMixin

TODAY = "2026-06-30"
BUCKETS = ["current", "1_30", "31_60", "61_90", "over_90"]
LABELS = ["Not overdue", "1–30 days", "31–60 days", "61–90 days", "Over 90 days"]


class CreditStatementCommon(CreditControlCommon):
    """A customer, a letter-only dunning policy, a collector and the company's bank account."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._term(0)  # made here, so that the tests' rollbacks keep them
        cls._term(15)
        cls.customer = cls._customer("Hubei Valves", email="ap@hubei.example")
        cls.collector = new_test_user(cls.env, "collector", name="Zhang Wei Collector",
                                      groups="credit_control.group_credit_control_user",
                                      company_id=cls.env.company.id)
        bank = cls.env["res.bank"].create({"name": "Bank of Wuhan", "bic": "WHBKCNBJ"})
        cls.bank_account = cls.env["res.partner.bank"].create({
            "partner_id": cls.env.company.partner_id.id, "acc_number": "6222021001122334455",
            "acc_holder_name": "Test Company Ltd", "bank_id": bank.id,
        })
        cls.env.company.credit_dunning_policy_id = cls.env["credit.dunning.policy"].create({
            "name": "Letters",
            "level_ids": [Command.create({"name": "Formal letter", "sequence": 1, "offset_days": 1,
                                          "action_letter": True, "message": "Please pay the invoices below."})],
        })
        cls.usd = cls.env.company.currency_id

    def _due(self, amount, due, partner=None, currency=None):
        """An invoice of ``amount`` due on ``due`` (payment term of 0 days)."""
        return self._invoice(partner or self.customer, amount, due, days=0, currency=currency)

    def _refund(self, amount, date, partner=None):
        """A credit note of ``date``, made on that day (without a payment term, it is due the day it is made)."""
        with freeze_time(date):
            return self._invoice(partner or self.customer, amount, date, move_type="out_refund")

    def _payment_on_account(self, amount, date):
        payment = self.env["account.payment"].create({
            "payment_type": "inbound", "partner_type": "customer", "partner_id": self.customer.id,
            "amount": amount, "date": date})
        payment.action_post()
        return payment

    def _statement(self, partner=None):
        with freeze_time(TODAY):
            return (partner or self.customer)._credit_statement_data()

    def _ageing(self, data, currency=None):
        return next(row for row in data["ageing"] if row["currency"] == (currency or self.usd))

    def _letter(self):
        """The letter of the dunning run of 06-30, followed up by the collector."""
        with freeze_time(TODAY):
            while self.env["credit.dunning.communication"].sudo()._cron_run_dunning():
                pass
        letter = self.env["credit.dunning.communication"].search([("partner_id", "=", self.customer.id)])
        self.assertEqual(len(letter), 1)
        letter.user_id = self.collector
        return letter

    def _html(self, report, records):
        return self.env["ir.actions.report"]._render_qweb_html(report, records.ids)[0].decode()

    def _rows(self, raw, sheet):
        return list(openpyxl.load_workbook(io.BytesIO(raw))[sheet].iter_rows(values_only=True))

    def _row(self, rows, first):
        """The first row whose first cell is ``first``."""
        return next(row for row in rows if row[0] == first)


@tagged("post_install", "-at_install")
class TestCreditStatement(XlsxInjectionMixin, CreditStatementCommon):
    """Customer statements and dunning letters: ageing, totals, the bank account, the customer's language, and
    nothing internal in what goes to the customer."""

    # -------------------------------------------------------------------------
    # Ageing
    # -------------------------------------------------------------------------

    def test_ageing_bucket_boundaries(self):
        """Invariant: an item is in the bucket of its days overdue on the statement date: due today or later is
        not overdue, 1 to 30 days in 1-30, 31-60, 61-90, and 91 days or more over 90. Amounts are powers of
        two, so that every bucket's sum tells which items it holds."""
        self._due(1.0, TODAY)  # 0 days: not overdue
        self._invoice(self.customer, 2.0, TODAY, days=15)  # due 07-15, -15 days: not overdue
        self._due(4.0, "2026-06-29")  # 1 day: 1-30
        self._due(8.0, "2026-05-31")  # June has 30 days: 30 days: 1-30
        self._due(16.0, "2026-05-30")  # 31 days: 31-60
        self._due(32.0, "2026-05-01")  # 30 (rest of May) + 30 (June) = 60 days: 31-60
        self._due(64.0, "2026-04-30")  # 31 (May) + 30 = 61 days: 61-90
        self._due(128.0, "2026-04-01")  # 29 (rest of April) + 31 + 30 = 90 days: 61-90
        self._due(256.0, "2026-03-31")  # 91 days: over 90
        data = self._statement()
        row = self._ageing(data)
        self.assertEqual(row["amounts"], {"current": 1.0 + 2.0, "1_30": 4.0 + 8.0, "31_60": 16.0 + 32.0,
                                          "61_90": 64.0 + 128.0, "over_90": 256.0})
        self.assertEqual(row["total"], 511.0, "1 + 2 + ... + 256 = 2**9 - 1")
        self.assertEqual(dict(data["totals"]), {self.usd: 511.0})
        self.assertEqual([label for _key, label, _days in data["ageing_buckets"]], LABELS)

    def test_credits_and_payments_reduce_the_bucket_of_their_maturity(self):
        """Invariant: a credit note and a payment on account count, negative, in the bucket of their own due
        date, and reduce the total by as much: the buckets still add up to the total."""
        self._due(100.0, "2026-06-10")  # 20 days: 1-30
        self._due(200.0, "2026-05-10")  # 21 (May) + 30 = 51 days: 31-60
        refund = self._refund(30.0, "2026-05-15")  # 16 + 30 = 46: 31-60
        payment = self._payment_on_account(20.0, "2026-06-20")  # 10 days: 1-30
        data = self._statement()
        credits = [item for item in data["items"] if item["credit"]]
        self.assertEqual(sorted(item["amount"] for item in credits), [-30.0, -20.0])
        self.assertIn(refund.name, [item["name"] for item in credits])
        self.assertIn(payment.move_id.name, [item["name"] for item in credits])
        row = self._ageing(data)
        self.assertEqual(row["amounts"], {"current": 0.0, "1_30": 100.0 - 20.0, "31_60": 200.0 - 30.0,
                                          "61_90": 0.0, "over_90": 0.0})
        self.assertEqual(row["total"], 100.0 + 200.0 - 30.0 - 20.0)
        self.assertEqual(sum(row["amounts"].values()), row["total"])
        self.assertEqual(dict(data["totals"]), {self.usd: 250.0})

    def test_second_currency_is_aged_apart(self):
        """Invariant: each currency is aged in its own amounts (not converted), and its buckets add up to its own
        total; the company currency's row is not changed by a foreign invoice."""
        eur = self.setup_other_currency("EUR", rates=[("2026-01-01", 2.0)])
        self._due(100.0, "2026-03-01")  # 30 (rest of March) + 30 + 31 + 30 = 121 days: over 90
        self._due(1000.0, "2026-06-10", currency=eur)  # 20 days: 1-30, EUR 1,000 (USD 500 at 2.0)
        self._due(400.0, "2026-07-31", currency=eur)  # not yet due
        data = self._statement()
        self.assertEqual([row["currency"] for row in data["ageing"]], [eur, self.usd], "by currency name")
        self.assertEqual(self._ageing(data, eur)["amounts"],
                         {"current": 400.0, "1_30": 1000.0, "31_60": 0.0, "61_90": 0.0, "over_90": 0.0})
        self.assertEqual(self._ageing(data, eur)["total"], 1400.0)
        self.assertEqual(self._ageing(data)["amounts"],
                         {"current": 0.0, "1_30": 0.0, "31_60": 0.0, "61_90": 0.0, "over_90": 100.0})
        self.assertEqual(dict(data["totals"]), {eur: 1400.0, self.usd: 100.0})
        self.assertEqual(data["currencies"], [eur, self.usd])

    def test_letter_ages_its_items_and_its_credits(self):
        """Invariant: the letter's ageing holds the dunned invoices by their days overdue on the letter's date and
        the open credits (which have no due date there) as not overdue: it adds up to the letter's net."""
        self._due(100.0, "2026-06-01")  # 29 days: 1-30
        self._due(50.0, "2026-03-01")  # 121 days: over 90
        self._refund(30.0, "2026-06-15")
        letter = self._letter()
        data = letter._credit_letter_data()
        row = self._ageing(data)
        self.assertEqual(row["amounts"], {"current": -30.0, "1_30": 100.0, "31_60": 0.0, "61_90": 0.0,
                                          "over_90": 50.0})
        self.assertEqual(row["total"], letter.amount_due, "150 - 30 = 120")
        self.assertEqual(data["date"], letter.date)

    def test_no_bank_account_no_payment_block(self):
        """Invariant: a company without a bank account shows no payment block at all, not even empty labels."""
        self.bank_account.action_archive()
        self._due(100.0, "2026-06-01")
        data = self._statement()
        self.assertFalse(data["bank"])
        letter = self._letter()
        for html in (self._html("credit_control.report_customer_statement", self.customer),
                     self._html("credit_control.report_dunning_letter", letter)):
            self.assertIn("Ageing", html)
            for text in ("o_credit_payment", "Account Number", "Account Holder", "BIC", "Please quote"):
                self.assertNotIn(text, html)
        with freeze_time(TODAY):
            raw = statement_workbook(self.customer, self.env.company)
        cells = [cell for row in self._rows(raw, "Statement") for cell in row if cell is not None]
        self.assertNotIn("Payment", cells)
        self.assertNotIn("Account Number", cells)

    def test_statement_in_chinese(self):
        """Invariant: a Chinese customer reads its statement, PDF and XLSX, in Chinese: header, ageing and
        payment block included."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search([("name", "=", "credit_control")])._update_translations(["zh_CN"])
        self.customer.lang = "zh_CN"
        self._due(100.0, "2026-06-01")
        self._due(50.0, "2026-03-01")
        with freeze_time(TODAY):
            html = self._html("credit_control.report_customer_statement", self.customer)
            raw = statement_workbook(self.customer, self.env.company)
        for text in ["未结项目对账单", "客户：", "币别：", "账龄", "未逾期", "1–30 天", "90 天以上", "账户名称：",
                     "银行账号：", "付款时请注明发票号码。"]:
            self.assertIn(text, html)
        for text in ["Ageing", "Not overdue", "Over 90 days", "Account Number", "Please quote"]:
            self.assertNotIn(text, html)
        self.assertEqual(openpyxl.load_workbook(io.BytesIO(raw)).sheetnames, ["对账单", "未结项目"])
        cells = [cell for row in self._rows(raw, "对账单") for cell in row if isinstance(cell, str)]
        for text in ["未结项目对账单", "对账日期", "账龄", "未逾期", "90 天以上", "银行账号", "付款时请注明发票号码。"]:
            self.assertIn(text, cells)

    def test_statement_email_is_from_the_current_company(self):
        """Invariant: a statement emailed while working in another company than one's default names that
        company, in the subject and the signature, never the default one."""
        branch = self.env["res.company"].create({"name": "Wuhan Branch Ltd"})
        # posting on customers takes the right to edit them
        sender = new_test_user(self.env, "branch_sender", name="Li Na",
                               groups="credit_control.group_credit_control_user,base.group_partner_manager",
                               company_id=self.env.company.id,
                               company_ids=[Command.set((self.env.company | branch).ids)])
        self.assertNotEqual(sender.company_id, branch)
        with freeze_time(TODAY):
            self.env["credit.statement.wizard"].with_user(sender).with_company(branch).create(
                {"partner_ids": [Command.set(self.customer.ids)]}).action_send_email()
        email = self.customer.message_ids[0]
        self.assertEqual(email.subject, "Wuhan Branch Ltd: statement of open items")
        self.assertIn("Li Na<br>Wuhan Branch Ltd", email.body)
        self.assertNotIn(self.env.company.name, email.subject + email.body)

    # -------------------------------------------------------------------------
    # XLSX
    # -------------------------------------------------------------------------

    def test_statement_workbook(self):
        """Invariant: the customer's workbook has the header (company, customer, date, currency), the open items
        with the credits, the totals and the ageing per currency and the bank account; it has no dunning history
        and no staff name; a customer's name that looks like a formula stays text."""
        hostile = self._customer('=HYPERLINK("x")')
        self.customer = hostile
        self._due(100.0, "2026-06-10", partner=hostile)  # 20 days: 1-30
        self._due(50.0, "2026-03-01", partner=hostile)  # 121 days: over 90
        self._refund(30.0, "2026-06-30", partner=hostile)  # due today: not overdue
        self._letter()
        with freeze_time(TODAY):
            raw = statement_workbook(hostile, self.env.company)
        self.assertEqual(openpyxl.load_workbook(io.BytesIO(raw)).sheetnames, ["Statement", "Open Items"])
        text = self.assertXlsxInert(raw, [hostile.name])
        self.assertNotIn(self.collector.name, " ".join(text), "no staff name goes to the customer")
        self.assertNotIn("Responsible", text)

        rows = self._rows(raw, "Statement")
        self.assertEqual(rows[0][0], "Statement of Open Items")
        self.assertEqual(self._row(rows, "Company")[1], self.env.company.name)
        self.assertEqual(self._row(rows, "Customer")[1], f"'{hostile.name}")
        self.assertEqual(self._row(rows, "Statement Date")[1], datetime(2026, 6, 30))
        self.assertEqual(self._row(rows, "Currency")[:2], ("Currency", "USD"))
        header = rows.index(("Currency", "Total Open Amount") + (None,) * 5)
        self.assertEqual(rows[header + 1][:2], ("USD", 100.0 + 50.0 - 30.0))
        ageing = rows.index(("Currency", *LABELS, "Total Open Amount"))
        self.assertEqual(rows[ageing + 1], ("USD", -30.0, 100.0, 0.0, 0.0, 50.0, 120.0))
        self.assertEqual(self._row(rows, "Account Holder")[1], "Test Company Ltd")
        self.assertEqual(self._row(rows, "Bank")[1], "Bank of Wuhan")
        self.assertEqual(self._row(rows, "Account Number")[1], "6222021001122334455")
        self.assertEqual(self._row(rows, "BIC")[1], "WHBKCNBJ")
        self.assertTrue(self._row(rows, "Please quote the invoice numbers with your payment."))

        amounts = [row[7] for row in self._rows(raw, "Open Items")[1:]]
        self.assertEqual(sorted(amounts), [-30.0, 50.0, 100.0], "open amounts, the credit note's included")

    def test_collection_file_has_the_history_without_staff_names(self):
        """Invariant: the agency's collection file is the statement plus the dunning history, and names none of
        the staff who dunned (no Responsible column)."""
        invoice = self._due(100.0, "2026-06-01")
        self._letter()
        with freeze_time(TODAY):
            raw = collection_file_workbook(self.customer, self.env.company)
        self.assertEqual(openpyxl.load_workbook(io.BytesIO(raw)).sheetnames,
                         ["Statement", "Open Items", "Dunning History"])
        history = self._rows(raw, "Dunning History")
        self.assertNotIn("Responsible", history[0])
        self.assertEqual(len(history), 2, "the header and the letter's line")
        self.assertEqual(history[1][:3], (datetime(2026, 6, 30), "Formal letter", invoice.name))
        text = self.assertXlsxInert(raw, [])
        self.assertNotIn(self.collector.name, " ".join(text))


@tagged("post_install", "-at_install")
class TestCreditStatementPdf(CreditStatementCommon, HttpCase):
    """The PDF statement and letter. An HttpCase: wkhtmltopdf fetches the report's assets from the server, which
    must see this test's transaction (where the asset bundles are made)."""

    def _pdf(self, report, records):
        return self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
            report, records.ids)[0]

    def test_statement_pdf(self):
        """Invariant: the statement renders as a PDF, and shows the customer, the currency, the items with the
        credits, the totals, the ageing and the company's bank account with the request to quote the invoices."""
        invoice = self._due(100.0, "2026-06-10")
        refund = self._refund(30.0, "2026-05-15")
        self.assertTrue(self._pdf("credit_control.report_customer_statement", self.customer).startswith(b"%PDF"))
        with freeze_time(TODAY):
            html = self._html("credit_control.report_customer_statement", self.customer)
        for text in [self.customer.name, invoice.name, refund.name, "Open credit", "Currency: USD", "Ageing",
                     *LABELS, "Total <span>USD</span>", "6222021001122334455", "Test Company Ltd", "Bank of Wuhan",
                     "WHBKCNBJ", "Please quote the invoice numbers with your payment."]:
            self.assertIn(text, html)

    def test_letter_pdf(self):
        """Invariant: the dunning letter renders as a PDF, keeps its texts, and adds the ageing and the bank
        account; the only staff name on it is the signature's."""
        invoice = self._due(100.0, "2026-06-01")
        letter = self._letter()
        self.assertTrue(self._pdf("credit_control.report_dunning_letter", letter).startswith(b"%PDF"))
        html = self._html("credit_control.report_dunning_letter", letter)
        for text in [invoice.name, "Please pay the invoices below.", "If you have already paid, please ignore",
                     "Kind regards", "Ageing", *LABELS, "6222021001122334455", "Please quote the invoice numbers",
                     "Currency: USD", f"Customer: <span>{self.customer.name}</span>"]:
            self.assertIn(text, html)
        self.assertEqual(html.count(self.collector.name), 1, "the signature")

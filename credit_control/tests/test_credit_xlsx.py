import io

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.credit_control.report.xlsx import build_xlsx
from odoo.addons.credit_control.tests.common import CreditControlCommon
from odoo.addons.credit_control.tests.xlsx_checks import HOSTILE_NAMES, XlsxInjectionMixin


@tagged("post_install", "-at_install")
class TestCreditXlsx(XlsxInjectionMixin, CreditControlCommon):
    """No text from the database becomes a formula in any credit_control export, and numbers stay numbers.

    The exports of credit_control, all written by ``report/xlsx.py``:
    - credit profiles (Customers list, *Export XLSX*): customer names;
    - credit overrides: customer names, justifications;
    - dunning activity: customer names, level names;
    - customer statement (statement wizard): invoice references, level names;
    - the collection file sent to an agency (same workbook as the statement);
    - cash-flow monitor, KPIs and forecast sheets: company name.
    The insurance exports are checked in credit_control_insurance's ``test_credit_insurance_xlsx``.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency = cls.env["res.partner"].create({"name": "Recovery Partners", "email": "files@recovery.example"})
        cls.level_name = HOSTILE_NAMES[0]
        cls.env.company.credit_dunning_policy_id = cls.env["credit.dunning.policy"].create({
            "name": "Hostile",
            "level_ids": [Command.create({
                "name": "Notice", "sequence": 1, "offset_days": 0, "action_letter": True, "message": "Please pay.",
            }), Command.create({
                "name": cls.level_name, "sequence": 2, "offset_days": 1, "spacing_days": 0, "action_letter": True,
                "action_agency": True, "agency_partner_id": cls.agency.id, "message": "Please pay.",
            })],
        })
        cls.customers = cls.env["res.partner"].concat(*(cls._customer(name) for name in HOSTILE_NAMES))
        cls.invoices = cls.env["account.move"].concat(*(
            cls._invoice(customer, 100.0, "2026-01-01", days=30) for customer in cls.customers))  # due 01-31
        cls.invoices[0].ref = HOSTILE_NAMES[1]

    def _download(self, action):
        return self.env["ir.attachment"].browse(int(action["url"].split("/")[3].split("?")[0])).raw

    def _dun(self):
        """The notice on 02-01 (printed that day), the hand-over to the agency on 02-02."""
        notices = self._run("2026-02-01")
        with freeze_time("2026-02-01"):
            self._print_letters(notices)
        return notices | self._run("2026-02-02")

    def test_writer_keeps_text_as_text_and_numbers_as_numbers(self):
        """Formula-like text (leading tab and carriage return included), links and numeric-looking text are
        written as text; a negative amount is still a number."""
        values = ["=1+1", "\t=1+1", "\r=1+1", "-5", "http://evil.example", "1e3", "Acme", -1500.25, 0, False]
        raw = build_xlsx(values, "=Sheet", [("=Title", 10, lambda value: value, "money")])
        self.assertXlsxInert(raw, ["=Title", "=1+1", "\t=1+1", "-5"])
        sheet = openpyxl.load_workbook(io.BytesIO(raw)).active
        self.assertTrue(sheet["A4"].value.startswith("'"), "openpyxl reads the carriage return as _x000D_")
        self.assertEqual([sheet.cell(row, 1).value for row in range(6, 12)],
                         ["http://evil.example", "1e3", "Acme", -1500.25, 0, None])
        self.assertEqual(sheet["A9"].data_type, "n")

    def test_credit_profiles(self):
        raw = self._download(self.customers.action_export_credit_profiles_xlsx())
        self.assertXlsxInert(raw, HOSTILE_NAMES)

    def test_overrides(self):
        overrides = self.env["credit.override"].create([{
            "partner_id": invoice.partner_id.id, "move_ids": [Command.set(invoice.ids)], "reason_code": "limit",
            "reason": HOSTILE_NAMES[3],
        } for invoice in self.invoices])
        self.assertXlsxInert(self._download(overrides.action_export_xlsx()), HOSTILE_NAMES)

    def test_dunning_activity(self):
        communications = self._dun()
        self.assertEqual(len(communications), 8, "4 customers, 2 levels")
        self.assertXlsxInert(self._download(communications.action_export_xlsx()), HOSTILE_NAMES)

    def test_statement_and_collection_file(self):
        """The statement and the agency's collection file: hostile reference and level; a credit note's
        negative amount stays a number (-30 = the credit note of 30)."""
        self._invoice(self.customers[0], 30.0, "2026-01-10", move_type="out_refund")
        communication = self._dun().filtered(lambda c: c.partner_id == self.customers[0] and c.action_agency)
        collection_file = self.env["ir.attachment"].search([
            ("res_model", "=", communication._name), ("res_id", "=", communication.id)])
        wizard = self.env["credit.statement.wizard"].create({"partner_ids": [Command.set(self.customers[0].ids)]})
        with freeze_time("2026-02-01"):
            statement = self._download(wizard.action_download_xlsx())
        for raw in (statement, collection_file.raw):
            self.assertXlsxInert(raw, [HOSTILE_NAMES[1], self.level_name])
            amounts = [row[6] for row in openpyxl.load_workbook(io.BytesIO(raw))["Open Items"].iter_rows(
                min_row=2, values_only=True)]
            self.assertEqual(sorted(amounts), [-30.0, 100.0])

    def test_cash_monitor(self):
        self.env.company.name = HOSTILE_NAMES[2]
        with freeze_time("2026-02-01"):
            self.env["credit.cash.kpi"]._credit_refresh()
        raw = self._download(self.env["credit.cash.kpi"].action_export_xlsx())
        text = self.assertXlsxInert(raw, [HOSTILE_NAMES[2]])
        self.assertEqual(text.count(f"'{HOSTILE_NAMES[2]}"), 1 + 13, "the KPI row and the 13 weeks")

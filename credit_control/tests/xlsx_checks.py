"""Checks shared by the tests that send hostile text through the XLSX exports."""

import io
import re
import zipfile

import openpyxl

from odoo.addons.credit_control.report.xlsx import FORMULA_PREFIXES

# Customer names that a spreadsheet would run as formulas: a link, a DDE command, a function, arithmetic.
HOSTILE_NAMES = ['=HYPERLINK("http://evil","x")', "+1+cmd|' /C calc'!A0", "@SUM(1)", "-2+3"]


class XlsxInjectionMixin:
    """``assertXlsxInert`` for test cases."""

    def assertXlsxInert(self, raw, texts):
        """The workbook ``raw`` holds no formula, link or external reference, and every one of ``texts`` is in a
        cell of its own, readable, with the apostrophe that keeps it text; the text cells are returned."""
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = archive.namelist()
            sheets = [name for name in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", name)]
            self.assertTrue(sheets)
            for name in sheets:
                xml = archive.read(name).decode()
                self.assertIsNone(re.search(r"<f[\s>/]", xml), f"a formula in {name}")
                self.assertNotIn("<hyperlink", xml, f"a link in {name}")
            self.assertFalse([name for name in names if "externalLink" in name or "/connections" in name])
        workbook = openpyxl.load_workbook(io.BytesIO(raw))
        cells = [cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None]
        self.assertFalse([cell.coordinate for cell in cells if cell.data_type == "f"])
        text = [cell.value for cell in cells if isinstance(cell.value, str)]
        self.assertFalse([value for value in text if value.startswith(FORMULA_PREFIXES)],
                         "text starting like a formula")
        for hostile in texts:
            self.assertIn(f"'{hostile}", text, "shown as typed after the apostrophe")
        return text

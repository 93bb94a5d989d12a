"""Spreadsheet exports: records in, bytes out (xlsxwriter).

Every XLSX of credit_control and credit_control_insurance is written here. The files go to customers, agencies
and insurers, so no text from the database may become a formula, a link or a number in them.
"""

import io
from collections import namedtuple

import xlsxwriter

# What a spreadsheet reads as the start of a formula (OWASP "CSV injection"), leading tab and carriage return too.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

WORKBOOK_OPTIONS = {
    "in_memory": True,
    "remove_timezone": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def safe_text(text):
    """``text`` with a leading apostrophe when it starts like a formula.

    A text cell is not evaluated when the file is opened, but Excel parses it again when someone edits the cell,
    and so does any spreadsheet that opens a CSV saved from the file. The apostrophe keeps it text in both cases,
    as OWASP recommends. It stays visible: xlsxwriter 3.0.2 (Odoo 18's) cannot write Excel's hidden
    ``quotePrefix`` style.
    """
    return f"'{text}" if text.startswith(FORMULA_PREFIXES) else text


def write_cell(sheet, row, col, value, cell_format=None):
    """Write ``value``: text always as text (made safe), numbers as numbers, False and None as a blank."""
    if value is False or value is None:
        sheet.write_blank(row, col, None, cell_format)
    elif isinstance(value, str):
        sheet.write_string(row, col, safe_text(value), cell_format)
    else:
        sheet.write(row, col, value, cell_format)


def build_xlsx(records, sheet_title, columns):
    """One header row, then one row per record.

    :param columns: list of (title, width, getter(record) -> value, format) where format is
        None, "money", "percent", "date", "datetime" or "wrap"
    :return: the workbook as bytes
    """
    return build_xlsx_sheets([(sheet_title, records, columns)])


class BlockSheet(namedtuple("BlockSheet", "title rows widths")):
    """A sheet written row by row, for a header block, totals and the like, rather than a list of records.

    ``rows``: lists of cells, an empty list for a blank row; a cell is a value, or (value, format) where format is
    one of ``build_xlsx``'s, "title", "label" (bold), "header" or "total" (bold money). ``widths``: of the columns.
    """

    __slots__ = ()


def build_xlsx_sheets(sheets):
    """A workbook with one sheet per (title, records, columns), laid out as in ``build_xlsx``, or per
    ``BlockSheet``. Every cell of either kind is written by ``write_cell`` (dates by ``write_datetime``)."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, WORKBOOK_OPTIONS)
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "wrap": workbook.add_format({"text_wrap": True}),
        "title": workbook.add_format({"bold": True, "font_size": 14}),
        "label": workbook.add_format({"bold": True}),
        "total": workbook.add_format({"bold": True, "num_format": "#,##0.00", "top": 1}),
    }
    for entry in sheets:
        if isinstance(entry, BlockSheet):
            _write_block_sheet(workbook.add_worksheet(entry.title[:31]), entry, formats)
            continue
        sheet_title, records, columns = entry
        sheet = workbook.add_worksheet(sheet_title[:31])
        for col, (title, width, _getter, fmt) in enumerate(columns):
            write_cell(sheet, 0, col, title, formats["header"])
            sheet.set_column(col, col, width, formats.get(fmt))
        sheet.freeze_panes(1, 1)
        for row, record in enumerate(records, start=1):
            for col, (_title, _width, getter, fmt) in enumerate(columns):
                value = getter(record)
                if fmt in ("date", "datetime") and value:
                    sheet.write_datetime(row, col, value, formats[fmt])
                else:
                    write_cell(sheet, row, col, value, formats.get(fmt))
        sheet.autofilter(0, 0, max(len(records), 1), len(columns) - 1)
    workbook.close()
    return output.getvalue()


def _write_block_sheet(sheet, block, formats):
    for col, width in enumerate(block.widths):
        sheet.set_column(col, col, width)
    for row, cells in enumerate(block.rows):
        for col, cell in enumerate(cells):
            value, fmt = cell if isinstance(cell, tuple) else (cell, None)
            if fmt in ("date", "datetime") and value:
                sheet.write_datetime(row, col, value, formats[fmt])
            else:
                write_cell(sheet, row, col, value, formats.get(fmt))


def xlsx_download_action(records, sheet_title, columns, filename):
    """Store the workbook as an attachment and return the action that downloads it."""
    attachment = records.env["ir.attachment"].create({
        "name": filename,
        "raw": build_xlsx(records, sheet_title, columns),
        "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    })
    return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

"""Spreadsheet exports: records in, bytes out (xlsxwriter)."""

import io

import xlsxwriter


def build_xlsx(records, sheet_title, columns):
    """One header row, then one row per record.

    :param columns: list of (title, width, getter(record) -> value, format) where format is
        None, "money", "percent", "date", "datetime" or "wrap"
    :return: the workbook as bytes
    """
    return build_xlsx_sheets([(sheet_title, records, columns)])


def build_xlsx_sheets(sheets):
    """A workbook with one sheet per (title, records, columns), laid out as in ``build_xlsx``."""
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True, "remove_timezone": True})
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "wrap": workbook.add_format({"text_wrap": True}),
    }
    for sheet_title, records, columns in sheets:
        sheet = workbook.add_worksheet(sheet_title[:31])
        for col, (title, width, _getter, fmt) in enumerate(columns):
            sheet.write(0, col, title, formats["header"])
            sheet.set_column(col, col, width, formats.get(fmt))
        sheet.freeze_panes(1, 1)
        for row, record in enumerate(records, start=1):
            for col, (_title, _width, getter, fmt) in enumerate(columns):
                value = getter(record)
                if fmt in ("date", "datetime") and value:
                    sheet.write_datetime(row, col, value, formats[fmt])
                else:
                    sheet.write(row, col, value if value is not False else "", formats.get(fmt))
        sheet.autofilter(0, 0, max(len(records), 1), len(columns) - 1)
    workbook.close()
    return output.getvalue()


def xlsx_download_action(records, sheet_title, columns, filename):
    """Store the workbook as an attachment and return the action that downloads it."""
    attachment = records.env["ir.attachment"].create({
        "name": filename,
        "raw": build_xlsx(records, sheet_title, columns),
        "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    })
    return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

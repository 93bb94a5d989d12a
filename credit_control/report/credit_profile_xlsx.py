"""XLSX export of credit profiles: records in, bytes out."""

import io

import xlsxwriter


def credit_profile_xlsx(partners):
    """Return an XLSX workbook (bytes) with one row per partner's credit profile in the current company."""
    env = partners.env
    grades = dict(partners._fields["credit_grade"]._description_selection(env))
    columns = [
        (env._("Customer"), 32, lambda p: p.display_name, None),
        (env._("Tier"), 14, lambda p: p.credit_tier_id.name or "", None),
        (env._("Grade"), 8, lambda p: grades.get(p.credit_grade, ""), None),
        (env._("Score"), 8, lambda p: p.credit_score, None),
        (env._("Credit Limit"), 16, lambda p: p.credit_limit, "money"),
        (env._("Suggested Limit"), 16, lambda p: p.credit_suggested_limit, "money"),
        (env._("Exposure"), 16, lambda p: p.credit_exposure, "money"),
        (env._("Overdue"), 16, lambda p: p.credit_overdue_amount, "money"),
        (env._("Utilisation (%)"), 14, lambda p: p.credit_utilization / 100.0, "percent"),
        (env._("Credit Hold"), 10, lambda p: env._("Yes") if p.credit_hold else "", None),
        (env._("Hold Reason"), 24, lambda p: p.credit_hold_reason or "", None),
        (env._("Next Review"), 12, lambda p: p.credit_review_date or "", "date"),
        (env._("Credit File"), 30, lambda p: p.credit_file_issues or env._("Complete"), None),
        (env._("Rating Explanation"), 60, lambda p: p.credit_rating_explanation or "", "wrap"),
    ]
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True}),
        "money": workbook.add_format({"num_format": "#,##0.00"}),
        "percent": workbook.add_format({"num_format": "0.0%"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "wrap": workbook.add_format({"text_wrap": True}),
    }
    sheet = workbook.add_worksheet(env._("Credit Profiles")[:31])
    for col, (title, width, _getter, fmt) in enumerate(columns):
        sheet.write(0, col, title, formats["header"])
        sheet.set_column(col, col, width, formats.get(fmt))
    sheet.freeze_panes(1, 1)
    for row, partner in enumerate(partners, start=1):
        for col, (_title, _width, getter, fmt) in enumerate(columns):
            value = getter(partner)
            if fmt == "date" and value:
                sheet.write_datetime(row, col, value, formats["date"])
            else:
                sheet.write(row, col, value, formats.get(fmt))
    sheet.autofilter(0, 0, max(len(partners), 1), len(columns) - 1)
    workbook.close()
    return output.getvalue()

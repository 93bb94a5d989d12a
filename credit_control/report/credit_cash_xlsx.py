"""Cash-flow monitor export: the KPIs of each month and the 13-week forecast."""

from .xlsx import build_xlsx_sheets


def kpi_columns(env):
    statuses = dict(env["credit.cash.kpi"]._fields["dso_status"]._description_selection(env))

    def status(field):
        return lambda kpi: statuses.get(kpi[field], "")

    return [
        (env._("Period"), 10, lambda kpi: kpi.period, None),
        (env._("Company"), 20, lambda kpi: kpi.company_id.name, None),
        (env._("As Of"), 12, lambda kpi: kpi.date, "date"),
        (env._("DSO (days)"), 10, lambda kpi: kpi.dso, None),
        (env._("DSO Target"), 10, lambda kpi: kpi.dso_target, None),
        (env._("DSO Status"), 10, status("dso_status"), None),
        (env._("Overdue (%)"), 10, lambda kpi: kpi.overdue_pct / 100.0, "percent"),
        (env._("Overdue Target"), 10, lambda kpi: kpi.overdue_target / 100.0, "percent"),
        (env._("Overdue Status"), 10, status("overdue_status"), None),
        (env._("Top-5 Concentration"), 12, lambda kpi: kpi.top5_pct / 100.0, "percent"),
        (env._("Top-5 Target"), 10, lambda kpi: kpi.top5_target / 100.0, "percent"),
        (env._("Top-5 Status"), 10, status("top5_status"), None),
        (env._("Cash Reserve (months)"), 12, lambda kpi: kpi.reserve_months, None),
        (env._("Cash Reserve Target"), 10, lambda kpi: kpi.reserve_target, None),
        (env._("Cash Reserve Status"), 10, status("reserve_status"), None),
        (env._("OCF / Net Profit"), 10, lambda kpi: kpi.ocf_ratio, None),
        (env._("OCF / Net Profit Target"), 10, lambda kpi: kpi.ocf_target, None),
        (env._("OCF Status"), 10, status("ocf_status"), None),
        (env._("Cash Gap"), 14, lambda kpi: kpi.gap_amount, "money"),
        (env._("Cash Gap (%)"), 10, lambda kpi: kpi.gap_pct / 100.0, "percent"),
        (env._("Recommended Action"), 40, lambda kpi: kpi.contingency_id.recommended_action or "", "wrap"),
        (env._("Red KPIs"), 8, lambda kpi: kpi.red_count, None),
    ]


def forecast_columns(env):
    return [
        (env._("Week"), 8, lambda week: week.week, None),
        (env._("Company"), 20, lambda week: week.company_id.name, None),
        (env._("From"), 12, lambda week: week.date_from, "date"),
        (env._("To"), 12, lambda week: week.date_to, "date"),
        (env._("Opening Cash"), 16, lambda week: week.opening, "money"),
        (env._("Expected Receipts"), 16, lambda week: week.receipts, "money"),
        (env._("Expected Payments"), 16, lambda week: week.payments, "money"),
        (env._("Closing Cash"), 16, lambda week: week.closing, "money"),
        (env._("Minimum Cash Reserve"), 16, lambda week: week.reserve, "money"),
        (env._("Shortfall"), 16, lambda week: week.shortfall, "money"),
    ]


def cash_monitor_workbook(env, kpis, forecast):
    """The workbook as bytes: a "KPIs" sheet (one row per month) and a "Forecast" sheet (one row per week)."""
    return build_xlsx_sheets([
        (env._("KPIs"), kpis.sorted(lambda kpi: (kpi.company_id.id, kpi.date_from)), kpi_columns(env)),
        (env._("Forecast"), forecast.sorted(lambda week: (week.company_id.id, week.week)), forecast_columns(env)),
    ])

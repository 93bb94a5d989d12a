from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from ..report.credit_cash_xlsx import cash_monitor_workbook

STATUSES = [("green", "On Target"), ("red", "Off Target"), ("na", "N/A")]

# KPI field -> (prefix of its _target and _status fields, company warning signal, higher is better)
KPIS = {
    "dso": ("dso", "dso", False),
    "overdue_pct": ("overdue", "overdue", False),
    "top5_pct": ("top5", "concentration", False),
    "reserve_months": ("reserve", "reserve", True),
    "ocf_ratio": ("ocf", "ocf_ratio", True),
}
PROFIT_TYPES = ("income", "income_other", "expense", "expense_depreciation", "expense_direct_cost")
EXPENSE_TYPES = ("expense", "expense_depreciation", "expense_direct_cost")


class CreditCashKpi(models.Model):
    """The company's cash-flow KPIs of one month, computed from the books as of one day."""

    _name = "credit.cash.kpi"
    _description = "Cash-Flow KPIs"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_from desc, company_id"
    _rec_name = "period"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period = fields.Char(required=True, readonly=True, help="The month, e.g. 2026-03.")
    date_from = fields.Date(string="Month", required=True, readonly=True)
    date_to = fields.Date(string="Month End", required=True, readonly=True)
    date = fields.Date(string="As Of", required=True, readonly=True,
                       help="The day the books were read: the last computation of the month.")

    # Figures from the books
    receivables = fields.Monetary(readonly=True, aggregator=None,
                                  help="Balance of the receivable accounts on the day.")
    overdue_amount = fields.Monetary(string="Overdue Receivables", readonly=True, aggregator=None)
    top5_amount = fields.Monetary(string="Five Largest Customers", readonly=True, aggregator=None,
                                  help="Receivables of the five customers who owe the most.")
    sales = fields.Monetary(string="Sales (12 Months)", readonly=True, aggregator=None,
                            help="Customer invoices net of credit notes, taxes included, of the year to the day.")
    cash_balance = fields.Monetary(string="Cash and Bank", readonly=True, aggregator=None)
    monthly_fixed_costs = fields.Monetary(readonly=True, aggregator=None,
                                          help="Fixed-cost expenses of the three months to the day, divided by 3.")
    net_profit = fields.Monetary(string="Net Profit (12 Months)", readonly=True, aggregator=None)
    depreciation = fields.Monetary(string="Depreciation (12 Months)", readonly=True, aggregator=None)
    receivable_increase = fields.Monetary(string="Increase of Receivables", readonly=True, aggregator=None)
    payable_increase = fields.Monetary(string="Increase of Payables", readonly=True, aggregator=None)
    operating_cash_flow = fields.Monetary(string="Operating Cash Flow (12 Months)", readonly=True, aggregator=None)

    # The KPIs
    dso = fields.Float(string="DSO (days)", digits=(16, 1), readonly=True, aggregator="avg")
    dso_target = fields.Float(string="DSO Target", digits=(16, 1), readonly=True, aggregator="avg")
    dso_status = fields.Selection(STATUSES, string="DSO Status", readonly=True)
    overdue_pct = fields.Float(string="Overdue (%)", digits=(16, 1), readonly=True, aggregator="avg")
    overdue_target = fields.Float(string="Overdue Target (%)", digits=(16, 1), readonly=True, aggregator="avg")
    overdue_status = fields.Selection(STATUSES, readonly=True)
    top5_pct = fields.Float(string="Top-5 Concentration (%)", digits=(16, 1), readonly=True, aggregator="avg")
    top5_target = fields.Float(string="Top-5 Target (%)", digits=(16, 1), readonly=True, aggregator="avg")
    top5_status = fields.Selection(STATUSES, string="Top-5 Status", readonly=True)
    reserve_months = fields.Float(string="Cash Reserve (months)", digits=(16, 2), readonly=True, aggregator="avg")
    reserve_target = fields.Float(string="Cash Reserve Target", digits=(16, 2), readonly=True, aggregator="avg")
    reserve_status = fields.Selection(STATUSES, string="Cash Reserve Status", readonly=True)
    ocf_ratio = fields.Float(string="OCF / Net Profit", digits=(16, 2), readonly=True, aggregator="avg")
    ocf_target = fields.Float(string="OCF / Net Profit Target", digits=(16, 2), readonly=True, aggregator="avg")
    ocf_status = fields.Selection(STATUSES, string="OCF Status", readonly=True)

    # The forecast
    cash_reserve = fields.Monetary(string="Minimum Cash Reserve", readonly=True, aggregator=None)
    lowest_closing = fields.Monetary(string="Lowest Forecast Cash", readonly=True, aggregator=None)
    gap_amount = fields.Monetary(string="Cash Gap", readonly=True, aggregator="max",
                                 help="How far the lowest closing cash of the 13-week forecast falls below the "
                                      "minimum cash reserve.")
    gap_pct = fields.Float(string="Cash Gap (%)", digits=(16, 1), readonly=True, aggregator="max")
    gap_status = fields.Selection(STATUSES, string="Cash Gap Status", readonly=True)
    contingency_id = fields.Many2one("credit.cash.contingency", string="Contingency Tier", readonly=True,
                                     ondelete="set null", check_company=True)
    recommended_action = fields.Char(related="contingency_id.recommended_action")
    forecast_ids = fields.One2many("credit.cash.forecast", "kpi_id")

    red_count = fields.Integer(string="Red KPIs", readonly=True, aggregator="max")
    alert_date = fields.Date(readonly=True, copy=False,
                             help="When the credit managers were asked to start the contingency plan.")

    _sql_constraints = [
        ("company_month_uniq", "unique(company_id, date_from)", "A company has one KPI record per month."),
    ]

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_refresh(self):
        """Compute now: the selected months again (up to their last day), or the current month."""
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a Credit Control Manager can compute the cash-flow KPIs."))
        today = fields.Date.context_today(self)
        if not self:
            self._credit_refresh(today)
        for kpi in self:
            kpi.with_company(kpi.company_id)._credit_refresh(min(kpi.date_to, today))
        return True

    def action_open_forecast(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Cash-Flow Forecast %(period)s", period=self.period),
            "res_model": "credit.cash.forecast",
            "view_mode": "list,graph",
            "domain": [("kpi_id", "=", self.id)],
        }

    def action_export_xlsx(self):
        """KPIs of the selected months (all visible ones when none is selected) and the current forecast."""
        kpis = self or self.search([])
        forecast = self.env["credit.cash.forecast"].search([("company_id", "in", kpis.company_id.ids)])
        attachment = self.env["ir.attachment"].create({
            "name": self.env._("cash_flow_monitor.xlsx"),
            "raw": cash_monitor_workbook(self.env, kpis, forecast),
            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        })
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _credit_refresh(self, date=None):
        """Compute the current company's KPI record of the month of ``date`` (default today) as of that day,
        creating or updating it, and its 13-week forecast. Idempotent: run twice, it changes nothing.

        The forecast shown in *Cash-Flow Forecast* is replaced unless a later day's forecast exists; company
        warnings and the contingency activity are only raised for today's figures.
        """
        company = self.env.company
        today = fields.Date.context_today(self)
        date = min(fields.Date.to_date(date) or today, today)  # the books of a day to come are not known
        date_from = date.replace(day=1)
        facts = self._credit_kpi_facts(date)
        Forecast = self.env["credit.cash.forecast"]
        weeks = Forecast._credit_forecast_weeks(date, company.credit_cash_reserve)
        values = self._credit_kpi_values(facts, weeks)
        kpi = self.search([("company_id", "=", company.id), ("date_from", "=", date_from)])
        values.update(date=date, period=f"{date_from:%Y-%m}", date_from=date_from,
                      date_to=date_from + relativedelta(months=1, days=-1))
        if kpi:
            kpi.write(values)
        else:
            kpi = self.create({**values, "company_id": company.id})
        shown = Forecast.search([("company_id", "=", company.id)])
        if not shown or max(shown.mapped("as_of")) <= date:
            shown.unlink()
            Forecast.create([{**week, "company_id": company.id, "kpi_id": kpi.id, "as_of": date} for week in weeks])
        if date >= today:
            kpi._credit_raise_alerts()
        return kpi

    @api.model
    def _credit_open_items_sql(self, date):
        """SQL: the current company's receivable and payable items open at ``date``, with their residual
        then, commercial partner and due date. The residual then is the residual now plus what was reconciled
        on the item after that day, so only the items open now or reconciled since are read."""
        return SQL(
            """
            WITH later AS (
                SELECT debit_move_id AS line_id, amount FROM account_partial_reconcile
                 WHERE company_id = %(company)s AND max_date > %(date)s
                 UNION ALL
                SELECT credit_move_id, -amount FROM account_partial_reconcile
                 WHERE company_id = %(company)s AND max_date > %(date)s
            ), undone AS (
                SELECT line_id, SUM(amount) AS amount FROM later GROUP BY line_id
            )
            SELECT l.id, p.commercial_partner_id AS partner_id, a.account_type,
                   COALESCE(l.date_maturity, l.date) AS due_date, l.amount_residual + COALESCE(u.amount, 0) AS residual
              FROM account_move_line l
              JOIN account_account a ON a.id = l.account_id
              LEFT JOIN res_partner p ON p.id = l.partner_id
              LEFT JOIN undone u ON u.line_id = l.id
             WHERE l.company_id = %(company)s AND l.parent_state = 'posted' AND l.date <= %(date)s
               AND a.account_type IN ('asset_receivable', 'liability_payable')
               AND (l.amount_residual != 0 OR u.line_id IS NOT NULL)
            """,
            date=date, company=self.env.company.id)

    @api.model
    def _credit_kpi_facts(self, date):
        """The figures of the current company's books the KPIs are made of, as of ``date``, in one query."""
        company = self.env.company
        year_ago = date - relativedelta(years=1)
        self.env.flush_all()
        [facts] = self.env.execute_query_dict(SQL(
            """
            WITH ledger AS (
                SELECT COALESCE(SUM(l.balance) FILTER (WHERE a.account_type = 'asset_receivable'), 0)
                           AS receivables,
                       COALESCE(SUM(l.balance) FILTER (WHERE a.account_type = 'asset_cash'), 0) AS cash_balance,
                       COALESCE(SUM(l.balance) FILTER (
                           WHERE a.account_type IN %(expense_types)s AND l.date > %(quarter_ago)s
                             AND a.id IN (SELECT account_account_id FROM account_account_account_tag
                                           WHERE account_account_tag_id = %(tag)s)), 0) AS fixed_costs,
                       COALESCE(-SUM(l.balance) FILTER (
                           WHERE a.account_type IN %(profit_types)s AND l.date > %(year_ago)s), 0) AS net_profit,
                       COALESCE(SUM(l.balance) FILTER (
                           WHERE a.account_type = 'expense_depreciation' AND l.date > %(year_ago)s), 0)
                           AS depreciation,
                       COALESCE(SUM(l.balance) FILTER (
                           WHERE a.account_type = 'asset_receivable' AND l.date > %(year_ago)s), 0)
                           AS receivable_increase,
                       COALESCE(-SUM(l.balance) FILTER (
                           WHERE a.account_type = 'liability_payable' AND l.date > %(year_ago)s), 0)
                           AS payable_increase
                  FROM account_move_line l
                  JOIN account_account a ON a.id = l.account_id
                 WHERE l.company_id = %(company)s AND l.parent_state = 'posted' AND l.date <= %(date)s
            ), sales AS (
                SELECT COALESCE(SUM(m.amount_total_signed), 0) AS sales
                  FROM account_move m
                 WHERE m.company_id = %(company)s AND m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND m.invoice_date > %(year_ago)s AND m.invoice_date <= %(date)s
            ), open_items AS (
                %(open_items)s
            ), customers AS (
                SELECT partner_id, SUM(residual) AS amount,
                       ROW_NUMBER() OVER (ORDER BY SUM(residual) DESC, partner_id) AS rank
                  FROM open_items
                 WHERE account_type = 'asset_receivable' AND partner_id IS NOT NULL
                 GROUP BY partner_id
                HAVING SUM(residual) > 0
            )
            SELECT ledger.*, sales.sales,
                   (SELECT COALESCE(SUM(residual), 0) FROM open_items
                     WHERE account_type = 'asset_receivable' AND due_date < %(date)s) AS overdue_amount,
                   (SELECT COALESCE(SUM(amount) FILTER (WHERE rank <= 5), 0) FROM customers) AS top5_amount,
                   (SELECT COALESCE(SUM(amount), 0) FROM customers) AS customer_total
              FROM ledger, sales
            """,
            company=company.id, date=date, year_ago=year_ago, quarter_ago=date - relativedelta(months=3),
            tag=company.credit_fixed_cost_tag_id.id or None, expense_types=EXPENSE_TYPES,
            profit_types=PROFIT_TYPES, open_items=self._credit_open_items_sql(date)))
        return {key: float(value or 0.0) for key, value in facts.items()}

    @api.model
    def _credit_kpi_values(self, facts, weeks):
        """The KPI record's values from the facts and the forecast weeks, with the current company's targets.

        DSO = 365 × receivables / sales of the year; overdue % = overdue / receivables; top-5 % = the five
        largest customers' share of the positive customer balances; cash reserve = cash and bank / monthly fixed
        costs; OCF ratio = (net profit + depreciation - increase of receivables + increase of payables) / net
        profit (indirect method). A KPI that cannot be computed (no sales, no receivables, no fixed costs, no
        profit) is N/A.
        """
        company = self.env.company
        monthly_fixed = facts["fixed_costs"] / 3.0
        ocf = facts["net_profit"] + facts["depreciation"] - facts["receivable_increase"] + facts["payable_increase"]
        measures = {
            "dso": (365.0 * facts["receivables"] / facts["sales"]) if facts["sales"] > 0 else None,
            "overdue_pct": (100.0 * facts["overdue_amount"] / facts["receivables"])
            if facts["receivables"] > 0 else None,
            "top5_pct": (100.0 * facts["top5_amount"] / facts["customer_total"])
            if facts["customer_total"] > 0 else None,
            "reserve_months": (facts["cash_balance"] / monthly_fixed) if monthly_fixed > 0 else None,
            "ocf_ratio": (ocf / facts["net_profit"]) if facts["net_profit"] > 0 else None,
        }
        targets = {
            "dso": company.credit_dso_reference * company.credit_dso_target_pct / 100.0,
            "overdue_pct": company.credit_overdue_target,
            "top5_pct": company.credit_concentration_target,
            "reserve_months": company.credit_reserve_months_target,
            "ocf_ratio": company.credit_ocf_ratio_target,
        }
        values = {
            "receivables": facts["receivables"], "overdue_amount": facts["overdue_amount"],
            "top5_amount": facts["top5_amount"], "sales": facts["sales"], "cash_balance": facts["cash_balance"],
            "monthly_fixed_costs": monthly_fixed, "net_profit": facts["net_profit"],
            "depreciation": facts["depreciation"], "receivable_increase": facts["receivable_increase"],
            "payable_increase": facts["payable_increase"], "operating_cash_flow": ocf,
        }
        red_count = 0
        for kpi, (prefix, _signal, higher_is_better) in KPIS.items():
            value, target = measures[kpi], targets[kpi]
            if value is None:
                status = "na"
            else:
                value = round(value, 2)
                status = "green" if (value >= target if higher_is_better else value <= target) else "red"
            red_count += status == "red"
            values.update({kpi: value or 0.0, f"{prefix}_target": target, f"{prefix}_status": status})
        reserve = company.credit_cash_reserve
        lowest, gap, gap_pct = self.env["credit.cash.forecast"]._credit_forecast_gap(weeks, reserve)
        tier = self.env["credit.cash.contingency"].search(
            [("company_id", "=", company.id), ("gap_pct", "<=", round(gap_pct, 2))], order="gap_pct desc", limit=1)
        values.update({
            "cash_reserve": reserve, "lowest_closing": lowest, "gap_amount": gap, "gap_pct": gap_pct,
            "contingency_id": tier.id, "gap_status": "red" if tier else "green", "red_count": red_count,
        })
        return values

    def _credit_signals(self):
        """The company warning signals this record fires: {code: {value, threshold, severity, note}}."""
        self.ensure_one()
        _ = self.env._
        notes = {
            "dso": lambda value, target: _(
                "DSO of %(value)s days, target at most %(target)s days.", value=value, target=target),
            "overdue_pct": lambda value, target: _(
                "%(value)s%% of the receivables are overdue, target at most %(target)s%%.",
                value=value, target=target),
            "top5_pct": lambda value, target: _(
                "The five largest customers owe %(value)s%% of the receivables, target at most %(target)s%%.",
                value=value, target=target),
            "reserve_months": lambda value, target: _(
                "Cash covers %(value)s months of fixed costs, target at least %(target)s.",
                value=value, target=target),
            "ocf_ratio": lambda value, target: _(
                "Operating cash flow is %(value)s times the net profit, target at least %(target)s.",
                value=value, target=target),
        }
        signals = {}
        for kpi, (prefix, signal, _higher) in KPIS.items():
            if self[f"{prefix}_status"] == "red":
                value, target = self[kpi], self[f"{prefix}_target"]
                signals[signal] = {"value": value, "threshold": target, "severity": "red",
                                   "note": notes[kpi](f"{value:g}", f"{target:g}")}
        if self.contingency_id:
            signals["cash_gap"] = {"value": self.gap_pct, "threshold": self.contingency_id.gap_pct,
                                   "severity": "red", "note": self.contingency_id.recommended_action}
        return signals

    def _credit_raise_alerts(self):
        """Sync the company's cash-flow warnings with this record, and once per month ask the credit managers
        to start the contingency plan when too many KPIs are red."""
        self.ensure_one()
        company = self.company_id
        self.env["credit.warning"].sudo().with_company(company)._credit_sync_company(self._credit_signals())
        limit = company.credit_warning_red_limit
        if self.alert_date or not limit or self.red_count < limit:
            return
        managers = self.env.ref("credit_control.group_credit_control_manager").users.filtered(
            lambda user: company in user.company_ids and not user.share and user.active)
        summary = self.env._("%(count)s cash-flow indicators are red: start the contingency plan",
                             count=self.red_count)
        for user in managers:
            self.activity_schedule("credit_control.mail_activity_type_credit_cash_alert", summary=summary,
                                   user_id=user.id)
        self.alert_date = fields.Date.context_today(self)

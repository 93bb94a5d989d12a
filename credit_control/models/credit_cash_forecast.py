from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

FORECAST_WEEKS = 13


class CreditCashForecast(models.Model):
    """One week of the company's 13-week cash-flow forecast, rebuilt from the open items at each refresh."""

    _name = "credit.cash.forecast"
    _description = "Cash-Flow Forecast Week"
    _order = "company_id, week"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    kpi_id = fields.Many2one("credit.cash.kpi", string="KPI Period", required=True, readonly=True, index=True,
                             ondelete="cascade", check_company=True)
    as_of = fields.Date(string="Forecast On", required=True, readonly=True)
    week = fields.Integer(required=True, readonly=True, aggregator=None)
    name = fields.Char(string="Week Label", required=True, readonly=True)
    date_from = fields.Date(string="From", required=True, readonly=True)
    date_to = fields.Date(string="To", required=True, readonly=True)
    opening = fields.Monetary(string="Opening Cash", readonly=True, aggregator=None)
    receipts = fields.Monetary(string="Expected Receipts", readonly=True,
                               help="Open receivables expected this week: due date plus the customer's average "
                                    "delay of the last 12 months; overdue ones in the first week.")
    payments = fields.Monetary(string="Expected Payments", readonly=True,
                               help="Open payables due this week; overdue ones in the first week.")
    net = fields.Monetary(string="Net Flow", readonly=True)
    closing = fields.Monetary(string="Closing Cash", readonly=True, aggregator="min")
    reserve = fields.Monetary(string="Minimum Cash Reserve", readonly=True, aggregator="max")
    shortfall = fields.Monetary(readonly=True, aggregator="max",
                                help="How far the closing cash falls below the minimum cash reserve.")

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _credit_forecast_weeks(self, date, reserve=0.0):
        """The current company's forecast as of ``date``: 13 dicts of week values, from two queries.

        Week k (1-13) covers ``date + 7(k-1)`` to ``date + 7(k-1) + 6``. Receipts are the open receivable
        residuals at ``date`` expected on their due date shifted by the customer's average delay (rounded to
        whole days); payments are the open payable residuals on their due date. Anything expected before
        ``date`` falls in week 1; anything after week 13 is left out. Open credit notes, unapplied customer
        payments and vendor refunds count negatively.
        """
        company = self.env.company
        self.env.flush_all()
        open_items = self.env["credit.cash.kpi"]._credit_open_items_sql(date)
        rows = self.env.execute_query(SQL(
            """
            WITH delays AS (
                %(delays)s
            ), items AS (
                SELECT o.account_type, o.residual,
                       GREATEST(o.due_date + CASE WHEN o.account_type = 'asset_receivable'
                                                  THEN ROUND(COALESCE(d.avg_days_late, 0))::int ELSE 0 END
                                - %(date)s::date, 0) / 7 AS week_index
                  FROM (%(open_items)s) o
                  LEFT JOIN delays d ON d.partner_id = o.partner_id
            )
            SELECT week_index,
                   SUM(residual) FILTER (WHERE account_type = 'asset_receivable'),
                   -SUM(residual) FILTER (WHERE account_type = 'liability_payable')
              FROM items
             WHERE week_index < %(weeks)s
             GROUP BY week_index
            """,
            date=date, open_items=open_items,
            # the customers' delays on the reconciliations of the 12 months to the day
            delays=self.env["res.partner"]._credit_delays_sql(date - relativedelta(years=1), date),
            weeks=FORECAST_WEEKS))
        flows = {index: (float(receipts or 0.0), float(payments or 0.0)) for index, receipts, payments in rows}
        [[cash]] = self.env.execute_query(SQL(
            """
            SELECT COALESCE(SUM(l.balance), 0)
              FROM account_move_line l
             WHERE l.company_id = %s AND l.parent_state = 'posted' AND l.date <= %s
               AND l.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_cash')
            """, company.id, date))
        weeks, opening = [], float(cash)
        for index in range(FORECAST_WEEKS):
            receipts, payments = flows.get(index, (0.0, 0.0))
            closing = opening + receipts - payments
            weeks.append({
                "week": index + 1,
                "name": self.env._("Week %(week)s", week=index + 1),
                "date_from": date + timedelta(days=7 * index),
                "date_to": date + timedelta(days=7 * index + 6),
                "opening": opening, "receipts": receipts, "payments": payments,
                "net": receipts - payments, "closing": closing,
                "reserve": reserve, "shortfall": max(reserve - closing, 0.0),
            })
            opening = closing
        return weeks

    @api.model
    def _credit_forecast_gap(self, weeks, reserve):
        """(lowest closing cash, cash gap, gap %) of a forecast against the minimum cash reserve.

        The gap is how far the lowest closing cash falls below the reserve. As a percentage it is measured
        against the reserve; without a reserve, against the forecast's total payments (0 without any).
        """
        lowest = min(week["closing"] for week in weeks)
        gap = max(reserve - lowest, 0.0)
        base = reserve if reserve > 0 else sum(week["payments"] for week in weeks)
        gap_pct = 100.0 * gap / base if base > 0 else 0.0
        return lowest, gap, gap_pct

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .credit_warning import SEVERITIES
from .res_company import GRADES

INDICATORS = [
    ("dso_trend", "DSO rising"),
    ("overdue_share", "Overdue share"),
    ("overdue_growth", "Overdue share growing"),
    ("utilization", "Credit use"),
    ("payment_delay", "Payments slipping"),
    ("invoice_frequency", "Invoices less frequent"),
    ("grade_downgrade", "Grade downgrade"),
    ("dunning_stage", "Dunning escalated"),
    ("outside_events", "Outside events"),
]
# Default rules of every company: (indicator, threshold, lookback in months, severity).
DEFAULT_RULES = [
    ("dso_trend", 3, 3, "red"),
    ("overdue_share", 50, 1, "amber"),
    ("overdue_growth", 20, 3, "red"),
    ("utilization", 90, 1, "red"),
    ("payment_delay", 10, 3, "red"),
    ("invoice_frequency", 50, 3, "amber"),
    ("grade_downgrade", 1, 3, "amber"),
    ("dunning_stage", 2, 1, "amber"),
    ("dunning_stage", 4, 1, "red"),
    ("outside_events", 1, 12, "red"),
]


class CreditWarningRule(models.Model):
    """When a customer indicator fires an early warning: indicator, comparison, threshold, lookback, severity.

    Integrators add an indicator with ``selection_add`` on ``indicator`` and an override of ``_credit_measure``
    (optionally ``_credit_indicator_specs`` for its unit and valid thresholds).
    """

    _name = "credit.warning.rule"
    _description = "Early Warning Rule"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(translate=True, help="Shown on the warnings; the indicator and threshold when empty.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    indicator = fields.Selection(INDICATORS, required=True, help="What the rule measures; see its description.")
    indicator_help = fields.Text(string="Description", compute="_compute_unit")
    comparison = fields.Selection([(">=", "≥"), (">", ">"), ("<=", "≤"), ("<", "<")], required=True, default=">=",
                                  help="How the measured value is compared with the threshold.")
    threshold = fields.Float(required=True, digits=(16, 2),
                             help="The value at which the rule fires, in the indicator's unit (90 means 90%).")
    unit = fields.Char(compute="_compute_unit")
    lookback_months = fields.Integer(
        string="Lookback (months)", required=True, default=3,
        help="How far back the indicator looks; indicators measured today ignore it.",
    )
    uses_lookback = fields.Boolean(compute="_compute_unit")
    severity = fields.Selection(SEVERITIES, required=True, default="red",
                                help="Red warnings count towards the escalation of the customer.")
    warning_count = fields.Integer(compute="_compute_warning_count")

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("name", "indicator", "comparison", "threshold")
    def _compute_display_name(self):
        labels = dict(self._fields["indicator"]._description_selection(self.env))
        comparisons = dict(self._fields["comparison"]._description_selection(self.env))
        for rule in self:
            rule.display_name = rule.name or (
                f"{labels.get(rule.indicator, '')} {comparisons.get(rule.comparison, '')} "
                f"{rule.threshold:g} {rule.unit or ''}".strip())

    @api.depends("indicator")
    @api.depends_context("lang")
    def _compute_unit(self):
        specs = self._credit_indicator_specs()
        for rule in self:
            spec = specs.get(rule.indicator, {})
            rule.unit = spec.get("unit", "")
            rule.uses_lookback = spec.get("lookback", True)
            rule.indicator_help = spec.get("help", "")

    def _compute_warning_count(self):
        counts = dict(self.env["credit.warning"]._read_group(
            [("rule_id", "in", self.ids), ("state", "!=", "resolved")], ["rule_id"], ["__count"]))
        for rule in self:
            rule.warning_count = counts.get(rule, 0)

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("indicator", "threshold", "lookback_months")
    def _check_threshold(self):
        specs = self._credit_indicator_specs()
        for rule in self:
            if rule.lookback_months < 1:
                raise ValidationError(self.env._(
                    "The lookback of the rule %(rule)s must be at least one month.", rule=rule.display_name))
            spec = specs.get(rule.indicator, {})
            low, high = spec.get("min", float("-inf")), spec.get("max", float("inf"))
            if rule.indicator == "dso_trend":
                high = rule.lookback_months
            if not low <= rule.threshold <= high:
                low_text, high_text = f"{low:g}", f"{high:g}"  # f-strings stay out of _(): extraction evals it
                raise ValidationError(self.env._(
                    "The threshold of the rule %(rule)s must be between %(low)s and %(high)s %(unit)s. %(hint)s",
                    rule=rule.display_name, low=low_text, high=high_text, unit=spec.get("unit", ""),
                    hint=spec.get("hint", "")))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self._check_indicator_known(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._check_indicator_known([vals])
        return super().write(vals)

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_view_warnings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_warning_action")
        action["domain"] = [("rule_id", "=", self.id)]
        return action

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _check_indicator_known(self, vals_list):
        known = dict(self._fields["indicator"]._description_selection(self.env))
        for vals in vals_list:
            if vals.get("indicator") and vals["indicator"] not in known:
                raise ValidationError(self.env._(
                    "Unknown early-warning indicator %(indicator)s. Known indicators: %(known)s.",
                    indicator=vals["indicator"], known=", ".join(known)))

    @api.model
    def _credit_indicator_specs(self):
        """Per indicator: its unit, the valid threshold range (with a hint on the scale), and whether the
        lookback applies. Override to declare an integrator's own indicator."""
        _ = self.env._
        percent = _("Percentages are 0 to 100: enter 90 for 90%.")
        return {
            "dso_trend": {"unit": _("months"), "min": 1, "help": _(
                "Months in a row, back from today (the same day each month), where the quarterly DSO rose "
                "(receivables on that day ÷ invoiced sales of the 90 days before × 90).")},
            "overdue_share": {"unit": "%", "min": 1, "max": 100, "hint": percent, "lookback": False,
                              "help": _("Share of the open receivables that is overdue, today.")},
            "overdue_growth": {"unit": _("points"), "min": 1, "max": 100, "hint": percent, "help": _(
                "Points gained by the overdue share since the lookback began (receivables as the books stood "
                "then).")},
            "utilization": {"unit": "%", "min": 1, "max": 1000, "hint": percent, "lookback": False,
                            "help": _("Exposure as a share of the credit limit (customers with a limit).")},
            "payment_delay": {"unit": _("days"), "min": 1, "max": 365, "help": _(
                "Average days late of the payments of the lookback (weighted by amount), minus those of the "
                "period before.")},
            "invoice_frequency": {"unit": "%", "min": 1, "max": 100, "hint": percent, "help": _(
                "How many % fewer invoices the lookback had than the 12 months before it let expect.")},
            "grade_downgrade": {"unit": _("grades"), "min": 1, "max": len(GRADES) - 1,
                                "help": _("Grades lost at the last change of the rating, if within the lookback.")},
            "dunning_stage": {"unit": "", "min": 1, "max": 5, "lookback": False, "help": _(
                "Highest dunning stage of the open invoices: 1 reminder, 2 phone call, 3 letter, 4 agency, "
                "5 legal action.")},
            "outside_events": {"unit": _("events"), "min": 1, "max": 100, "help": _(
                "Outside events recorded in the lookback; a red rule counts only the red events.")},
        }

    @api.model
    def _credit_create_defaults(self, companies):
        """The default rules for companies that have none; the rules created."""
        have = set(self.with_context(active_test=False).search([("company_id", "in", companies.ids)])
                   .company_id.ids)
        return self.create([
            {"company_id": company.id, "indicator": indicator, "threshold": threshold, "lookback_months": lookback,
             "severity": severity, "sequence": 10 * index}
            for company in companies if company.id not in have
            for index, (indicator, threshold, lookback, severity) in enumerate(DEFAULT_RULES, start=1)
        ])

    def _credit_batch_facts(self, partners):
        """What several indicators use, read once per batch: the exposure and overdue amount per partner."""
        return {"exposure": partners._credit_exposure_by_partner(partners.ids)}

    def _credit_measure(self, partners, facts):
        """{commercial partner id: value or (value, details)} of this rule's indicator for ``partners``, in
        the current company, as of today, at most one query for the whole batch; ``facts`` comes from
        ``_credit_batch_facts``. Integrators override it for their own indicator and call ``super()`` for
        the others."""
        self.ensure_one()
        if not partners:
            return {}
        self.env.flush_all()
        return getattr(self, f"_credit_measure_{self.indicator}")(partners, facts)

    def _credit_today_minus(self, months):
        return fields.Date.context_today(self) - relativedelta(months=months)

    def _credit_receivable_sql(self, partners):
        """SQL condition: ``l`` is a posted receivable line of the current company of one of ``partners``
        (joined as ``p``)."""
        return SQL(
            """l.company_id = %(company)s AND l.parent_state = 'posted'
               AND l.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
               AND p.commercial_partner_id = ANY(%(ids)s)""",
            company=self.env.company.id, ids=partners.ids)

    def _credit_measure_dso_trend(self, partners, facts):
        """Months in a row (back from today, the same day each month) where the quarterly DSO rose: DSO at a day is
        receivables at that day ÷ invoiced sales of the 90 days before × 90. One pass over the lines, a
        column per day."""
        days = [self._credit_today_minus(k) for k in range(self.lookback_months + 1)]
        receivables = SQL(", ").join(SQL("SUM(l.balance) FILTER (WHERE l.date <= %s)", day) for day in days)
        sales = SQL(", ").join(
            SQL("SUM(m.amount_total_signed) FILTER (WHERE m.invoice_date > %s AND m.invoice_date <= %s)",
                day - timedelta(days=90), day)
            for day in days)
        rows = self.env.execute_query(SQL(
            """
            WITH receivable AS (
                SELECT p.commercial_partner_id AS partner_id, ARRAY[%(receivables)s] AS amounts
                  FROM account_move_line l
                  JOIN res_partner p ON p.id = l.partner_id
                 WHERE %(receivable)s AND l.date <= %(today)s
                 GROUP BY 1
            ), sales AS (
                SELECT m.commercial_partner_id AS partner_id, ARRAY[%(sales)s] AS amounts
                  FROM account_move m
                 WHERE m.company_id = %(company)s AND m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund') AND m.commercial_partner_id = ANY(%(ids)s)
                   AND m.invoice_date > %(first)s AND m.invoice_date <= %(today)s
                 GROUP BY 1
            )
            SELECT r.partner_id, r.amounts, s.amounts FROM receivable r JOIN sales s ON s.partner_id = r.partner_id
            """,
            receivables=receivables, sales=sales, receivable=self._credit_receivable_sql(partners),
            today=days[0], first=days[-1] - timedelta(days=90), company=self.env.company.id, ids=partners.ids))
        series = {
            partner_id: {k: 90.0 * float(amount) / float(sold)
                         for k, (amount, sold) in enumerate(zip(amounts, sold_amounts, strict=True))
                         if sold and sold > 0 and amount is not None}
            for partner_id, amounts, sold_amounts in rows
        }
        values = {}
        for partner_id, dso in series.items():
            rises = 0
            while rises in dso and rises + 1 in dso and dso[rises] > dso[rises + 1]:
                rises += 1
            points = [dso[k] for k in sorted(dso, reverse=True)]
            values[partner_id] = (rises, " → ".join(f"{d:.0f}" for d in points) + " " + self.env._("days"))
        return values

    def _credit_measure_overdue_share(self, partners, facts):
        values = {}
        for partner_id, (exposure, overdue) in facts["exposure"].items():
            if exposure > 0:
                values[partner_id] = 100.0 * max(overdue, 0.0) / exposure
        return values

    def _credit_measure_overdue_growth(self, partners, facts):
        """Points gained by the overdue share of receivables between the lookback's start and today."""
        then = self._credit_today_minus(self.lookback_months)
        shares = {}
        for partner_id, day, amount, overdue in partners._credit_receivables_as_of([then, fields.Date.context_today(
                self)]):
            shares.setdefault(partner_id, {})[day] = 100.0 * max(overdue, 0.0) / amount if amount > 0 else None
        values = {}
        for partner_id, share in shares.items():
            now, before = share.get(fields.Date.context_today(self)), share.get(then)
            if now is not None and before is not None:  # nothing owed then: nothing to compare
                values[partner_id] = (now - before, f"{before:.0f}% → {now:.0f}%")
        return values

    def _credit_measure_utilization(self, partners, facts):
        values = {}
        for partner in partners:
            exposure = facts["exposure"].get(partner.id, (0.0, 0.0))[0]
            if partner.credit_limit > 0:
                values[partner.id] = (100.0 * exposure / partner.credit_limit,
                                      f"{exposure:,.0f} / {partner.credit_limit:,.0f}")
        return values

    def _credit_measure_payment_delay(self, partners, facts):
        """Average days late (weighted by amount) of the payments of the lookback, minus the period before.

        The same measure as ``res.partner._credit_delays_sql``, for two windows in one pass over the
        reconciliations.
        """
        recent = self._credit_today_minus(self.lookback_months)
        rows = self.env.execute_query(SQL(
            """
            SELECT p.commercial_partner_id,
                   SUM(apr.amount * GREATEST(apr.max_date - COALESCE(l.date_maturity, l.date), 0))
                       FILTER (WHERE apr.max_date > %(recent)s)
                     / NULLIF(SUM(apr.amount) FILTER (WHERE apr.max_date > %(recent)s), 0),
                   SUM(apr.amount * GREATEST(apr.max_date - COALESCE(l.date_maturity, l.date), 0))
                       FILTER (WHERE apr.max_date <= %(recent)s)
                     / NULLIF(SUM(apr.amount) FILTER (WHERE apr.max_date <= %(recent)s), 0)
              FROM account_partial_reconcile apr
              JOIN account_move_line l ON l.id = apr.debit_move_id AND l.display_type = 'payment_term'
              JOIN res_partner p ON p.id = l.partner_id
             WHERE %(receivable)s AND apr.max_date > %(before)s AND apr.max_date <= %(today)s
             GROUP BY 1
            """,
            recent=recent, before=recent - relativedelta(months=self.lookback_months),
            today=fields.Date.context_today(self), receivable=self._credit_receivable_sql(partners)))
        return {partner_id: (float(now - before), self.env._("%(before).0f → %(now).0f days late",
                                                             before=before, now=now))
                for partner_id, now, before in rows if now is not None and before is not None}

    def _credit_measure_invoice_frequency(self, partners, facts):
        """How many % fewer invoices the lookback had than the 12 months before it let expect."""
        recent = self._credit_today_minus(self.lookback_months)
        rows = self.env.execute_query(SQL(
            """
            SELECT commercial_partner_id, COUNT(*) FILTER (WHERE invoice_date > %(recent)s),
                   COUNT(*) FILTER (WHERE invoice_date <= %(recent)s)
              FROM account_move
             WHERE company_id = %(company)s AND state = 'posted' AND move_type = 'out_invoice'
               AND commercial_partner_id = ANY(%(ids)s)
               AND invoice_date > %(baseline)s AND invoice_date <= %(today)s
             GROUP BY 1
            """,
            recent=recent, baseline=recent - relativedelta(years=1), today=fields.Date.context_today(self),
            company=self.env.company.id, ids=partners.ids))
        values = {}
        for partner_id, count, before in rows:
            expected = before * self.lookback_months / 12.0
            if expected >= 1:
                values[partner_id] = (100.0 * (1 - count / expected), self.env._(
                    "%(count)s invoices, %(expected).1f expected", count=count, expected=expected))
        return values

    def _credit_measure_grade_downgrade(self, partners, facts):
        """Grades lost at the last change of the customer's grade, when it happened within the lookback."""
        since = self._credit_today_minus(self.lookback_months)
        order = [grade for grade, _label in GRADES]
        values = {}
        for partner in partners:
            previous, grade = partner.credit_grade_previous, partner.credit_grade
            if previous and grade and partner.credit_grade_changed_on and partner.credit_grade_changed_on > since:
                values[partner.id] = (order.index(grade) - order.index(previous), f"{previous} → {grade}")
        return values

    def _credit_measure_dunning_stage(self, partners, facts):
        return partners._credit_dunning_stages()

    def _credit_measure_outside_events(self, partners, facts):
        """Recorded outside events of the lookback; a red rule counts only the red events."""
        domain = [("partner_id", "in", partners.ids), ("company_id", "=", self.env.company.id),
                  ("date", ">", self._credit_today_minus(self.lookback_months)),
                  ("date", "<=", fields.Date.context_today(self))]
        if self.severity == "red":
            domain.append(("severity", "=", "red"))
        return {partner.id: (count, ", ".join(names))
                for partner, count, names in self.env["credit.event"]._read_group(
                    domain, ["partner_id"], ["__count", "name:array_agg"])}

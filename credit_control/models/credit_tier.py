import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CreditTier(models.Model):
    _name = "credit.tier"
    _description = "Credit Tier"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Short code used in exports and integrations, e.g. CORE.")
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    limit_rule = fields.Selection(
        selection=[
            ("fixed", "Fixed amount"),
            ("avg_monthly_sales", "Multiple of average monthly sales"),
            ("quarter_sales", "Percentage of last quarter's sales"),
            ("prepayment", "Prepayment only (no credit)"),
        ],
        required=True,
        default="fixed",
        help="How the suggested credit limit is derived from the customer's invoiced sales.",
    )
    fixed_amount = fields.Monetary(
        currency_field="currency_id", help="Suggested limit for the 'Fixed amount' rule, in company currency."
    )
    sales_multiple = fields.Float(
        default=2.0, help="Suggested limit = this multiple × the average monthly invoiced sales (core customers: 2)."
    )
    sales_months = fields.Integer(
        default=12, help="Number of months over which the average monthly invoiced sales is measured."
    )
    quarter_percent = fields.Float(
        string="Quarter Sales (%)",
        default=30.0,
        help="Suggested limit = this percentage × invoiced sales of the last 3 months (regular customers: 30%).",
    )
    limit_rounding = fields.Monetary(
        currency_field="currency_id",
        default=1000.0,
        help="The suggested limit is rounded down to a multiple of this amount. 0 disables rounding.",
    )
    max_payment_term_days = fields.Integer(
        string="Longest Payment Term (days)",
        help="Longest payment term a customer of this tier may get; longer terms are refused at posting. "
             "0 means no restriction.",
    )
    review_interval_months = fields.Integer(
        default=3, help="Months between two credit reviews; the next review date is set from it (quarterly: 3)."
    )
    dunning_policy_id = fields.Many2one(
        "credit.dunning.policy", check_company=True,
        help="How customers of this tier are dunned, unless the customer has its own dunning policy.",
    )
    insurance_required = fields.Boolean(
        help="Customers of this tier must have valid trade-credit insurance cover (opportunity customers)."
    )
    credit_policy = fields.Selection(
        selection=[("block", "Block posting"), ("warn", "Warn the credit manager"), ("none", "No check")],
        string="Over-Limit Policy",
        required=True,
        default="block",
        help="What happens when posting a customer invoice would bring the exposure over the credit limit: "
             "block it (a credit manager may approve an override), post it and warn the credit manager, "
             "or do nothing.",
    )
    max_overdue_days = fields.Integer(
        string="Block When Overdue For (days)",
        help="Block new invoices while the customer has an invoice overdue by more than this many days "
             "(disputed invoices excepted). 0 disables the check.",
    )
    exposure_include_draft = fields.Boolean(
        string="Count Draft Invoices",
        help="Add the customer's other draft invoices to the exposure checked at posting.",
    )
    exposure_include_not_due = fields.Boolean(
        string="Count Amounts Not Yet Due", default=True,
        help="Count open receivables that are not due yet. Without it only overdue amounts and the invoice "
             "being posted count against the limit.",
    )
    description = fields.Text(translate=True, help="The credit policy of this tier, in words, for the sales team.")

    _sql_constraints = [
        ("code_company_uniq", "unique (code, company_id)", "The tier code must be unique per company."),
    ]

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("fixed_amount", "sales_multiple", "sales_months", "quarter_percent", "limit_rounding",
                    "max_payment_term_days", "review_interval_months", "max_overdue_days")
    def _check_limit_rule_values(self):
        for tier in self:
            if tier.fixed_amount < 0 or tier.limit_rounding < 0:
                raise ValidationError(self.env._("Tier %(tier)s: amounts cannot be negative.", tier=tier.name))
            if tier.sales_multiple < 0:
                raise ValidationError(
                    self.env._("Tier %(tier)s: the sales multiple cannot be negative.", tier=tier.name)
                )
            if tier.sales_months < 1:
                raise ValidationError(
                    self.env._("Tier %(tier)s: the sales period must be at least one month.", tier=tier.name)
                )
            if not 0 <= tier.quarter_percent <= 100:
                raise ValidationError(
                    self.env._("Tier %(tier)s: the percentage must be between 0 and 100.", tier=tier.name)
                )
            if min(tier.max_payment_term_days, tier.review_interval_months, tier.max_overdue_days) < 0:
                raise ValidationError(
                    self.env._("Tier %(tier)s: days and months cannot be negative.", tier=tier.name)
                )

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _suggest_limit(self, period_sales, quarter_sales):
        """Suggested limit for one customer of this tier, in company currency.

        :param period_sales: invoiced sales (net of credit notes) over the tier's ``sales_months``
        :param quarter_sales: invoiced sales (net of credit notes) over the last 3 months
        """
        self.ensure_one()
        return suggest_limit(self._limit_params(), period_sales, quarter_sales)

    def _limit_params(self):
        """The tier's limit rule as plain values, read once per tier for a batch of customers."""
        self.ensure_one()
        return (self.limit_rule, self.fixed_amount, self.sales_multiple, self.sales_months, self.quarter_percent,
                self.limit_rounding, self.currency_id.decimal_places)


def suggest_limit(params, period_sales, quarter_sales):
    rule, fixed_amount, multiple, months, percent, rounding, digits = params
    if rule == "fixed":
        amount = fixed_amount
    elif rule == "avg_monthly_sales":
        amount = multiple * max(period_sales, 0.0) / months
    elif rule == "quarter_sales":
        amount = percent / 100.0 * max(quarter_sales, 0.0)
    else:
        amount = 0.0
    if rounding:
        amount = math.floor(round(amount / rounding, 6)) * rounding
    return round(amount, digits)

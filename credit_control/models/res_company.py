from odoo import api, fields, models
from odoo.exceptions import ValidationError

GRADES = [("A", "A"), ("B", "B"), ("C", "C"), ("D", "D"), ("E", "E")]

# Factor name -> (weight field, the measured fact, the fact value at which the full weight is lost).
RATING_FACTORS = {
    "payment_delay": ("credit_weight_payment_delay", "avg_days_late", 60.0),
    "overdue_share": ("credit_weight_overdue_share", "overdue_share", 1.0),
    "dso_over_terms": ("credit_weight_dso", "dso_over_terms", 60.0),
    "dunning": ("credit_weight_dunning", "dunning_stage", 5.0),
    "disputes": ("credit_weight_disputes", "disputed_count", 3.0),
    "relationship": ("credit_weight_relationship", "months_missing", 24.0),
    "external": ("credit_weight_external", "external_gap", 9.0),
}


class ResCompany(models.Model):
    _inherit = "res.company"

    credit_weight_payment_delay = fields.Integer(
        string="Payment Delay Weight", default=30,
        help="Points lost by a customer who pays 60 or more days late on average (last 12 months).",
    )
    credit_weight_overdue_share = fields.Integer(
        string="Overdue Share Weight", default=25, help="Points lost when all open receivables are overdue.",
    )
    credit_weight_dso = fields.Integer(
        string="DSO Weight", default=15, help="Points lost when DSO exceeds the agreed payment terms by 60 days.",
    )
    credit_weight_dunning = fields.Integer(
        string="Dunning Weight", default=10, help="Points lost when dunning reached its last stage (legal action).",
    )
    credit_weight_disputes = fields.Integer(
        string="Disputes Weight", default=5, help="Points lost with 3 or more open disputed invoices.",
    )
    credit_weight_relationship = fields.Integer(
        string="Relationship Weight", default=5,
        help="Points lost by a brand-new customer; nothing is lost after 24 months of invoicing.",
    )
    credit_weight_external = fields.Integer(
        string="External Rating Weight", default=10,
        help="Points lost with the worst external rating (1 on a 1-10 scale); nothing with 10 or no rating.",
    )
    credit_dunning_policy_id = fields.Many2one(
        "credit.dunning.policy", string="Default Dunning Policy",
        domain="[('company_id', '=', id)]",
        help="Dunning policy of customers whose tier and own profile set none.",
    )
    credit_warning_red_limit = fields.Integer(
        string="Red Lights to Escalate", default=3,
        help="A customer with this many open red warnings is escalated to a credit manager.",
    )
    credit_warning_hold = fields.Boolean(
        string="Hold on Escalation", help="Put an escalated customer on credit hold as well.",
    )
    credit_warning_digest = fields.Boolean(
        string="Daily Warning Digest", default=True,
        help="Email the credit managers a daily list of the new red warnings.",
    )
    credit_warning_digest_date = fields.Date(readonly=True, copy=False,
                                             help="Technical: the day the last digest was sent.")
    credit_grade_a_min = fields.Integer(string="Grade A from", help="Lowest score of grade A.", default=80)
    credit_grade_b_min = fields.Integer(string="Grade B from", help="Lowest score of grade B.", default=65)
    credit_grade_c_min = fields.Integer(string="Grade C from", help="Lowest score of grade C.", default=50)
    credit_grade_d_min = fields.Integer(string="Grade D from", help="Lowest score of grade D.", default=35)

    # Cash-flow monitor: the company's own KPIs and their targets.
    credit_dso_reference = fields.Float(
        string="Reference DSO (days)", default=94.0,
        help="Days sales outstanding to compare with, e.g. the average of your industry (about 94 days for "
             "Chinese companies).",
    )
    credit_dso_target_pct = fields.Float(
        string="DSO Target (% of reference)", default=80.0,
        help="The DSO target is this percentage of the reference DSO (80% of 94 days: 75.2 days at most).",
    )
    credit_overdue_target = fields.Float(
        string="Overdue Share Target (%)", default=20.0,
        help="Highest acceptable share of overdue receivables in all open receivables.",
    )
    credit_concentration_target = fields.Float(
        string="Top-5 Concentration Target (%)", default=50.0,
        help="Highest acceptable share of the open receivables held by the five largest customers.",
    )
    credit_reserve_months_target = fields.Float(
        string="Cash Reserve Target (months)", default=3.0,
        help="Cash and bank balances should cover at least this many months of fixed costs.",
    )
    credit_ocf_ratio_target = fields.Float(
        string="Operating Cash Flow / Net Profit Target", default=1.2,
        help="Lowest acceptable ratio of operating cash flow to net profit over the last 12 months.",
    )
    credit_fixed_cost_tag_id = fields.Many2one(
        "account.account.tag", string="Fixed Cost Tag", domain="[('applicability', '=', 'accounts')]",
        default=lambda self: self.env.ref("credit_control.account_tag_fixed_cost", raise_if_not_found=False),
        help="Expense accounts with this tag count as fixed costs (rent, salaries...) for the cash reserve.",
    )
    credit_cash_reserve = fields.Monetary(
        string="Minimum Cash Reserve", currency_field="currency_id",
        help="The cash the company wants to keep at all times; the 13-week forecast measures its cash gap "
             "against it.",
    )

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains(*(spec[0] for spec in RATING_FACTORS.values()),
                    "credit_grade_a_min", "credit_grade_b_min", "credit_grade_c_min", "credit_grade_d_min")
    def _check_credit_rating_settings(self):
        for company in self:
            weights = [company[spec[0]] for spec in RATING_FACTORS.values()]
            if min(weights) < 0 or max(weights) > 100:
                raise ValidationError(self.env._("Rating weights must be between 0 and 100 points."))
            bands = [company.credit_grade_a_min, company.credit_grade_b_min,
                     company.credit_grade_c_min, company.credit_grade_d_min]
            if not 100 >= bands[0] > bands[1] > bands[2] > bands[3] >= 0:
                raise ValidationError(self.env._(
                    "Grade bands must fall from A to D between 100 and 0, e.g. A from 80, B from 65, "
                    "C from 50, D from 35."))

    @api.constrains("credit_warning_red_limit")
    def _check_credit_warning_settings(self):
        for company in self:
            if company.credit_warning_red_limit < 1:
                raise ValidationError(self.env._("At least one red light is needed to escalate a customer."))

    @api.constrains("credit_dunning_policy_id")
    def _check_credit_dunning_policy(self):
        for company in self:
            if company.credit_dunning_policy_id.company_id not in (company, self.env["res.company"]):
                raise ValidationError(self.env._(
                    "The default dunning policy of %(company)s must belong to it, not to %(other)s.",
                    company=company.name, other=company.credit_dunning_policy_id.company_id.name))

    @api.constrains("credit_dso_reference", "credit_dso_target_pct", "credit_overdue_target",
                    "credit_concentration_target", "credit_reserve_months_target", "credit_ocf_ratio_target",
                    "credit_cash_reserve")
    def _check_credit_cash_targets(self):
        for company in self:
            if company.credit_dso_reference <= 0:
                raise ValidationError(self.env._("The reference DSO must be a positive number of days."))
            if not 0 < company.credit_dso_target_pct <= 100:
                raise ValidationError(self.env._(
                    "The DSO target must be a percentage of the reference DSO above 0 and at most 100, not %(value)s.",
                    value=company.credit_dso_target_pct))
            if not 0 <= company.credit_overdue_target <= 100:
                raise ValidationError(self.env._(
                    "The overdue share target must be a percentage between 0 and 100, not %(value)s.",
                    value=company.credit_overdue_target))
            if not 0 <= company.credit_concentration_target <= 100:
                raise ValidationError(self.env._(
                    "The top-5 concentration target must be a percentage between 0 and 100, not %(value)s.",
                    value=company.credit_concentration_target))
            if company.credit_reserve_months_target < 0 or company.credit_ocf_ratio_target < 0:
                raise ValidationError(self.env._(
                    "The cash reserve and operating cash flow targets cannot be negative."))
            if company.credit_cash_reserve < 0:
                raise ValidationError(self.env._("The minimum cash reserve cannot be negative."))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._credit_create_defaults()
        return companies

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _credit_install_defaults(self):
        """At installation: defaults for the companies that already exist, and the fixed-cost tag."""
        tag = self.env.ref("credit_control.account_tag_fixed_cost", raise_if_not_found=False)
        companies = self.search([])
        if tag:
            companies.filtered(lambda c: not c.credit_fixed_cost_tag_id).credit_fixed_cost_tag_id = tag
        companies._credit_create_defaults()

    def _credit_create_defaults(self):
        """The configuration every company starts with, one call per kind, each creating only what a company
        lacks: the early-warning rules and the cash contingency tiers."""
        self.env["credit.warning.rule"].sudo()._credit_create_defaults(self)
        self.env["credit.cash.contingency"].sudo()._credit_create_defaults(self)

    def _credit_managers(self):
        """The internal users of the Credit Control Manager group who work in this company."""
        self.ensure_one()
        return self.env.ref("credit_control.group_credit_control_manager").sudo().users.filtered(
            lambda user: self in user.company_ids and not user.share)

    def _credit_bank_details(self):
        """The bank account customers pay to, as shown on statements and letters: the company's first one, or
        False when it has none (the documents then show no payment block at all)."""
        self.ensure_one()
        bank = self.partner_id.sudo().bank_ids[:1]
        if not bank:
            return False
        return {
            "holder": bank.acc_holder_name or self.name,
            "bank": bank.bank_id.name or "",
            "acc_number": bank.acc_number,
            "bic": bank.bank_bic or "",
        }

    def _credit_rating_config(self):
        """Weights and grade bands as plain values, read once for a whole batch of customers."""
        self.ensure_one()
        return {
            "weights": {name: self[spec[0]] for name, spec in RATING_FACTORS.items()},
            "bands": [("A", self.credit_grade_a_min), ("B", self.credit_grade_b_min),
                      ("C", self.credit_grade_c_min), ("D", self.credit_grade_d_min)],
        }

    def _credit_rate(self, facts, config=None):
        """Score (0-100), grade (A-E) and factor contributions for one customer's facts.

        Each factor loses part of its weight in proportion to how bad the fact is, up to
        the full weight; the manual adjustment is added as is. Integrators can override this
        method to change the formula; ``facts`` comes from ``res.partner._credit_rating_facts``
        and ``config`` from ``_credit_rating_config``.
        """
        config = config or self._credit_rating_config()
        contributions = {}
        for name, (_weight_field, fact, worst) in RATING_FACTORS.items():
            ratio = min(max(facts.get(fact) or 0.0, 0.0) / worst, 1.0)
            contributions[name] = -round(config["weights"][name] * ratio, 1)
        contributions["manual"] = facts.get("manual_adjustment") or 0
        score = int(round(min(max(100 + sum(contributions.values()), 0), 100)))
        grade = next((grade for grade, minimum in config["bands"] if score >= minimum), "E")
        return score, grade, contributions

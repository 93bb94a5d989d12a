from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class CreditInsurancePolicy(models.Model):
    _name = "credit.insurance.policy"
    _description = "Trade-Credit Insurance Policy"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date_start desc, id desc"
    _rec_name = "policy_number"
    _check_company_auto = True

    # Basics
    policy_number = fields.Char(required=True, tracking=True, help="The insurer's number of the policy.")
    insurer_id = fields.Many2one("res.partner", required=True, tracking=True, check_company=True,
                                 help="The credit insurer; it receives cover requests, notifications and claims.")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    currency_id = fields.Many2one("res.currency", required=True, default=lambda self: self.env.company.currency_id)
    date_start = fields.Date(string="Start Date", required=True, tracking=True,
                             help="Invoices dated from this day can be insured.")
    date_end = fields.Date(string="End Date", required=True, tracking=True,
                           help="The last day of cover; an active policy expires after it.")
    state = fields.Selection(
        selection=[("draft", "Draft"), ("active", "Active"), ("expired", "Expired"), ("cancelled", "Cancelled")],
        default="draft",
        required=True,
        tracking=True,
    )
    policy_type = fields.Selection(
        selection=[("whole_turnover", "Annual whole turnover"), ("single_buyer", "Single buyer / order")],
        string="Type",
        required=True,
        default="whole_turnover",
        help="Annual whole turnover: every covered buyer for a year. Single buyer / order: one buyer or one "
             "contract.",
    )

    # Terms
    indemnity_percent = fields.Float(
        string="Indemnity (%)", default=90.0, tracking=True,
        help="Share of the insured loss the insurer pays, usually up to 90%.",
    )
    deductible_type = fields.Selection(
        selection=[("per_claim", "Deductible per claim"), ("nql", "Non-qualifying loss")],
        default="per_claim",
        help="Per claim: the deductible is taken off each indemnity. Non-qualifying loss: losses below the "
             "threshold are not indemnified at all.",
    )
    deductible_amount = fields.Monetary(
        tracking=True, help="Per claim: taken off each indemnity. Non-qualifying loss: a loss up to this amount is "
                            "not indemnified at all.")
    max_liability = fields.Monetary(
        string="Maximum Liability", tracking=True,
        help="The most the insurer pays in total over the policy period (aggregate).",
    )
    max_credit_period_days = fields.Integer(
        string="Maximum Credit Period (days)",
        help="Longest payment term an insured invoice may have; longer terms are not insured. 0: no limit.",
    )
    max_extension_days = fields.Integer(
        string="Maximum Extension Period (days)", default=60,
        help="Days after the due date within which an unpaid invoice must be notified to the insurer.",
    )
    notice_days = fields.Integer(
        string="Warn Before Deadline (days)", default=5,
        help="Days before an overdue invoice's notification deadline when the overdue notification to the insurer "
             "is prepared and the responsible person gets an activity.",
    )
    claim_deadline_days = fields.Integer(
        string="Claim Filing Deadline (days)", default=30,
        help="Days after the overdue notification within which the claim must be filed.",
    )
    discretionary_limit = fields.Monetary(
        help="Cover the company may grant itself per buyer without asking the insurer.",
    )

    # Premium
    premium_rate = fields.Float(
        string="Premium Rate (%)", digits=(16, 4), help="Premium charged on insured turnover, in percent."
    )
    minimum_premium = fields.Monetary(
        help="The annual minimum premium: the declarations of each policy year are due at least this much in all; "
             "the one that closes the year adds the true-up.")
    declaration_frequency = fields.Selection(
        selection=[("monthly", "Monthly"), ("quarterly", "Quarterly")], default="monthly", required=True,
        help="How often the insured turnover is declared: calendar months or quarters.",
    )

    # Scope
    country_ids = fields.Many2many("res.country", string="Covered Countries",
                                   help="Buyers in these countries are covered. Empty means all countries.")
    note = fields.Html(help="Special clauses and contacts at the insurer.")

    # Claims accounting
    claim_journal_id = fields.Many2one(
        "account.journal", check_company=True, domain="[('type', '=', 'general')]",
        help="When set, registering an indemnity posts an entry in this journal: the insurer's receivable is "
             "debited and the buyer's receivable credited, reconciled with the claimed invoices.")
    claim_receivable_account_id = fields.Many2one(
        "account.account", string="Amount Due from Insurer", check_company=True,
        domain="[('account_type', 'in', ('asset_receivable', 'asset_current')), ('deprecated', '=', False)]",
        help="The account debited with the indemnity until the insurer pays it.")
    loss_account_id = fields.Many2one(
        "account.account", check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_other')), ('deprecated', '=', False)]",
        help="When set (with the claim journal), closing an indemnified claim writes off what the buyer still "
             "owes on the claimed invoices, the company's own share of the loss, to this account.")

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("indemnity_percent", "premium_rate", "deductible_amount", "max_liability", "discretionary_limit",
                    "max_credit_period_days", "max_extension_days", "claim_deadline_days", "notice_days")
    def _check_terms(self):
        for policy in self:
            if not 0 <= policy.indemnity_percent <= 100 or not 0 <= policy.premium_rate <= 100:
                raise ValidationError(self.env._(
                    "Policy %(policy)s: percentages must be between 0 and 100.", policy=policy.policy_number))
            amounts = (policy.deductible_amount, policy.max_liability, policy.discretionary_limit)
            days = (policy.max_credit_period_days, policy.max_extension_days, policy.claim_deadline_days,
                    policy.notice_days)
            if min(amounts + days) < 0:
                raise ValidationError(self.env._(
                    "Policy %(policy)s: amounts and periods cannot be negative.", policy=policy.policy_number))

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for policy in self:
            if policy.date_end <= policy.date_start:
                raise ValidationError(self.env._(
                    "Policy %(policy)s: the end date must be after the start date.", policy=policy.policy_number))

    @api.constrains("state", "policy_type", "insurer_id", "date_start", "date_end", "company_id")
    def _check_overlap(self):
        for policy in self.filtered(lambda p: p.state == "active" and p.policy_type == "whole_turnover"):
            overlapping = self.search_count([
                ("id", "!=", policy.id),
                ("state", "=", "active"),
                ("policy_type", "=", "whole_turnover"),
                ("company_id", "=", policy.company_id.id),
                ("insurer_id", "=", policy.insurer_id.id),
                ("date_start", "<=", policy.date_end),
                ("date_end", ">=", policy.date_start),
            ], limit=1)
            if overlapping:
                raise ValidationError(self.env._(
                    "Policy %(policy)s overlaps another active whole-turnover policy with %(insurer)s.",
                    policy=policy.policy_number, insurer=policy.insurer_id.display_name))

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_activate(self):
        self._check_state("draft")
        self.write({"state": "active"})

    def action_cancel(self):
        self._check_state("draft", "active")
        self.write({"state": "cancelled"})

    def action_draft(self):
        self._check_state("cancelled")
        self.write({"state": "draft"})

    # -------------------------------------------------------------------------
    # CRON
    # -------------------------------------------------------------------------

    @api.model
    def _cron_expire_policies(self):
        """Active policies whose end date has passed become expired (every company, one write)."""
        self.sudo().search([("state", "=", "active"), ("date_end", "<", fields.Date.context_today(self))]).write(
            {"state": "expired"})

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _check_state(self, *states):
        if wrong := self.filtered(lambda policy: policy.state not in states):
            raise UserError(self.env._("Policy %(policy)s cannot do this in its current state.",
                                       policy=wrong[0].policy_number))

    def _credit_policy_year(self, day):
        """(first day, last day) of the policy year holding ``day``: years run from the start date's
        anniversaries, the last one ends with the policy."""
        self.ensure_one()
        years = max(relativedelta(day, self.date_start).years, 0)
        start = self.date_start + relativedelta(years=years)
        return start, min(start + relativedelta(years=1, days=-1), self.date_end)

from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from .credit_insurance_claim import CONSUMING

# The smart buttons' counts: {field: model with a policy_id}.
COUNTED = {
    "cover_count": "credit.insurance.cover",
    "claim_count": "credit.insurance.claim",
    "notification_count": "credit.insurance.notification",
    "declaration_count": "credit.insurance.declaration",
}


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
    aggregate_first_loss = fields.Monetary(
        string="Annual Aggregate First Loss", tracking=True,
        help="The company's own first losses of each policy year: the year's claims, in filing order, use it up "
             "(after the per-claim deductible) before the insurer pays anything. 0: none.")
    max_liability = fields.Monetary(
        string="Maximum Liability", tracking=True,
        help="The most the insurer pays in total over the policy period (aggregate).",
    )
    liability_used = fields.Monetary(
        compute="_compute_liability", help="What the policy's claims hold of the maximum liability: the expected "
                                           "indemnity of filed claims, the accepted amount of decided ones, the "
                                           "amount paid of indemnified ones.")
    liability_remaining = fields.Monetary(compute="_compute_liability",
                                          help="The maximum liability less what the claims hold.")
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

    # Renewal
    user_id = fields.Many2one("res.users", string="Responsible", default=lambda self: self.env.user.filtered(
                                  lambda user: not user._is_superuser() and not user.share), tracking=True,
                              domain="[('share', '=', False)]",
                              help="Who negotiates the renewal with the insurer and gets the renewal activity.")
    renewal_notice_days = fields.Integer(
        string="Renewal Notice (days)", default=60,
        help="Days before the end date when the responsible person gets an activity to renew the policy. 0: none.")
    date_renewal = fields.Date(string="Renewal Due", compute="_compute_date_renewal", store=True,
                               help="The end date less the renewal notice.")
    renewal_scheduled_end = fields.Date(
        readonly=True, copy=False,
        help="The end date the renewal activity was scheduled for: once per end date, again when it changes.")

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

    # Smart buttons
    cover_count = fields.Integer(compute="_compute_counts")
    claim_count = fields.Integer(compute="_compute_counts")
    notification_count = fields.Integer(compute="_compute_counts")
    declaration_count = fields.Integer(compute="_compute_counts")

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    def _compute_liability(self):
        claims = self.env["credit.insurance.claim"].sudo().search(
            [("policy_id", "in", self.ids), ("state", "in", CONSUMING)])
        for policy in self:
            policy.liability_used = sum(claim._credit_liability_held() for claim in claims
                                        if claim.policy_id == policy)
            policy.liability_remaining = max(policy.max_liability - policy.liability_used, 0.0) \
                if policy.max_liability else 0.0

    @api.depends("date_end", "renewal_notice_days")
    def _compute_date_renewal(self):
        for policy in self:
            policy.date_renewal = policy.date_end - timedelta(days=policy.renewal_notice_days) \
                if policy.date_end and policy.renewal_notice_days else False

    def _compute_counts(self):
        for field, model in COUNTED.items():
            counts = dict(self.env[model]._read_group([("policy_id", "in", self.ids)], ["policy_id"], ["__count"]))
            for policy in self:
                policy[field] = counts.get(policy, 0)

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("indemnity_percent", "premium_rate", "deductible_amount", "aggregate_first_loss",
                    "max_liability", "discretionary_limit", "max_credit_period_days", "max_extension_days",
                    "claim_deadline_days", "notice_days", "renewal_notice_days")
    def _check_terms(self):
        for policy in self:
            if not 0 <= policy.indemnity_percent <= 100 or not 0 <= policy.premium_rate <= 100:
                raise ValidationError(self.env._(
                    "Policy %(policy)s: percentages must be between 0 and 100.", policy=policy.policy_number))
            amounts = (policy.deductible_amount, policy.aggregate_first_loss, policy.max_liability,
                       policy.discretionary_limit)
            days = (policy.max_credit_period_days, policy.max_extension_days, policy.claim_deadline_days,
                    policy.notice_days, policy.renewal_notice_days)
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

    def write(self, vals):
        result = super().write(vals)
        if {"date_start", "date_end"} & set(vals):  # the policy years move: the true-ups follow, or are refused
            declarations = self.env["credit.insurance.declaration"].search(
                [("policy_id", "in", self.ids), ("state", "!=", "cancelled")])
            declarations._credit_refresh_years()
        return result

    def action_activate(self):
        self._check_state("draft")
        self.write({"state": "active"})

    def action_cancel(self):
        self._check_state("draft", "active")
        self.write({"state": "cancelled"})

    def action_draft(self):
        self._check_state("cancelled")
        self.write({"state": "draft"})

    def action_view_covers(self):
        return self._credit_open_related("credit.insurance.cover", self.env._("Buyer Cover"))

    def action_view_claims(self):
        return self._credit_open_related("credit.insurance.claim", self.env._("Claims"))

    def action_view_notifications(self):
        return self._credit_open_related("credit.insurance.notification", self.env._("Overdue Notifications"))

    def action_view_declarations(self):
        return self._credit_open_related("credit.insurance.declaration", self.env._("Premium Declarations"))

    # -------------------------------------------------------------------------
    # CRON
    # -------------------------------------------------------------------------

    @api.model
    def _cron_expire_policies(self):
        """Active policies whose end date has passed become expired (every company, one write)."""
        self.sudo().search([("state", "=", "active"), ("date_end", "<", fields.Date.context_today(self))]).write(
            {"state": "expired"})

    @api.model
    def _cron_policy_renewals(self):
        """A renewal activity for the responsible person of each active policy whose renewal is due, once per
        end date (every company, one query to find them)."""
        today = fields.Date.context_today(self)
        policies = self.sudo().search([("state", "=", "active"), ("date_renewal", "<=", today),
                                       ("date_end", ">=", today)])
        due = policies.filtered(lambda policy: policy.renewal_scheduled_end != policy.date_end)
        activity_type = self.env.ref("credit_control_insurance.mail_activity_type_policy_renewal")
        for policy in due:  # an end date that moved replaces the activity of the former one
            policy.activity_unlink(["credit_control_insurance.mail_activity_type_policy_renewal"])
            policy.activity_schedule(
                activity_type_id=activity_type.id, date_deadline=policy.date_renewal,
                user_id=policy._credit_renewal_user().id,
                summary=self.env._("Renew policy %(policy)s with %(insurer)s: it ends on %(end)s",
                                   policy=policy.policy_number, insurer=policy.insurer_id.display_name,
                                   end=format_date(self.env, policy.date_end)))
            policy.renewal_scheduled_end = policy.date_end

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_renewal_user(self):
        """Who renews the policy: its responsible person while active, else a Credit Control Manager of its
        company, else the administrator."""
        self.ensure_one()
        if self.user_id.active:
            return self.user_id
        return self.company_id._credit_managers()[:1] or self.env.ref("base.user_admin")

    def _credit_open_related(self, model, name):
        """The list of ``model``'s records of this policy, new ones on it."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window", "name": name, "res_model": model, "view_mode": "list,form",
            "domain": [("policy_id", "=", self.id)], "context": {"default_policy_id": self.id},
        }

    def _check_state(self, *states):
        if wrong := self.filtered(lambda policy: policy.state not in states):
            raise UserError(self.env._("Policy %(policy)s cannot do this in its current state.",
                                       policy=wrong[0].policy_number))

    def _credit_policy_year(self, day):
        """(first day, last day) of the policy year holding ``day``: years run from the start date's
        anniversaries, the last one ends with the policy. A day before the start is in the first year, one
        after the end (a claim filed once the policy ended) in the last."""
        self.ensure_one()
        day = min(max(day, self.date_start), self.date_end)
        years = relativedelta(day, self.date_start).years
        start = self.date_start + relativedelta(years=years)
        return start, min(start + relativedelta(years=1, days=-1), self.date_end)

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, date_utils

from ..report.credit_insurance_declaration_xlsx import declaration_workbook

# A declaration's figures: frozen once submitted.
CONTENT_FIELDS = {"policy_id", "date_from", "date_to", "line_ids", "premium_rate", "minimum_premium",
                  "year_closing", "year_premium_before"}
# State fields only managers may set.
MANAGER_FIELDS = {"state", "date_submitted", "submitted_by_id"}


class CreditInsuranceDeclaration(models.Model):
    """The insured turnover of one policy over one period (month or quarter) and the premium due on it.

    Insured turnover: the posted customer invoices of the period (by invoice date) that were insured under the
    policy, taxes included, net of the credit notes of the period that reverse such invoices. One SQL query per
    declaration gives the lines, grouped by the buyer's country and the invoice currency.
    """

    _name = "credit.insurance.declaration"
    _description = "Insurance Premium Declaration"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True, readonly=True)
    policy_id = fields.Many2one("credit.insurance.policy", required=True, index=True, tracking=True,
                                check_company=True, domain="[('state', 'in', ('active', 'expired'))]")
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True, precompute=True)
    insurer_id = fields.Many2one(related="policy_id.insurer_id")
    currency_id = fields.Many2one(related="policy_id.currency_id", string="Policy Currency", store=True,
                                  precompute=True)
    date_from = fields.Date(string="Period Start", required=True, tracking=True)
    date_to = fields.Date(string="Period End", required=True, tracking=True)
    state = fields.Selection(
        selection=[("draft", "Draft"), ("submitted", "Submitted"), ("cancelled", "Cancelled")],
        default="draft", required=True, tracking=True, copy=False,
    )
    line_ids = fields.One2many("credit.insurance.declaration.line", "declaration_id", string="Turnover",
                               copy=False)
    invoice_count = fields.Integer(string="Invoices", compute="_compute_totals", store=True)
    refund_count = fields.Integer(string="Credit Notes", compute="_compute_totals", store=True)
    insured_turnover = fields.Monetary(
        compute="_compute_totals", store=True, tracking=True,
        help="Insured invoices of the period, taxes included, net of the credit notes of the period that reverse "
             "insured invoices, in the policy currency.",
    )
    premium_rate = fields.Float(string="Premium Rate (%)", digits=(16, 4), readonly=True,
                                help="The policy's premium rate when the figures were computed.")
    premium = fields.Monetary(compute="_compute_premium", store=True,
                              help="Insured turnover x premium rate / 100.")
    minimum_premium = fields.Monetary(
        string="Annual Minimum Premium", readonly=True,
        help="The policy's annual minimum premium when the figures were computed: the declarations of a policy "
             "year are due at least this much in all.",
    )
    year_closing = fields.Boolean(string="Closes the Policy Year", readonly=True,
                                  help="The period ends the policy year: its declaration tops the year up to the "
                                       "annual minimum premium.")
    year_premium_before = fields.Monetary(
        string="Due Earlier in the Year", readonly=True,
        help="The premium due of the policy year's earlier declarations (not cancelled) when the figures were "
             "computed.")
    true_up = fields.Monetary(
        string="Minimum Premium True-up", compute="_compute_premium", store=True,
        help="On the period that closes the policy year: what the year still lacks to reach the annual minimum "
             "premium (annual minimum − due earlier in the year − this period's premium, at least 0).")
    premium_due = fields.Monetary(compute="_compute_premium", store=True, tracking=True,
                                  help="The premium, plus the minimum premium true-up on the period that closes "
                                       "the policy year.")
    year_to_date_premium = fields.Monetary(
        string="Due for the Year So Far", compute="_compute_premium", store=True,
        help="The premium due for the policy year up to this period, this declaration included.")
    date_computed = fields.Datetime(string="Computed On", readonly=True, copy=False,
                                    help="When the figures were last taken from the books.")
    date_submitted = fields.Date(string="Submitted On", readonly=True, copy=False, tracking=True)
    submitted_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    insurer_reference = fields.Char(tracking=True, copy=False,
                                    help="The insurer's reference of the declaration or of its premium invoice.")
    note = fields.Text()

    _sql_constraints = [
        ("policy_period_unique", "UNIQUE(policy_id, date_from)",
         "A policy has one premium declaration per period."),
    ]

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("policy_id.policy_number", "date_from", "date_to")
    def _compute_name(self):
        for declaration in self:
            declaration.name = " ".join(filter(None, [declaration.policy_id.policy_number,
                                                      declaration._credit_period_label()]))

    @api.depends("line_ids.invoice_count", "line_ids.refund_count", "line_ids.amount_net_policy")
    def _compute_totals(self):
        for declaration in self:
            lines = declaration.line_ids
            declaration.invoice_count = sum(lines.mapped("invoice_count"))
            declaration.refund_count = sum(lines.mapped("refund_count"))
            declaration.insured_turnover = declaration.currency_id.round(sum(lines.mapped("amount_net_policy")))

    @api.depends("insured_turnover", "premium_rate", "minimum_premium", "year_closing", "year_premium_before")
    def _compute_premium(self):
        """Each period bills rate × turnover; the period that closes the policy year adds the true-up that
        brings the year to max(rate × the year's turnover, annual minimum premium)."""
        for declaration in self:
            currency = declaration.currency_id
            premium = currency.round(declaration.insured_turnover * declaration.premium_rate / 100.0)
            true_up = currency.round(max(declaration.minimum_premium - declaration.year_premium_before - premium,
                                         0.0)) if declaration.year_closing else 0.0
            declaration.update({"premium": premium, "true_up": true_up, "premium_due": premium + true_up,
                                "year_to_date_premium": declaration.year_premium_before + premium + true_up})

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for declaration in self:
            if declaration.date_to < declaration.date_from:
                raise ValidationError(self.env._(
                    "The declaration period cannot end (%(end)s) before it starts (%(start)s).",
                    end=declaration.date_to, start=declaration.date_from))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and any(MANAGER_FIELDS & vals.keys() for vals in vals_list):
            self._credit_check_manager()
        declarations = super().create(vals_list)
        declarations._credit_compute()
        return declarations

    def write(self, vals):
        if not self.env.su and MANAGER_FIELDS & vals.keys():
            self._credit_check_manager()
        if CONTENT_FIELDS & vals.keys():
            self._credit_check_draft()
        result = super().write(vals)
        if {"policy_id", "date_from", "date_to"} & vals.keys():
            self._credit_compute()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_submitted(self):
        if self.filtered(lambda d: d.state == "submitted"):
            raise UserError(self.env._("A submitted declaration cannot be deleted; reset it to draft first."))

    def unlink(self):
        years = self.filtered(lambda d: d.state != "cancelled")
        others = self.search([("policy_id", "in", years.policy_id.ids), ("id", "not in", self.ids)])
        keys = {(d.policy_id, d._credit_year()) for d in years}
        result = super().unlink()
        others.filtered(lambda d: (d.policy_id, d._credit_year()) in keys)._credit_refresh_years()
        return result

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_compute(self):
        """Take the figures from the books again (drafts only)."""
        self._credit_check_draft()
        self._credit_compute()

    def action_submit(self):
        """Record that the declaration went to the insurer: its figures are frozen (Credit Control Managers). The
        declaration that closes a policy year goes last: every earlier period of the year declared and
        submitted."""
        self._credit_check_manager()
        self._credit_check_draft()
        self._credit_refresh_years()
        for declaration in self.filtered("year_closing").sorted("date_from"):
            if missing := declaration._credit_open_periods_before(self):
                raise UserError(self.env._(
                    "%(closing)s closes the policy year: submit the year's earlier periods first (%(periods)s).",
                    closing=declaration.name, periods=", ".join(missing)))
        self.write({"state": "submitted", "date_submitted": fields.Date.context_today(self),
                    "submitted_by_id": self.env.user.id})

    def action_cancel(self):
        self._credit_check_manager()
        self._credit_check_draft()
        self.write({"state": "cancelled"})
        self._credit_refresh_years()

    def action_reset_to_draft(self):
        self._credit_check_manager()
        if self.filtered(lambda d: d.state == "draft"):
            raise UserError(self.env._("The declaration is already a draft."))
        self.write({"state": "draft", "date_submitted": False, "submitted_by_id": False})
        self._credit_refresh_years()

    def action_export_xlsx(self):
        """Download the declaration for the insurer: one row per country and currency, totals and premium."""
        self.ensure_one()
        attachment = self.env["ir.attachment"].create({
            "name": self.env._("premium_declaration_%(name)s.xlsx", name=self.name.replace(" ", "_")),
            "raw": declaration_workbook(self.env, self),
            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "res_model": self._name,
            "res_id": self.id,
        })
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true",
                "target": "self"}

    # -------------------------------------------------------------------------
    # CRON
    # -------------------------------------------------------------------------

    @api.model
    def _cron_generate_declarations(self):
        """Create the draft declaration of each policy's last complete period when it is missing (idempotent)."""
        policies = self.env["credit.insurance.policy"].sudo().search([("state", "in", ("active", "expired"))])
        declarations = self.sudo()._credit_generate(policies, recompute=False)
        self.env["ir.cron"]._notify_progress(done=len(declarations), remaining=0)
        return declarations

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _credit_period(self, policy, day):
        """(first day, last day) of the policy's declaration period (calendar month or quarter) holding ``day``."""
        granularity = "quarter" if policy.declaration_frequency == "quarterly" else "month"
        return date_utils.start_of(day, granularity), date_utils.end_of(day, granularity)

    @api.model
    def _credit_last_complete_period(self, policy, today=None):
        """The policy's latest period that ended before ``today`` (default: today)."""
        today = today or fields.Date.context_today(self)
        current_start, _end = self._credit_period(policy, today)
        return self._credit_period(policy, date_utils.subtract(current_start, days=1))

    @api.model
    def _credit_generate(self, policies, day=None, recompute=True):
        """The declarations of ``policies`` for the period holding ``day`` (default: each policy's last complete
        period): missing ones are created as drafts; with ``recompute``, existing drafts are computed again.
        Periods outside a policy's dates are skipped. One search for the existing declarations."""
        wanted = {}
        for policy in policies:
            date_from, date_to = (self._credit_period(policy, day) if day
                                  else self._credit_last_complete_period(policy))
            if date_from <= policy.date_end and date_to >= policy.date_start:
                wanted[policy.id, date_from] = date_to
        if not wanted:
            return self.browse()
        existing = self.with_context(active_test=False).search([
            ("policy_id", "in", [policy_id for policy_id, _date in wanted]),
            ("date_from", "in", list({date_from for _policy, date_from in wanted})),
        ])
        found = {(declaration.policy_id.id, declaration.date_from): declaration for declaration in existing}
        created = self.create([
            {"policy_id": policy_id, "date_from": date_from, "date_to": date_to}
            for (policy_id, date_from), date_to in wanted.items() if (policy_id, date_from) not in found
        ])
        kept = self.browse([declaration.id for key, declaration in found.items() if key in wanted])
        if recompute:
            kept.filtered(lambda d: d.state == "draft")._credit_compute()
        return created | kept

    def _credit_compute(self):
        """Replace the lines of these declarations with the turnover in the books; copy the premium terms."""
        now = fields.Datetime.now()
        for declaration in self:
            lines = [Command.clear()] + [Command.create(values) for values in declaration._credit_turnover_lines()]
            policy = declaration.policy_id
            declaration.write({
                "line_ids": lines,
                "premium_rate": policy.premium_rate,
                "minimum_premium": policy.minimum_premium,
                "date_computed": now,
            })
        self._credit_refresh_years()

    def _credit_year(self):
        """(first day, last day) of the policy year this declaration belongs to: the year its period starts in,
        the first one for a period that starts before the policy."""
        self.ensure_one()
        return self.policy_id._credit_policy_year(max(self.date_from, self.policy_id.date_start))

    def _credit_refresh_years(self):
        """The drafts of these declarations' policy years learn, in date order, what the year's earlier
        declarations (not cancelled) are due and whether they close the year: the true-up of a year's last
        period follows every change of the year. A year whose closing declaration was submitted is frozen: an
        earlier period of it cannot change then."""
        for policy in self.policy_id:
            years = {declaration._credit_year() for declaration in self if declaration.policy_id == policy}
            declarations = self.search([("policy_id", "=", policy.id), ("state", "!=", "cancelled")],
                                       order="date_from, id")
            due = dict.fromkeys(years, 0.0)
            for declaration in declarations:
                year = declaration._credit_year()
                if year not in due:
                    continue
                closing = declaration.date_to >= year[1]
                if declaration.state == "draft" and (
                        declaration.year_closing != closing or declaration.currency_id.compare_amounts(
                            declaration.year_premium_before, due[year])):
                    declaration.write({"year_closing": closing, "year_premium_before": due[year]})
                elif declaration.state == "submitted" and declaration.year_closing != closing:
                    raise UserError(self.env._(
                        "%(declaration)s is submitted and the policy year it is in would end elsewhere: reset the "
                        "year's submitted declarations to draft before changing the policy's dates.",
                        declaration=declaration.name))
                elif declaration.state == "submitted" and declaration.year_closing and \
                        declaration.currency_id.compare_amounts(declaration.year_premium_before, due[year]):
                    raise UserError(self.env._(
                        "%(closing)s, which closes the policy year, is submitted: reset it to draft before changing "
                        "the year's earlier declarations.", closing=declaration.name))
                due[year] += declaration.premium_due

    def _credit_open_periods_before(self, submitting):
        """The labels of this (closing) declaration's year's earlier periods that are missing, or still drafts
        and not among ``submitting``."""
        self.ensure_one()
        policy, (year_start, _year_end) = self.policy_id, self._credit_year()
        periods, day = [], max(year_start, policy.date_start)
        while day < self.date_from:
            periods.append(self._credit_period(policy, day))
            day = date_utils.add(periods[-1][1], days=1)
        declared = {d.date_from: d for d in self.search([("policy_id", "=", policy.id), ("state", "!=", "cancelled")])}
        return [declared[start].name if start in declared else self.new(
                    {"policy_id": policy.id, "date_from": start, "date_to": end})._credit_period_label()
                for start, end in periods
                if start not in declared or (declared[start].state == "draft" and declared[start] not in submitting)]

    def _credit_turnover_lines(self):
        """The line values of this declaration, in one query grouped by buyer country and invoice currency.

        Invoices: posted ``out_invoice`` dated in the period with ``credit_insured`` under this policy.
        Credit notes: posted ``out_refund`` dated in the period whose reversed invoice is insured under this
        policy (a credit note linked to no invoice is not netted: declaring too little could void the cover).
        Amounts are ``amount_total`` (taxes included) in the invoice currency; the policy-currency amount is
        exact when the invoice currency is the policy's, else the company-currency amounts booked at each
        invoice's rate (converted at the period end's rate when the policy currency is not the company's).
        """
        self.ensure_one()
        self.env["account.move"].flush_model([
            "state", "move_type", "invoice_date", "company_id", "commercial_partner_id", "currency_id",
            "amount_total", "amount_total_signed", "reversed_entry_id", "credit_insured",
            "credit_insurance_policy_id",
        ])
        self.env["res.partner"].flush_model(["country_id"])
        rows = self.env.execute_query(SQL(
            """
            SELECT partner.country_id,
                   move.currency_id,
                   COUNT(*) FILTER (WHERE move.move_type = 'out_invoice'),
                   COUNT(*) FILTER (WHERE move.move_type = 'out_refund'),
                   COALESCE(SUM(move.amount_total) FILTER (WHERE move.move_type = 'out_invoice'), 0),
                   COALESCE(SUM(move.amount_total) FILTER (WHERE move.move_type = 'out_refund'), 0),
                   COALESCE(SUM(move.amount_total_signed), 0)
              FROM account_move move
              JOIN res_partner partner ON partner.id = move.commercial_partner_id
         LEFT JOIN account_move origin ON origin.id = move.reversed_entry_id
             WHERE move.company_id = %(company)s
               AND move.state = 'posted'
               AND move.invoice_date BETWEEN %(date_from)s AND %(date_to)s
               AND (
                    (move.move_type = 'out_invoice' AND move.credit_insured
                     AND move.credit_insurance_policy_id = %(policy)s)
                 OR (move.move_type = 'out_refund' AND origin.credit_insured
                     AND origin.credit_insurance_policy_id = %(policy)s)
               )
          GROUP BY partner.country_id, move.currency_id
            """,
            company=self.company_id.id, policy=self.policy_id.id, date_from=self.date_from, date_to=self.date_to,
        ))
        company = self.company_id
        policy_currency = self.currency_id
        values = []
        for country_id, currency_id, invoices, refunds, invoiced, refunded, net_company in rows:
            if currency_id == policy_currency.id:
                net_policy = invoiced - refunded
            else:
                net_policy = company.currency_id._convert(net_company, policy_currency, company, self.date_to)
            values.append({
                "country_id": country_id, "currency_id": currency_id, "invoice_count": invoices,
                "refund_count": refunds, "amount_invoiced": invoiced, "amount_refunded": refunded,
                "amount_net_company": net_company, "amount_net_policy": net_policy,
            })
        # in the order of the report: by country name, then currency code
        country_ids = [v["country_id"] for v in values if v["country_id"]]
        countries = {c.id: c.name for c in self.env["res.country"].browse(country_ids)}
        currencies = {c.id: c.name for c in self.env["res.currency"].browse([v["currency_id"] for v in values])}
        return sorted(values, key=lambda v: (countries.get(v["country_id"]) or "", currencies[v["currency_id"]]))

    def _credit_period_months(self):
        """Calendar months the period touches (1 for a month, 3 for a quarter)."""
        self.ensure_one()
        return (self.date_to.year - self.date_from.year) * 12 + self.date_to.month - self.date_from.month + 1

    def _credit_period_label(self):
        """2026-Q1 for a calendar quarter, 2026-03 for a calendar month, else the two dates."""
        self.ensure_one()
        start, end = self.date_from, self.date_to
        if not start or not end:
            return ""
        if start == date_utils.start_of(start, "quarter") and end == date_utils.end_of(start, "quarter"):
            return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
        if start == date_utils.start_of(start, "month") and end == date_utils.end_of(start, "month"):
            return f"{start.year}-{start.month:02d}"
        return f"{start} – {end}"

    def _credit_check_draft(self):
        if wrong := self.filtered(lambda d: d.state != "draft"):
            raise UserError(self.env._(
                "Declaration %(declaration)s is no longer a draft: reset it to draft first.",
                declaration=wrong[0].name))

    def _credit_check_manager(self):
        if not self.env.su and not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only Credit Control Managers can submit, cancel or reset declarations."))

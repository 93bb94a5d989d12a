import json

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_amount

from ..report.credit_profile_xlsx import credit_profile_columns
from ..report.xlsx import xlsx_download_action
from .credit_tier import suggest_limit
from .credit_warning import LIGHTS
from .res_company import GRADES

# Fields only a Credit Control Manager may change.
PROTECTED_FIELDS = {"credit_limit", "credit_no_limit", "credit_tier_id", "credit_hold", "credit_hold_reason",
                    "credit_manual_adjustment", "credit_dunning_policy_id"}
# Set by code only (a JSON context from RPC cannot carry it): the company default limit is written back.
FOLLOW_COMPANY = object()
# Credit data is for accounting users, like core's ``credit`` and ``credit_limit``.
CREDIT_GROUPS = "account.group_account_invoice,account.group_account_readonly"
# Profile fields kept on the commercial partner and shown on its contacts (Odoo's commercial-field sync).
PROFILE_FIELDS = [
    "credit_tier_id", "credit_score", "credit_grade", "credit_suggested_limit", "credit_factors", "credit_rated_on",
    "credit_hold", "credit_hold_reason", "credit_review_date", "credit_user_id", "credit_external_source",
    "credit_external_rating", "credit_external_date", "credit_manual_adjustment", "credit_manual_reason",
    "credit_dunning_policy_id", "credit_light", "credit_no_limit",
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    credit_limit = fields.Float(tracking=True)
    credit_no_limit = fields.Boolean(
        string="No Credit Limit", company_dependent=True, tracking=True, groups=CREDIT_GROUPS,
        help="A credit manager's deliberate choice: this customer's receivables have no limit. Without it the "
             "credit limit applies, and a limit of 0 means no credit. Customers without their own limit get the "
             "company's choice (Settings).",
    )
    credit_tier_id = fields.Many2one(
        "credit.tier", company_dependent=True, tracking=True, groups=CREDIT_GROUPS,
        domain="[('company_id', 'in', (False, current_company_id))]",
        help="The credit policy group of this customer; it drives the suggested limit and the review interval.",
    )
    credit_score = fields.Integer(
        company_dependent=True, readonly=True, aggregator="avg", groups=CREDIT_GROUPS,
        help="0 (worst) to 100 (best), recomputed nightly from the ledger.",
    )
    credit_grade = fields.Selection(GRADES, company_dependent=True, readonly=True, groups=CREDIT_GROUPS)
    # Written for every customer by each nightly run: no index to maintain on these three.
    credit_suggested_limit = fields.Float(
        company_dependent=True, readonly=True, digits="Account", aggregator="sum", index=False, groups=CREDIT_GROUPS,
        help="Limit suggested by the tier's rule from invoiced sales; a credit manager approves it in a review.",
    )
    credit_factors = fields.Char(
        company_dependent=True, readonly=True, copy=False, index=False, groups=CREDIT_GROUPS,
        help="Technical: the rating's facts and factor contributions, as JSON.",
    )
    credit_rated_on = fields.Date(company_dependent=True, readonly=True, copy=False, index=False,
                                  groups=CREDIT_GROUPS)
    credit_rating_explanation = fields.Text(compute="_compute_credit_rating_explanation", groups=CREDIT_GROUPS)
    credit_hold = fields.Boolean(
        company_dependent=True, tracking=True, groups=CREDIT_GROUPS,
        help="On credit hold, no customer invoice can be posted for this customer.",
    )
    credit_hold_reason = fields.Char(company_dependent=True, tracking=True, groups=CREDIT_GROUPS)
    credit_review_date = fields.Date(string="Next Credit Review", company_dependent=True, tracking=True,
                                     groups=CREDIT_GROUPS)
    credit_user_id = fields.Many2one(
        "res.users", string="Credit Controller", company_dependent=True, groups=CREDIT_GROUPS,
        help="Receives review and warning activities; the salesperson when empty.",
    )
    credit_external_source = fields.Char(
        string="External Rating Source", company_dependent=True, groups=CREDIT_GROUPS,
        help="Agency or insurer that gave the rating.",
    )
    credit_external_rating = fields.Integer(
        company_dependent=True, groups=CREDIT_GROUPS,
        help="External grade on a 1 (worst) to 10 (best) scale; 0 when there is none.",
    )
    credit_external_date = fields.Date(string="External Rating Date", company_dependent=True, groups=CREDIT_GROUPS)
    credit_manual_adjustment = fields.Integer(
        company_dependent=True, tracking=True, groups=CREDIT_GROUPS,
        help="Points added to (or taken from) the computed score, between -30 and +30. A reason is required.",
    )
    credit_manual_reason = fields.Char(string="Adjustment Reason", company_dependent=True, tracking=True,
                                       groups=CREDIT_GROUPS)
    credit_exposure = fields.Monetary(
        compute="_compute_credit_exposure", search="_search_credit_exposure", currency_field="currency_id",
        groups=CREDIT_GROUPS, help="Open receivables of the customer and its contacts, in company currency.",
    )
    credit_overdue_amount = fields.Monetary(compute="_compute_credit_exposure", currency_field="currency_id",
                                            groups=CREDIT_GROUPS)
    credit_utilization = fields.Float(
        string="Utilisation (%)", compute="_compute_credit_exposure", search="_search_credit_utilization",
        groups=CREDIT_GROUPS, help="Exposure as a percentage of the credit limit.",
    )
    credit_file_item_ids = fields.One2many("credit.file.item", "partner_id", string="Credit File",
                                           groups=CREDIT_GROUPS)
    credit_file_state = fields.Selection(
        selection=[("complete", "Complete"), ("missing", "Missing items"), ("expired", "Expired items")],
        compute="_compute_credit_file_state", search="_search_credit_file_state", groups=CREDIT_GROUPS,
    )
    credit_file_issues = fields.Char(compute="_compute_credit_file_state", groups=CREDIT_GROUPS)
    credit_dunning_policy_id = fields.Many2one(
        "credit.dunning.policy", string="Dunning Policy", company_dependent=True, tracking=True, groups=CREDIT_GROUPS,
        domain="[('company_id', 'in', (False, current_company_id))]",
        help="Overrides the dunning policy of the customer's tier (and the company's default).",
    )
    credit_dunning_level_id = fields.Many2one(
        "credit.dunning.level", string="Dunning Level", compute="_compute_credit_dunning", groups=CREDIT_GROUPS,
        help="The highest dunning level reached by the customer's open invoices.",
    )
    credit_dunning_count = fields.Integer(compute="_compute_credit_dunning", groups=CREDIT_GROUPS)
    credit_dispute_count = fields.Integer(
        string="Disputed Invoices", compute="_compute_credit_dunning", search="_search_credit_dispute_count",
        groups=CREDIT_GROUPS)
    credit_promise_ids = fields.One2many("credit.payment.promise", "partner_id", string="Promises to Pay",
                                         groups=CREDIT_GROUPS)
    credit_call_log_ids = fields.One2many("credit.call.log", "partner_id", string="Collection Calls",
                                          groups=CREDIT_GROUPS)
    credit_promise_date = fields.Date(
        string="Promised Payment", compute="_compute_credit_dunning", search="_search_credit_promise_date",
        groups=CREDIT_GROUPS, help="Date of the customer's open promise to pay; dunning pauses until then.",
    )
    credit_grade_previous = fields.Selection(GRADES, string="Previous Grade", company_dependent=True, readonly=True,
                                             copy=False, index=False, groups=CREDIT_GROUPS)
    credit_grade_changed_on = fields.Date(company_dependent=True, readonly=True, copy=False, index=False,
                                          groups=CREDIT_GROUPS)
    credit_light = fields.Selection(
        LIGHTS, string="Traffic Light", company_dependent=True, readonly=True, copy=False, groups=CREDIT_GROUPS,
        help="Red with an open red early warning, amber with an open amber one, else green; set by the daily run.",
    )
    credit_warned_on = fields.Date(company_dependent=True, readonly=True, copy=False, index=False,
                                   groups=CREDIT_GROUPS)
    credit_warning_ids = fields.One2many("credit.warning", "partner_id", string="Early Warnings",
                                         groups=CREDIT_GROUPS)
    credit_warning_count = fields.Integer(string="Open Warnings", compute="_compute_credit_warning_count",
                                          groups=CREDIT_GROUPS)
    credit_event_ids = fields.One2many("credit.event", "partner_id", string="Outside Events", groups=CREDIT_GROUPS)
    credit_review_ids = fields.One2many("credit.review", "partner_id", string="Credit Reviews", groups=CREDIT_GROUPS)
    credit_review_count = fields.Integer(compute="_compute_credit_review_count", groups=CREDIT_GROUPS)

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends_context("company", "lang")
    @api.depends("credit_factors")
    def _compute_credit_rating_explanation(self):
        labels = self._credit_factor_labels()
        for partner in self:
            data = json.loads(partner.credit_factors or "{}")
            contributions = [(name, data["contributions"][name]) for name in labels
                             if data.get("contributions", {}).get(name)]
            lines = [
                self.env._("%(factor)s: %(points)+.1f points (%(fact)s)", factor=labels[name],
                           points=points, fact=self._credit_fact_text(name, data["facts"]))
                for name, points in contributions
            ]
            if data:
                lines.insert(0, self.env._("Score %(score)s = 100 %(parts)s", score=partner.credit_score,
                                           parts=" ".join(f"{points:+.1f}" for _name, points in contributions)))
            partner.credit_rating_explanation = "\n".join(lines) or self.env._("No payment history penalises it.")

    @api.depends_context("company")
    def _compute_credit_exposure(self):
        amounts = self._credit_exposure_by_partner(self.commercial_partner_id.ids)
        for partner in self:
            commercial = partner.commercial_partner_id
            exposure, overdue = amounts.get(commercial.id, (0.0, 0.0))
            partner.credit_exposure = exposure
            partner.credit_overdue_amount = overdue
            limited = commercial.credit_limit and not commercial.credit_no_limit
            partner.credit_utilization = 100.0 * exposure / commercial.credit_limit if limited else 0.0

    @api.depends_context("company")
    @api.depends("credit_file_item_ids.expiry_date", "credit_file_item_ids.type_id")
    def _compute_credit_file_state(self):
        issues = self._credit_file_issues(self.commercial_partner_id.ids)
        for partner in self:
            missing, expired = issues.get(partner.commercial_partner_id.id, ([], []))
            partner.credit_file_state = "expired" if expired else "missing" if missing else "complete"
            parts = []
            if missing:
                parts.append(self.env._("Missing: %(items)s", items=", ".join(missing)))
            if expired:
                parts.append(self.env._("Expired: %(items)s", items=", ".join(expired)))
            partner.credit_file_issues = "; ".join(parts)

    @api.depends_context("company")
    def _compute_credit_dunning(self):
        """Per commercial partner: highest current level of its open invoices, communications, disputes, promise."""
        commercial_ids = self.commercial_partner_id.ids
        company = self.env.company
        moves = self.env["account.move"]
        open_invoices = [("commercial_partner_id", "in", commercial_ids), ("company_id", "=", company.id),
                         ("state", "=", "posted"), ("move_type", "=", "out_invoice"),
                         ("payment_state", "in", ("not_paid", "partial"))]
        open_ids = dict(moves._read_group(open_invoices, ["commercial_partner_id"], ["id:array_agg"]))
        current = self.env["credit.dunning.line"].sudo()._credit_current_levels(
            [move_id for move_ids in open_ids.values() for move_id in move_ids], open_only=True)
        levels = {partner: [current[move_id][0] for move_id in move_ids if move_id in current]
                  for partner, move_ids in open_ids.items()}
        disputes = dict(moves._read_group(open_invoices + [("credit_disputed", "=", True)],
                                          ["commercial_partner_id"], ["__count"]))
        # Accounting users see the level and the promise of a customer, as they see its exposure.
        communications = dict(self.env["credit.dunning.communication"].sudo()._read_group(
            [("partner_id", "in", commercial_ids), ("company_id", "=", company.id)], ["partner_id"], ["__count"]))
        promises = dict(self.env["credit.payment.promise"].sudo()._read_group(
            [("partner_id", "in", commercial_ids), ("company_id", "=", company.id), ("state", "=", "open")],
            ["partner_id"], ["promise_date:max"]))
        all_levels = self.env["credit.dunning.level"].browse(
            {level_id for level_ids in levels.values() for level_id in level_ids})
        for partner in self:
            commercial = partner.commercial_partner_id
            reached = all_levels.browse(levels.get(commercial, []))
            partner.credit_dunning_level_id = reached.sorted(lambda lv: (lv.stage, lv.offset_days))[-1:]
            partner.credit_dunning_count = communications.get(commercial, 0)
            partner.credit_dispute_count = disputes.get(commercial, 0)
            partner.credit_promise_date = promises.get(commercial, False)

    @api.depends_context("company")
    def _compute_credit_warning_count(self):
        counts = dict(self.env["credit.warning"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id),
             ("state", "!=", "resolved")], ["partner_id"], ["__count"]))
        for partner in self:
            partner.credit_warning_count = counts.get(partner.commercial_partner_id, 0)

    def _compute_credit_review_count(self):
        counts = dict(self.env["credit.review"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]))
        for partner in self:
            partner.credit_review_count = counts.get(partner.commercial_partner_id, 0)

    # -------------------------------------------------------------------------
    # SEARCH
    # -------------------------------------------------------------------------

    def _search_credit_exposure(self, operator, value):
        return self._search_credit_measure(SQL("exposure"), operator, value)

    def _search_credit_utilization(self, operator, value):
        return self._search_credit_measure(SQL("100.0 * exposure / NULLIF(credit_limit, 0)"), operator, value)

    def _search_credit_measure(self, measure, operator, value):
        if operator not in (">", ">=", "<", "<=") or not isinstance(value, (int, float)):
            raise UserError(self.env._("Unsupported search on credit exposure: %(op)s %(value)s",
                                       op=operator, value=value))
        matching = SQL(
            """
            SELECT partner_id FROM (
                SELECT cp.id AS partner_id, COALESCE(e.exposure, 0) AS exposure, %(limit)s AS credit_limit
                  FROM res_partner cp LEFT JOIN (%(exposure)s) e ON e.partner_id = cp.id
                 WHERE cp.id = cp.commercial_partner_id
            ) x WHERE %(measure)s %(op)s %(value)s
            """,
            limit=self._field_to_sql("cp", "credit_limit"), exposure=self._credit_exposure_query(),
            measure=measure, op=SQL(operator), value=value,
        )
        return [("id", "in", SQL("(SELECT id FROM res_partner WHERE commercial_partner_id IN (%s))", matching))]

    def _search_credit_dispute_count(self, operator, value):
        if operator not in (">", ">=", "=", "!=", "<", "<=") or not isinstance(value, int):
            raise UserError(self.env._("Unsupported search on disputed invoices."))
        counts = SQL(
            """
            (SELECT cp.id FROM res_partner cp
              LEFT JOIN account_move m ON m.commercial_partner_id = cp.id AND m.company_id = %(company)s
                   AND m.state = 'posted' AND m.move_type = 'out_invoice' AND m.credit_disputed
                   AND m.payment_state IN ('not_paid', 'partial')
             WHERE cp.id = cp.commercial_partner_id
             GROUP BY cp.id HAVING COUNT(m.id) %(op)s %(value)s)
            """, company=self.env.company.id, op=SQL(operator), value=value)
        return [("commercial_partner_id", "in", counts)]

    def _search_credit_promise_date(self, operator, value):
        return self.env["credit.payment.promise"]._credit_promise_domain(operator, value)

    def _search_credit_file_state(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            raise UserError(self.env._("Unsupported search on the credit file state."))
        states = {value} if isinstance(value, str) else set(value)
        if operator in ("!=", "not in"):
            states = {"complete", "missing", "expired"} - states
        today = fields.Date.context_today(self)
        # A required item type with no item at all is missing; one whose items all expired is expired.
        gaps = SQL(
            """
            SELECT p.id AS partner_id,
                   bool_or(NOT EXISTS (SELECT 1 FROM credit_file_item i
                                        WHERE i.partner_id = p.id AND i.type_id = t.id
                                          AND i.company_id = %(company)s)) AS missing,
                   bool_or(EXISTS (SELECT 1 FROM credit_file_item i
                                    WHERE i.partner_id = p.id AND i.type_id = t.id AND i.company_id = %(company)s)
                           AND NOT EXISTS (SELECT 1 FROM credit_file_item i
                                            WHERE i.partner_id = p.id AND i.type_id = t.id
                                              AND i.company_id = %(company)s
                                              AND (i.expiry_date IS NULL OR i.expiry_date >= %(today)s))) AS expired
              FROM res_partner p
              JOIN credit_file_item_type t ON t.required AND t.active
                                          AND (t.company_id IS NULL OR t.company_id = %(company)s)
             WHERE p.id = p.commercial_partner_id
             GROUP BY p.id
            """,
            today=today, company=self.env.company.id,
        )
        conditions = {
            "expired": SQL("g.expired"),
            "missing": SQL("g.missing AND NOT g.expired"),
            "complete": SQL("g.partner_id IS NULL OR NOT (g.missing OR g.expired)"),
        }
        where = SQL(" OR ").join(SQL("(%s)", conditions[state]) for state in sorted(states)) if states else SQL("FALSE")
        matching = SQL(
            "SELECT cp.id FROM res_partner cp LEFT JOIN (%s) g ON g.partner_id = cp.id "
            "WHERE cp.id = cp.commercial_partner_id AND (%s)", gaps, where)
        return [("id", "in", SQL("(SELECT id FROM res_partner WHERE commercial_partner_id IN (%s))", matching))]

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("credit_limit", "credit_manual_adjustment", "credit_manual_reason",
                    "credit_external_rating")
    def _check_credit_profile(self):
        for partner in self:
            if partner.credit_limit < 0:
                raise ValidationError(self.env._("The credit limit of %(partner)s cannot be negative.",
                                                 partner=partner.display_name))
            if not -30 <= partner.credit_manual_adjustment <= 30:
                raise ValidationError(self.env._("A manual score adjustment must be between -30 and +30 points."))
            if partner.credit_manual_adjustment and not partner.credit_manual_reason:
                raise ValidationError(self.env._("A manual score adjustment needs a reason."))
            if not 0 <= partner.credit_external_rating <= 10:
                raise ValidationError(self.env._("The external rating must be between 1 and 10 (0: none)."))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model
    def _commercial_fields(self):
        return super()._commercial_fields() + PROFILE_FIELDS

    @api.model_create_multi
    def create(self, vals_list):
        # The form sends the defaults (e.g. the company's default credit limit): only other values need a manager.
        defaults = self.default_get(list(PROTECTED_FIELDS))
        for vals in vals_list:
            self._credit_limit_mode_vals(vals)
            changes = [key for key in PROTECTED_FIELDS.intersection(vals)
                       if vals[key] and vals[key] != defaults.get(key)]
            self._check_credit_manager_rights(changes)
            if "credit_tier_id" in changes and not vals.get("parent_id"):
                self._check_tier_assignable(vals["credit_tier_id"])
        return super().create(vals_list)

    def write(self, vals):
        if "use_partner_credit_limit" in vals and not vals["use_partner_credit_limit"]:
            # Core's inverse writes the company default limit back: that follows the company, not a limit.
            self = self.with_context(credit_limit_follow_company=FOLLOW_COMPANY)
        vals = self._credit_limit_mode_vals(dict(vals))
        changes = self._credit_protected_changes(vals)
        self._check_credit_manager_rights(changes)
        # Contacts only mirror their commercial entity's tier (commercial-field sync).
        if "credit_tier_id" in changes and self.filtered(lambda p: p.commercial_partner_id == p):
            self._check_tier_assignable(vals["credit_tier_id"])
        return super().write(vals)

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_open_credit_review(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit Review"),
            "res_model": "credit.review.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": self.commercial_partner_id.id},
        }

    def action_view_credit_reviews(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_review_action")
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        return action

    def action_view_credit_dunning(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dunning_communication_action")
        action.update(domain=[("partner_id", "=", self.commercial_partner_id.id)], context={"create": False})
        return action

    def action_view_credit_warnings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_warning_action")
        action.update(domain=[("partner_id", "=", self.commercial_partner_id.id),
                              ("company_id", "=", self.env.company.id)], context={"create": False})
        return action

    def action_open_credit_statement(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Customer Statement"),
            "res_model": "credit.statement.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_ids": self.commercial_partner_id.ids},
        }

    def action_credit_log_call(self):
        """*Log Call* on the customer, with its open dunning call (the latest) when there is one."""
        self.ensure_one()
        customer = self.commercial_partner_id
        activity = self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "=", customer.id),
            ("credit_communication_id.company_id", "=", self.env.company.id)], order="date_deadline", limit=1)
        if activity:
            return activity.action_credit_log_call()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call"),
            "res_model": "credit.call.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_partner_id": customer.id},
        }

    def action_recompute_credit_profile(self):
        if not self.env.user.has_group("credit_control.group_credit_control_user"):
            raise AccessError(self.env._("Only Credit Control users can recompute a credit rating."))
        self.commercial_partner_id._credit_compute_profiles()

    def action_export_credit_profiles_xlsx(self):
        return xlsx_download_action(self, self.env._("Credit Profiles"), credit_profile_columns(self.env),
                                    self.env._("credit_profiles.xlsx"))

    # -------------------------------------------------------------------------
    # CRON
    # -------------------------------------------------------------------------

    @api.model
    def _cron_compute_credit_profiles(self, batch_size=1000):
        """Rate one batch of customers not yet rated today; the cron runner commits and calls again.

        Resumable: a customer rated today is skipped, so a crashed run picks up where it stopped.
        Returns the number of customers still to rate.
        """
        today = fields.Date.context_today(self)
        pending = {company: self.with_company(company)._credit_pending_partner_ids(today)
                   for company in self.env["res.company"].search([])}
        total = sum(len(ids) for ids in pending.values())
        company = next((c for c, ids in pending.items() if ids), None)
        if not company:
            self.env["ir.cron"]._notify_progress(done=0, remaining=0)
            return 0
        batch = self.with_company(company).browse(pending[company][:batch_size])
        batch._credit_compute_profiles()
        batch._credit_schedule_review_activities()
        remaining = total - len(batch)
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return remaining

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_protected_changes(self, vals):
        """The protected fields that ``vals`` really changes on some of these partners.

        Core writes the unchanged limit back (``use_partner_credit_limit`` inverse); that is no change.
        """
        changed = []
        for fname in PROTECTED_FIELDS.intersection(vals):
            field = self._fields[fname]
            new_value = field.convert_to_record(field.convert_to_cache(vals[fname], self), self)
            if any(partner[fname] != new_value for partner in self):
                changed.append(fname)
        return changed

    def _credit_limit_mode_vals(self, vals):
        """Setting a customer's own limit ends "no limit"; unticking core's *Partner Limit* follows the company."""
        if "credit_no_limit" in vals:
            return vals
        if "use_partner_credit_limit" in vals and not vals["use_partner_credit_limit"] or \
                self.env.context.get("credit_limit_follow_company") is FOLLOW_COMPANY:
            vals["credit_no_limit"] = self._fields["credit_no_limit"].get_company_dependent_fallback(self)
        elif "credit_limit" in vals:
            vals["credit_no_limit"] = False
        return vals

    @api.model
    def _credit_keep_own_limits(self):
        """Before the company gives customers without a limit "no limit": a customer with its own limit keeps
        it. Odoo stores a company-dependent value only where it differs from the company's, so their "not no
        limit" is written as a value here, or they would follow the new choice."""
        key = str(self.env.company.id)
        self.env.flush_all()
        self.env.execute_query(SQL(
            """
            UPDATE res_partner
               SET credit_no_limit = COALESCE(credit_no_limit, '{}'::jsonb) || jsonb_build_object(%(key)s, false)
             WHERE credit_limit ? %(key)s AND NOT COALESCE(credit_no_limit ? %(key)s, false)
            """, key=key))
        self.invalidate_model(["credit_no_limit"])

    def _check_tier_assignable(self, tier_id):
        tier = self.env["credit.tier"].browse(tier_id).exists()
        if tier and not tier.active:
            raise ValidationError(self.env._("The credit tier %(tier)s is archived and cannot be assigned.",
                                             tier=tier.name))

    def _credit_responsible_user(self, managers_only=False):
        """Who gets the credit activities of this customer: its credit controller, else its salesperson,
        else a credit manager of the company."""
        self.ensure_one()
        return self._credit_responsible_users(managers_only)[self.id]

    def _credit_responsible_users(self, managers_only=False):
        """{partner id: responsible user} for these customers, reading them all at once."""
        fallback = self.env.company._credit_managers()[:1] or self.env.user
        self.sudo().fetch(["credit_user_id", "user_id"])  # these two only, for the whole batch
        return {partner.id: partner.credit_user_id or (not managers_only and partner.user_id) or fallback
                for partner in self.sudo()}

    def _check_credit_manager_rights(self, field_names):
        if self.env.su or not PROTECTED_FIELDS.intersection(field_names):
            return
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a Credit Control Manager can change credit limits, tiers and holds."))

    def _credit_exposure_query(self):
        """SQL: open receivables per commercial partner of the current company and its branches (company
        currency): the sum of the open residuals of their receivable lines (``exposure``), of those past due
        (``overdue``), and the past-due items less all open credits, at least 0 (``net_overdue``)."""
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   SUM(l.amount_residual) AS exposure,
                   SUM(l.amount_residual) FILTER (WHERE l.date_maturity < %(today)s) AS overdue,
                   -- what dunning asks for: the overdue items less every open credit, never below 0
                   GREATEST(COALESCE(SUM(l.amount_residual) FILTER (WHERE l.amount_residual > 0
                                                                      AND l.date_maturity < %(today)s), 0)
                            + COALESCE(SUM(l.amount_residual) FILTER (WHERE l.amount_residual < 0), 0), 0)
                       AS net_overdue
              FROM account_move_line l
              JOIN res_partner p ON p.id = l.partner_id
             WHERE l.company_id = ANY(%(companies)s)
               AND l.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
               AND l.parent_state = 'posted'
               AND l.reconciled IS NOT TRUE
             GROUP BY p.commercial_partner_id
            """,
            today=fields.Date.context_today(self), companies=self._credit_company_ids(),
        )

    def _credit_delays_sql(self, since, until):
        """SQL: (partner_id, avg_days_late) per commercial partner of these partners (all customers when empty)
        for the current company: the days late of the payments reconciled after ``since`` up to ``until``,
        weighted by amount. Invoices' receivable lines are their 'payment_term' lines."""
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   SUM(apr.amount * GREATEST(apr.max_date - COALESCE(dl.date_maturity, dl.date), 0))
                       / NULLIF(SUM(apr.amount), 0) AS avg_days_late
              FROM account_partial_reconcile apr
              JOIN account_move_line dl ON dl.id = apr.debit_move_id AND dl.display_type = 'payment_term'
              JOIN res_partner p ON p.id = dl.partner_id
             WHERE apr.company_id = %(company)s AND apr.max_date > %(since)s AND apr.max_date <= %(until)s
               AND (%(all)s OR p.commercial_partner_id = ANY(%(ids)s))
               AND dl.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
             GROUP BY 1
            """,
            company=self.env.company.id, since=since, until=until, all=not self, ids=self.ids)

    def _credit_exposure_by_partner(self, partner_ids):
        """{commercial partner id: (exposure, overdue)} in one query."""
        if not partner_ids:
            return {}
        self.env["account.move.line"].flush_model()
        rows = self.env.execute_query(SQL(
            "SELECT partner_id, exposure, COALESCE(overdue, 0) FROM (%s) e WHERE partner_id = ANY(%s)",
            self._credit_exposure_query(), list(partner_ids),
        ))
        return {pid: (exposure, overdue) for pid, exposure, overdue in rows}

    def _credit_net_overdue_by_partner(self, partner_ids):
        """{commercial partner id: its overdue items less its open credits, at least 0} in one query."""
        if not partner_ids:
            return {}
        self.env["account.move.line"].flush_model()
        return dict(self.env.execute_query(SQL(
            "SELECT partner_id, net_overdue FROM (%s) e WHERE partner_id = ANY(%s)",
            self._credit_exposure_query(), list(partner_ids),
        )))

    def _credit_receivables_as_of(self, days):
        """[(commercial partner id, day, receivables, overdue receivables)] of these partners (all customers
        when empty) for the current company, as the books stood at each of ``days``.

        A line's open amount at a day is its open amount today plus what was reconciled on it after that day
        (a reconciliation counts from its ``max_date``). Only lines still open or reconciled after the first
        day are read, so settled history costs nothing.
        """
        self.env.flush_all()
        return self.env.execute_query(SQL(
            """
            WITH later AS (
                SELECT debit_move_id AS line_id, amount, max_date FROM account_partial_reconcile
                 WHERE company_id = %(company)s AND max_date > %(first)s
                 UNION ALL
                SELECT credit_move_id, -amount, max_date FROM account_partial_reconcile
                 WHERE company_id = %(company)s AND max_date > %(first)s
            ), undone AS (
                SELECT later.line_id, d.day, SUM(later.amount) AS amount
                  FROM later JOIN unnest(%(days)s::date[]) AS d(day) ON later.max_date > d.day
                 GROUP BY 1, 2
            )
            SELECT p.commercial_partner_id, d.day,
                   SUM(l.amount_residual + COALESCE(u.amount, 0)),
                   COALESCE(SUM(l.amount_residual + COALESCE(u.amount, 0)) FILTER (WHERE l.date_maturity < d.day), 0)
              FROM account_move_line l
              JOIN res_partner p ON p.id = l.partner_id
              JOIN unnest(%(days)s::date[]) AS d(day) ON l.date <= d.day
              LEFT JOIN undone u ON u.line_id = l.id AND u.day = d.day
             WHERE l.company_id = %(company)s AND l.parent_state = 'posted'
               AND l.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
               AND (%(all)s OR p.commercial_partner_id = ANY(%(ids)s))
               AND (l.reconciled IS NOT TRUE OR l.id IN (SELECT line_id FROM later))
             GROUP BY 1, 2
            """,
            days=[str(day) for day in days], first=min(days), company=self.env.company.id, all=not self,
            ids=self.ids))

    def _credit_file_issues(self, partner_ids):
        """{partner id: ([missing item names], [expired item names])} for required credit-file items
        of the current company. A type is valid when one of its items never expires or expires today or later."""
        company = self.env.company
        required = self.env["credit.file.item.type"].search(
            [("required", "=", True), ("company_id", "in", [False, company.id])])
        if not required or not partner_ids:
            return {}
        today = fields.Date.context_today(self)
        latest = {
            (partner.id, item_type.id): (expiry, dated, count)
            for partner, item_type, expiry, dated, count in self.env["credit.file.item"]._read_group(
                [("partner_id", "in", list(partner_ids)), ("type_id", "in", required.ids),
                 ("company_id", "=", company.id)],
                ["partner_id", "type_id"], ["expiry_date:max", "expiry_date:count", "__count"])
        }
        issues = {}
        for partner_id in partner_ids:
            missing, expired = [], []
            for item_type in required:
                found = latest.get((partner_id, item_type.id))
                if not found:
                    missing.append(item_type.name)
                elif found[1] == found[2] and found[0] < today:  # every item has an expiry, all passed
                    expired.append(item_type.name)
            if missing or expired:
                issues[partner_id] = (missing, expired)
        return issues

    def _credit_pending_partner_ids(self, today, done_field="credit_rated_on"):
        """Commercial partners of the current company with activity in the last 2 years, a tier or money owed, whose
        ``done_field`` (a company-dependent date: rated on, warned on) is not today yet."""
        company = self.env.company
        self.env.flush_all()
        rows = self.env.execute_query(SQL(
            """
            SELECT p.id
              FROM res_partner p
             WHERE p.id = p.commercial_partner_id
               AND p.active
               AND (p.id IN (SELECT m.commercial_partner_id FROM account_move m
                              WHERE m.company_id = %(company)s AND m.state = 'posted'
                                AND m.move_type IN ('out_invoice', 'out_refund')
                                AND m.invoice_date > %(since)s)
                    OR p.credit_tier_id ? %(key)s
                    OR p.id IN (SELECT lp.commercial_partner_id FROM account_move_line l
                                  JOIN res_partner lp ON lp.id = l.partner_id
                                 WHERE l.company_id = %(company)s AND l.parent_state = 'posted'
                                   AND l.reconciled IS NOT TRUE AND l.amount_residual > 0
                                   AND l.account_id IN (SELECT id FROM account_account
                                                         WHERE account_type = 'asset_receivable')))
               AND ((p.%(done)s->>%(key)s) IS NULL OR (p.%(done)s->>%(key)s)::date < %(today)s)
             ORDER BY p.id
            """,
            company=company.id, key=str(company.id), since=today - relativedelta(years=2), today=today,
            done=SQL.identifier(done_field),
        ))
        return [r[0] for r in rows]

    def _credit_lock(self):
        """Serialise credit decisions on these commercial partners until the transaction ends.

        Rows are locked in id order (no deadlock across batches) and touched, so that a concurrent
        transaction that read the ledger before our commit fails to serialise and is retried by Odoo,
        seeing our postings the second time. ``FOR NO KEY UPDATE`` (and the touch, a non-key update) leave
        ``FOR KEY SHARE`` free: inserts that reference the customer (moves, lines) are never blocked.
        """
        ids = sorted(self.ids)
        self.env.execute_query(SQL(
            "SELECT id FROM res_partner WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE", ids))
        self.env.execute_query(SQL("UPDATE res_partner SET write_date = write_date WHERE id = ANY(%s)", ids))

    def _credit_posting_exposure(self, moves):
        """Per commercial partner, in one query: open receivables (the just-posted ``moves`` included),
        the part not yet due of the other open items, other draft invoices and receipts (never a draft credit
        note: a draft lowers nothing), and the oldest due date of an overdue, undisputed item, in the current
        company and its branches."""
        self.env.flush_all()
        today = fields.Date.context_today(self)
        rows = self.env.execute_query_dict(SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   COALESCE(SUM(l.amount_residual), 0) AS open_amount,
                   COALESCE(SUM(l.amount_residual) FILTER (
                       WHERE l.date_maturity >= %(today)s AND l.amount_residual > 0
                         AND l.move_id != ALL(%(moves)s)), 0) AS not_due,
                   MIN(l.date_maturity) FILTER (
                       WHERE l.date_maturity < %(today)s AND l.amount_residual > 0
                         AND m.credit_disputed IS NOT TRUE AND l.move_id != ALL(%(moves)s))
                       AS oldest_overdue,
                   0 AS draft_amount
              FROM account_move_line l
              JOIN account_move m ON m.id = l.move_id
              JOIN res_partner p ON p.id = l.partner_id
             WHERE p.commercial_partner_id = ANY(%(partners)s) AND l.company_id = ANY(%(companies)s)
               AND l.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
               AND l.parent_state = 'posted' AND l.reconciled IS NOT TRUE
             GROUP BY 1
            UNION ALL
            SELECT m.commercial_partner_id, 0, 0, NULL, SUM(m.amount_total_signed)
              FROM account_move m
             WHERE m.commercial_partner_id = ANY(%(partners)s) AND m.company_id = ANY(%(companies)s)
               AND m.state = 'draft' AND m.move_type IN ('out_invoice', 'out_receipt')
               AND m.amount_total_signed > 0 AND m.id != ALL(%(moves)s)
             GROUP BY 1
            """,
            today=today, moves=moves.ids, partners=self.ids, companies=self._credit_company_ids(),
        ))
        data = {pid: {"open_amount": 0.0, "not_due": 0.0, "oldest_overdue": None, "draft_amount": 0.0}
                for pid in self.ids}
        for row in rows:
            entry = data[row["partner_id"]]
            entry["open_amount"] += float(row["open_amount"])
            entry["not_due"] += float(row["not_due"])
            entry["draft_amount"] += float(row["draft_amount"])
            entry["oldest_overdue"] = entry["oldest_overdue"] or row["oldest_overdue"]
        return data

    def _credit_posting_decision(self, moves, data):
        """Why posting ``moves`` for this commercial partner must be stopped or warned about, or None."""
        self.ensure_one()
        tier = self.credit_tier_id
        not_due_excluded = data["not_due"] if tier and not tier.exposure_include_not_due else 0.0
        drafts_included = data["draft_amount"] if tier.exposure_include_draft else 0.0
        exposure = data["open_amount"] - not_due_excluded + drafts_included
        limit = self._credit_effective_limit()
        invoices = moves.filtered(lambda m: m.is_sale_document(include_receipts=True))
        names = ", ".join(moves.mapped("name"))
        values = {"moves": names, "partner": self.display_name, "exposure": self._credit_money(exposure),
                  "limit": self._credit_limit_text(limit), "tier": tier.name or self.env._("none"),
                  "grade": self.credit_grade or "-"}
        today = fields.Date.context_today(self)
        if self.credit_hold:
            reason, message = "hold", self.env._(
                "%(partner)s is on credit hold (%(hold_reason)s): %(moves)s cannot be posted. Ask a credit "
                "manager to release the hold or approve.", hold_reason=self.credit_hold_reason or "-", **values)
        elif tier.limit_rule == "prepayment" and exposure > 0 and any(
                inv.invoice_date_due > inv.invoice_date for inv in invoices if inv.invoice_date_due):
            reason, message = "prepayment", self.env._(
                "%(partner)s is in tier %(tier)s (prepayment only): %(moves)s must be on immediate terms or "
                "fully prepaid. Ask a credit manager to approve.", **values)
        elif tier.max_payment_term_days and any(
                (inv.invoice_date_due - inv.invoice_date).days > tier.max_payment_term_days
                for inv in invoices if inv.invoice_date_due and inv.invoice_date):
            reason, message = "terms", self.env._(
                "%(moves)s gives %(partner)s longer payment terms than tier %(tier)s allows (%(max_days)s days). "
                "Shorten the terms or ask a credit manager to approve.",
                max_days=tier.max_payment_term_days, **values)
        elif tier.max_overdue_days and data["oldest_overdue"] and \
                (today - data["oldest_overdue"]).days > tier.max_overdue_days:
            reason, message = "overdue", self.env._(
                "%(partner)s has an invoice overdue by %(days)s days (tier %(tier)s stops supplying after "
                "%(max_days)s days): %(moves)s cannot be posted. Ask a credit manager to approve.",
                days=(today - data["oldest_overdue"]).days, max_days=tier.max_overdue_days, **values)
        elif limit is not None and exposure > limit and (tier.credit_policy or "block") != "none":
            reason, message = "limit", self.env._(
                "Posting %(moves)s would bring %(partner)s's exposure to %(exposure)s, over its credit limit of "
                "%(limit)s by %(excess)s (tier %(tier)s, grade %(grade)s). Ask a credit manager to approve.",
                excess=self._credit_money(exposure - limit), **values)
        else:
            return None
        return {
            "partner_id": self.id, "move_ids": moves.ids, "reason": reason, "message": message,
            "policy": (tier.credit_policy or "block") if reason == "limit" else "block",
            "exposure": exposure, "limit": limit, "excess": max(exposure - limit, 0.0) if limit is not None else 0.0,
            "breakdown": {
                "posting": data["posting"],
                "open_amount": data["open_amount"] - data["posting"],
                "not_due_excluded": -not_due_excluded,
                "drafts_included": drafts_included,
            },
        }

    def _credit_effective_limit(self):
        """The limit posting is checked against, in company currency: ``None`` for no limit, else the credit
        limit, where 0 means no credit. Override to cap it (e.g. by insurer cover)."""
        self.ensure_one()
        return None if self.credit_no_limit else self.credit_limit

    def _credit_limit_text(self, limit):
        return self.env._("no limit") if limit is None else self._credit_money(limit)

    def _credit_company_ids(self):
        """The current company's root and its branches: one credit relationship, as core's ``credit`` counts."""
        return self.env["res.company"].sudo().search([("id", "child_of", self.env.company.root_id.id)]).ids

    def _credit_money(self, amount):
        return format_amount(self.env, amount, self.env.company.currency_id)

    def _credit_dunning_stages(self):
        """{commercial partner id: highest dunning stage of its open items, 1 (reminder) to 5 (legal)}."""
        self.env.flush_all()
        current = self.env["credit.dunning.line"]._credit_current_levels_sql(
            SQL("c.company_id = %s AND c.partner_id = ANY(%s)", self.env.company.id, self.ids))
        return dict(self.env.execute_query(SQL(
            """
            SELECT cur.partner_id, MAX(cur.stage)
              FROM (%s) cur
              JOIN account_move_line l ON l.id = cur.move_line_id
             WHERE l.parent_state = 'posted' AND l.reconciled IS NOT TRUE
             GROUP BY cur.partner_id
            """, current)))

    def _credit_open_items(self):
        """The open receivable items of this customer in the current company, oldest due first."""
        self.ensure_one()
        return self.env["account.move.line"].search([
            ("partner_id", "child_of", self.commercial_partner_id.id), ("company_id", "=", self.env.company.id),
            ("account_type", "=", "asset_receivable"), ("parent_state", "=", "posted"), ("reconciled", "=", False),
            ("amount_residual", "!=", 0),
        ], order="date_maturity, id")

    def _credit_statement_data(self):
        """What a statement shows, PDF and XLSX alike: one item per open receivable item (credit notes and
        payments on account included) in its own currency, the totals and ageing per currency, the statement's
        ``date``, and the company's ``bank`` account for the payment (False when it has none)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        data = self._credit_items_with_totals([{
            "name": line.move_id.name, "invoice_date": line.move_id.invoice_date or line.date,
            "date_due": line.date_maturity, "days_overdue": (today - line.date_maturity).days if line.date_maturity
            else 0, "amount": line.amount_residual_currency, "currency": line.currency_id,
            "disputed": line.move_id.credit_disputed, "credit": line.amount_residual < 0,
        } for line in self._credit_open_items()])
        data.update(date=today, bank=self.env.company._credit_bank_details())
        return data

    @api.model
    def _credit_items_with_totals(self, items):
        """The items with their state in the reader's language (``status``), a total per currency, and the
        ageing of each currency's total (``ageing_buckets``, ``ageing``, see ``_credit_ageing``)."""
        totals = {}
        for item in items:
            item["status"] = self._credit_item_status(item)
            totals[item["currency"]] = totals.get(item["currency"], 0.0) + item["amount"]
        return {
            "items": items,
            "totals": sorted(totals.items(), key=lambda total: total[0].name),
            "currencies": sorted({item["currency"] for item in items}, key=lambda currency: currency.name),
            "ageing_buckets": self._credit_ageing_buckets(),
            "ageing": self._credit_ageing(items),
        }

    @api.model
    def _credit_ageing_buckets(self):
        """The ageing buckets as (key, label in the reader's language, most days overdue it holds), in order."""
        return [
            ("current", self.env._("Not overdue"), 0),
            ("1_30", self.env._("1–30 days"), 30),
            ("31_60", self.env._("31–60 days"), 60),
            ("61_90", self.env._("61–90 days"), 90),
            ("over_90", self.env._("Over 90 days"), None),
        ]

    @api.model
    def _credit_ageing(self, items):
        """The open amount of ``items`` per currency and ageing bucket, in the items' own currency.

        An item falls in the bucket of its days overdue: current ("Not overdue") when not yet due or due today
        (and a credit without a due date), then 1-30, 31-60, 61-90 and over 90 days. Credit notes and payments on
        account count, negative, in the bucket of their own due date, so that a currency's buckets add up to its
        total.

        :return: [{"currency": res.currency, "amounts": {bucket key: amount}, "total": amount}], by currency name
        """
        buckets = self._credit_ageing_buckets()
        ageing = {}
        for item in items:
            row = ageing.setdefault(item["currency"], {
                "currency": item["currency"], "amounts": dict.fromkeys([key for key, _label, _days in buckets], 0.0),
                "total": 0.0})
            days = item["days_overdue"] if item["date_due"] else 0
            key = next(key for key, _label, most in buckets if most is None or days <= most)
            row["amounts"][key] += item["amount"]
            row["total"] += item["amount"]
        for row in ageing.values():
            row["amounts"] = {key: row["currency"].round(amount) for key, amount in row["amounts"].items()}
            row["total"] = row["currency"].round(row["total"])
        return sorted(ageing.values(), key=lambda row: row["currency"].name)

    def _credit_item_status(self, item):
        """How a letter or statement describes an open item: an open credit, not yet due, due today or overdue."""
        days = item["days_overdue"]
        if item.get("credit"):
            return self.env._("Open credit")
        if days > 0:
            return self.env._("%(days)s days overdue", days=days)
        if days == 0:
            return self.env._("Due today")
        return self.env._("Due in %(days)s days", days=-days)

    def _credit_last_calls(self):
        """{commercial partner id: its latest collection call in the current company}, in one query."""
        calls = self.env["credit.call.log"].sudo().search([
            ("partner_id", "in", self.commercial_partner_id.ids), ("company_id", "=", self.env.company.id)],
            order="date desc, id desc")
        last = {}
        for call in calls:
            last.setdefault(call.partner_id.id, call)
        return last

    def _credit_dunning_history(self):
        self.ensure_one()
        return self.env["credit.dunning.line"].search([
            ("partner_id", "=", self.commercial_partner_id.id), ("company_id", "=", self.env.company.id)])

    def _credit_rating_facts(self):
        """The facts the rating uses, for every commercial partner in ``self``, from one SQL query."""
        company = self.env.company
        today = fields.Date.context_today(self)
        self.env.flush_all()
        rows = self.env.execute_query_dict(SQL(
            """
            WITH exposure AS (
                SELECT partner_id, exposure AS open_amount, overdue AS overdue_amount
                  FROM (%(exposure)s) e
                 WHERE partner_id = ANY(%(ids)s)
            ), delays AS (
                %(delays)s
            ), sales AS (
                SELECT m.commercial_partner_id AS partner_id,
                       SUM(m.amount_total_signed) FILTER (WHERE m.invoice_date > %(year_ago)s) AS year_sales,
                       SUM(m.amount_total_signed) FILTER (WHERE m.invoice_date > %(quarter_ago)s) AS quarter_sales,
                       SUM(m.amount_total_signed) FILTER (
                           WHERE m.invoice_date > %(today)s - make_interval(months => COALESCE(t.sales_months, 12))
                       ) AS period_sales,
                       SUM(m.amount_total_signed * (m.invoice_date_due - m.invoice_date)) FILTER (
                           WHERE m.move_type = 'out_invoice' AND m.invoice_date > %(year_ago)s)
                         / NULLIF(SUM(m.amount_total_signed) FILTER (
                           WHERE m.move_type = 'out_invoice' AND m.invoice_date > %(year_ago)s), 0) AS terms_days,
                       MIN(m.invoice_date) AS first_invoice,
                       COUNT(*) FILTER (WHERE m.credit_disputed
                                          AND m.payment_state NOT IN ('paid', 'in_payment', 'reversed'))
                           AS disputed_count
                  FROM account_move m
                  JOIN res_partner cp ON cp.id = m.commercial_partner_id
                  LEFT JOIN credit_tier t ON t.id = %(tier_of_cp)s
                 WHERE m.commercial_partner_id = ANY(%(ids)s) AND m.company_id = %(company)s
                   AND m.state = 'posted' AND m.move_type IN ('out_invoice', 'out_refund')
                 GROUP BY 1
            )
            SELECT cp.id AS partner_id,
                   COALESCE(e.open_amount, 0) AS open_amount, COALESCE(e.overdue_amount, 0) AS overdue_amount,
                   COALESCE(d.avg_days_late, 0) AS avg_days_late,
                   COALESCE(s.year_sales, 0) AS year_sales, COALESCE(s.quarter_sales, 0) AS quarter_sales,
                   COALESCE(s.period_sales, 0) AS period_sales, COALESCE(s.terms_days, 0) AS terms_days,
                   s.first_invoice, COALESCE(s.disputed_count, 0) AS disputed_count,
                   %(tier_of_cp)s AS tier_id,
                   COALESCE(%(external_rating)s, 0) AS external_rating,
                   COALESCE(%(manual_adjustment)s, 0) AS manual_adjustment
              FROM res_partner cp
              LEFT JOIN exposure e ON e.partner_id = cp.id
              LEFT JOIN delays d ON d.partner_id = cp.id
              LEFT JOIN sales s ON s.partner_id = cp.id
             WHERE cp.id = ANY(%(ids)s)
            """,
            ids=self.ids, company=company.id, today=today, exposure=self._credit_exposure_query(),
            delays=self._credit_delays_sql(today - relativedelta(years=1), today),
            # company-dependent values with their company-wide defaults (ir.default), as the ORM reads them
            tier_of_cp=self._field_to_sql("cp", "credit_tier_id"),
            external_rating=self._field_to_sql("cp", "credit_external_rating"),
            manual_adjustment=self._field_to_sql("cp", "credit_manual_adjustment"),
            year_ago=today - relativedelta(years=1), quarter_ago=today - relativedelta(months=3),
        ))
        rows = {row["partner_id"]: row for row in rows}
        stages = self._credit_dunning_stages()
        facts = {}
        for partner in self:
            row = rows[partner.id]
            open_amount = float(row["open_amount"])
            year_sales = float(row["year_sales"])
            dso = 365.0 * open_amount / year_sales if year_sales > 0 and open_amount > 0 else 0.0
            months = 0
            if row["first_invoice"]:
                months = (today.year - row["first_invoice"].year) * 12 + today.month - row["first_invoice"].month
            facts[partner.id] = {
                **{k: float(v) for k, v in row.items()
                   if k not in ("partner_id", "first_invoice", "tier_id", "external_rating", "manual_adjustment")},
                "tier_id": row["tier_id"],
                "external_rating": row["external_rating"],
                "manual_adjustment": row["manual_adjustment"],
                "overdue_share": max(float(row["overdue_amount"]), 0.0) / open_amount if open_amount > 0 else 0.0,
                "dso": round(dso, 1),
                "dso_over_terms": round(max(dso - float(row["terms_days"]), 0.0), 1),
                "relationship_months": months,
                "months_missing": max(24 - months, 0),
                "dunning_stage": stages.get(partner.id, 0),
                "external_gap": 10 - row["external_rating"] if row["external_rating"] else 0,
            }
        return facts

    def _credit_compute_profiles(self):
        """Recompute score, grade and suggested limit of these commercial partners for the current company.

        A constant number of queries whatever the number of partners or move lines: one to read
        the facts, one to write every partner of the batch (and its contacts) back.
        """
        if not self:
            return
        company = self.env.company
        today = fields.Date.context_today(self)
        facts = self._credit_rating_facts()
        config = company._credit_rating_config()
        tiers = self.env["credit.tier"].browse({f["tier_id"] for f in facts.values() if f["tier_id"]})
        tier_params = {tier.id: tier._limit_params() for tier in tiers}
        values = []
        for partner in self:
            partner_facts = facts[partner.id]
            score, grade, contributions = company._credit_rate(partner_facts, config)
            params = tier_params.get(partner_facts["tier_id"])
            suggested = suggest_limit(params, partner_facts["period_sales"], partner_facts["quarter_sales"]) \
                if params else 0.0
            values.append({
                "id": partner.id, "score": score, "grade": grade, "suggested": suggested,
                "factors": {"facts": partner_facts, "contributions": contributions},
            })
        key = str(company.id)
        self.env.execute_query(SQL(
            """
            UPDATE res_partner p
               SET credit_grade_previous = CASE WHEN %(changed)s
                       THEN COALESCE(p.credit_grade_previous, '{}')
                            || jsonb_build_object(%(key)s, p.credit_grade->>%(key)s)
                       ELSE p.credit_grade_previous END,
                   credit_grade_changed_on = CASE WHEN %(changed)s
                       THEN COALESCE(p.credit_grade_changed_on, '{}') || jsonb_build_object(%(key)s, %(today)s::text)
                       ELSE p.credit_grade_changed_on END,
                   credit_score = COALESCE(p.credit_score, '{}') || jsonb_build_object(%(key)s, v.score),
                   credit_grade = COALESCE(p.credit_grade, '{}') || jsonb_build_object(%(key)s, v.grade),
                   credit_suggested_limit = COALESCE(p.credit_suggested_limit, '{}')
                                            || jsonb_build_object(%(key)s, v.suggested),
                   credit_factors = COALESCE(p.credit_factors, '{}')
                                    || jsonb_build_object(%(key)s, v.factors::text),
                   credit_rated_on = COALESCE(p.credit_rated_on, '{}') || jsonb_build_object(%(key)s, %(today)s::text)
              FROM jsonb_to_recordset(%(values)s::jsonb)
                   AS v(id int, score int, grade text, suggested numeric, factors jsonb)
             WHERE p.commercial_partner_id = v.id
            """,
            key=key, today=str(today), values=json.dumps(values),
            # the grade of this company changed (SET reads the row as it was before the update)
            changed=SQL("(p.credit_grade->>%(key)s) IS NOT NULL AND (p.credit_grade->>%(key)s) != v.grade", key=key),
        ))
        self.invalidate_model(["credit_score", "credit_grade", "credit_suggested_limit", "credit_factors",
                               "credit_rated_on", "credit_grade_previous", "credit_grade_changed_on"])

    def _credit_schedule_review_activities(self):
        """One review activity per partner whose review is due or whose credit file has an expired item."""
        today = fields.Date.context_today(self)
        expired = {pid: names for pid, (_missing, names) in self._credit_file_issues(self.ids).items() if names}
        due = self.filtered(lambda p: (p.credit_review_date and p.credit_review_date <= today) or p.id in expired)
        if not due:
            return
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_review")
        already = set(self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "in", due.ids),
            ("activity_type_id", "=", activity_type.id),
        ]).mapped("res_id"))
        model_id = self.env["ir.model"]._get_id("res.partner")
        self.env["mail.activity"].create([
            {
                "res_model_id": model_id,
                "res_id": partner.id,
                "activity_type_id": activity_type.id,
                "summary": self.env._("Credit file expired: %(items)s", items=", ".join(expired[partner.id]))
                if partner.id in expired else self.env._("Credit review due"),
                "user_id": partner._credit_responsible_user().id,
                "date_deadline": today,
            }
            for partner in due if partner.id not in already
        ])

    def _credit_factor_labels(self):
        return {
            "payment_delay": self.env._("Payment delay"),
            "overdue_share": self.env._("Overdue share"),
            "dso_over_terms": self.env._("DSO over terms"),
            "dunning": self.env._("Dunning stage"),
            "disputes": self.env._("Disputed invoices"),
            "relationship": self.env._("Relationship length"),
            "external": self.env._("External rating"),
            "manual": self.env._("Manual adjustment"),
        }

    def _credit_fact_text(self, factor, facts):
        texts = {
            "payment_delay": lambda: self.env._("%(days).1f days late on average", days=facts.get("avg_days_late", 0)),
            "overdue_share": lambda: self.env._("%(pct).0f%% of open receivables overdue",
                                                pct=100 * facts.get("overdue_share", 0)),
            "dso_over_terms": lambda: self.env._("DSO %(dso).0f days, terms %(terms).0f days",
                                                 dso=facts.get("dso", 0), terms=facts.get("terms_days", 0)),
            "dunning": lambda: self.env._("stage %(stage)s of 5", stage=facts.get("dunning_stage", 0)),
            "disputes": lambda: self.env._("%(count)d open disputed invoices", count=facts.get("disputed_count", 0)),
            "relationship": lambda: self.env._("customer for %(months)d months",
                                               months=facts.get("relationship_months", 0)),
            "external": lambda: self.env._("external rating %(rating)s/10", rating=facts.get("external_rating", 0)),
            "manual": lambda: self.env._("set by a credit manager"),
        }
        return texts[factor]()

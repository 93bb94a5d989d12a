from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

# Decisions that give cover (the granted amount); the others end it.
COVERING = ("granted", "partial", "reduced")


class CreditInsuranceCover(models.Model):
    """One decision of the insurer on a buyer: a request, a grant, a reduction, a withdrawal...

    Decisions are never overwritten: each is a new record, and the buyer's cover on a day is the latest
    decision effective on that day (``_credit_current_covers``).
    """

    _name = "credit.insurance.cover"
    _description = "Buyer Cover Decision"
    _inherit = ["mail.thread"]
    _order = "date_effective desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Buyer", required=True, index=True, tracking=True,
                                 domain="[('is_company', '=', True)]")
    policy_id = fields.Many2one("credit.insurance.policy", required=True, index=True, tracking=True,
                                check_company=True, domain="[('state', 'in', ('draft', 'active'))]")
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    decision = fields.Selection(
        selection=[("requested", "Requested"), ("granted", "Granted"), ("partial", "Partially granted"),
                   ("refused", "Refused"), ("reduced", "Reduced"), ("withdrawn", "Withdrawn")],
        required=True, default="requested", tracking=True,
    )
    amount_requested = fields.Monetary(tracking=True)
    request_date = fields.Date(default=fields.Date.context_today)
    amount_granted = fields.Monetary(tracking=True, help="The credit limit the insurer covers for this buyer.")
    date_effective = fields.Date(string="Effective From", required=True, default=fields.Date.context_today,
                                 tracking=True)
    date_expiry = fields.Date(string="Expires On", tracking=True, help="Empty: until the insurer decides again.")
    insurer_reference = fields.Char(tracking=True)
    insurer_grade = fields.Char(help="The insurer's own grade of the buyer.")
    note = fields.Text()
    user_id = fields.Many2one("res.users", string="Recorded By", readonly=True, default=lambda self: self.env.user)
    request_id = fields.Many2one("credit.insurance.cover", string="Answers Request", readonly=True, copy=False,
                                 index="btree_not_null", ondelete="restrict", check_company=True,
                                 help="The request this decision answers.")
    answer_ids = fields.One2many("credit.insurance.cover", "request_id", string="Answers", readonly=True)
    answer_id = fields.Many2one("credit.insurance.cover", string="Answered By", compute="_compute_answer_id",
                                help="The insurer's decision on this request: a request is answered once.")
    in_force = fields.Boolean(
        compute="_compute_in_force", search="_search_in_force",
        help="The decision in force today under its policy: the buyer's latest decision on the policy (other than "
             "a request) effective by today, the policy in force today, not expired. A refusal or withdrawal in "
             "force means no cover under that policy.")

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("partner_id", "decision", "amount_granted", "currency_id")
    def _compute_display_name(self):
        decisions = dict(self._fields["decision"]._description_selection(self.env))
        for cover in self:
            amount = cover.currency_id.format(cover.amount_granted) if cover.decision in COVERING else ""
            cover.display_name = " ".join(filter(None, [cover.partner_id.display_name or "",
                                                        decisions.get(cover.decision, ""), amount]))

    @api.depends("answer_ids")
    def _compute_answer_id(self):
        for cover in self:
            cover.answer_id = cover.answer_ids[:1]

    def _compute_in_force(self):
        in_force = set(self._credit_in_force(fields.Date.context_today(self), self.partner_id.ids,
                                             self.company_id.ids).values())
        for cover in self:
            cover.in_force = cover.id in in_force

    def _search_in_force(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        ids = list(self._credit_in_force(fields.Date.context_today(self)).values())
        return [("id", "in" if (operator == "=") == value else "not in", ids)]

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("request_id")
    def _check_request(self):
        for cover in self.filtered("request_id"):
            request = cover.request_id
            if request.decision != "requested" or request.partner_id != cover.partner_id:
                raise ValidationError(self.env._(
                    "%(cover)s can only answer a request for cover of the same buyer.", cover=cover.display_name))
            if len(request.answer_ids) > 1:
                raise ValidationError(self.env._(
                    "The request for %(buyer)s of %(date)s is already answered: its decision was recorded.",
                    buyer=request.partner_id.display_name, date=request.request_date))

    @api.constrains("date_effective", "date_expiry", "amount_requested", "amount_granted", "decision")
    def _check_decision(self):
        for cover in self:
            if cover.date_expiry and cover.date_expiry < cover.date_effective:
                raise ValidationError(self.env._(
                    "The cover of %(buyer)s cannot expire (%(expiry)s) before it starts (%(start)s).",
                    buyer=cover.partner_id.display_name, expiry=cover.date_expiry, start=cover.date_effective))
            if cover.amount_requested < 0 or cover.amount_granted < 0:
                raise ValidationError(self.env._("Cover amounts cannot be negative."))
            if cover.decision in COVERING and not cover.amount_granted:
                raise ValidationError(self.env._(
                    "A cover that is granted, partially granted or reduced needs the granted amount."))
            if cover.decision == "partial" and cover.amount_requested and \
                    cover.amount_granted >= cover.amount_requested:
                raise ValidationError(self.env._(
                    "A partial grant is less than the amount requested (%(requested)s).",
                    requested=cover.amount_requested))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:  # cover belongs to the company partner
            if vals.get("partner_id"):
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        return super().create(vals_list)

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_record_decision(self):
        """A new decision on the same buyer and policy, prefilled, opened as its own form: history is never
        overwritten. On a request, the decision answers it, once."""
        self.ensure_one()
        if self.answer_id:
            raise ValidationError(self.env._(
                "The request for %(buyer)s of %(date)s is already answered: its decision was recorded.",
                buyer=self.partner_id.display_name, date=self.request_date))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Record the Insurer's Decision"),
            "res_model": "credit.insurance.cover",
            "view_mode": "form",
            "target": "current",
            "context": {
                "default_request_id": self.id if self.decision == "requested" else False,
                "default_partner_id": self.partner_id.id, "default_policy_id": self.policy_id.id,
                "default_amount_requested": self.amount_requested, "default_request_date": self.request_date,
                "default_decision": "granted", "default_amount_granted": self.amount_requested,
                "default_insurer_reference": self.insurer_reference,
            },
        }

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _credit_current_covers(self, partner_ids, date):
        """{commercial partner id: its cover on ``date``} for the current company: of the decisions in force
        under its policies, the one covering the most (a refusal or withdrawal when none covers)."""
        covers = self.browse(list(self._credit_in_force(date, partner_ids, self.env.company.ids).values()))
        best = {}
        for cover in covers.sorted(lambda c: (c._credit_covered_amount(), c.date_effective, c.id)):
            best[cover.partner_id.id] = cover  # the last one covers the most
        return best

    @api.model
    def _credit_in_force(self, date, partner_ids=None, company_ids=None):
        """{(company id, commercial partner id, policy id): id of the cover decision in force on ``date``}, in
        one query, for these buyers and companies (all of them when None): under each policy, the latest
        decision (other than a mere request) effective by then, on a policy in force then, unless it expired.
        A refusal or withdrawal is in force too: it means no cover under that policy. An expired latest
        decision means no cover either; the decisions before it do not come back."""
        self.env.flush_all()
        rows = self.env.execute_query(SQL(
            """
            SELECT company_id, partner_id, policy_id, id
              FROM (SELECT DISTINCT ON (c.company_id, c.partner_id, c.policy_id) c.company_id, c.partner_id,
                           c.policy_id, c.id, c.date_expiry
                      FROM credit_insurance_cover c
                      JOIN credit_insurance_policy pol ON pol.id = c.policy_id
                     WHERE %(partners)s AND %(companies)s AND c.decision != 'requested'
                       AND c.date_effective <= %(date)s AND pol.state IN ('active', 'expired')
                       AND pol.date_start <= %(date)s AND pol.date_end >= %(date)s
                     ORDER BY c.company_id, c.partner_id, c.policy_id, c.date_effective DESC, c.id DESC) latest
             WHERE latest.date_expiry IS NULL OR latest.date_expiry >= %(date)s
            """,
            date=date,
            partners=SQL("c.partner_id = ANY(%s)", list(partner_ids)) if partner_ids is not None else SQL("TRUE"),
            companies=SQL("c.company_id = ANY(%s)", list(company_ids)) if company_ids is not None else SQL("TRUE"),
        ))
        return {(company_id, partner_id, policy_id): cover_id for company_id, partner_id, policy_id, cover_id in rows}

    def _credit_covered_amount(self):
        """The amount this decision covers, in the policy's currency: nothing for a refusal or withdrawal."""
        self.ensure_one()
        return self.amount_granted if self.decision in COVERING else 0.0

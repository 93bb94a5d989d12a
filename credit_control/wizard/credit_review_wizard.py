from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..models.res_company import GRADES


class CreditReviewWizard(models.TransientModel):
    _name = "credit.review.wizard"
    _description = "Credit Review"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, readonly=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    current_limit = fields.Monetary(compute="_compute_profile", currency_field="currency_id")
    suggested_limit = fields.Monetary(compute="_compute_profile", currency_field="currency_id")
    current_tier_id = fields.Many2one("credit.tier", compute="_compute_profile")
    score = fields.Integer(compute="_compute_profile")
    grade = fields.Selection(GRADES, compute="_compute_profile")
    explanation = fields.Text(compute="_compute_profile")
    exposure = fields.Monetary(compute="_compute_profile", currency_field="currency_id")
    overdue_amount = fields.Monetary(compute="_compute_profile", currency_field="currency_id")
    file_state = fields.Char(string="Credit File", compute="_compute_profile")
    current_no_limit = fields.Boolean(compute="_compute_profile")
    new_limit = fields.Monetary(currency_field="currency_id", compute="_compute_new_values", store=True,
                                readonly=False, help="0 means no credit (prepayment).")
    new_no_limit = fields.Boolean(string="No Credit Limit", compute="_compute_new_values", store=True,
                                  readonly=False, help="A deliberate choice: no limit at all for this customer.")
    new_tier_id = fields.Many2one("credit.tier", compute="_compute_new_values", store=True, readonly=False,
                                  domain="[('company_id', '=', company_id)]")
    new_hold = fields.Boolean(string="Credit Hold", compute="_compute_new_values", store=True, readonly=False)
    hold_reason = fields.Char(compute="_compute_new_values", store=True, readonly=False)
    next_review_date = fields.Date(compute="_compute_next_review_date", store=True, readonly=False)
    note = fields.Text(required=True, help="Why this decision: it is kept in the customer's review history.")

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("partner_id")
    def _compute_profile(self):
        for wizard in self:
            partner = wizard.partner_id
            wizard.current_limit = partner.credit_limit
            wizard.current_no_limit = partner.credit_no_limit
            wizard.suggested_limit = partner.credit_suggested_limit
            wizard.current_tier_id = partner.credit_tier_id
            wizard.score = partner.credit_score
            wizard.grade = partner.credit_grade
            wizard.explanation = partner.credit_rating_explanation
            wizard.exposure = partner.credit_exposure
            wizard.overdue_amount = partner.credit_overdue_amount
            wizard.file_state = partner.credit_file_issues or self.env._("Complete")

    @api.depends("partner_id")
    def _compute_new_values(self):
        for wizard in self:
            wizard.new_limit = wizard.partner_id.credit_limit
            wizard.new_no_limit = wizard.partner_id.credit_no_limit
            wizard.new_tier_id = wizard.partner_id.credit_tier_id
            wizard.new_hold = wizard.partner_id.credit_hold
            wizard.hold_reason = wizard.partner_id.credit_hold_reason

    @api.depends("new_tier_id")
    def _compute_next_review_date(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            months = wizard.new_tier_id.review_interval_months if wizard.new_tier_id else 3
            wizard.next_review_date = today + relativedelta(months=months) if months else False

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_use_suggested_limit(self):
        self.ensure_one()
        self.write({"new_limit": self.suggested_limit, "new_no_limit": False})
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id,
                "view_mode": "form", "target": "new"}

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a Credit Control Manager can approve a credit review."))
        if self.new_limit < 0:
            raise ValidationError(self.env._("The credit limit cannot be negative."))
        if self.new_hold and not self.hold_reason:
            raise ValidationError(self.env._("Give a reason for the credit hold."))
        partner = self.partner_id
        review = self.env["credit.review"].create({
            "partner_id": partner.id,
            "old_limit": partner.credit_limit,
            "new_limit": self.new_limit,
            "suggested_limit": self.suggested_limit,
            "old_tier_id": partner.credit_tier_id.id,
            "new_tier_id": self.new_tier_id.id,
            "old_hold": partner.credit_hold,
            "new_hold": self.new_hold,
            "hold_reason": self.hold_reason if self.new_hold else False,
            "score": self.score,
            "grade": self.grade,
            "exposure": self.exposure,
            "overdue_amount": self.overdue_amount,
            "next_review_date": self.next_review_date,
            "note": self.note,
        })
        old_text = partner._credit_limit_text(None if partner.credit_no_limit else partner.credit_limit)
        partner.write({
            "credit_limit": self.new_limit,
            "credit_no_limit": self.new_no_limit,
            "use_partner_credit_limit": True,
            "credit_tier_id": self.new_tier_id.id,
            "credit_hold": self.new_hold,
            "credit_hold_reason": self.hold_reason if self.new_hold else False,
            "credit_review_date": self.next_review_date,
        })
        partner.message_post(body=self.env._(
            "Credit review by %(user)s: limit %(old)s → %(new)s, tier %(old_tier)s → %(new_tier)s. %(note)s",
            user=self.env.user.name,
            old=old_text,
            new=partner._credit_limit_text(None if self.new_no_limit else review.new_limit),
            old_tier=review.old_tier_id.name or "-", new_tier=review.new_tier_id.name or "-", note=self.note,
        ))
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_review")
        partner.activity_ids.filtered(lambda a: a.activity_type_id == activity_type).action_feedback(
            feedback=self.note)
        return {"type": "ir.actions.act_window_close"}

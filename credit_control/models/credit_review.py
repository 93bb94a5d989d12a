from odoo import fields, models

from .res_company import GRADES


class CreditReview(models.Model):
    _name = "credit.review"
    _description = "Credit Review"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Datetime(required=True, default=fields.Datetime.now, readonly=True)
    user_id = fields.Many2one("res.users", string="Reviewed By", required=True, default=lambda self: self.env.user)
    old_limit = fields.Monetary(string="Previous Limit", currency_field="currency_id")
    new_limit = fields.Monetary(currency_field="currency_id")
    suggested_limit = fields.Monetary(currency_field="currency_id")
    old_tier_id = fields.Many2one("credit.tier", string="Previous Tier", check_company=True)
    new_tier_id = fields.Many2one("credit.tier", check_company=True)
    old_hold = fields.Boolean(string="Was On Hold")
    new_hold = fields.Boolean(string="On Hold")
    hold_reason = fields.Char()
    score = fields.Integer()
    grade = fields.Selection(GRADES)
    exposure = fields.Monetary(currency_field="currency_id")
    overdue_amount = fields.Monetary(currency_field="currency_id")
    next_review_date = fields.Date()
    note = fields.Text(required=True)

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CreditFileItem(models.Model):
    _name = "credit.file.item"
    _description = "Credit File Item"
    _order = "date_checked desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, ondelete="cascade",
        domain="[('is_company', '=', True)]",
    )
    type_id = fields.Many2one("credit.file.item.type", string="Item", required=True, check_company=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    date_checked = fields.Date(string="Checked On", required=True, default=fields.Date.context_today)
    result = fields.Selection(
        selection=[("ok", "No concern"), ("concern", "Concern"), ("fail", "Failed")], required=True, default="ok",
    )
    user_id = fields.Many2one("res.users", string="Checked By", required=True, default=lambda self: self.env.user)
    expiry_date = fields.Date(compute="_compute_expiry_date", store=True, readonly=False)
    state = fields.Selection(
        selection=[("valid", "Valid"), ("expired", "Expired")], compute="_compute_state", search="_search_state"
    )
    attachment_ids = fields.Many2many("ir.attachment", string="Documents")
    note = fields.Text()

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("date_checked", "type_id.validity_months")
    def _compute_expiry_date(self):
        for item in self:
            months = item.type_id.validity_months
            item.expiry_date = item.date_checked + relativedelta(months=months) if item.date_checked and months \
                else False

    @api.depends("expiry_date")
    def _compute_state(self):
        today = fields.Date.context_today(self)
        for item in self:
            item.state = "expired" if item.expiry_date and item.expiry_date < today else "valid"

    def _search_state(self, operator, value):
        if operator not in ("=", "!=") or value not in ("valid", "expired"):
            raise ValidationError(self.env._("Unsupported search on the credit-file item state."))
        today = fields.Date.context_today(self)
        expired = [("expiry_date", "<", today)]
        valid = ["|", ("expiry_date", "=", False), ("expiry_date", ">=", today)]
        return expired if (value == "expired") == (operator == "=") else valid

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("date_checked", "expiry_date")
    def _check_dates(self):
        today = fields.Date.context_today(self)
        for item in self:
            if item.date_checked > today:
                raise ValidationError(self.env._("A credit-file check cannot be dated in the future."))
            if item.expiry_date and item.expiry_date < item.date_checked:
                raise ValidationError(self.env._("A credit-file item cannot expire before it was checked."))

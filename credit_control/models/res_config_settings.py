from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    credit_weight_payment_delay = fields.Integer(related="company_id.credit_weight_payment_delay", readonly=False)
    credit_weight_overdue_share = fields.Integer(related="company_id.credit_weight_overdue_share", readonly=False)
    credit_weight_dso = fields.Integer(related="company_id.credit_weight_dso", readonly=False)
    credit_weight_dunning = fields.Integer(related="company_id.credit_weight_dunning", readonly=False)
    credit_weight_disputes = fields.Integer(related="company_id.credit_weight_disputes", readonly=False)
    credit_weight_relationship = fields.Integer(related="company_id.credit_weight_relationship", readonly=False)
    credit_weight_external = fields.Integer(related="company_id.credit_weight_external", readonly=False)
    credit_grade_a_min = fields.Integer(related="company_id.credit_grade_a_min", readonly=False)
    credit_grade_b_min = fields.Integer(related="company_id.credit_grade_b_min", readonly=False)
    credit_grade_c_min = fields.Integer(related="company_id.credit_grade_c_min", readonly=False)
    credit_grade_d_min = fields.Integer(related="company_id.credit_grade_d_min", readonly=False)
    credit_dunning_policy_id = fields.Many2one(related="company_id.credit_dunning_policy_id", readonly=False)
    credit_warning_red_limit = fields.Integer(related="company_id.credit_warning_red_limit", readonly=False)
    credit_warning_hold = fields.Boolean(related="company_id.credit_warning_hold", readonly=False)
    credit_warning_digest = fields.Boolean(related="company_id.credit_warning_digest", readonly=False)
    credit_dso_reference = fields.Float(related="company_id.credit_dso_reference", readonly=False)
    credit_dso_target_pct = fields.Float(related="company_id.credit_dso_target_pct", readonly=False)
    credit_overdue_target = fields.Float(related="company_id.credit_overdue_target", readonly=False)
    credit_concentration_target = fields.Float(related="company_id.credit_concentration_target", readonly=False)
    credit_reserve_months_target = fields.Float(related="company_id.credit_reserve_months_target", readonly=False)
    credit_ocf_ratio_target = fields.Float(related="company_id.credit_ocf_ratio_target", readonly=False)
    credit_fixed_cost_tag_id = fields.Many2one(related="company_id.credit_fixed_cost_tag_id", readonly=False)
    credit_cash_reserve = fields.Monetary(related="company_id.credit_cash_reserve", readonly=False)
    credit_default_no_limit = fields.Boolean(
        string="No Limit Without Own Limit", compute="_compute_credit_default_no_limit",
        inverse="_inverse_credit_default_no_limit",
        help="Customers without their own credit limit have no limit. Unticked, they get the default credit limit "
             "above, where 0 means no credit (prepayment).",
    )

    @api.depends("company_id")
    def _compute_credit_default_no_limit(self):
        partners = self.env["res.partner"]
        for setting in self:
            setting.credit_default_no_limit = partners.with_company(setting.company_id)._fields[
                "credit_no_limit"].get_company_dependent_fallback(partners.with_company(setting.company_id))

    def _inverse_credit_default_no_limit(self):
        for setting in self:
            if setting.credit_default_no_limit:
                self.env["res.partner"].with_company(setting.company_id)._credit_keep_own_limits()
            self.env["ir.default"].set("res.partner", "credit_no_limit", setting.credit_default_no_limit,
                                       company_id=setting.company_id.id)

from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    credit_insurance_cap_limit = fields.Boolean(related="company_id.credit_insurance_cap_limit", readonly=False)

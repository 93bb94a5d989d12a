from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    credit_insurance_cap_limit = fields.Boolean(
        string="Cap Limits by Insurer Cover",
        help="Posting checks each customer against the lower of its credit limit and its insurer cover plus the "
             "policy's discretionary limit.",
    )

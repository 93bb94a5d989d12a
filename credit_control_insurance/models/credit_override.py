from odoo import fields, models


class CreditOverride(models.Model):
    _inherit = "credit.override"

    reason_code = fields.Selection(selection_add=[("insurance", "No insurer cover")],
                                   ondelete={"insurance": "cascade"})

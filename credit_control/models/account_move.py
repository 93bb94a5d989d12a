from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_disputed = fields.Boolean(
        string="Disputed", copy=False, tracking=True,
        help="The customer disputes this invoice (amount, quality or terms). Disputes lower the credit rating.",
    )

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CreditFileItemType(models.Model):
    _name = "credit.file.item.type"
    _description = "Credit File Item Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    required = fields.Boolean(
        default=True, help="A customer whose file lacks a valid item of this type shows an incomplete credit file."
    )
    validity_months = fields.Integer(
        default=12, help="An item expires this many months after the check. 0 means it never expires."
    )
    company_id = fields.Many2one("res.company", help="Leave empty to use this item type in every company.")
    description = fields.Text(translate=True, help="What to check and which documents to keep.")

    @api.constrains("validity_months")
    def _check_validity_months(self):
        if any(item_type.validity_months < 0 for item_type in self):
            raise ValidationError(self.env._("The validity of a credit-file item cannot be negative."))

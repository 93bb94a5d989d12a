from odoo import fields, models


class CreditDunningCredit(models.Model):
    """One open credit of the customer (credit note, payment on account) when a dunning communication was made:
    the communication lists it and is sent for the net.

    Evidence from its creation, like the dunning lines: only the dunning run makes them.
    """

    _name = "credit.dunning.credit"
    _inherit = ["credit.evidence.mixin"]
    _description = "Dunning Communication Open Credit"
    _order = "communication_id desc, date, id"

    communication_id = fields.Many2one("credit.dunning.communication", required=True, index=True,
                                       ondelete="cascade", readonly=True)
    move_id = fields.Many2one("account.move", string="Document", required=True, readonly=True, ondelete="cascade")
    company_id = fields.Many2one(related="communication_id.company_id", store=True)
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    date = fields.Date(readonly=True)
    currency_id = fields.Many2one("res.currency", required=True, readonly=True)
    amount_residual = fields.Monetary(string="Open Credit", readonly=True, currency_field="currency_id",
                                      help="Open amount of the credit in its currency, negative, when dunned.")
    amount_residual_company = fields.Monetary(string="Open Credit (Company Currency)", readonly=True,
                                              currency_field="company_currency_id")

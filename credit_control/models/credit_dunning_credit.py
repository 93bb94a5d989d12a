from odoo import fields, models


class CreditDunningCredit(models.Model):
    """An open credit of the customer (credit note, payment on account) applied to a dunning communication's
    invoices, oldest credit to oldest invoice: the communication lists the part applied and asks for the net.

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
    amount_residual = fields.Monetary(string="Credit Applied", readonly=True, currency_field="currency_id",
                                      help="The part of the credit applied to the communication's invoices, in "
                                           "its currency, negative.")
    amount_residual_company = fields.Monetary(string="Credit Applied (Company Currency)", readonly=True,
                                              currency_field="company_currency_id")

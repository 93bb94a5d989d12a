from odoo import fields, models


class CreditInsuranceNotificationLine(models.Model):
    """One instalment an overdue notification declares: what it left unpaid on the day. Kept up to date while
    the notification is a draft; from the day sent, what the insurer was told."""

    _name = "credit.insurance.notification.line"
    _description = "Overdue Instalment Notified to the Insurer"
    _order = "notification_id, date_maturity, move_id, id"
    _log_access = False

    notification_id = fields.Many2one("credit.insurance.notification", required=True, index=True, readonly=True,
                                      ondelete="cascade")
    move_line_id = fields.Many2one("account.move.line", string="Instalment", readonly=True, ondelete="set null",
                                   index="btree_not_null")
    move_id = fields.Many2one("account.move", string="Invoice", required=True, readonly=True, ondelete="cascade")
    date_maturity = fields.Date(string="Due Date", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    company_currency_id = fields.Many2one(related="notification_id.company_currency_id")
    amount_residual_currency = fields.Monetary(string="Amount Overdue", readonly=True,
                                               help="The instalment's unpaid amount, in the invoice's currency.")
    amount_residual = fields.Monetary(string="In Company Currency", currency_field="company_currency_id",
                                      readonly=True)
    invoice_amount_due = fields.Monetary(readonly=True,
                                         help="The invoice's whole unpaid amount that day, in its currency.")

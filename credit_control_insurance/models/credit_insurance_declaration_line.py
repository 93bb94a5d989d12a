from odoo import api, fields, models
from odoo.exceptions import UserError


class CreditInsuranceDeclarationLine(models.Model):
    """The insured turnover of one declaration with buyers of one country, in one invoice currency."""

    _name = "credit.insurance.declaration.line"
    _description = "Insurance Premium Declaration Line"
    _order = "declaration_id, country_id, currency_id"

    declaration_id = fields.Many2one("credit.insurance.declaration", required=True, index=True,
                                     ondelete="cascade")
    company_id = fields.Many2one(related="declaration_id.company_id", store=True, index=True, precompute=True)
    country_id = fields.Many2one("res.country", string="Buyer Country")
    currency_id = fields.Many2one("res.currency", string="Invoice Currency", required=True)
    policy_currency_id = fields.Many2one(related="declaration_id.currency_id", string="Policy Currency")
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    invoice_count = fields.Integer(string="Invoices")
    refund_count = fields.Integer(string="Credit Notes")
    amount_invoiced = fields.Monetary(string="Invoiced", help="Insured invoices, taxes included.")
    amount_refunded = fields.Monetary(string="Credited",
                                      help="Credit notes reversing insured invoices, taxes included.")
    amount_net = fields.Monetary(string="Net Turnover", compute="_compute_amount_net", store=True)
    amount_net_company = fields.Monetary(string="Net Turnover (Company Currency)",
                                         currency_field="company_currency_id",
                                         help="As booked, at each invoice's exchange rate.")
    amount_net_policy = fields.Monetary(
        string="Net Turnover (Policy Currency)", currency_field="policy_currency_id",
        help="The net turnover itself when the invoices are in the policy currency; otherwise the amounts booked "
             "in the company currency at each invoice's rate, converted at the period end's rate when the policy "
             "currency is not the company's.",
    )

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("amount_invoiced", "amount_refunded")
    def _compute_amount_net(self):
        for line in self:
            line.amount_net = line.amount_invoiced - line.amount_refunded

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        declarations = self.env["credit.insurance.declaration"].browse(
            [vals["declaration_id"] for vals in vals_list if vals.get("declaration_id")])
        declarations._credit_check_draft()
        return super().create(vals_list)

    def write(self, vals):
        self.declaration_id._credit_check_draft()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_if_draft(self):
        if self.declaration_id.filtered(lambda d: d.state == "submitted"):
            raise UserError(self.env._("The lines of a submitted declaration cannot be deleted."))

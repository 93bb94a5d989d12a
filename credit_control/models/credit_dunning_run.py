from odoo import fields, models


class CreditDunningRun(models.Model):
    """One company's dunning run of one day: how far it got, so that each batch resumes after the last."""

    _name = "credit.dunning.run"
    _description = "Dunning Run"
    _order = "date desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    date = fields.Date(required=True, readonly=True)
    state = fields.Selection([("running", "Running"), ("done", "Done")], required=True, default="running",
                             readonly=True)
    last_partner_id = fields.Integer(
        readonly=True, help="Technical: customers are dunned in id order; the next batch starts after this one.")
    customer_total = fields.Integer(string="Customers To Check", readonly=True,
                                    help="Customers with open invoices when the run started.")
    customer_count = fields.Integer(string="Customers Checked", readonly=True)
    communication_count = fields.Integer(string="Communications", readonly=True)
    invoice_count = fields.Integer(string="Invoices Dunned", readonly=True)

    _sql_constraints = [
        ("company_date_uniq", "unique(company_id, date)", "A company has one dunning run per day."),
    ]

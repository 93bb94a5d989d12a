from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .credit_warning import SEVERITIES


class CreditEvent(models.Model):
    """An outside signal about a customer, recorded by hand: a lawsuit, a penalty, a change of owners..."""

    _name = "credit.event"
    _description = "Outside Credit Event"
    _inherit = ["mail.thread"]
    _order = "date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Summary", required=True, tracking=True)
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True,
        domain="['|', ('is_company', '=', True), ('parent_id', '=', False)]",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True,
                       help="When the event happened (or became known).")
    event_type = fields.Selection(
        selection=[
            ("lawsuit", "Lawsuit"),
            ("penalty", "Administrative penalty"),
            ("ownership", "Ownership change"),
            ("management", "Management change"),
            ("news", "News"),
            ("other", "Other"),
        ],
        string="Type", required=True, default="lawsuit", tracking=True,
    )
    severity = fields.Selection(SEVERITIES, required=True, default="red", tracking=True,
                                help="A red event counts as a red light of the customer.")
    source = fields.Char(help="Where it comes from: court records, the credit agency, the press...")
    description = fields.Text()
    attachment_ids = fields.Many2many("ir.attachment", string="Documents")
    user_id = fields.Many2one("res.users", string="Recorded By", required=True, readonly=True,
                              default=lambda self: self.env.user)
    active = fields.Boolean(default=True, help="Archive an event that no longer matters; its warning then clears.")

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("date")
    def _check_date(self):
        today = fields.Date.context_today(self)
        for event in self:
            if event.date > today:
                raise ValidationError(self.env._("The event %(event)s cannot happen after today.", event=event.name))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        # Events belong to the company partner, like the rest of the credit profile.
        for vals in vals_list:
            if vals.get("partner_id"):
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("partner_id"):
            vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
        return super().write(vals)

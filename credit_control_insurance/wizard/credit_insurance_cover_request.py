import base64

from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.credit_control.report.xlsx import build_xlsx


class CreditInsuranceCoverRequest(models.TransientModel):
    """Ask the insurer to cover buyers: records the requests and gives the file to send to the insurer."""

    _name = "credit.insurance.cover.request"
    _description = "Request Buyer Cover"

    policy_id = fields.Many2one("credit.insurance.policy", required=True,
                                domain="[('state', '=', 'active'), ('company_id', '=', company_id)]")
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    request_date = fields.Date(required=True, default=fields.Date.context_today)
    line_ids = fields.One2many("credit.insurance.cover.request.line", "request_id", string="Buyers")
    partner_ids = fields.Many2many("res.partner", string="Buyers to Add")
    state = fields.Selection([("draft", "Draft"), ("done", "Requested")], default="draft", required=True)
    file_data = fields.Binary(string="Request File", readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        partners = self.env["res.partner"].browse(self.env.context.get("credit_request_partner_ids") or [])
        values["line_ids"] = [Command.create({
            "partner_id": partner.id,
            "amount": partner.credit_limit or partner.credit_suggested_limit,
        }) for partner in partners.commercial_partner_id]
        values.setdefault("policy_id", self.env["credit.insurance.policy"].search([
            ("company_id", "=", self.env.company.id), ("state", "=", "active")], limit=1).id)
        return values

    @api.onchange("partner_ids")
    def _onchange_partner_ids(self):
        existing = self.line_ids.partner_id
        for partner in self.partner_ids.commercial_partner_id - existing:
            self.line_ids = [Command.create({"partner_id": partner.id,
                                             "amount": partner.credit_limit or partner.credit_suggested_limit})]
        self.partner_ids = False

    def action_request(self):
        """Record one 'requested' decision per buyer; the dialog then offers the request file for the insurer."""
        self.ensure_one()
        if self.state == "done":
            raise UserError(self.env._("These requests are already recorded."))
        if not self.line_ids:
            raise UserError(self.env._("Add the buyers to request cover for."))
        if any(line.amount <= 0 for line in self.line_ids):
            raise UserError(self.env._("Each buyer needs the amount of cover to request."))
        covers = self.env["credit.insurance.cover"].create([{
            "partner_id": line.partner_id.id, "policy_id": self.policy_id.id, "decision": "requested",
            "amount_requested": line.amount, "request_date": self.request_date, "date_effective": self.request_date,
        } for line in self.line_ids])
        self.write({
            "state": "done",
            "file_name": self.env._("cover_request_%(policy)s.xlsx", policy=self.policy_id.policy_number),
            "file_data": base64.b64encode(cover_request_workbook(self.env, covers)),
        })
        return {"type": "ir.actions.act_window", "res_model": self._name, "res_id": self.id, "view_mode": "form",
                "target": "new", "name": self.env._("Request Cover")}


class CreditInsuranceCoverRequestLine(models.TransientModel):
    _name = "credit.insurance.cover.request.line"
    _description = "Buyer Cover Request Line"

    request_id = fields.Many2one("credit.insurance.cover.request", required=True, ondelete="cascade")
    partner_id = fields.Many2one("res.partner", string="Buyer", required=True)
    currency_id = fields.Many2one(related="request_id.policy_id.currency_id")
    amount = fields.Monetary(string="Cover Requested")


def cover_request_workbook(env, covers):
    """The request file for the insurer: one row per buyer (records in, XLSX bytes out)."""
    columns = [
        (env._("Buyer"), 36, lambda c: c.partner_id.name, None),
        (env._("Tax ID"), 18, lambda c: c.partner_id.vat or "", None),
        (env._("Address"), 40, lambda c: ", ".join(filter(None, [c.partner_id.street, c.partner_id.zip,
                                                                 c.partner_id.city])), None),
        (env._("Country"), 16, lambda c: c.partner_id.country_id.name or "", None),
        (env._("Cover Requested"), 18, lambda c: c.amount_requested, "money"),
        (env._("Currency"), 10, lambda c: c.currency_id.name, None),
        (env._("Our Exposure"), 18, lambda c: c.partner_id.credit_exposure, "money"),
        (env._("Our Grade"), 10, lambda c: c.partner_id.credit_grade or "", None),
    ]
    return build_xlsx(covers, env._("Cover Request"), columns)

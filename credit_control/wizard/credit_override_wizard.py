from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError


class CreditOverrideWizard(models.TransientModel):
    """The dialog shown when credit control refuses a posting from the invoice form."""

    _name = "credit.override.wizard"
    _description = "Credit Control Refusal"

    move_ids = fields.Many2many("account.move", string="Invoices", readonly=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    blocks = fields.Json(readonly=True)
    message = fields.Text(readonly=True)
    breakdown = fields.Html(compute="_compute_breakdown", sanitize=False)
    reason = fields.Text(string="Justification", help="Why this posting may go ahead despite the refusal.")
    max_amount = fields.Monetary(
        string="Up To Exposure", currency_field="currency_id",
        help="Optional cap: the approval holds only while the exposure stays at or below this amount.",
    )
    valid_until = fields.Date(default=fields.Date.context_today,
                              help="The approval expires after this date (default: the end of today).")

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("blocks")
    def _compute_breakdown(self):
        partners = self.env["res.partner"]
        labels = [
            ("open_amount", self.env._("Open receivables")),
            ("not_due_excluded", self.env._("Not yet due (not counted)")),
            ("drafts_included", self.env._("Other draft invoices")),
            ("posting", self.env._("This posting")),
        ]
        for wizard in self:
            html = Markup()
            for block in wizard.blocks or []:
                partner = partners.browse(block["partner_id"])
                rows = Markup().join(
                    Markup("<tr><td>%s</td><td class='text-end'>%s</td></tr>") % (label,
                                                                                 partner._credit_money(amount))
                    for key, label in labels
                    if (amount := block["breakdown"].get(key))
                )
                total = Markup("<tr class='fw-bold'><td>%s</td><td class='text-end'>%s</td></tr>"
                               "<tr><td>%s</td><td class='text-end'>%s</td></tr>"
                               "<tr class='text-danger fw-bold'><td>%s</td><td class='text-end'>%s</td></tr>") % (
                    self.env._("Exposure"), partner._credit_money(block["exposure"]),
                    self.env._("Credit limit"), partner._credit_limit_text(block["limit"]),
                    self.env._("Excess"), partner._credit_money(block["excess"] or 0.0))
                html += Markup("<h5>%s</h5><p>%s</p><table class='table table-sm'>%s%s</table>") % (
                    partner.display_name, escape(block["message"]), rows, total)
            wizard.breakdown = html

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_approve(self):
        self.ensure_one()
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a Credit Control Manager can approve a credit override."))
        if not (self.reason or "").strip():
            raise ValidationError(self.env._("Give the justification of the override."))
        if self.valid_until and self.valid_until < fields.Date.context_today(self):
            raise ValidationError(self.env._("The approval cannot expire in the past."))
        moves = self.move_ids.filtered(lambda m: m.state == "draft").with_context(credit_control_dialog=False)
        blocks = moves._credit_current_blocks()
        if self.max_amount and any(block["exposure"] > self.max_amount for block in blocks):
            raise ValidationError(self.env._("The cap is below the exposure of this posting: raise it or leave it "
                                             "empty."))
        # Only what still blocks now is approved, with today's figures; nothing at all when nothing blocks.
        overrides = self.env["credit.override"].create([
            dict(self.env["credit.override"]._credit_values(block, self.reason),
                 max_amount=self.max_amount, valid_until=self.valid_until or fields.Date.context_today(self))
            for block in blocks
        ])
        # Post as code does: a refusal now is an error, not another dialog.
        moves.action_post()
        return {"type": "ir.actions.act_window_close", "infos": {"override_ids": overrides.ids}}

    def action_request_approval(self):
        """Ask the customer's credit controller (or a credit manager) to approve."""
        self.ensure_one()
        for block in self.blocks:
            partner = self.env["res.partner"].browse(block["partner_id"])
            self.move_ids.filtered(lambda m, p=partner: m.commercial_partner_id == p)[:1].activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Approve a credit override for %(partner)s", partner=partner.display_name),
                note=block["message"],
                user_id=partner._credit_responsible_user(managers_only=True).id,
            )
        return {"type": "ir.actions.act_window_close"}

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _action_open(self, moves, error):
        wizard = self.create({"move_ids": [fields.Command.set(moves.ids)], "blocks": error.blocks,
                              "message": str(error)})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Credit Limit"),
            "res_model": self._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

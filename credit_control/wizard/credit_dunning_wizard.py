
from odoo import api, fields, models

PREVIEW_LIMIT = 200


class CreditDunningWizard(models.TransientModel):
    """Preview what the dunning run would send today, per customer, and run it for a selection of customers."""

    _name = "credit.dunning.wizard"
    _description = "Dunning Run"

    partner_ids = fields.Many2many(
        "res.partner", string="Customers", domain="[('is_company', '=', True)]",
        help="Dun only these customers now. Empty: every customer that is due, through the scheduled action.",
    )
    due_partner_count = fields.Integer(string="Customers Due", compute="_compute_preview")
    preview = fields.Html(compute="_compute_preview", sanitize=False)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "res.partner" and self.env.context.get("active_ids"):
            partners = self.env["res.partner"].browse(self.env.context["active_ids"])
            values["partner_ids"] = [fields.Command.set(partners.commercial_partner_id.ids)]
        return values

    @api.depends("partner_ids")
    def _compute_preview(self):
        communications = self.env["credit.dunning.communication"]
        for wizard in self:
            partner_ids = wizard.partner_ids.commercial_partner_id.ids or None
            candidates = communications._credit_dunning_candidates(partner_ids)
            due_partner_ids = sorted({group["partner_id"] for group in candidates})
            shown = set(due_partner_ids[:PREVIEW_LIMIT])
            groups = [group for group in candidates if group["partner_id"] in shown]
            partners = self.env["res.partner"].browse({group["partner_id"] for group in groups})
            levels = self.env["credit.dunning.level"].browse({group["level_id"] for group in groups})
            moves = self.env["account.move"].browse({item["move_id"] for group in groups for item in group["items"]})
            wizard.due_partner_count = len(due_partner_ids)
            wizard.preview = self.env["ir.qweb"]._render("credit_control.credit_dunning_wizard_preview", {
                "groups": [{
                    "partner": partners.browse(group["partner_id"]),
                    "level": levels.browse(group["level_id"]),
                    "invoices": ", ".join(moves.browse([item["move_id"] for item in group["items"]]).mapped("name")),
                    "amount": group["net"],
                } for group in groups],
                "currency": self.env.company.currency_id,
                "more": max(len(due_partner_ids) - PREVIEW_LIMIT, 0),
            })

    def action_run(self):
        """Dun the chosen customers now; without a choice, start the scheduled action for everyone due."""
        self.ensure_one()
        communications = self.env["credit.dunning.communication"]
        if not self.partner_ids:
            # Today's run starts over (what was dunned today is skipped) to pick up today's changes.
            communications._credit_todays_run().write({"state": "running", "last_partner_id": 0,
                                                       "customer_count": 0})
            self.env.ref("credit_control.ir_cron_run_dunning").sudo()._trigger()
            return {"type": "ir.actions.client", "tag": "display_notification", "params": {
                "type": "info", "message": self.env._("The dunning run started; its communications appear in "
                                                      "Dunning as they are sent."),
                "next": {"type": "ir.actions.act_window_close"}}}
        partner_ids = self.partner_ids.commercial_partner_id.ids
        self.env["credit.payment.promise"]._credit_close_due_promises()
        before = communications.search([("partner_id", "in", partner_ids)])
        communications._credit_run_batch(len(partner_ids), partner_ids, origin="manual")
        made = communications.search([("partner_id", "in", partner_ids), ("id", "not in", before.ids)])
        if not made:
            return {"type": "ir.actions.client", "tag": "display_notification", "params": {
                "type": "info", "message": self.env._(
                    "%(customers)s customers checked: nothing is due for them today.", customers=len(partner_ids)),
                "next": {"type": "ir.actions.act_window_close"}}}
        states = dict(made._fields["state"]._description_selection(self.env))
        counts = ", ".join(f"{len(group)} {states[state]}" for state, group in sorted(made.grouped("state").items()))
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dunning_communication_action")
        action.update(domain=[("id", "in", made.ids)], context={"create": False})
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "warning" if "failed" in made.mapped("state") else "success",
            "message": self.env._("%(customers)s customers checked: %(count)s communications made (%(states)s).",
                                  customers=len(partner_ids), count=len(made), states=counts),
            "next": action}}

from odoo import api, fields, models


class CreditInsuranceIndemnityWizard(models.TransientModel):
    """Record the indemnity the insurer paid on a claim."""

    _name = "credit.insurance.indemnity.wizard"
    _description = "Register Claim Indemnity"

    claim_id = fields.Many2one("credit.insurance.claim", required=True, readonly=True)
    currency_id = fields.Many2one(related="claim_id.currency_id")
    amount = fields.Monetary(string="Indemnity Received", required=True,
                             help="What the insurer paid, in the policy's currency.")
    date = fields.Date(required=True, default=fields.Date.context_today)
    journal_id = fields.Many2one(related="claim_id.policy_id.claim_journal_id", string="Entry Journal")

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        claim = self.env["credit.insurance.claim"].browse(values.get("claim_id"))
        if claim and "amount" in fields_list:
            values["amount"] = claim.amount_accepted
        return values

    def action_confirm(self):
        self.ensure_one()
        self.claim_id._credit_register_indemnity(self.amount, self.date)
        return {"type": "ir.actions.act_window_close"}

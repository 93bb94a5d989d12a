from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CreditInsuranceRecovery(models.Model):
    """Money recovered from the buyer after the indemnity: the insurer gets its indemnity % of it."""

    _name = "credit.insurance.recovery"
    _description = "Recovery After Indemnity"
    _order = "date desc, id desc"

    claim_id = fields.Many2one("credit.insurance.claim", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="claim_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="claim_id.currency_id")
    date = fields.Date(required=True, default=fields.Date.context_today)
    amount = fields.Monetary(string="Amount Recovered", required=True,
                             help="Recovered from the buyer, in the policy's currency.")
    indemnity_percent = fields.Float(related="claim_id.indemnity_percent", string="Indemnity (%)")
    insurer_share = fields.Monetary(compute="_compute_shares", store=True,
                                    help="Amount recovered × the claim's indemnity %: due to the insurer.")
    company_share = fields.Monetary(string="Our Share", compute="_compute_shares", store=True)
    note = fields.Char()

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("amount", "claim_id.indemnity_percent")
    def _compute_shares(self):
        for recovery in self:
            share = recovery.amount * recovery.claim_id.indemnity_percent / 100.0
            recovery.insurer_share = recovery.currency_id.round(share) if recovery.currency_id else share
            recovery.company_share = recovery.amount - recovery.insurer_share

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("amount", "claim_id")
    def _check_recovery(self):
        for recovery in self:
            if recovery.claim_id.state not in ("indemnified", "closed") or not recovery.claim_id.amount_indemnified:
                raise ValidationError(self.env._(
                    "Recoveries are shared with the insurer only after the indemnity: claim %(claim)s is not "
                    "indemnified.", claim=recovery.claim_id.name))
            if recovery.currency_id.compare_amounts(recovery.amount, 0.0) <= 0:
                raise ValidationError(self.env._("A recovery is a positive amount."))

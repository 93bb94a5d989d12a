import sys

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CreditInsuranceRecovery(models.Model):
    """Money recovered from the buyer after the indemnity, shared with the insurer as it shared the loss: its
    share is the indemnity it paid over the loss claimed, and it never gets back more than it paid."""

    _name = "credit.insurance.recovery"
    _description = "Recovery After Indemnity"
    _order = "date desc, id desc"

    claim_id = fields.Many2one("credit.insurance.claim", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="claim_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="claim_id.currency_id")
    date = fields.Date(required=True, default=fields.Date.context_today)
    amount = fields.Monetary(string="Amount Recovered", required=True,
                             help="Recovered from the buyer, in the policy's currency.")
    insurer_percent = fields.Float(
        string="Insurer's Share (%)", compute="_compute_shares", store=True,
        help="The insurer's share of the loss: the indemnity it paid over the loss claimed.")
    insurer_share = fields.Monetary(
        compute="_compute_shares", store=True,
        help="Amount recovered × the insurer's share of the loss, but never more than the indemnity it paid less "
             "what the earlier recoveries gave it back: due to the insurer.")
    company_share = fields.Monetary(string="Our Share", compute="_compute_shares", store=True)
    note = fields.Char()

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("amount", "date", "claim_id.amount_indemnified", "claim_id.amount_claimed",
                 "claim_id.recovery_ids.amount", "claim_id.recovery_ids.date")
    def _compute_shares(self):
        for claim in self.claim_id:
            paid, loss, currency = claim.amount_indemnified, claim.amount_claimed, claim.currency_id
            percent = min(paid / loss, 1.0) * 100.0 if loss > 0 else 0.0
            recovered = given = 0.0  # rounded on the running total: the shares add up to what it paid
            # in the order they came in: the earlier recoveries repay the insurer first
            for recovery in claim.recovery_ids.sorted(lambda r: (r.date or fields.Date.today(),
                                                                 r._origin.id or sys.maxsize)):
                recovered += recovery.amount
                due = min(currency.round(recovered * paid / loss), paid) if loss > 0 else 0.0
                share = max(currency.round(due - given), 0.0)
                given = currency.round(given + share)
                if recovery in self:
                    recovery.update({"insurer_percent": percent, "insurer_share": share,
                                     "company_share": recovery.amount - share})
        for recovery in self.filtered(lambda r: not r.claim_id):
            recovery.update({"insurer_percent": 0.0, "insurer_share": 0.0, "company_share": recovery.amount})

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("amount", "claim_id")
    def _check_recovery(self):
        for recovery in self:
            claim, currency = recovery.claim_id, recovery.currency_id
            if claim.state not in ("indemnified", "closed") or not claim.amount_indemnified:
                raise ValidationError(self.env._(
                    "Recoveries are shared with the insurer only after the indemnity: claim %(claim)s is not "
                    "indemnified.", claim=claim.name))
            if currency.compare_amounts(recovery.amount, 0.0) <= 0:
                raise ValidationError(self.env._("A recovery is a positive amount."))
            if currency.compare_amounts(sum(claim.recovery_ids.mapped("amount")), claim.insured_outstanding) > 0:
                raise ValidationError(self.env._(
                    "%(amount)s is more than is left to recover on claim %(claim)s: its invoices were open for "
                    "%(outstanding)s and %(recovered)s was recovered before.",
                    amount=currency.format(recovery.amount), claim=claim.name,
                    outstanding=currency.format(claim.insured_outstanding),
                    recovered=currency.format(sum((claim.recovery_ids - recovery).mapped("amount")))))

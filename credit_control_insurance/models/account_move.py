from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_insured = fields.Boolean(
        string="Insured", readonly=True, copy=False,
        help="The insurer covered the buyer when the invoice was posted.",
    )
    credit_insurance_policy_id = fields.Many2one("credit.insurance.policy", string="Insurance Policy", readonly=True,
                                                 copy=False, index="btree_not_null")
    credit_insurance_cover_id = fields.Many2one("credit.insurance.cover", string="Cover Decision", readonly=True,
                                                copy=False)

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered(lambda m: m.move_type == "out_invoice")._credit_record_insurance()
        return posted

    def _credit_record_insurance(self):
        """Store on each customer invoice whether the buyer was covered on its date, and under what."""
        Cover = self.env["credit.insurance.cover"].sudo()
        for company in self.company_id:
            invoices = self.filtered(lambda m, company=company: m.company_id == company)
            for date in set(invoices.mapped("invoice_date")):
                dated = invoices.filtered(lambda m, date=date: m.invoice_date == date)
                covers = Cover.with_company(company)._credit_current_covers(dated.commercial_partner_id.ids, date)
                by_cover = {}
                for invoice in dated:
                    cover = covers.get(invoice.commercial_partner_id.id, Cover)
                    countries = cover.policy_id.country_ids
                    insured = bool(cover) and cover._credit_covered_amount() > 0 and (
                        not countries or invoice.commercial_partner_id.country_id in countries)
                    by_cover.setdefault(cover if insured else Cover, self.browse())
                    by_cover[cover if insured else Cover] |= invoice
                for cover, group in by_cover.items():  # one write per cover
                    group.write({"credit_insured": bool(cover), "credit_insurance_policy_id": cover.policy_id.id,
                                 "credit_insurance_cover_id": cover.id})

    credit_insurance_claim_ids = fields.Many2many(
        "credit.insurance.claim", "credit_insurance_claim_move_rel", "move_id", "claim_id", string="Insurance Claims",
        readonly=True, copy=False, groups="credit_control.group_credit_control_user")
    credit_insurance_claim_count = fields.Integer(
        string="Claim Count", compute="_compute_credit_insurance_claim_count",
        groups="credit_control.group_credit_control_user")

    def _compute_credit_insurance_claim_count(self):
        for move in self:
            move.credit_insurance_claim_count = len(move.credit_insurance_claim_ids)

    def action_credit_insurance_claim(self):
        """A draft claim on the selected insured invoices (one buyer, one policy), opened."""
        values = self.env["credit.insurance.claim"]._credit_prepare_from_invoices(self)
        claim = self.env["credit.insurance.claim"].with_company(self.company_id).create(values)
        return claim._get_records_action(name=self.env._("Claim"))

    def action_view_credit_insurance_claims(self):
        self.ensure_one()
        return self.credit_insurance_claim_ids._get_records_action(name=self.env._("Insurance Claims"))

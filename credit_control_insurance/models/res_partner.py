from odoo import api, fields, models

from odoo.addons.credit_control.models.res_partner import CREDIT_GROUPS


class ResPartner(models.Model):
    _inherit = "res.partner"

    credit_insurance_cover_ids = fields.One2many("credit.insurance.cover", "partner_id", string="Insurer Decisions",
                                                 groups=CREDIT_GROUPS)
    credit_insurance_notification_ids = fields.One2many(
        "credit.insurance.notification", "partner_id", string="Overdue Notifications", groups=CREDIT_GROUPS)
    credit_insurance_cover_id = fields.Many2one(
        "credit.insurance.cover", string="Current Cover Decision", compute="_compute_credit_insurance",
        groups=CREDIT_GROUPS, help="The insurer's decision in force today.",
    )
    credit_insured_cover = fields.Monetary(
        string="Insured Cover", compute="_compute_credit_insurance", currency_field="currency_id",
        groups=CREDIT_GROUPS, help="The credit limit the insurer covers today, in company currency.",
    )
    credit_insured_exposure = fields.Monetary(
        compute="_compute_credit_insurance", currency_field="currency_id", groups=CREDIT_GROUPS,
        help="The part of the exposure the insurer's cover takes.",
    )
    credit_uninsured_exposure = fields.Monetary(
        compute="_compute_credit_insurance", currency_field="currency_id", groups=CREDIT_GROUPS,
        help="The part of the exposure above the insurer's cover: the company's own risk.",
    )

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends_context("company")
    @api.depends("credit_insurance_cover_ids")
    def _compute_credit_insurance(self):
        covers = self.env["credit.insurance.cover"]._credit_current_covers(
            self.commercial_partner_id.ids, fields.Date.context_today(self))
        for partner in self:
            cover = covers.get(partner.commercial_partner_id.id, self.env["credit.insurance.cover"])
            amount = partner._credit_cover_in_company_currency(cover)
            exposure = max(partner.credit_exposure, 0.0)
            partner.credit_insurance_cover_id = cover
            partner.credit_insured_cover = amount
            partner.credit_insured_exposure = min(exposure, amount)
            partner.credit_uninsured_exposure = exposure - min(exposure, amount)

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_request_insurance_cover(self):
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Request Cover"),
            "res_model": "credit.insurance.cover.request",
            "view_mode": "form",
            "target": "new",
            "context": {"credit_request_partner_ids": self.commercial_partner_id.ids},
        }

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_cover_in_company_currency(self, cover):
        if not cover:
            return 0.0
        return cover.currency_id._convert(cover._credit_covered_amount(), self.env.company.currency_id,
                                          self.env.company, fields.Date.context_today(self))

    def _credit_insurance_cap(self):
        """Cover plus the policy's discretionary limit, in company currency, or None when limits are not capped
        by insurance (company option) or no policy is in force."""
        self.ensure_one()
        company = self.env.company
        if not company.credit_insurance_cap_limit:
            return None
        today = fields.Date.context_today(self)
        cover = self.env["credit.insurance.cover"]._credit_current_covers(self.ids, today).get(self.id)
        policy = cover.policy_id if cover else self.env["credit.insurance.policy"].search([
            ("company_id", "=", company.id), ("state", "=", "active"), ("date_start", "<=", today),
            ("date_end", ">=", today)], order="policy_type desc, date_start desc", limit=1)
        if not policy:
            return None
        discretionary = policy.currency_id._convert(policy.discretionary_limit, company.currency_id, company, today)
        return self._credit_cover_in_company_currency(cover) + discretionary

    def _credit_effective_limit(self):
        """With the company's option, the lower of the credit limit and insurer cover plus discretionary limit."""
        limit = super()._credit_effective_limit()
        cap = self._credit_insurance_cap()
        if cap is None:
            return limit
        return cap if limit is None else min(limit, cap)

    def _credit_posting_decision(self, moves, data):
        """A tier that requires insurance blocks the buyers the insurer does not cover today."""
        decision = super()._credit_posting_decision(moves, data)
        if decision or not self.credit_tier_id.insurance_required:
            return decision
        cover = self.env["credit.insurance.cover"]._credit_current_covers(
            self.ids, fields.Date.context_today(self)).get(self.id)
        if cover and cover._credit_covered_amount() > 0:
            return None
        exposure = data["open_amount"]
        limit = self._credit_effective_limit()
        return {
            "partner_id": self.id, "move_ids": moves.ids, "reason": "insurance", "policy": "block",
            "message": self.env._(
                "%(partner)s is in tier %(tier)s, which requires credit insurance, and the insurer covers it for "
                "nothing today (%(decision)s): %(moves)s cannot be posted. Request cover or ask a credit manager "
                "to approve.",
                partner=self.display_name, tier=self.credit_tier_id.name, moves=", ".join(moves.mapped("name")),
                decision=dict(cover._fields["decision"]._description_selection(self.env))[cover.decision]
                if cover else self.env._("no decision")),
            "exposure": exposure, "limit": limit, "excess": max(exposure - limit, 0.0) if limit is not None else 0.0,
            "breakdown": {"posting": data["posting"], "open_amount": exposure - data["posting"],
                          "not_due_excluded": 0.0, "drafts_included": 0.0},
        }

    credit_insurance_claim_ids = fields.One2many("credit.insurance.claim", "partner_id", string="Insurance Claims",
                                                 groups=CREDIT_GROUPS)

    def action_credit_insurance_claim(self):
        """A new claim on the buyer's overdue insured invoices (those of the policy of the oldest), in a form."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        invoices = self.env["account.move"].search([
            ("commercial_partner_id", "=", self.commercial_partner_id.id), ("company_id", "=", self.env.company.id),
            ("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("credit_insured", "=", True),
            ("payment_state", "in", ("not_paid", "partial")), ("credit_date_due", "<", today),
        ], order="credit_date_due, id")
        invoices = invoices.filtered(lambda move: move.credit_insurance_policy_id == invoices[:1]
                                     .credit_insurance_policy_id and not move.credit_insurance_claim_ids)
        context = {"default_partner_id": self.commercial_partner_id.id}
        if invoices:
            values = self.env["credit.insurance.claim"]._credit_prepare_from_invoices(invoices)
            context.update({"default_policy_id": values["policy_id"], "default_move_ids": invoices.ids})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Claim"),
            "res_model": "credit.insurance.claim",
            "view_mode": "form",
            "context": context,
        }

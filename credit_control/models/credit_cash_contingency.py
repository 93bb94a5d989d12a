from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CreditCashContingency(models.Model):
    """A contingency tier: once the forecast cash gap reaches its percentage, its action is recommended."""

    _name = "credit.cash.contingency"
    _description = "Cash Contingency Tier"
    _order = "company_id, gap_pct, sequence, id"
    _check_company_auto = True

    sequence = fields.Integer(default=10)
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    gap_pct = fields.Float(
        string="Cash Gap From (%)", required=True, digits=(16, 1),
        help="The tier is reached when the forecast cash gap is at least this percentage of the minimum cash "
             "reserve.",
    )
    recommended_action = fields.Char(required=True, translate=True,
                                     help="What the company should do once the tier is reached.")
    active = fields.Boolean(default=True)

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("gap_pct", "recommended_action")
    def _compute_display_name(self):
        for tier in self:
            tier.display_name = f"{tier.gap_pct:g}%: {tier.recommended_action or ''}"

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("gap_pct")
    def _check_gap_pct(self):
        for tier in self:
            if not 0 < tier.gap_pct <= 100:
                raise ValidationError(self.env._(
                    "The cash gap of a contingency tier must be a percentage above 0 and at most 100, "
                    "not %(value)s.", value=tier.gap_pct))

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _credit_default_tiers(self):
        """(gap %, recommended action) of the tiers every company starts with."""
        return [
            (20.0, self.env._("Negotiate longer payment terms with suppliers")),
            (50.0, self.env._("Arrange short-term financing")),
        ]

    @api.model
    def _credit_create_defaults(self, companies):
        """The default tiers for those of ``companies`` that have none (archived ones count), with the
        actions translated into every installed language."""
        with_tiers = set(self.with_context(active_test=False).search(
            [("company_id", "in", companies.ids)]).company_id.ids)
        missing = companies.filtered(lambda c: c.id not in with_tiers)
        if not missing:
            return self.browse()
        base = self.with_context(lang="en_US")
        tiers = base.create([
            {"company_id": company.id, "gap_pct": pct, "recommended_action": action, "sequence": 10 * index}
            for company in missing
            for index, (pct, action) in enumerate(base._credit_default_tiers(), start=1)
        ])
        for lang, _name in self.env["res.lang"].get_installed():
            if lang == "en_US":
                continue
            translated = self.with_context(lang=lang)._credit_default_tiers()
            for index, tier in enumerate(tiers.with_context(lang=lang)):
                tier.recommended_action = translated[index % len(translated)][1]
        return tiers

from odoo import api, fields, models
from odoo.tools import SQL


class CreditWarningRule(models.Model):
    _inherit = "credit.warning.rule"

    # Uninstalling archives these rules instead of deleting them: deleting would take their warnings along.
    indicator = fields.Selection(selection_add=[("insurance_cover", "Insurer cover cut")],
                                 ondelete={"insurance_cover": lambda rules: rules._credit_retire()})

    @api.model
    def _credit_indicator_specs(self):
        specs = super()._credit_indicator_specs()
        specs["insurance_cover"] = {
            "unit": "%", "min": 1, "max": 100, "hint": self.env._("Percentages are 0 to 100: enter 90 for 90%."),
            "help": self.env._("Share of the insurer's cover lost when its latest decision, within the lookback, "
                               "reduced or withdrew it."),
        }
        return specs

    @api.model
    def _credit_create_defaults(self, companies):
        """Every company also watches its insurer's decisions: a cut of cover in the last 3 months is red."""
        rules = super()._credit_create_defaults(companies)
        have = set(self.with_context(active_test=False).search([
            ("company_id", "in", companies.ids), ("indicator", "=", "insurance_cover")]).company_id.ids)
        return rules | self.create([
            {"company_id": company.id, "indicator": "insurance_cover", "threshold": 1, "lookback_months": 3,
             "severity": "red", "sequence": 200}
            for company in companies if company.id not in have])

    def _credit_retire(self):
        """Keep these rules, archived, and their warnings: a warning is the record of a signal once raised.
        Each rule keeps its name, as the indicator's label goes with the module; the next run resolves the
        warnings still open, as the rule no longer measures."""
        for rule in self.sudo().with_context(active_test=False):  # every company's, as the uninstall does
            rule.write({"name": rule.display_name, "active": False})

    def _credit_measure(self, partners, facts):
        if self.indicator != "insurance_cover":
            return super()._credit_measure(partners, facts)
        return self._credit_measure_insurance_cover(partners)

    def _credit_measure_insurance_cover(self, partners):
        """% of the cover lost when the insurer's latest decision, taken within the lookback, reduced or
        withdrew it (compared with the decision before)."""
        self.env.flush_all()
        rows = self.env.execute_query(SQL(
            """
            WITH decisions AS (
                SELECT c.partner_id, c.decision, c.date_effective,
                       CASE WHEN c.decision IN ('granted', 'partial', 'reduced') THEN c.amount_granted ELSE 0 END
                           AS amount,
                       ROW_NUMBER() OVER (PARTITION BY c.partner_id ORDER BY c.date_effective DESC, c.id DESC) AS n
                  FROM credit_insurance_cover c
                 WHERE c.company_id = %(company)s AND c.partner_id = ANY(%(ids)s) AND c.decision != 'requested'
                   AND c.date_effective <= %(today)s
            )
            SELECT latest.partner_id, latest.decision, previous.amount, latest.amount
              FROM decisions latest
              JOIN decisions previous ON previous.partner_id = latest.partner_id AND previous.n = 2
             WHERE latest.n = 1 AND latest.decision IN ('reduced', 'withdrawn') AND latest.date_effective > %(since)s
               AND previous.amount > 0
            """,
            company=self.env.company.id, ids=partners.ids, today=fields.Date.context_today(self),
            since=self._credit_today_minus(self.lookback_months)))
        decisions = dict(self.env["credit.insurance.cover"]._fields["decision"]._description_selection(self.env))
        return {partner_id: (100.0 * (1 - float(after) / float(before)),
                             f"{decisions[decision]}: {float(before):,.0f} → {float(after):,.0f}")
                for partner_id, decision, before, after in rows}

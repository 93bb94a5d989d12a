from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

# Demo buyers' insurer decisions: xml id -> [(decision, months ago, requested, granted, grade)]
DECISIONS = {
    "partner_shanghai_precision": [("granted", 10, 150000.0, 150000.0, "A")],
    "partner_hangzhou_textiles": [("partial", 10, 100000.0, 60000.0, "BB")],
    "partner_shenzhen_volt": [("granted", 10, 100000.0, 100000.0, "BB"), ("reduced", 1, 0.0, 50000.0, "B")],
    "partner_tianjin_machinery": [("granted", 10, 80000.0, 80000.0, "B"), ("withdrawn", 0, 0.0, 0.0, "CCC")],
    "partner_wuhan_steel": [("refused", 6, 60000.0, 0.0, "CC")],
    "partner_dalian_marine": [("requested", 0, 40000.0, 0.0, "")],
}


class CreditInsuranceDemo(models.AbstractModel):
    _name = "credit.insurance.demo"
    _description = "Credit Insurance Demo Data"

    @api.model
    def _load_demo(self):
        """The insurer's decisions on the demo buyers, and which of their invoices were insured."""
        today = fields.Date.context_today(self)
        policy = self.env.ref("credit_control_insurance.credit_insurance_policy_demo")
        covers, buyers = [], self.env["res.partner"]
        for xmlid, decisions in DECISIONS.items():
            partner = self.env.ref(f"credit_control.{xmlid}")
            buyers |= partner
            for index, (decision, months_ago, requested, granted, grade) in enumerate(decisions):
                date = max(today - relativedelta(months=months_ago, days=index * 3), policy.date_start)
                covers.append({
                    "partner_id": partner.id, "policy_id": policy.id, "decision": decision,
                    "amount_requested": requested, "amount_granted": granted, "date_effective": date,
                    "request_date": date - relativedelta(days=7), "insurer_grade": grade,
                    "insurer_reference": f"SCI-{partner.id:04d}-{index + 1}",
                })
        self.env["credit.insurance.cover"].create(covers)
        # The history was posted before the insurance add-on: record what the covers of the time insured.
        self.env["account.move"].search([
            ("move_type", "=", "out_invoice"), ("state", "=", "posted"), ("company_id", "=", policy.company_id.id),
            ("invoice_date", ">=", policy.date_start),
        ])._credit_record_insurance()
        self.env["credit.warning"]._credit_measure_partners(buyers)  # the cover cuts are early warnings

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models

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
        self._load_claim(policy, today)

    def _load_claim(self, policy, today):
        """Tianjin stopped paying while insured: its overdue invoices were notified to the insurer a month
        ago, claimed, and the indemnity was received and booked."""
        company = policy.company_id
        Account = self.env["account.account"].with_company(company)
        policy.write({
            "claim_journal_id": self.env["account.journal"].search(
                [("company_id", "=", company.id), ("type", "=", "general")], limit=1).id,
            "claim_receivable_account_id": Account.search([("account_type", "=", "asset_current")], limit=1).id,
            "loss_account_id": Account.search([("account_type", "=", "expense")], limit=1).id,
        })
        tianjin = self.env.ref("credit_control.partner_tianjin_machinery")
        invoices = self.env["account.move"].search([
            ("partner_id", "=", tianjin.id), ("credit_insured", "=", True), ("payment_state", "=", "not_paid"),
            ("credit_date_due", "<", today)])
        if not invoices:
            return
        notification = self.env["credit.insurance.notification"].create({
            "policy_id": policy.id, "partner_id": tianjin.id, "move_ids": [Command.set(invoices.ids)],
            "date_sent": today - relativedelta(days=30), "insurer_reference": "SCI-OVN-2026-0412",
        })
        notification.action_send()
        claim = self.env["credit.insurance.claim"].browse(notification.action_create_claim()["res_id"])
        claim.document_ids.write({"done": True})
        claim.action_file()
        claim.action_start_review()
        claim.action_accept()
        claim.write({"insurer_reference": "SCI-CLM-2026-0087"})
        claim._credit_register_indemnity(claim.amount_accepted, today - relativedelta(days=3))
        # the next overdue invoices of other buyers wait in draft notifications
        self.env["credit.insurance.notification"]._cron_insurance_deadlines()

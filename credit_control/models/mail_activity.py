from odoo import fields, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    credit_communication_id = fields.Many2one(
        "credit.dunning.communication", string="Dunning Communication", index="btree_not_null",
        ondelete="set null", readonly=True,
        help="The dunning communication whose phone call this activity is, on the customer.")

    def action_credit_log_call(self):
        """Log the call's outcome (the activity's *Log Call* button)."""
        self.ensure_one()
        return self.credit_communication_id.with_context(credit_call_activity_id=self.id).action_log_call()

from odoo import api, models


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_credit_evidence(self):
        """The chatter removes a message's attachment by deleting it: not from an email kept as evidence."""
        if not self.env.su and self:
            self.env["mail.message"].sudo().search([("attachment_ids", "in", self.ids)])._credit_check_not_evidence()

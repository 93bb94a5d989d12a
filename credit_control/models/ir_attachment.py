from odoo import api, models

# What an attachment carries and where it belongs: what the file of a sent email cannot lose.
CONTENT_FIELDS = frozenset({"raw", "datas", "db_datas", "store_fname", "url", "type", "name", "mimetype",
                            "res_model", "res_id", "res_field"})


class IrAttachment(models.Model):
    _inherit = "ir.attachment"

    def write(self, vals):
        if not self.env.su and self and CONTENT_FIELDS.intersection(vals):
            self._credit_check_not_evidence()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_credit_evidence(self):
        """The chatter removes a message's attachment by deleting it: not from an email kept as evidence."""
        if not self.env.su and self:
            self._credit_check_not_evidence()

    def _credit_check_not_evidence(self):
        """Refuse to change or delete the files of an email kept as evidence (see ``mail.message``)."""
        self.env["mail.message"].sudo().search([("attachment_ids", "in", self.ids)])._credit_check_not_evidence()

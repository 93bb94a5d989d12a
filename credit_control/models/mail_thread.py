from odoo import models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_update_content(self, message, *args, **kwargs):
        """The chatter edits and deletes a message as superuser: the evidence is guarded here as well."""
        if not self.env.su:
            message._credit_check_not_evidence()
        return super()._message_update_content(message, *args, **kwargs)

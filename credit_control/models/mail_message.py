from collections import defaultdict

from odoo import api, models
from odoo.exceptions import UserError

# What a message says, from whom, to whom and when: what a sent email or letter cannot lose.
CONTENT_FIELDS = frozenset({
    "body", "subject", "attachment_ids", "author_id", "author_guest_id", "email_from", "date", "message_type",
    "subtype_id", "partner_ids", "tracking_value_ids", "model", "res_id", "parent_id",
    "is_internal",  # an internal note is the users' own: an email made one would be unlocked
})
# Emails and letters, sent and received; notifications (logs, tracking, activities done) are not among them.
SENT_TYPES = ("email", "comment", "email_outgoing", "auto_comment")


class MailMessage(models.Model):
    _inherit = "mail.message"

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    def write(self, vals):
        if not self.env.su and CONTENT_FIELDS.intersection(vals):
            self._credit_check_not_evidence()
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_credit_evidence(self):
        if not self.env.su:
            self._credit_check_not_evidence()

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_check_not_evidence(self):
        """Refuse to change or delete the emails and letters of a record kept as evidence
        (``credit.evidence.mixin``). Notes stay the users' own."""
        records_by_model = defaultdict(set)
        for message in self.sudo():
            if (message.model and message.res_id and message.message_type in SENT_TYPES
                    and not message.is_internal and not message.subtype_id.internal
                    and message.model in self.env
                    and isinstance(self.env[message.model], self.pool["credit.evidence.mixin"])):
                records_by_model[message.model].add(message.res_id)
        for model, ids in records_by_model.items():
            for record in self.env[model].sudo().browse(ids).exists():
                if record._credit_is_evidence():
                    raise UserError(self.env._(
                        "%(record)s is kept as evidence: the emails and letters sent or received on it cannot be "
                        "changed or deleted.", record=record._credit_evidence_label()))

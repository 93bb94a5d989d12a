from odoo import api, models
from odoo.exceptions import UserError


class CreditEvidenceMixin(models.AbstractModel):
    """Records kept as evidence of what was sent to a customer or an insurer.

    Once a record is evidence (``_credit_is_evidence``), users can write only the fields its workflow leaves
    open (``_credit_open_fields``, plus the chatter's and activities'), and can neither create nor delete it.
    Before that, the fields of ``_CREDIT_WORKFLOW_FIELDS`` are still the workflow's alone. The workflow's own
    methods check who may act, then write as superuser: only the superuser passes these guards.
    """

    _name = "credit.evidence.mixin"
    _description = "Credit Control Evidence"

    # Written only by the workflow's methods, in every state.
    _CREDIT_WORKFLOW_FIELDS = frozenset()

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model
    def default_get(self, fields_list):
        """The workflow's fields (``_credit_guarded_fields``) take their own defaults, never one a user gave:
        neither a ``default_*`` key of the context nor a personal default (``ir.default``, which any user may set
        for himself)."""
        defaults = super().default_get(fields_list)
        if not self.env.su:
            for name in self._credit_guarded_fields().intersection(fields_list):
                field = self._fields[name]
                if field.default:
                    defaults[name] = field.convert_to_write(
                        field.convert_to_cache(field.default(self), self, validate=False), self)
                else:
                    defaults.pop(name, None)
        return defaults

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        if not self.env.su:
            for record, vals in zip(records, vals_list, strict=True):
                if record._credit_is_evidence():
                    raise UserError(self.env._(
                        "%(record)s is evidence made by the credit control workflow: it cannot be created by hand.",
                        record=record._credit_evidence_label()))
                record._credit_check_workflow_fields(vals)
        return records

    def write(self, vals):
        if self.env.su:
            return super().write(vals)
        self.check_access("write")  # the access rights speak first, as for create and unlink
        evidence = self.filtered(lambda record: record._credit_is_evidence())
        asked = set(vals) - self._credit_mail_fields() if evidence else set()
        for record in evidence:
            record._credit_raise_locked(asked - record._credit_open_fields())
        for record in self - evidence:
            record._credit_check_workflow_fields(vals)
        result = super().write(vals)
        if became := (self - evidence).filtered(lambda record: record._credit_is_evidence()):
            raise UserError(self.env._("%(record)s cannot be made evidence by hand: its workflow's buttons do that.",
                                       record=became[0]._credit_evidence_label()))
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_evidence(self):
        if not self.env.su and (evidence := self.filtered(lambda record: record._credit_is_evidence())):
            raise UserError(self.env._("%(record)s is kept as evidence: it cannot be deleted.",
                                       record=evidence[0]._credit_evidence_label()))

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_is_evidence(self):
        """Whether this record is evidence now. Override; by default, from its creation."""
        self.ensure_one()
        return True

    def _credit_open_fields(self):
        """The fields users may still write on this record once it is evidence. Override."""
        self.ensure_one()
        return set()

    def _credit_evidence_label(self):
        """How the error messages name this record."""
        self.ensure_one()
        return self.display_name

    @api.model
    def _credit_mail_fields(self):
        """The chatter's and activities' fields: posting a message or scheduling an activity is no rewrite."""
        return {name for model in ("mail.thread", "mail.activity.mixin") if model in self.env
                for name in self.env[model]._fields}

    @api.model
    def _credit_guarded_fields(self):
        """The fields the current user may not set on a new record, nor through a default. Override to add those
        of a role (e.g. a manager's decision)."""
        return self._CREDIT_WORKFLOW_FIELDS

    def _credit_check_workflow_fields(self, vals):
        if locked := self._CREDIT_WORKFLOW_FIELDS.intersection(vals):
            raise UserError(self.env._("%(fields)s of %(record)s are set by its workflow's buttons only.",
                                       fields=self._credit_field_labels(locked), record=self._credit_evidence_label()))

    def _credit_raise_locked(self, field_names):
        """Refuse to write ``field_names`` on this evidence, naming it and them."""
        if field_names:
            raise UserError(self.env._(
                "%(record)s is kept as evidence: %(fields)s cannot be changed, except by its workflow's buttons.",
                record=self._credit_evidence_label(), fields=self._credit_field_labels(field_names)))

    def _credit_field_labels(self, field_names):
        return ", ".join(sorted(self._fields[name]._description_string(self.env) if name in self._fields else name
                                for name in field_names))

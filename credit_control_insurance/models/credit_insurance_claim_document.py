from odoo import api, fields, models


class CreditInsuranceClaimDocument(models.Model):
    """One row of a claim's documents checklist: what the insurer needs to see, and whether it is ready.

    Evidence once the claim is filed: the checklist is what the insurer received.
    """

    _name = "credit.insurance.claim.document"
    _inherit = ["credit.evidence.mixin"]
    _description = "Claim Document"
    _order = "claim_id, sequence, id"

    claim_id = fields.Many2one("credit.insurance.claim", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="claim_id.company_id", store=True, index=True)
    sequence = fields.Integer(compute="_compute_sequence", store=True)
    doc_type = fields.Selection(
        selection=[
            ("invoices", "Invoices"),
            ("delivery_proof", "Delivery Proofs"),
            ("contract", "Contract or Order"),
            ("reconciliation", "Reconciliation Statements"),
            ("dunning_history", "Dunning History"),
            ("other", "Other"),
        ],
        string="Document", required=True, default="other",
    )
    description = fields.Char()
    attachment_ids = fields.Many2many("ir.attachment", "credit_insurance_claim_document_attachment_rel",
                                      "document_id", "attachment_id", string="Files")
    done = fields.Boolean(string="Ready", help="The document is attached or sent to the insurer.")

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("doc_type")
    def _compute_sequence(self):
        order = [key for key, _label in self._fields["doc_type"].selection]
        for document in self:
            document.sequence = order.index(document.doc_type) if document.doc_type in order else len(order)

    @api.depends("doc_type", "description")
    def _compute_display_name(self):
        labels = dict(self._fields["doc_type"]._description_selection(self.env))
        for document in self:
            document.display_name = " – ".join(filter(None, [labels.get(document.doc_type), document.description]))

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_is_evidence(self):
        return self.claim_id.state != "draft"

    def _credit_evidence_label(self):
        return self.env._("%(document)s of claim %(claim)s", document=self.display_name, claim=self.claim_id.name)

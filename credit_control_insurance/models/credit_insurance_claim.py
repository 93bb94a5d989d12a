from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, float_compare, float_is_zero, format_date

from odoo.addons.credit_control.report.xlsx import build_xlsx

MANAGER_GROUP = "credit_control.group_credit_control_manager"
STATES = [
    ("draft", "Draft"),
    ("filed", "Filed"),
    ("under_review", "Under Review"),
    ("accepted", "Accepted"),
    ("partially_accepted", "Partially Accepted"),
    ("rejected", "Rejected"),
    ("indemnified", "Indemnified"),
    ("closed", "Closed"),
]
# The claims whose indemnity uses up the policy's maximum liability (and the buyer's cover): filed ones
# count for their expected indemnity, decided ones for what the insurer accepted or paid.
CONSUMING = ("filed", "under_review", "accepted", "partially_accepted", "indemnified", "closed")
# What only managers write, even on a draft: the workflow and the insurer's decision and payment.
MANAGER_FIELDS = {"state", "date_filed", "date_decision", "amount_accepted", "amount_indemnified", "date_indemnified",
                  "indemnity_move_id", "loss_move_id"}
# Of those, what only the workflow's buttons write: the amount accepted is entered before Partially Accept.
WORKFLOW_FIELDS = frozenset(MANAGER_FIELDS - {"amount_accepted"})
# What a filed claim still lets a manager write, per state: the insurer's answers, then the recoveries.
OPEN_FIELDS = {
    "filed": {"insurer_reference", "decision_note", "amount_accepted"},
    "under_review": {"insurer_reference", "decision_note", "amount_accepted"},
    "accepted": {"insurer_reference", "decision_note"},
    "partially_accepted": {"insurer_reference", "decision_note"},
    "rejected": {"insurer_reference", "decision_note"},
    "indemnified": {"insurer_reference", "decision_note", "recovery_ids"},
    "closed": {"recovery_ids"},
}
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CreditInsuranceClaim(models.Model):
    """A claim to the insurer for the insured loss on a buyer's unpaid invoices.

    While the claim is a draft its figures follow the invoices; filing freezes them (the compute only touches
    drafts), so later payments, the indemnity's own reconciliation or other claims never change a filed claim.
    Filed, it is evidence, with its documents: a manager can still enter the insurer's answers (``OPEN_FIELDS``)
    and the buttons move it on.
    """

    _name = "credit.insurance.claim"
    _description = "Trade-Credit Insurance Claim"
    _inherit = ["credit.evidence.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _CREDIT_WORKFLOW_FIELDS = WORKFLOW_FIELDS

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False, default="/")
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    policy_id = fields.Many2one("credit.insurance.policy", required=True, index=True, tracking=True,
                                check_company=True, domain="[('state', 'in', ('active', 'expired'))]")
    insurer_id = fields.Many2one(related="policy_id.insurer_id")
    partner_id = fields.Many2one("res.partner", string="Buyer", required=True, index=True, tracking=True,
                                 check_company=True, domain="[('is_company', '=', True)]")
    currency_id = fields.Many2one(related="policy_id.currency_id", store=True)
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    state = fields.Selection(STATES, required=True, default="draft", readonly=True, index=True, tracking=True,
                             copy=False)
    date = fields.Date(string="Claim Date", required=True, default=fields.Date.context_today,
                       help="The open amounts are converted to the policy's currency at this date.")
    notification_id = fields.Many2one("credit.insurance.notification", string="Overdue Notification", readonly=True,
                                      copy=False, index="btree_not_null", check_company=True)
    notification_date = fields.Date(
        string="Notified to Insurer On", tracking=True,
        help="When the overdue was notified to the insurer. The claim deadline counts from this date; without "
             "it, from the invoices' due date plus the policy's maximum extension period.")
    move_ids = fields.Many2many(
        "account.move", "credit_insurance_claim_move_rel", "claim_id", "move_id", string="Invoices",
        check_company=True, copy=False,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), ('credit_insured', '=', True), "
               "('credit_insurance_policy_id', '=', policy_id), ('commercial_partner_id', '=', partner_id)]")
    move_count = fields.Integer(string="Invoice Count", compute="_compute_move_count")

    # The computation, in the policy's currency (live in draft, frozen at filing)
    insured_outstanding = fields.Monetary(
        compute="_compute_insured_loss", store=True,
        help="The invoices' open amount, converted to the policy's currency at the claim date.")
    cover_amount = fields.Monetary(
        string="Buyer Cover", compute="_compute_insured_loss", store=True,
        help="The highest cover the insurer granted under the invoices' cover decisions, less what the buyer's "
             "other claims under the policy already take.")
    insured_loss = fields.Monetary(compute="_compute_insured_loss", store=True,
                                   help="The lower of the insured outstanding and the buyer's cover.")
    amount_claimed = fields.Monetary(
        compute="_compute_amount_claimed", store=True, readonly=False, tracking=True,
        help="The loss claimed: the insured loss, or less (e.g. when part of it is disputed).")
    indemnity_percent = fields.Float(string="Indemnity (%)", compute="_compute_indemnity", store=True,
                                     help="Copied from the policy; frozen when the claim is filed.")
    gross_indemnity = fields.Monetary(compute="_compute_indemnity", store=True,
                                      help="(Amount claimed − deductible) × indemnity %.")
    remaining_liability = fields.Monetary(
        compute="_compute_indemnity", store=True,
        help="The policy's maximum liability less what its other filed, accepted or paid claims hold.")
    policy_max_liability = fields.Monetary(related="policy_id.max_liability")
    policy_aggregate_first_loss = fields.Monetary(related="policy_id.aggregate_first_loss")
    capped_indemnity = fields.Monetary(compute="_compute_indemnity", store=True,
                                       help="The lower of the gross indemnity and the remaining liability: the "
                                            "expected indemnity.")
    deductible = fields.Monetary(compute="_compute_indemnity", store=True,
                                 help="What the policy's deductible takes off the loss claimed, before the "
                                      "indemnity %.")
    first_loss = fields.Monetary(
        string="Aggregate First Loss Taken", compute="_compute_indemnity", store=True,
        help="What the policy's annual aggregate first loss takes of the loss after the deductible: the first "
             "losses of each policy year are the company's, claim after claim in filing order, until the amount "
             "is used up. A rejected claim gives its part back.")
    indemnity = fields.Monetary(string="Expected Indemnity", compute="_compute_indemnity", store=True,
                                tracking=True)
    computation_note = fields.Text(string="How It Is Computed", compute="_compute_indemnity", store=True)

    # The insurer's decision and payment
    date_filed = fields.Date(readonly=True, copy=False, tracking=True)
    insurer_reference = fields.Char(tracking=True, copy=False)
    date_decision = fields.Date(readonly=True, copy=False, tracking=True)
    amount_accepted = fields.Monetary(
        copy=False, tracking=True,
        help="The indemnity the insurer accepted: the expected indemnity, or less for a partial acceptance.")
    decision_note = fields.Text(copy=False, tracking=True,
                                help="The insurer's reasons, e.g. for a partial acceptance or rejection.")
    amount_indemnified = fields.Monetary(readonly=True, copy=False, tracking=True)
    date_indemnified = fields.Date(readonly=True, copy=False, tracking=True)
    indemnity_move_id = fields.Many2one("account.move", string="Indemnity Entry", readonly=True, copy=False,
                                        check_company=True)
    loss_move_id = fields.Many2one("account.move", string="Write-off Entry", readonly=True, copy=False,
                                   check_company=True)

    document_ids = fields.One2many("credit.insurance.claim.document", "claim_id", string="Documents", copy=False)
    documents_missing = fields.Integer(compute="_compute_documents_missing")
    recovery_ids = fields.One2many("credit.insurance.recovery", "claim_id", string="Recoveries", copy=False)
    recovered_amount = fields.Monetary(compute="_compute_recovered", store=True)
    recovered_insurer_share = fields.Monetary(string="Insurer's Share of Recoveries", compute="_compute_recovered",
                                              store=True)
    recovered_company_share = fields.Monetary(string="Our Share of Recoveries", compute="_compute_recovered",
                                              store=True)

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("move_ids")
    def _compute_move_count(self):
        for claim in self:
            claim.move_count = len(claim.move_ids)

    @api.depends("move_ids.amount_residual", "move_ids.credit_insurance_cover_id", "date", "currency_id")
    def _compute_insured_loss(self):
        drafts = self.filtered(lambda claim: claim.state == "draft")  # filed claims keep their figures
        cover_used = drafts._credit_cover_used()
        for claim in drafts:
            claim.update(claim._credit_insured_loss_values(
                cover_used.get((claim.partner_id.id, claim.policy_id.id), 0.0)))

    @api.depends("insured_loss")
    def _compute_amount_claimed(self):
        for claim in self.filtered(lambda claim: claim.state == "draft"):
            claim.amount_claimed = claim.insured_loss

    @api.depends("amount_claimed", "insured_outstanding", "cover_amount", "insured_loss", "policy_id", "date",
                 "policy_id.indemnity_percent", "policy_id.deductible_type", "policy_id.deductible_amount",
                 "policy_id.aggregate_first_loss", "policy_id.max_liability")
    def _compute_indemnity(self):
        drafts = self.filtered(lambda claim: claim.state == "draft")  # filed claims keep their figures
        holders = drafts._credit_liability_holders()
        Claim = self.browse()
        for claim in drafts:
            policy = claim.policy_id
            year = policy._credit_policy_year(claim.date) if policy and claim.date else None
            claim.update(claim._credit_indemnity_values(
                holders.get(policy.id, Claim), holders.get((policy.id, year), Claim)))

    @api.depends("document_ids.done")
    def _compute_documents_missing(self):
        for claim in self:
            claim.documents_missing = len(claim.document_ids.filtered(lambda doc: not doc.done))

    @api.depends("recovery_ids.amount", "recovery_ids.insurer_share")
    def _compute_recovered(self):
        for claim in self:
            claim.recovered_amount = sum(claim.recovery_ids.mapped("amount"))
            claim.recovered_insurer_share = sum(claim.recovery_ids.mapped("insurer_share"))
            claim.recovered_company_share = claim.recovered_amount - claim.recovered_insurer_share

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("move_ids", "partner_id", "policy_id")
    def _check_invoices(self):
        drafts = self.filtered(lambda claim: claim.state == "draft")
        claimed = drafts._credit_claimed_elsewhere()
        for claim in drafts:
            buyer = claim.partner_id.commercial_partner_id
            for move in claim.move_ids:
                if move.move_type != "out_invoice" or move.state != "posted":
                    raise ValidationError(self.env._(
                        "%(invoice)s is not a posted customer invoice: only those can be claimed.",
                        invoice=move.display_name))
                if move.commercial_partner_id != buyer:
                    raise ValidationError(self.env._(
                        "%(invoice)s is an invoice of %(other)s, not of the claim's buyer %(buyer)s.",
                        invoice=move.name, other=move.commercial_partner_id.display_name,
                        buyer=buyer.display_name))
                if not move.credit_insured:
                    raise ValidationError(self.env._(
                        "%(invoice)s is not insured: the insurer did not cover %(buyer)s when it was posted.",
                        invoice=move.name, buyer=buyer.display_name))
                if move.credit_insurance_policy_id != claim.policy_id:
                    raise ValidationError(self.env._(
                        "%(invoice)s is insured under policy %(other)s, not under the claim's policy %(policy)s.",
                        invoice=move.name, other=move.credit_insurance_policy_id.policy_number,
                        policy=claim.policy_id.policy_number))
                if other := claimed.get((claim.id, move.id)):
                    raise ValidationError(self.env._(
                        "%(invoice)s is already claimed in %(claim)s.", invoice=move.name, claim=other))

    @api.constrains("amount_claimed", "insured_loss", "amount_accepted")
    def _check_amounts(self):
        for claim in self:
            rounding = claim.currency_id.rounding
            if float_compare(claim.amount_claimed, 0.0, precision_rounding=rounding) < 0 or \
                    float_compare(claim.amount_accepted, 0.0, precision_rounding=rounding) < 0:
                raise ValidationError(self.env._("Claim amounts cannot be negative."))
            if claim.state == "draft" and \
                    float_compare(claim.amount_claimed, claim.insured_loss, precision_rounding=rounding) > 0:
                raise ValidationError(self.env._(
                    "The amount claimed (%(claimed)s) cannot exceed the insured loss (%(loss)s).",
                    claimed=claim.currency_id.format(claim.amount_claimed),
                    loss=claim.currency_id.format(claim.insured_loss)))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model
    def _credit_guarded_fields(self):
        """The insurer's decision and payment are a manager's: a user sets them neither directly nor through a
        default."""
        guarded = super()._credit_guarded_fields()
        return guarded if self.env.user.has_group(MANAGER_GROUP) else guarded | MANAGER_FIELDS

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP) and \
                any(MANAGER_FIELDS.intersection(vals) for vals in vals_list):
            raise AccessError(self.env._("Only credit control managers record the insurer's decision and payment."))
        for vals in vals_list:
            if vals.get("partner_id"):  # a claim is on the company, not a contact
                vals["partner_id"] = self.env["res.partner"].browse(vals["partner_id"]).commercial_partner_id.id
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code(
                    "credit.insurance.claim") or "/"
        claims = super().create(vals_list)
        claims._credit_create_documents()
        return claims

    def write(self, vals):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP) and (
                any(claim.state != "draft" for claim in self) or MANAGER_FIELDS.intersection(vals)):
            raise AccessError(self.env._("Only credit control managers can change a claim once it is filed, or "
                                         "record the insurer's decision and payment."))
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_drafts(self):
        if any(claim.state != "draft" for claim in self):
            raise UserError(self.env._("Only draft claims can be deleted."))

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_file(self):
        """File the claim with the insurer: every document ready, the figures refreshed, then frozen."""
        self._credit_check_manager()
        self._credit_check_state("draft")
        for claim in self:
            if missing := claim.document_ids.filtered(lambda doc: not doc.done):
                raise UserError(self.env._(
                    "Claim %(claim)s cannot be filed before its documents are ready. Missing: %(missing)s.",
                    claim=claim.name, missing=", ".join(missing.mapped("display_name"))))
            if not claim.move_ids:
                raise UserError(self.env._("Claim %(claim)s has no invoices.", claim=claim.name))
        # Lock the policies: two claims filed at once must not both use the same remaining liability.
        self.env.execute_query(SQL("SELECT id FROM credit_insurance_policy WHERE id = ANY(%s) FOR UPDATE",
                                   self.policy_id.ids))
        today = fields.Date.context_today(self)
        for claim in self:  # one after the other: each one's cover, liability and first loss see the ones before
            claim._compute_insured_loss()
            if claim.amount_claimed > claim.insured_loss:
                claim.amount_claimed = claim.insured_loss  # never more than the loss, whatever was written
            claim._compute_indemnity()
            if float_is_zero(claim.amount_claimed, precision_rounding=claim.currency_id.rounding):
                raise UserError(self.env._("Claim %(claim)s claims nothing: the invoices have no insured open "
                                           "amount.", claim=claim.name))
            claim.sudo().write({"state": "filed", "date_filed": today})
        for claim in self:
            deadline = claim._credit_claim_deadline()
            if deadline and today > deadline:
                claim.message_post(body=self.env._(
                    "Filed after the policy's claim deadline (%(deadline)s): the insurer may refuse the claim.",
                    deadline=deadline))

    def action_start_review(self):
        self._credit_check_manager()
        self._credit_check_state("filed")
        self.sudo().write({"state": "under_review"})

    def action_accept(self):
        """The insurer accepts the expected indemnity in full. A claim that expects nothing because its loss is
        within the deductible is rejected instead; one whose loss the aggregate first loss takes is accepted
        for nothing (the insurer admits the loss, which uses up the first loss) and then closed."""
        self._credit_check_manager()
        self._credit_check_state("filed", "under_review")
        if nothing := self.filtered(lambda claim: claim.currency_id.is_zero(claim.indemnity)
                                    and claim.currency_id.is_zero(claim.first_loss)):
            raise UserError(self.env._(
                "Claim %(claim)s expects no indemnity (its loss is within the policy's deductible): reject it "
                "instead.", claim=nothing[0].name))
        for claim in self:
            claim.sudo().write({"state": "accepted", "amount_accepted": claim.indemnity,
                         "date_decision": fields.Date.context_today(self)})

    def action_partially_accept(self):
        """The insurer accepts less than the expected indemnity: enter its amount first."""
        self._credit_check_manager()
        self._credit_check_state("filed", "under_review")
        for claim in self:
            rounding = claim.currency_id.rounding
            if float_compare(claim.amount_accepted, 0.0, precision_rounding=rounding) <= 0 or \
                    float_compare(claim.amount_accepted, claim.indemnity, precision_rounding=rounding) >= 0:
                raise UserError(self.env._(
                    "For a partial acceptance of %(claim)s, enter the accepted amount: more than zero and less "
                    "than the expected indemnity (%(indemnity)s).",
                    claim=claim.name, indemnity=claim.currency_id.format(claim.indemnity)))
        self.sudo().write({"state": "partially_accepted", "date_decision": fields.Date.context_today(self)})

    def action_reject(self):
        self._credit_check_manager()
        self._credit_check_state("filed", "under_review")
        # a rejected loss is not the company's first loss: the claims filed after it may use that part
        self.sudo().write({"state": "rejected", "amount_accepted": 0.0, "first_loss": 0.0,
                           "date_decision": fields.Date.context_today(self)})

    def action_register_indemnity(self):
        """Open the dialog that records the insurer's payment (amount and date)."""
        self.ensure_one()
        self._credit_check_manager()
        self._credit_check_state("accepted", "partially_accepted")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Register Indemnity"),
            "res_model": "credit.insurance.indemnity.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_claim_id": self.id},
        }

    def action_close(self):
        """Close the file; with a loss account on the policy, write off what the buyer still owes on the
        claimed invoices of an indemnified claim, or of one accepted for nothing (the company's own share of
        the loss)."""
        self._credit_check_manager()
        self._credit_check_state("indemnified", "rejected", "accepted")
        if unpaid := self.filtered(lambda claim: claim.state == "accepted"
                                   and not claim.currency_id.is_zero(claim.amount_accepted)):
            raise UserError(self.env._("Claim %(claim)s is accepted for %(amount)s: register the indemnity before "
                                       "closing it.", claim=unpaid[0].name,
                                       amount=unpaid[0].currency_id.format(unpaid[0].amount_accepted)))
        for claim in self.filtered(lambda claim: claim.state in ("indemnified", "accepted")):
            policy = claim.policy_id
            if policy.claim_journal_id and policy.loss_account_id and claim._credit_open_receivable_lines():
                claim.sudo().loss_move_id = claim._credit_post_settlement(
                    policy.loss_account_id, claim.partner_id, fields.Date.context_today(self),
                    self.env._("%(claim)s: write-off of the uninsured loss", claim=claim.name))
        self.sudo().write({"state": "closed"})

    def action_refresh_documents(self):
        """Attach again what credit control can give: the invoices' PDFs and the dunning history."""
        self._credit_check_state("draft")
        self._credit_attach_documents()

    def action_view_invoices(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Claimed Invoices"),
            "res_model": "account.move",
            "view_mode": "list,form",
            "domain": [("id", "in", self.move_ids.ids)],
            "context": {"default_move_type": "out_invoice", "create": False},
        }

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _credit_prepare_from_invoices(self, invoices):
        """The values of a draft claim on ``invoices``: one buyer, one policy, all insured (else ValidationError)."""
        if not invoices:
            raise ValidationError(self.env._("Select the insured invoices to claim."))
        if uninsured := invoices.filtered(lambda move: not move.credit_insured):
            raise ValidationError(self.env._(
                "These invoices are not insured and cannot be claimed: %(invoices)s.",
                invoices=", ".join(uninsured.mapped("display_name"))))
        if len(invoices.commercial_partner_id) > 1:
            raise ValidationError(self.env._("A claim is on one buyer; the invoices are of %(buyers)s.",
                                             buyers=", ".join(invoices.commercial_partner_id.mapped("name"))))
        if len(invoices.credit_insurance_policy_id) > 1:
            raise ValidationError(self.env._(
                "A claim is under one policy; the invoices are insured under %(policies)s.",
                policies=", ".join(invoices.credit_insurance_policy_id.mapped("policy_number"))))
        return {
            "company_id": invoices.company_id.id,
            "policy_id": invoices.credit_insurance_policy_id.id,
            "partner_id": invoices.commercial_partner_id.id,
            "move_ids": [Command.set(invoices.ids)],
        }

    def _credit_is_evidence(self):
        return self.state != "draft"

    def _credit_open_fields(self):
        return OPEN_FIELDS.get(self.state, set())

    def _credit_check_manager(self):
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(self.env._("Only credit control managers file claims and record the insurer's "
                                         "decisions and payments."))

    def _credit_check_state(self, *states):
        if wrong := self.filtered(lambda claim: claim.state not in states):
            raise UserError(self.env._("Claim %(claim)s cannot do this in its current state.", claim=wrong[0].name))

    def _credit_liability_holders(self):
        """The policies' other claims that count against these draft claims, in one query: {policy id: those
        holding part of its maximum liability (filed or decided, ``_credit_liability_held``)} and
        {(policy id, policy year): those of the year that took part of its aggregate first loss}."""
        if not self.policy_id:
            return {}
        others = self.env["credit.insurance.claim"].sudo().search(
            [("policy_id", "in", self.policy_id.ids), ("state", "!=", "draft"), ("id", "not in", self.ids)],
            order="date_filed, id")
        holders = {}
        for claim in others:
            policy = claim.policy_id
            if claim.state in CONSUMING:
                holders[policy.id] = holders.get(policy.id, claim.browse()) | claim
            if claim.first_loss:
                key = (policy.id, policy._credit_policy_year(claim.date))
                holders[key] = holders.get(key, claim.browse()) | claim
        return holders

    def _credit_liability_held(self):
        """What this claim holds of its policy's maximum liability: its expected indemnity while filed or under
        review, the accepted amount once decided, the amount paid once indemnified; nothing when rejected."""
        self.ensure_one()
        if self.state in ("indemnified", "closed"):
            return self.amount_indemnified
        if self.state in ("accepted", "partially_accepted"):
            return self.amount_accepted
        return self.indemnity if self.state in CONSUMING else 0.0

    def _credit_cover_used(self):
        """{(buyer id, policy id): insured loss of the buyer's other live claims under the policy}: the
        insurer's cover is per buyer, so claims share it. Rejected claims (closed or not: nothing accepted, no
        first loss taken) use none; a claim the first loss absorbed (accepted for nothing) uses its loss."""
        if not self.policy_id:
            return {}
        groups = self.env["credit.insurance.claim"].sudo()._read_group(
            [("partner_id", "in", self.partner_id.ids), ("policy_id", "in", self.policy_id.ids),
             ("state", "in", CONSUMING), ("id", "not in", self.ids),
             "!", "&", "&", ("state", "=", "closed"), ("amount_accepted", "=", 0.0), ("first_loss", "=", 0.0)],
            ["partner_id", "policy_id"], ["insured_loss:sum"])
        return {(partner.id, policy.id): loss for partner, policy, loss in groups}

    def _credit_insured_loss_values(self, cover_used=0.0):
        """The invoices' open amount in the policy's currency at the claim date, the buyer's cover left (the
        highest granted under the invoices' cover decisions, less ``cover_used`` by the buyer's other claims)
        and the insured loss, the lower of the two."""
        self.ensure_one()
        currency = self.currency_id
        if not currency:
            return {"insured_outstanding": 0.0, "cover_amount": 0.0, "insured_loss": 0.0}
        outstanding = currency.round(sum(
            move.currency_id._convert(move.amount_residual, currency, self.company_id, self.date)
            for move in self.move_ids))
        cover = max((c._credit_covered_amount() for c in self.move_ids.credit_insurance_cover_id), default=0.0)
        cover = max(cover - cover_used, 0.0)
        return {"insured_outstanding": outstanding, "cover_amount": cover, "insured_loss": min(outstanding, cover)}

    def _credit_indemnity_values(self, holders, first_loss_holders):
        """The indemnity and its explanation: min((max(amount claimed − deductible, 0) − first loss taken) ×
        indemnity %, remaining liability), so that the insurer pays up to its maximum liability.

        ``holders`` are the policy's other claims holding part of its maximum liability
        (``_credit_liability_held``), ``first_loss_holders`` its other claims of the same policy year that took
        part of the annual aggregate first loss. A non-qualifying loss is a threshold: a loss claimed not above
        it gets nothing, else nothing is deducted. A maximum liability of zero means no cap."""
        self.ensure_one()
        policy, currency, _ = self.policy_id, self.currency_id, self.env._
        if not currency:
            return {"indemnity_percent": 0.0, "gross_indemnity": 0.0, "remaining_liability": 0.0,
                    "capped_indemnity": 0.0, "deductible": 0.0, "first_loss": 0.0, "indemnity": 0.0,
                    "computation_note": False}
        fmt = currency.format
        claimed, percent = self.amount_claimed, policy.indemnity_percent
        notes = [
            _("Insured outstanding: %(amount)s, the open amount of %(invoices)s on %(date)s.",
              amount=fmt(self.insured_outstanding), invoices=", ".join(self.move_ids.mapped("name")) or "-",
              date=format_date(self.env, self.date)),
            _("Buyer cover: %(cover)s, so the insured loss is %(loss)s (the lower of the two).",
              cover=fmt(self.cover_amount), loss=fmt(self.insured_loss)),
        ]
        threshold = policy.deductible_amount
        if policy.deductible_type == "nql":
            deductible = claimed if currency.compare_amounts(claimed, threshold) <= 0 else 0.0
            if deductible or not claimed:
                notes.append(_("Non-qualifying loss of %(nql)s: the loss claimed is not above it, so nothing is "
                               "indemnified.", nql=fmt(threshold)))
            else:
                notes.append(_("Non-qualifying loss of %(nql)s: the loss claimed is above it, so nothing is "
                               "deducted.", nql=fmt(threshold)))
        else:
            deductible = min(threshold, max(claimed, 0.0))
            notes.append(_("Deductible: %(deductible)s per claim, taken off the loss claimed: %(claimed)s − "
                           "%(taken)s = %(left)s.", deductible=fmt(threshold), claimed=fmt(claimed),
                           taken=fmt(deductible), left=fmt(claimed - deductible)))
        loss = max(claimed - deductible, 0.0)
        first_loss = 0.0
        if policy.aggregate_first_loss:
            start, end = policy._credit_policy_year(self.date)
            used = sum(first_loss_holders.mapped("first_loss"))
            first_loss = min(loss, max(currency.round(policy.aggregate_first_loss - used), 0.0))
            notes.append(_(
                "Annual aggregate first loss: %(amount)s for the policy year %(start)s to %(end)s, of which %(used)s "
                "is taken by %(claims)s; it takes %(taken)s of the %(loss)s, leaving %(left)s.",
                amount=fmt(policy.aggregate_first_loss), start=format_date(self.env, start),
                end=format_date(self.env, end), used=fmt(used), claims=self._credit_list_claims(
                    first_loss_holders, lambda claim: claim.first_loss), taken=fmt(first_loss), loss=fmt(loss),
                left=fmt(loss - first_loss)))
            loss = currency.round(loss - first_loss)
        gross = currency.round(loss * percent / 100.0)
        percent_text = f"{percent:g}"  # f-strings stay out of _(): the term extraction evaluates its arguments
        notes.append(_("Gross indemnity: %(loss)s × %(percent)s%% = %(gross)s.",
                       loss=fmt(loss), percent=percent_text, gross=fmt(gross)))
        if policy.max_liability:
            used = sum(claim._credit_liability_held() for claim in holders)
            remaining = currency.round(max(policy.max_liability - used, 0.0))
            capped = min(gross, remaining)
            notes.append(_(
                "Remaining liability: %(max)s maximum − %(used)s held by %(claims)s = %(remaining)s, so the "
                "indemnity is %(capped)s (the lower of the two).",
                max=fmt(policy.max_liability), used=fmt(used),
                claims=self._credit_list_claims(holders, lambda claim: claim._credit_liability_held()),
                remaining=fmt(remaining), capped=fmt(capped)))
        else:
            remaining, capped = 0.0, gross
            notes.append(_("The policy has no maximum liability: nothing is capped."))
        notes.append(_("Expected indemnity: %(indemnity)s.", indemnity=fmt(capped)))
        return {
            "indemnity_percent": percent, "gross_indemnity": gross, "remaining_liability": remaining,
            "capped_indemnity": capped, "deductible": deductible, "first_loss": first_loss, "indemnity": capped,
            "computation_note": "\n".join(notes),
        }

    def _credit_list_claims(self, claims, amount):
        """'CLM/1 (Filed: 100.00), CLM/2 (Indemnified: 50.00)' for those of ``claims`` whose ``amount`` is not
        zero, or 'no other claim', for an explanation."""
        claims = claims.filtered(lambda claim: not self.currency_id.is_zero(amount(claim)))
        if not claims:
            return self.env._("no other claim")
        states = dict(self._fields["state"]._description_selection(self.env))
        return ", ".join(self.env._("%(claim)s (%(state)s: %(amount)s)", claim=claim.name,
                                    state=states[claim.state], amount=self.currency_id.format(amount(claim)))
                         for claim in claims)

    def _credit_claimed_elsewhere(self):
        """{(claim id, invoice id): the other claim's name} for the invoices already in a live claim (not
        rejected, nor closed after a rejection), in one query."""
        if not self.move_ids:
            return {}
        self.env.flush_all()
        rows = self.env.execute_query(SQL(
            """
            SELECT mine.claim_id, rel.move_id, other.name
              FROM credit_insurance_claim_move_rel mine
              JOIN credit_insurance_claim_move_rel rel ON rel.move_id = mine.move_id AND rel.claim_id != mine.claim_id
              JOIN credit_insurance_claim other ON other.id = rel.claim_id
             WHERE mine.claim_id = ANY(%(ids)s) AND other.state != 'rejected'
               AND NOT (other.state = 'closed' AND COALESCE(other.amount_accepted, 0) = 0
                        AND COALESCE(other.first_loss, 0) = 0)
            """, ids=self.ids))
        return {(claim_id, move_id): name for claim_id, move_id, name in rows}

    def _credit_claim_deadline(self):
        """The last day to file: the notification date plus the policy's claim deadline, or, not notified, the
        earliest due date (of an open instalment) plus the maximum extension period plus the claim deadline.
        Override to read it from another source (e.g. the overdue notifications)."""
        self.ensure_one()
        policy = self.policy_id
        if self.notification_date:
            return self.notification_date + timedelta(days=policy.claim_deadline_days)
        due_dates = [date for date in self.move_ids.mapped("credit_date_due") if date]
        if not due_dates:
            return None
        return min(due_dates) + timedelta(days=policy.max_extension_days + policy.claim_deadline_days)

    def _credit_create_documents(self):
        """The checklist of every new claim, then what credit control can attach by itself."""
        types = [key for key, _label in self.env["credit.insurance.claim.document"]._fields["doc_type"]
                 ._description_selection(self.env) if key != "other"]
        self.env["credit.insurance.claim.document"].create([
            {"claim_id": claim.id, "doc_type": doc_type} for claim in self for doc_type in types])
        self._credit_attach_documents()

    def _credit_attach_documents(self):
        """Attach the invoices' PDFs (when Odoo has made them) and an XLSX of the dunning history."""
        lines_by_claim = {}
        if self.move_ids:
            dunning = self.env["credit.dunning.line"].sudo().search(
                [("move_id", "in", self.move_ids.ids)], order="date, id")
            for claim in self:
                lines_by_claim[claim.id] = dunning.filtered(lambda line, claim=claim: line.move_id in claim.move_ids)
        for claim in self:
            documents = {doc.doc_type: doc for doc in claim.document_ids}
            if (doc := documents.get("invoices")) and claim.move_ids:
                pdfs = claim.move_ids.invoice_pdf_report_id
                doc.write({"attachment_ids": [Command.set(pdfs.ids)],
                           "done": len(pdfs) == len(claim.move_ids)})
            lines = lines_by_claim.get(claim.id)
            if (doc := documents.get("dunning_history")) and lines:
                attachment = self.env["ir.attachment"].create({
                    "name": self.env._("dunning_history_%(claim)s.xlsx", claim=claim.name.replace("/", "_")),
                    "raw": dunning_history_workbook(self.env, lines),
                    "mimetype": XLSX_MIMETYPE,
                    "res_model": self._name,
                    "res_id": claim.id,
                })
                old = doc.attachment_ids.filtered(
                    lambda att, claim=claim: att.res_model == self._name and att.res_id == claim.id)
                doc.write({"attachment_ids": [Command.unlink(att.id) for att in old] + [Command.link(attachment.id)],
                           "done": True})
                old.unlink()

    def _credit_open_receivable_lines(self):
        """The claimed invoices' open receivable lines, oldest due first."""
        self.ensure_one()
        return self.move_ids.line_ids.filtered(
            lambda line: line.account_id.account_type == "asset_receivable" and not line.reconciled
        ).sorted(lambda line: (line.date_maturity or line.date, line.id))

    def _credit_post_settlement(self, debit_account, debit_partner, date, label, amount=None):
        """Post and return an entry in the policy's claim journal that credits the claimed invoices' open
        receivable lines, oldest due first, each in its invoice's currency, for ``amount`` (policy currency,
        converted at ``date``) or, None, for all they still owe, and debits ``debit_account`` with as much: in
        the policy's currency for an amount, else in company currency. Each credit is reconciled with its
        invoice, so that core books the exchange difference between the invoice's rate and the entry's; what
        exceeds the open amount stays as a credit on the buyer's account."""
        self.ensure_one()
        company, company_currency, policy_currency = self.company_id, self.company_currency_id, self.currency_id
        open_lines = self._credit_open_receivable_lines()
        credits, left = [], amount
        for line in open_lines:
            residual = line.amount_residual_currency
            if left is None:
                credits.append((line, line.currency_id, residual))
                continue
            if policy_currency.compare_amounts(left, 0.0) <= 0:
                break
            residual_policy = line.currency_id._convert(residual, policy_currency, company, date)
            if policy_currency.compare_amounts(left, residual_policy) >= 0:
                credits.append((line, line.currency_id, residual))
                left = policy_currency.round(left - residual_policy)
            else:
                credits.append((line, line.currency_id, policy_currency._convert(left, line.currency_id, company,
                                                                                 date)))
                left = 0.0
        if left is not None and policy_currency.compare_amounts(left, 0.0) > 0:
            credits.append((open_lines[-1:] or self.env["account.move.line"], policy_currency, left))
        balances = [currency._convert(part, company_currency, company, date) for _line, currency, part in credits]
        debit_currency = policy_currency if amount is not None else company_currency
        if debit_currency == company_currency and amount is not None and balances:
            balances[-1] = company_currency.round(amount - sum(balances[:-1]))  # the conversions' rounding
        receivable = open_lines[:1].account_id or self.partner_id.with_company(
            company).property_account_receivable_id
        move = self.env["account.move"].with_company(company).create({
            "move_type": "entry",
            "journal_id": self.policy_id.claim_journal_id.id,
            "date": date,
            "ref": label,
            "line_ids": [Command.create({
                "name": label, "account_id": debit_account.id, "partner_id": debit_partner.id,
                "currency_id": debit_currency.id, "balance": company_currency.round(sum(balances)),
                "amount_currency": amount if amount is not None else company_currency.round(sum(balances)),
            })] + [Command.create({
                "name": self.env._("%(claim)s: %(invoice)s", claim=self.name, invoice=line.move_id.name or "-"),
                "account_id": (line.account_id or receivable).id, "partner_id": self.partner_id.id,
                "currency_id": currency.id, "amount_currency": -part, "balance": -balance,
            }) for (line, currency, part), balance in zip(credits, balances, strict=True)],
        })
        move.action_post()
        credit_lines = move.line_ids.filtered(lambda line: line.balance < 0)
        for (invoice_line, _currency, _part), credit_line in zip(credits, credit_lines, strict=True):
            if invoice_line and not invoice_line.reconciled:
                (invoice_line | credit_line).reconcile()
        return move

    def _credit_register_indemnity(self, amount, date):
        """Record the insurer's payment of ``amount`` (policy currency) on ``date``; with a claim journal on the
        policy, post the entry: insurer receivable debited, the buyer's receivable credited and reconciled."""
        self.ensure_one()
        self._credit_check_manager()
        self._credit_check_state("accepted", "partially_accepted")
        currency = self.currency_id
        if currency.compare_amounts(amount, 0.0) <= 0 or currency.compare_amounts(amount, self.amount_accepted) > 0:
            raise UserError(self.env._(
                "The indemnity received must be more than zero and at most the accepted %(accepted)s.",
                accepted=currency.format(self.amount_accepted)))
        values = {"state": "indemnified", "amount_indemnified": amount, "date_indemnified": date}
        policy = self.policy_id
        if policy.claim_journal_id:
            if not policy.claim_receivable_account_id:
                raise UserError(self.env._(
                    "Policy %(policy)s has a claim journal but no account for the amount due from the insurer.",
                    policy=policy.policy_number))
            values["indemnity_move_id"] = self._credit_post_settlement(
                policy.claim_receivable_account_id, policy.insurer_id, date,
                self.env._("%(claim)s: indemnity from %(insurer)s", claim=self.name, insurer=policy.insurer_id.name),
                amount=amount).id
        self.sudo().write(values)


def dunning_history_workbook(env, lines):
    """The buyer's dunning history for the insurer: one row per invoice dunned per day (records in, bytes out)."""
    columns = [
        (env._("Date"), 12, lambda line: line.date, "date"),
        (env._("Level"), 24, lambda line: line.level_id.name, None),
        (env._("Invoice"), 20, lambda line: line.move_id.name, None),
        (env._("Due Date"), 12, lambda line: line.date_due, "date"),
        (env._("Days Overdue"), 12, lambda line: line.days_overdue, None),
        (env._("Open Amount"), 16, lambda line: line.amount_residual, "money"),
        (env._("Currency"), 10, lambda line: line.currency_id.name, None),
        (env._("Status"), 12, lambda line: dict(line.communication_id._fields["state"]._description_selection(
            env)).get(line.state, ""), None),
    ]
    return build_xlsx(lines, env._("Dunning History"), columns)

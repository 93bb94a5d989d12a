from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL
from odoo.tools.sql import column_exists, create_column, create_index

from ..exceptions import CreditLimitExceeded

# Set by code only, around the entries core makes while reconciling (exchange differences, cash basis): they are
# not new credit. A JSON context from RPC cannot carry this object, so no user can exempt a posting.
CREDIT_EXEMPT = object()


class _DryRun(Exception):
    """Rolls back a trial posting."""


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_disputed = fields.Boolean(
        string="Disputed", copy=False, tracking=True,
        help="The customer disputes this invoice (amount, quality or terms): it is not dunned while the dispute "
             "lasts, it still counts in the exposure, and disputes lower the credit rating.",
    )
    credit_dispute_reason = fields.Char(string="Dispute Reason", copy=False, tracking=True)
    credit_dispute_until = fields.Date(
        string="Disputed Until", copy=False, tracking=True,
        help="Dunning resumes after this date if the dispute is not settled; empty: until the dispute is cleared.",
    )
    credit_date_due = fields.Date(
        string="First Open Due Date", compute="_compute_credit_date_due", store=True,
        help="The due date of the invoice's oldest open instalment (its only one without instalments): the day it "
             "became, or becomes, overdue. Once paid, the first instalment's.",
    )
    credit_dunning_level_id = fields.Many2one(
        "credit.dunning.level", string="Dunning Level", compute="_compute_credit_dunning",
        help="The last dunning level this invoice reached (cancelled communications aside).",
    )
    credit_dunning_date = fields.Date(string="Last Dunned On", compute="_compute_credit_dunning")
    credit_collection_state = fields.Selection(
        selection=[("agency", "Handed over to agency"), ("legal", "Legal action")],
        string="Collection", copy=False, readonly=True, index="btree_not_null",
    )
    credit_dunning_line_ids = fields.One2many("credit.dunning.line", "move_id", string="Dunning History",
                                              readonly=True)
    credit_dunning_count = fields.Integer(compute="_compute_credit_dunning")
    credit_promise_date = fields.Date(
        string="Promised Payment", compute="_compute_credit_promise_date", search="_search_credit_promise_date",
        help="The customer promised to pay by this date; dunning pauses until then.",
    )
    credit_override_ids = fields.Many2many(
        "credit.override", "credit_override_account_move_rel", "move_id", "override_id",
        string="Credit Overrides", readonly=True, copy=False,
    )

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("line_ids.date_maturity", "line_ids.reconciled", "line_ids.account_id.account_type")
    def _compute_credit_date_due(self):
        for move in self:
            items = move.line_ids.filtered(lambda line: line.account_type == "asset_receivable" and line.date_maturity)
            dates = (items.filtered(lambda line: not line.reconciled) or items).mapped("date_maturity")
            move.credit_date_due = min(dates) if dates else False

    def _compute_credit_dunning(self):
        # Everyone who sees the invoice may see that it was dunned, Credit Control users or not.
        lines = self.env["credit.dunning.line"].sudo()
        counts = dict(lines._read_group([("move_id", "in", self.ids)], ["move_id"], ["__count"]))
        current = lines._credit_current_levels(self.ids)
        for move in self:
            level_id, date = current.get(move.id, (False, False))
            move.credit_dunning_level_id = level_id
            move.credit_dunning_date = date
            move.credit_dunning_count = counts.get(move, 0)

    def _compute_credit_promise_date(self):
        promises = self.env["credit.payment.promise"].sudo().search(
            [("partner_id", "in", self.commercial_partner_id.ids), ("state", "=", "open")])
        dates = {(p.partner_id, p.company_id): p.promise_date for p in promises.sorted("promise_date", reverse=True)}
        for move in self:
            move.credit_promise_date = dates.get((move.commercial_partner_id, move.company_id), False)

    # -------------------------------------------------------------------------
    # SEARCH
    # -------------------------------------------------------------------------

    def _search_credit_promise_date(self, operator, value):
        return self.env["credit.payment.promise"]._credit_promise_domain(operator, value)

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("credit_disputed", "credit_dispute_reason", "credit_dispute_until")
    def _check_credit_dispute(self):
        for move in self:
            if move.credit_disputed and not move.credit_dispute_reason:
                raise ValidationError(self.env._("Give the reason of the dispute on %(move)s.", move=move.display_name))
            if move.credit_dispute_until and not move.credit_disputed:
                raise ValidationError(self.env._("%(move)s is not disputed: it cannot have a dispute end date.",
                                                 move=move.display_name))
            if move.credit_dispute_until and move.invoice_date and move.credit_dispute_until < move.invoice_date:
                raise ValidationError(self.env._("The dispute on %(move)s cannot end before the invoice date.",
                                                 move=move.display_name))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    # the open invoices whose customers dunning checks, batch by batch in customer order, from an index
    _CREDIT_OPEN_INVOICE = "state = 'posted' AND move_type = 'out_invoice' AND payment_state IN ('not_paid', 'partial')"

    def init(self):
        result = super().init()
        create_index(self.env.cr, "account_move_credit_open_invoice_idx", self._table,
                     ["company_id", "commercial_partner_id"], where=self._CREDIT_OPEN_INVOICE)
        return result

    def _auto_init(self):
        """Fill ``credit_date_due`` in SQL on install: a company's years of invoices, not one compute each."""
        if not column_exists(self.env.cr, "account_move", "credit_date_due"):
            create_column(self.env.cr, "account_move", "credit_date_due", "date")
            self.env.cr.execute(SQL(
                """
                UPDATE account_move m
                   SET credit_date_due = d.date_due
                  FROM (SELECT l.move_id, COALESCE(MIN(l.date_maturity) FILTER (WHERE l.reconciled IS NOT TRUE),
                                                   MIN(l.date_maturity)) AS date_due
                          FROM account_move_line l
                          JOIN account_account a ON a.id = l.account_id AND a.account_type = 'asset_receivable'
                         GROUP BY l.move_id) d
                 WHERE d.move_id = m.id
                """))
        return super()._auto_init()

    def _post(self, soft=True):
        """Post, then enforce credit control on the moves of the call that raise a customer's receivable
        (invoices, receipts, journal entries, outbound payments), all or nothing.

        Every way of posting (form, batch wizard, RPC, server actions, other modules) ends here.
        The customers' rows are locked first, in id order, so that concurrent postings for one
        customer are serialised and a batch over many customers cannot deadlock. Posting and check
        share a savepoint: a refusal leaves nothing posted, even for a caller that catches the error.
        """
        to_check = self._credit_moves_to_check()
        if not to_check:
            return super()._post(soft)
        to_check._credit_check_before_post()
        to_check.commercial_partner_id._credit_lock()
        with self.env.cr.savepoint():
            posted = super()._post(soft)
            if checked := posted & to_check:
                checked.with_company(checked.company_id.root_id)._credit_enforce()
        return posted

    def button_draft(self):
        """Resetting a posted move that lowered a customer's receivable (credit note, payment) raises the exposure:
        refused over the limit for anyone but a Credit Control Manager, whose reset is logged as an override."""
        lowering = self._credit_moves_lowering()
        if not lowering:
            return super().button_draft()
        lowering.commercial_partner_id._credit_lock()
        with self.env.cr.savepoint():
            result = super().button_draft()
            lowering.with_company(lowering.company_id[:1].root_id)._credit_enforce_reset()
        return result

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_post(self):
        """From the invoice form, a refusal opens the credit dialog instead of a plain error."""
        if not self.env.context.get("credit_control_dialog"):
            return super().action_post()
        try:
            return super().action_post()
        except CreditLimitExceeded as error:
            return self.env["credit.override.wizard"]._action_open(self, error)

    def _credit_current_blocks(self):
        """The refusals posting these draft moves would meet now (nothing is posted)."""
        try:
            with self.env.cr.savepoint():
                self._post(soft=False)
                raise _DryRun
        except _DryRun:
            return []
        except CreditLimitExceeded as error:
            return error.blocks
        finally:
            self.env.invalidate_all()

    def action_view_credit_dunning(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_dunning_communication_action")
        action.update(domain=[("line_ids.move_id", "in", self.ids)], context={"create": False})
        return action

    def action_clear_credit_dispute(self):
        self.write({"credit_disputed": False, "credit_dispute_reason": False, "credit_dispute_until": False})

    def action_view_credit_overrides(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("credit_control.credit_override_action")
        action["domain"] = [("move_ids", "in", self.ids)]
        return action

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_snapshot(self):
        """{move id (str): [signed total, currency id, customer id]}: what an approval of these moves covers."""
        return {str(move.id): [move.currency_id.round(move.amount_total_signed), move.currency_id.id,
                               move.commercial_partner_id.id] for move in self}

    def _credit_moves_to_check(self):
        """Draft moves whose posting raises some customer's receivable, in companies that limit credit."""
        if self.env.context.get("credit_control_exempt") is CREDIT_EXEMPT:
            return self.browse()
        return self.filtered(lambda m: m.state == "draft" and m.company_id.root_id.account_use_credit_limit
                             and any(amount > 0 for amount in m._credit_receivable_changes().values()))

    def _credit_moves_lowering(self):
        """Posted moves whose reset would raise some customer's receivable, in companies that limit credit."""
        return self.filtered(lambda m: m.state == "posted" and m.company_id.root_id.account_use_credit_limit
                             and any(amount < 0 for amount in m._credit_receivable_changes().values()))

    def _credit_receivable_changes(self):
        """{commercial partner: what this move adds to its receivables, in company currency}. A move that only
        shifts a receivable between accounts of one customer adds 0."""
        self.ensure_one()
        changes = defaultdict(float)
        for line in self.line_ids:
            if line.account_id.account_type == "asset_receivable" and line.partner_id:
                changes[line.partner_id.commercial_partner_id] += line.balance
        return {partner: amount for partner, amount in changes.items()
                if not self.company_id.currency_id.is_zero(amount)}

    def _credit_changes_by_partner(self, sign):
        """{commercial partner: (moves, total change)} of the changes of ``sign`` (1 raises, -1 lowers)."""
        result = defaultdict(lambda: [self.browse(), 0.0])
        for move in self:
            for partner, amount in move._credit_receivable_changes().items():
                if amount * sign > 0:
                    result[partner][0] |= move
                    result[partner][1] += amount
        return result

    def _credit_check_before_post(self):
        if len(self.company_id) > 1:
            raise UserError(self.env._(
                "Credit control checks customer invoices one company at a time: post the invoices of "
                "%(companies)s separately.", companies=", ".join(self.company_id.mapped("name"))))
        company = self.company_id
        foreign = self.filtered(lambda m: m.currency_id != company.currency_id)
        if foreign:
            first_rates = dict(self.env["res.currency.rate"]._read_group(
                [("currency_id", "in", foreign.currency_id.ids), ("company_id", "in", [company.root_id.id, False])],
                ["currency_id"], ["name:min"]))
            for move in foreign:
                first = first_rates.get(move.currency_id)
                date = move.invoice_date or fields.Date.context_today(self)
                if not first or first > date:
                    raise UserError(self.env._(
                        "%(move)s is in %(currency)s but there is no exchange rate on or before %(date)s: "
                        "its amount in %(company_currency)s cannot be checked against the credit limit. "
                        "Add the rate first.", move=move.display_name, currency=move.currency_id.name,
                        date=date, company_currency=company.currency_id.name))

    def _credit_enforce(self):
        """Decide for each customer whose receivable these just-posted moves raise; raise for every block not
        covered by an approval or a manager's bypass."""
        raised = self._credit_changes_by_partner(1)
        partners = self.env["res.partner"].union(*raised)
        data = partners._credit_posting_exposure(self)
        overrides = self.env["credit.override"]._credit_approved_for(self)
        is_manager = self.env.su or self.env.user.has_group("credit_control.group_credit_control_manager")
        # Only a manager's code may bypass; from anyone else the key changes nothing.
        bypass_reason = is_manager and self.env.context.get("credit_control_override_reason")
        blocks, warnings = [], []
        for partner, (moves, amount) in raised.items():
            decision = partner.sudo()._credit_posting_decision(moves.sudo(), dict(data[partner.id], posting=amount))
            if not decision:
                continue
            if decision["policy"] == "warn":
                warnings.append(decision)
            elif override := overrides.filtered(lambda o, d=decision: o._credit_covers(d)):
                override[:1].sudo()._credit_use(decision)
            elif bypass_reason:
                self.env["credit.override"]._credit_bypass(decision, bypass_reason)
            else:
                blocks.append(decision)
        if blocks:
            raise CreditLimitExceeded("\n\n".join(block["message"] for block in blocks), blocks)
        for decision in warnings:
            self._credit_warn(decision)

    def _credit_enforce_reset(self):
        """After these moves went back to draft: refuse a non-manager the customers now over their limit."""
        lowered = self._credit_changes_by_partner(-1)
        partners = self.env["res.partner"].union(*lowered)
        data = partners._credit_posting_exposure(self.browse())
        is_manager = self.env.su or self.env.user.has_group("credit_control.group_credit_control_manager")
        blocks = []
        for partner, (moves, amount) in lowered.items():
            partner = partner.sudo()
            limit = partner._credit_effective_limit()
            exposure = data[partner.id]["open_amount"]
            if limit is None or exposure <= limit:
                continue
            decision = {
                "partner_id": partner.id, "move_ids": moves.ids, "reason": "limit", "policy": "block",
                "exposure": exposure, "limit": limit, "excess": exposure - limit,
                "message": self.env._(
                    "Resetting %(moves)s would bring %(partner)s's exposure to %(exposure)s, over its credit limit "
                    "of %(limit)s by %(excess)s. Only a Credit Control Manager can reset it.",
                    moves=", ".join(moves.mapped("name")), partner=partner.display_name,
                    exposure=partner._credit_money(exposure), limit=partner._credit_money(limit),
                    excess=partner._credit_money(exposure - limit)),
                "breakdown": {"posting": -amount, "open_amount": exposure + amount},
            }
            if is_manager:
                self.env["credit.override"].sudo()._credit_record_reset(decision)
            else:
                blocks.append(decision)
        if blocks:
            raise CreditLimitExceeded("\n\n".join(block["message"] for block in blocks), blocks)

    def _credit_warn(self, decision):
        moves = self.browse(decision["move_ids"])
        partner = self.env["res.partner"].browse(decision["partner_id"])
        for move in moves:
            move.message_post(body=decision["message"], message_type="comment", subtype_xmlid="mail.mt_note")
        moves[:1].activity_schedule(
            "mail.mail_activity_data_warning",
            summary=self.env._("Credit limit exceeded: %(partner)s", partner=partner.display_name),
            note=decision["message"],
            user_id=partner._credit_responsible_user().id,
        )

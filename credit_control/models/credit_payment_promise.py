from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_amount, format_date


class CreditPaymentPromise(models.Model):
    """A customer's promise to pay an amount by a date: dunning pauses for the customer until then.

    Only its workflow (*Cancel*, the dunning run closing it kept or broken) sets its state; closed, it is
    evidence of what the customer promised and paid (see ``credit.evidence.mixin``).
    """

    _name = "credit.payment.promise"
    _description = "Promise to Pay"
    _inherit = ["credit.evidence.mixin", "mail.thread"]
    _order = "promise_date desc, id desc"
    _check_company_auto = True
    # ``date`` and ``user_id`` are the recording's: the payments from ``date`` on count.
    _CREDIT_WORKFLOW_FIELDS = frozenset({"state", "closed_on", "date", "user_id"})

    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, index=True, tracking=True,
        domain="[('is_company', '=', True)]",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    promise_date = fields.Date(string="Promised Date", required=True, tracking=True,
                               help="Dunning of the customer pauses until this date included.")
    amount = fields.Monetary(string="Promised Amount", required=True, tracking=True)
    promised_by = fields.Char(required=True, help="Who made the promise on the customer's side.")
    date = fields.Date(string="Recorded On", required=True, readonly=True, default=fields.Date.context_today,
                       help="Payments and credit notes dated from this day on count towards the promise.")
    user_id = fields.Many2one("res.users", string="Recorded By", required=True, readonly=True,
                              default=lambda self: self.env.user)
    note = fields.Text()
    paid_amount = fields.Monetary(
        compute="_compute_paid_amount",
        help="The customer's own payments and credit notes reconciled with its receivables, dated from the day the "
             "promise was recorded on. Insurer indemnities, write-offs and exchange differences do not count.")
    state = fields.Selection(
        selection=[("open", "Open"), ("kept", "Kept"), ("broken", "Broken"), ("cancelled", "Cancelled")],
        required=True, default="open", readonly=True, tracking=True, index=True,
    )
    closed_on = fields.Date(readonly=True)

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("partner_id", "amount", "promise_date")
    def _compute_display_name(self):
        for promise in self:
            promise.display_name = self.env._(
                "%(partner)s: %(amount)s by %(date)s", partner=promise.partner_id.name,
                amount=format_amount(self.env, promise.amount, promise.currency_id),
                date=format_date(self.env, promise.promise_date))

    @api.depends("partner_id", "company_id", "date")
    def _compute_paid_amount(self):
        """What reconciliations with the customer's receivables took from its payments (bank statement lines
        included) and credit notes dated on or after the promise's day, in one query. Of a payment, only the money
        received counts: a reconciliation takes its share of the bank or cash lines (a payment of 900 with a
        write-off of 100, "mark as fully paid", pays 900 of the 1,000 it settles). Only the customer's own (the
        credit's partner is the customer or one of its contacts): an insurer's payment does not count. Only what
        it owes (the debit is no payment, bank line nor exchange difference): money paid back to the customer (a
        refunded credit note or payment) does not count. Entries that are neither payments nor credit notes (an
        insurer's indemnity, a write-off, an exchange difference) never keep a promise."""
        self.env.flush_all()
        paid = dict(self.env.execute_query(SQL(
            """
            SELECT pp.id, SUM(apr.amount * CASE WHEN cm.move_type = 'out_refund' THEN 1
                                           ELSE GREATEST(0, LEAST(1, money.cash / NULLIF(money.receivable, 0))) END)
              FROM credit_payment_promise pp
              JOIN res_partner p ON p.commercial_partner_id = pp.partner_id
              JOIN res_company co ON co.id = pp.company_id
              JOIN account_move_line dl ON dl.partner_id = p.id AND dl.company_id = pp.company_id
              JOIN account_move dm ON dm.id = dl.move_id
              JOIN account_partial_reconcile apr ON apr.debit_move_id = dl.id
              JOIN account_move_line cl ON cl.id = apr.credit_move_id
              JOIN res_partner cp ON cp.id = cl.partner_id AND cp.commercial_partner_id = pp.partner_id
              JOIN account_move cm ON cm.id = cl.move_id
              JOIN account_journal j ON j.id = cm.journal_id
         LEFT JOIN account_payment ap ON ap.id = cm.origin_payment_id
              -- a payment's bank or cash lines (its outstanding account, else its journal's), and its receivable
              LEFT JOIN LATERAL (
                   SELECT SUM(ml.balance) FILTER (
                              WHERE ml.account_id IN (ap.outstanding_account_id, j.default_account_id)) AS cash,
                          -SUM(ml.balance) FILTER (WHERE ma.account_type = 'asset_receivable') AS receivable
                     FROM account_move_line ml
                     JOIN account_account ma ON ma.id = ml.account_id
                    WHERE ml.move_id = cm.id AND cm.move_type != 'out_refund'
              ) money ON TRUE
             WHERE pp.id = ANY(%s) AND dl.parent_state = 'posted' AND cm.state = 'posted'
               AND dl.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
               AND (cm.move_type = 'out_refund' OR cm.origin_payment_id IS NOT NULL
                    OR cm.statement_line_id IS NOT NULL)
               AND dm.origin_payment_id IS NULL AND dm.statement_line_id IS NULL
               AND dm.journal_id IS DISTINCT FROM co.currency_exchange_journal_id
               AND cm.date >= pp.date
             GROUP BY pp.id
            """, self.ids)))
        for promise in self:
            promise.paid_amount = float(paid.get(promise.id) or 0.0)

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("amount", "promise_date")
    def _check_promise(self):
        for promise in self:
            if promise.amount <= 0:
                raise ValidationError(self.env._("A promise to pay needs a positive amount."))
            if promise.state == "open" and promise.promise_date < fields.Date.context_today(promise):
                raise ValidationError(self.env._("The promised date of an open promise cannot be in the past."))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        promises = super().create(vals_list)
        for promise in promises:
            if promise.partner_id != promise.partner_id.commercial_partner_id:
                promise.partner_id = promise.partner_id.commercial_partner_id
            # Logged on the customer by a user who may not edit customers: as superuser, in the user's name.
            promise.partner_id.sudo().message_post(author_id=self.env.user.partner_id.id, body=self.env._(
                "Promise to pay %(amount)s by %(date)s, made by %(who)s.",
                amount=promise.partner_id._credit_money(promise.amount), date=promise.promise_date,
                who=promise.promised_by))
        return promises

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_cancel(self):
        self.check_access("write")
        if self.filtered(lambda p: p.state != "open"):
            raise UserError(self.env._("Only open promises can be cancelled."))
        self.sudo().write({"state": "cancelled", "closed_on": fields.Date.context_today(self)})

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_is_evidence(self):
        return self.state != "open"

    def _credit_evidence_label(self):
        return self.env._("Promise to pay %(promise)s", promise=self.display_name)

    @api.model
    def _credit_close_due_promises(self):
        """Close the current company's open promises that are paid, or whose date passed: kept or broken.

        A broken promise is recorded on the customer and its dunning resumes in the same run.
        """
        today = fields.Date.context_today(self)
        promises = self.search([("state", "=", "open"), ("company_id", "=", self.env.company.id)])
        if not promises:
            return
        promises.invalidate_recordset(["paid_amount"])  # payments may have come in since it was read
        rounding = self.env.company.currency_id.rounding
        kept = promises.filtered(lambda p: p.paid_amount >= p.amount - rounding)
        broken = promises.filtered(lambda p: p.promise_date < today) - kept
        kept.sudo().write({"state": "kept", "closed_on": today})
        broken.sudo().write({"state": "broken", "closed_on": today})
        for promise in broken:
            promise.partner_id.sudo().message_post(author_id=self.env.user.partner_id.id, body=self.env._(
                "Promise to pay broken: %(amount)s promised by %(who)s for %(date)s, %(paid)s paid. Dunning resumes.",
                amount=promise.partner_id._credit_money(promise.amount), who=promise.promised_by,
                date=promise.promise_date, paid=promise.partner_id._credit_money(promise.paid_amount)))

    def _credit_open_promise_partner_sql(self, today):
        """SQL: commercial partners of the current company with a promise that pauses their dunning on ``today``."""
        return SQL(
            "SELECT partner_id FROM credit_payment_promise "
            "WHERE state = 'open' AND company_id = %s AND promise_date >= %s",
            self.env.company.id, today)

    @api.model
    def _credit_promise_domain(self, operator, value):
        """Domain on ``commercial_partner_id``: customers whose open promise date matches (or that have one)."""
        if operator not in ("=", "!=", "<", "<=", ">", ">="):
            raise UserError(self.env._("Unsupported search on the promised payment date."))
        if value is False:
            condition, operator = SQL("TRUE"), "not in" if operator == "=" else "in"
        else:
            condition, operator = SQL("promise_date %s %s", SQL(operator), value), "in"
        promised = SQL("(SELECT partner_id FROM credit_payment_promise WHERE state = 'open' AND company_id = %s "
                       "AND %s)", self.env.company.id, condition)
        return [("commercial_partner_id", operator, promised)]

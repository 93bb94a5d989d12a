import json
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..report.credit_dunning_xlsx import dunning_columns, statement_workbook
from ..report.xlsx import xlsx_download_action

STATES = [("draft", "Draft"), ("sent", "Sent"), ("done", "Done"), ("cancelled", "Cancelled"), ("failed", "Failed")]
# Channels copied from the level when the communication is made, so that the history stays true.
CHANNELS = ["action_email", "action_letter", "action_call", "action_agency", "action_legal", "action_hold"]


class CreditDunningCommunication(models.Model):
    """What one dunning level did for one customer on one day: channels, invoices, amounts and outcome.

    It is the evidence an insurer asks for when a claim is filed, so it is never rewritten by later runs.
    """

    _name = "credit.dunning.communication"
    _description = "Dunning Communication"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    recipient_id = fields.Many2one(
        "res.partner", readonly=True, help="Who receives the email: the customer's invoice address.")
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    level_id = fields.Many2one("credit.dunning.level", required=True, index=True, readonly=True,
                               ondelete="restrict", check_company=True)
    policy_id = fields.Many2one(related="level_id.policy_id", string="Dunning Policy", store=True)
    stage = fields.Integer(related="level_id.stage", store=True, aggregator="max")
    date = fields.Date(required=True, readonly=True, index=True, default=fields.Date.context_today)
    user_id = fields.Many2one("res.users", string="Responsible", tracking=True,
                              default=lambda self: self.env.user)
    state = fields.Selection(STATES, required=True, default="draft", readonly=True, index=True)
    failure_reason = fields.Char(readonly=True)
    origin = fields.Selection([("cron", "Daily run"), ("manual", "Manual run")], required=True, readonly=True,
                              default="cron")
    line_ids = fields.One2many("credit.dunning.line", "communication_id", string="Invoices", readonly=True)
    move_count = fields.Integer(string="Invoice Count", compute="_compute_move_count")
    amount_due = fields.Monetary(
        readonly=True, help="Open amount of the invoices of this communication, in company currency, when it was made.")
    action_email = fields.Boolean(string="Email", readonly=True)
    action_letter = fields.Boolean(string="Letter", readonly=True)
    action_call = fields.Boolean(string="Phone Call", readonly=True)
    action_agency = fields.Boolean(string="Collection Agency", readonly=True)
    action_legal = fields.Boolean(string="Legal Action", readonly=True)
    action_hold = fields.Boolean(string="Credit Hold", readonly=True)
    agency_partner_id = fields.Many2one("res.partner", string="Agency", readonly=True)

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("partner_id", "level_id", "date")
    def _compute_display_name(self):
        for communication in self:
            communication.display_name = self.env._(
                "%(level)s: %(partner)s (%(date)s)", level=communication.level_id.name,
                partner=communication.partner_id.name, date=communication.date)

    @api.depends("line_ids")
    def _compute_move_count(self):
        for communication in self:
            communication.move_count = len(communication.line_ids)

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_send(self):
        """Send reviewed drafts now."""
        if self.filtered(lambda c: c.state != "draft"):
            raise UserError(self.env._("Only draft dunning communications can be sent."))
        self._credit_dispatch()

    def action_done(self):
        if self.filtered(lambda c: c.state not in ("sent", "failed")):
            raise UserError(self.env._("Only sent or failed dunning communications can be marked done."))
        self.write({"state": "done"})
        self.activity_ids.action_feedback(feedback=self.env._("Dunning communication marked done."))

    def action_cancel(self):
        if self.filtered(lambda c: c.state in ("done", "cancelled")):
            raise UserError(self.env._("A done or cancelled dunning communication cannot be cancelled."))
        self.write({"state": "cancelled"})
        self.activity_ids.unlink()

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update(domain=[("id", "in", self.line_ids.move_id.ids)], context={"create": False})
        return action

    def action_print_letter(self):
        return self.env.ref("credit_control.action_report_dunning_letter").report_action(self)

    def action_export_xlsx(self):
        return xlsx_download_action(self, self.env._("Dunning Activity"), dunning_columns(self.env),
                                    self.env._("dunning_activity.xlsx"))

    # -------------------------------------------------------------------------
    # CRON
    # -------------------------------------------------------------------------

    @api.model
    def _cron_run_dunning(self, batch_size=500):
        """Dun one batch of customers of one company; the cron runner commits and calls again while work remains.

        Crash-safe: an invoice's level and dunning date are written in the transaction that makes its
        communication, so a batch is done entirely or not at all and a new run resumes with what is left.
        """
        companies = self.env["credit.dunning.policy"].sudo().search([]).company_id.sorted("id")
        done, remaining = 0, 0
        for company in companies:
            dunning = self.with_company(company)
            dunning.env["credit.payment.promise"]._credit_close_due_promises()
            if done:
                remaining += dunning._credit_dunning_partner_count()
                continue
            done, remaining_here = dunning._credit_run_batch(batch_size)
            remaining += remaining_here
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return remaining

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _credit_run_batch(self, batch_size=500, partner_ids=None, origin="cron"):
        """Dun up to ``batch_size`` customers of the current company; return (customers done, customers left).

        A constant number of queries for the batch whatever its number of invoices: one to find what is
        due, one to claim the invoices, one insert per record type, and the dispatch.
        """
        candidates, total = self._credit_dunning_candidates(batch_size, partner_ids)
        if not candidates:
            return 0, 0
        claimed = self._credit_claim(candidates)
        communications = self._credit_create_communications(
            [row for row in candidates if row["move_id"] in claimed], origin)
        communications.filtered("level_id.auto_send")._credit_dispatch()
        done = len({row["partner_id"] for row in candidates})
        return done, total - done

    @api.model
    def _credit_dunning_partner_count(self):
        return self._credit_dunning_candidates(0)[1]

    @api.model
    def _credit_dunning_candidates(self, batch_size, partner_ids=None):
        """The invoices of the current company due for their next level today, for the first ``batch_size``
        customers that have some, and the number of such customers (``batch_size`` 0 only counts them).

        An invoice moves to the level that follows its current one, never further: a long-overdue invoice
        climbs the ladder one run at a time. It is skipped while it is disputed, while its customer has a
        pending promise to pay, once it was dunned today, and when the customer's invoices reaching the
        level add up to less than the level's minimum amount.
        """
        company = self.env.company
        today = self._credit_today()
        partners = self.env["res.partner"]
        self.env.flush_all()
        rows = self.env.execute_query_dict(SQL(
            """
            WITH items AS (
                SELECT m.id AS move_id, m.commercial_partner_id AS partner_id, m.currency_id,
                       m.credit_dunning_level_id AS current_level_id,
                       MIN(l.date_maturity) AS date_due,
                       SUM(l.amount_residual) AS residual,
                       SUM(l.amount_residual_currency) AS residual_currency
                  FROM account_move m
                  JOIN account_move_line l ON l.move_id = m.id
                 WHERE m.company_id = %(company)s AND m.state = 'posted' AND m.move_type = 'out_invoice'
                   AND m.payment_state IN ('not_paid', 'partial')
                   AND (m.credit_dunning_date IS NULL OR m.credit_dunning_date < %(today)s)
                   AND NOT (m.credit_disputed IS TRUE
                            AND (m.credit_dispute_until IS NULL OR m.credit_dispute_until >= %(today)s))
                   AND (%(partner_ids)s IS NULL OR m.commercial_partner_id = ANY(%(partner_ids)s))
                   AND l.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
                   AND l.reconciled IS NOT TRUE
                   AND m.commercial_partner_id NOT IN (%(paused)s)
                 GROUP BY m.id
                HAVING SUM(l.amount_residual) > 0
            ), policies AS (
                SELECT cp.id AS partner_id,
                       COALESCE(%(partner_policy)s, t.dunning_policy_id, c.credit_dunning_policy_id) AS policy_id
                  FROM res_partner cp
                  JOIN res_company c ON c.id = %(company)s
                  LEFT JOIN credit_tier t ON t.id = %(partner_tier)s
                 WHERE cp.id IN (SELECT partner_id FROM items)
            ), due AS (
                SELECT i.*, nxt.level_id, nxt.offset_days, nxt.min_amount,
                       SUM(i.residual) OVER (PARTITION BY i.partner_id, nxt.level_id) AS level_total
                  FROM items i
                  JOIN policies pol ON pol.partner_id = i.partner_id
                  JOIN credit_dunning_policy p ON p.id = pol.policy_id AND p.active
                  LEFT JOIN credit_dunning_level cur ON cur.id = i.current_level_id
                  JOIN LATERAL (
                      SELECT lv.id AS level_id, lv.offset_days, COALESCE(lv.min_amount, 0) AS min_amount
                        FROM credit_dunning_level lv
                       WHERE lv.policy_id = pol.policy_id
                         AND (cur.id IS NULL OR lv.offset_days > cur.offset_days)
                       ORDER BY lv.offset_days
                       LIMIT 1
                  ) nxt ON i.date_due + nxt.offset_days <= %(today)s
            ), kept AS (
                SELECT * FROM due WHERE level_total >= min_amount
            )
            SELECT (SELECT COUNT(DISTINCT partner_id) FROM kept) AS partner_total, b.*
              FROM (SELECT 1) one
              LEFT JOIN (
                  SELECT k.move_id, k.partner_id, k.level_id, k.currency_id, k.date_due, k.residual,
                         k.residual_currency, k.offset_days
                    FROM kept k
                   WHERE k.partner_id IN (SELECT DISTINCT partner_id FROM kept ORDER BY partner_id LIMIT %(limit)s)
              ) b ON TRUE
             ORDER BY b.partner_id, b.offset_days, b.move_id
            """,
            company=company.id, today=today, limit=batch_size,
            paused=self.env["credit.payment.promise"]._credit_open_promise_partner_sql(),
            partner_ids=list(partner_ids) if partner_ids is not None else None,
            partner_policy=partners._field_to_sql("cp", "credit_dunning_policy_id"),
            partner_tier=partners._field_to_sql("cp", "credit_tier_id"),
        ))
        return [row for row in rows if row["move_id"]], rows[0]["partner_total"]

    @api.model
    def _credit_today(self):
        """The run's day: today, or the ``credit_dunning_date`` of the context (replaying past runs)."""
        return fields.Date.to_date(self.env.context.get("credit_dunning_date")) or fields.Date.context_today(self)

    def _credit_letter_data(self):
        """The letter's invoices in their own currency, and a total per currency."""
        self.ensure_one()
        return self.partner_id._credit_items_with_totals([{
            "name": line.move_id.name, "invoice_date": line.move_id.invoice_date, "date_due": line.date_due,
            "days_overdue": line.days_overdue, "amount": line.amount_residual, "currency": line.currency_id,
            "disputed": line.move_id.credit_disputed,
        } for line in self.line_ids])

    @api.model
    def _credit_claim(self, candidates):
        """Move the candidate invoices to their new level, unless a concurrent run did it first; the ids moved.

        The update locks the rows, so two runs racing on one invoice cannot both dun it: the second one
        fails to serialise and is retried, then finds the invoice already dunned today.
        """
        today = self._credit_today()
        rows = self.env.execute_query(SQL(
            """
            UPDATE account_move m
               SET credit_dunning_level_id = v.level_id, credit_dunning_date = %(today)s,
                   write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
              FROM jsonb_to_recordset(%(values)s::jsonb) AS v(move_id int, level_id int)
             WHERE m.id = v.move_id AND (m.credit_dunning_date IS NULL OR m.credit_dunning_date < %(today)s)
            RETURNING m.id
            """,
            today=today, uid=self.env.uid,
            values=json.dumps([{"move_id": row["move_id"], "level_id": row["level_id"]} for row in candidates]),
        ))
        self.env["account.move"].invalidate_model(["credit_dunning_level_id", "credit_dunning_date", "write_uid",
                                                   "write_date"])
        return {move_id for (move_id,) in rows}

    @api.model
    def _credit_create_communications(self, candidates, origin):
        """One communication per customer and level, with a line per invoice; three inserts for the lot."""
        today = self._credit_today()
        groups = defaultdict(list)
        for row in candidates:
            groups[row["partner_id"], row["level_id"]].append(row)
        partners = self.env["res.partner"].browse({partner_id for partner_id, _level_id in groups})
        levels = self.env["credit.dunning.level"].browse({level_id for _partner_id, level_id in groups})
        emailed = {partner_id for partner_id, level_id in groups if levels.browse(level_id).action_email}
        recipients = {partner.id: partner.address_get(["invoice"])["invoice"]
                      for partner in partners if partner.id in emailed}
        vals_list = []
        for (partner_id, level_id), rows in groups.items():
            level = levels.browse(level_id)
            vals_list.append({
                "partner_id": partner_id,
                "recipient_id": recipients.get(partner_id, partner_id),
                "company_id": self.env.company.id,
                "level_id": level_id,
                "date": today,
                "user_id": partners.browse(partner_id)._credit_responsible_user().id,
                "origin": origin,
                "amount_due": sum(row["residual"] for row in rows),
                "agency_partner_id": level.agency_partner_id.id,
                **{channel: level[channel] for channel in CHANNELS},
            })
        communications = self.with_context(mail_create_nolog=True, mail_create_nosubscribe=True).create(vals_list)
        self.env["credit.dunning.line"].create([
            {
                "communication_id": communication.id,
                "move_id": row["move_id"],
                "currency_id": row["currency_id"],
                "date_due": row["date_due"],
                "days_overdue": (today - row["date_due"]).days,
                "amount_residual": row["residual_currency"],
                "amount_residual_company": row["residual"],
            }
            for communication, rows in zip(communications, groups.values(), strict=True)
            for row in rows
        ])
        return communications

    def _credit_dispatch(self):
        """Carry out the levels' actions and mark each communication sent, or failed with the reason."""
        if not self:
            return
        failures = {}
        for communication in self.filtered("action_email"):
            if error := communication._credit_email_customer():
                failures[communication] = error
        for communication in self.filtered("action_agency"):
            communication._credit_send_agency_package()
        self._credit_schedule_activities()
        self._credit_mark_invoices()
        self._credit_apply_holds()
        by_reason = defaultdict(lambda: self.browse())
        for communication, error in failures.items():
            by_reason[error] |= communication
        (self - self.browse([c.id for c in failures])).write({"state": "sent", "failure_reason": False})
        for error, communications in by_reason.items():
            communications.write({"state": "failed", "failure_reason": error})

    def _credit_email_customer(self):
        """Email the customer its invoices, in its language; None, or why it could not be sent."""
        self.ensure_one()
        recipient = self.recipient_id or self.partner_id
        if not recipient.email_normalized:
            return self.env._("%(partner)s has no valid email address.", partner=recipient.display_name)
        if recipient.is_blacklisted:
            return self.env._("%(email)s is on the email blacklist.", email=recipient.email_normalized)
        self._credit_send_email(self.level_id.mail_template_id, self.line_ids.move_id.invoice_pdf_report_id)
        return None

    def _credit_send_agency_package(self):
        """Send the agency the statement of open items and the dunning history of the customer."""
        self.ensure_one()
        attachment = self.env["ir.attachment"].create({
            "name": self.env._("Collection file %(partner)s.xlsx", partner=self.partner_id.name),
            "raw": statement_workbook(self.partner_id, self.env.company),
            "res_model": self._name,
            "res_id": self.id,
        })
        self._credit_send_email(self.level_id.agency_template_id, attachment)

    def _credit_send_email(self, template, attachments):
        """Post ``template`` on this communication as an email to the template's recipients, with ``attachments``.

        Every dunning email, to customers and to agencies, leaves through here: override it to queue the
        sending (e.g. with queue_job) or to route it elsewhere.
        """
        self.ensure_one()
        self.message_post_with_source(template, message_type="comment", subtype_xmlid="mail.mt_comment",
                                      attachment_ids=attachments.ids)

    def _credit_schedule_activities(self):
        """The phone calls and legal actions of these communications, as activities created in one go."""
        call_type = self.env.ref("mail.mail_activity_data_call")
        legal_type = self.env.ref("credit_control.mail_activity_type_credit_legal")
        model_id = self.env["ir.model"]._get_id(self._name)
        today = self._credit_today()
        vals_list = []
        for communication in self.filtered(lambda c: c.action_call or c.action_legal):
            values = {"partner": communication.partner_id.name,
                      "amount": communication.partner_id._credit_money(communication.amount_due),
                      "level": communication.level_id.name}
            common = {"res_model_id": model_id, "res_id": communication.id, "date_deadline": today}
            if communication.action_call:
                vals_list.append({
                    **common, "activity_type_id": call_type.id, "user_id": communication.user_id.id,
                    "summary": self.env._("Call %(partner)s about %(amount)s (%(level)s)", **values),
                })
            if communication.action_legal:
                legal_user = communication.level_id.legal_user_id or \
                    communication.partner_id._credit_responsible_user(managers_only=True)
                vals_list.append({
                    **common, "activity_type_id": legal_type.id, "user_id": legal_user.id,
                    "summary": self.env._("Start legal action against %(partner)s for %(amount)s (%(level)s)",
                                          **values),
                })
        if vals_list:
            self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(vals_list)

    def _credit_mark_invoices(self):
        """Invoices handed over to an agency or to legal carry it, for the filters and the evidence."""
        for state, channel in (("agency", "action_agency"), ("legal", "action_legal")):
            moves = self.filtered(channel).line_ids.move_id
            if moves:
                self.env.execute_query(SQL("UPDATE account_move SET credit_collection_state = %s WHERE id = ANY(%s)",
                                           state, moves.ids))
        self.env["account.move"].invalidate_model(["credit_collection_state"])

    def _credit_apply_holds(self):
        """Credit hold for the customers of the hold and legal levels, stopping new deliveries and invoices."""
        for communication in self.filtered(lambda c: c.action_hold or c.action_legal):
            partner = communication.partner_id.sudo()
            if not partner.credit_hold:
                partner.write({"credit_hold": True, "credit_hold_reason": self.env._(
                    "Dunning: %(level)s on %(date)s", level=communication.level_id.name, date=communication.date)})

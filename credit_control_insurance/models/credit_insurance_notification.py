import functools
from collections import defaultdict

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date

from ..report.credit_insurance_notification_xlsx import notification_workbook

# Paid in full (or reversed): nothing is overdue any more.
PAID_STATES = ("paid", "in_payment", "reversed")


class CreditInsuranceNotification(models.Model):
    """An overdue notification to the insurer: the overdue insured invoices of one buyer under one policy.

    Insurers must be told of unpaid invoices within the policy's maximum extension period after the due date,
    or the cover may be lost. The daily run (``_cron_insurance_deadlines``) prepares the notification in draft
    ``notice_days`` before the earliest deadline and gives the responsible person an activity; a credit
    manager sends it to the insurer (portal, email), records the date sent and the insurer's reference and
    marks it sent, which puts the buyer on credit hold. Sent (or cancelled), it is evidence: only the insurer's
    reference, the note and the responsible person can still change, and only the buttons change the state.
    """

    _name = "credit.insurance.notification"
    _description = "Overdue Notification to the Insurer"
    _inherit = ["credit.evidence.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True
    _CREDIT_WORKFLOW_FIELDS = frozenset({"state", "amount_overdue", "amount_outstanding", "deadline"})

    name = fields.Char(string="Reference", required=True, readonly=True, copy=False,
                       default=lambda self: self.env._("New"))
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    policy_id = fields.Many2one("credit.insurance.policy", required=True, index=True,
                                tracking=True, check_company=True)
    insurer_id = fields.Many2one(related="policy_id.insurer_id", string="Insurer", store=True)
    partner_id = fields.Many2one("res.partner", string="Buyer", required=True, index=True, tracking=True,
                                 domain="[('is_company', '=', True)]")
    move_ids = fields.Many2many(
        "account.move", "credit_insurance_notification_account_move_rel", "notification_id", "move_id",
        string="Overdue Invoices", copy=False, check_company=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'), ('credit_insured', '=', True), "
               "('credit_insurance_policy_id', '=', policy_id), ('commercial_partner_id', '=', partner_id), "
               "('payment_state', 'not in', ('paid', 'in_payment', 'reversed'))]",
    )
    move_count = fields.Integer(string="Invoices", compute="_compute_move_count")
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    amount_overdue = fields.Monetary(
        currency_field="company_currency_id", readonly=True, aggregator="sum",
        help="The unpaid amount of the invoices' instalments past their due date, in company currency: kept up "
             "to date while in draft, as declared on the day sent.",
    )
    amount_outstanding = fields.Monetary(
        currency_field="company_currency_id", readonly=True, aggregator="sum",
        help="The invoices' whole unpaid amount in company currency, instalments not yet due included: kept up "
             "to date while in draft, as declared on the day sent.",
    )
    line_ids = fields.One2many(
        "credit.insurance.notification.line", "notification_id", string="Overdue Instalments", readonly=True,
        help="The invoices' unpaid instalments past their due date: kept up to date while in draft, as declared "
             "on the day sent.")
    date = fields.Date(string="Prepared On", required=True, readonly=True, default=fields.Date.context_today)
    deadline = fields.Date(readonly=True, index=True,
                           help="The earliest notification deadline of the invoices: notify the insurer by then.")
    state = fields.Selection(
        selection=[("draft", "Draft"), ("sent", "Sent"), ("cancelled", "Cancelled")],
        required=True, default="draft", readonly=True, copy=False, index=True, tracking=True,
    )
    date_sent = fields.Date(copy=False, tracking=True,
                            help="The day the notification reached the insurer.")
    insurer_reference = fields.Char(copy=False, tracking=True,
                                    help="The insurer's reference of the notification (claim or case number).")
    user_id = fields.Many2one("res.users", string="Responsible", tracking=True, default=lambda self: self.env.user,
                              domain="[('share', '=', False)]")
    note = fields.Text()
    claim_ids = fields.One2many("credit.insurance.claim", "notification_id", string="Claims")

    def init(self):
        # Never two drafts for one policy and buyer: the daily run extends the open draft.
        self.env.cr.execute(SQL(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS credit_insurance_notification_draft_uniq
                ON credit_insurance_notification (policy_id, partner_id) WHERE state = 'draft'
            """))

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("move_ids")
    def _compute_move_count(self):
        for notification in self:
            notification.move_count = len(notification.move_ids)

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("move_ids", "policy_id", "partner_id", "state")
    def _check_moves(self):
        for notification in self.filtered(lambda n: n.state == "draft"):
            wrong = notification.move_ids.filtered(
                lambda m, n=notification: m.credit_insurance_policy_id != n.policy_id
                or m.commercial_partner_id != n.partner_id or m.move_type != "out_invoice")
            if wrong:
                raise ValidationError(self.env._(
                    "%(invoices)s are not invoices of %(buyer)s insured under policy %(policy)s.",
                    invoices=", ".join(wrong.mapped("name")), buyer=notification.partner_id.display_name,
                    policy=notification.policy_id.policy_number))
            elsewhere = notification.move_ids.filtered(
                lambda m, n=notification: m.credit_insurance_notification_id not in (n, n.browse())
                and m.credit_insurance_notification_id.state != "cancelled")
            if elsewhere:
                raise ValidationError(self.env._(
                    "%(invoices)s are already in another overdue notification (%(other)s).",
                    invoices=", ".join(elsewhere.mapped("name")),
                    other=", ".join(elsewhere.credit_insurance_notification_id.mapped("name"))))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        partners = self.env["res.partner"].browse({vals["partner_id"] for vals in vals_list if vals.get("partner_id")})
        for vals in vals_list:
            if vals.get("partner_id"):  # insurers know the buyer, not its contacts
                vals["partner_id"] = partners.browse(vals["partner_id"]).with_prefetch(
                    partners._prefetch_ids).commercial_partner_id.id
        by_company = defaultdict(list)
        for vals in vals_list:
            by_company[vals.get("company_id") or self.env.company.id].append(vals)
        for company_id, company_vals in by_company.items():  # one draw of references per company
            names = self.env["ir.sequence"].with_company(company_id)._credit_next_by_code_batch(
                "credit.insurance.notification", len(company_vals))
            for vals, name in zip(company_vals, names, strict=True):
                vals["name"] = name or self.env._("New")
        self._check_no_other_draft(vals_list)
        notifications = super().create(vals_list)
        notifications.filtered("move_ids")._credit_sync_moves()
        return notifications

    def write(self, vals):
        if "state" in vals:  # users prepare, managers send and cancel, with the buttons
            self._check_manager()
        if "move_ids" in vals and self.filtered(lambda n: n.state != "draft"):
            raise UserError(self.env._("Only a draft overdue notification can change its invoices."))
        result = super().write(vals)
        if "move_ids" in vals:
            self._credit_sync_moves()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_sent(self):
        if sent := self.filtered(lambda n: n.state == "sent"):
            raise UserError(self.env._(
                "%(notification)s was sent to the insurer and is kept as evidence: cancel it instead.",
                notification=sent[0].name))

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_send(self):
        """Mark as sent to the insurer: the invoices are notified and the buyer goes on credit hold."""
        self._check_manager()
        if wrong := self.filtered(lambda n: n.state != "draft"):
            raise UserError(self.env._("%(notification)s is not a draft: it cannot be sent again.",
                                       notification=wrong[0].name))
        if missing := self.filtered(lambda n: not n.date_sent):
            raise UserError(self.env._(
                "Enter the date %(notification)s was sent to the insurer before marking it sent.",
                notification=missing[0].name))
        if empty := self.filtered(lambda n: not n.move_ids):
            raise UserError(self.env._("%(notification)s lists no invoice.", notification=empty[0].name))
        if unposted := self.move_ids.filtered(lambda move: move.state != "posted"):
            raise UserError(self.env._(
                "%(invoices)s are no longer posted: take them off the notification before sending it.",
                invoices=", ".join(unposted.mapped("display_name"))))
        today = fields.Date.context_today(self)
        if future := self.filtered(lambda n: n.date_sent > today):
            raise UserError(self.env._("%(notification)s cannot have been sent on %(date)s, after today.",
                                       notification=future[0].name, date=format_date(self.env, future[0].date_sent)))
        self._credit_refresh_totals(on_date_sent=True)
        for notification in self.filtered(lambda n: n.deadline and n.date_sent > n.deadline):
            notification.message_post(body=escape(self.env._(
                "Sent on %(date)s, after the notification deadline of %(deadline)s: the insurer may refuse cover "
                "for these invoices.", date=format_date(self.env, notification.date_sent),
                deadline=format_date(self.env, notification.deadline))))
        self.sudo().write({"state": "sent"})
        self.env["account.move"]._credit_set_insurance_states(dict.fromkeys(self.move_ids.ids, "notified"))
        self._credit_due_activities().action_feedback(feedback=self.env._("Sent to the insurer."))
        for notification in self:
            notification._credit_hold_buyer()
        return True

    def action_cancel(self):
        """Cancel: the invoices are free for another notification and their status is recomputed."""
        self._check_manager()
        if wrong := self.filtered(lambda n: n.state == "cancelled"):
            raise UserError(self.env._("%(notification)s is already cancelled.", notification=wrong[0].name))
        moves = self.move_ids.filtered(lambda m: m.credit_insurance_notification_id in self)
        self.sudo().write({"state": "cancelled"})
        self._credit_due_activities().unlink()
        self._credit_link_sql(SQL("UPDATE account_move SET credit_insurance_notification_id = NULL "
                                  "WHERE id = ANY(%s)", moves.ids))
        if moves:
            rows = self._credit_deadline_rows(fields.Date.context_today(self), move_ids=moves.ids)
            self.env["account.move"]._credit_set_insurance_states({row["id"]: row["new_state"] for row in rows})
        return True

    def action_create_claim(self):
        """A draft claim on the notified invoices still open, dated from the notification, opened."""
        self.ensure_one()
        if self.state != "sent":
            raise UserError(self.env._("Send the notification to the insurer before claiming."))
        open_invoices = self.move_ids.filtered(lambda move: move.payment_state in ("not_paid", "partial"))
        Claim = self.env["credit.insurance.claim"].with_company(self.company_id)
        claim = Claim.create({**Claim._credit_prepare_from_invoices(open_invoices), "notification_id": self.id,
                              "notification_date": self.date_sent})
        return claim._get_records_action(name=self.env._("Claim"))

    def action_export_xlsx(self):
        attachment = self.env["ir.attachment"].create({
            "name": self.env._("overdue_notification_%(name)s.xlsx", name=self.name.replace("/", "_"))
            if len(self) == 1 else self.env._("overdue_notifications.xlsx"),
            "raw": notification_workbook(self.env, self),
            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        })
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true",
                "target": "self"}

    def action_view_invoices(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
        action.update(domain=[("id", "in", self.move_ids.ids)], context={"create": False})
        return action

    # -------------------------------------------------------------------------
    # CRON
    # -------------------------------------------------------------------------

    @api.model
    def _cron_insurance_deadlines(self, batch_size=5000):
        """Check the notification deadlines of one batch of insured invoices, all companies together.

        Picks only invoices whose status must change, that must be added to a notification, or that left
        one (paid while the notification was a draft): a re-run the same day finds nothing, and the cron
        runner calls again while work remains. Returns the number of invoices left.
        """
        notifications = self.sudo()
        today = fields.Date.context_today(self)
        rows = notifications._credit_deadline_rows(today, limit=batch_size)
        by_company = defaultdict(list)
        for row in rows:
            by_company[row["company_id"]].append(row)
        for company_id, company_rows in by_company.items():
            notifications.with_company(company_id)._credit_process_deadlines(company_rows, today)
        remaining = rows[0]["total"] - len(rows) if rows else 0
        if not remaining:  # the run is over: every draft's instalments follow the day's payments
            notifications.search([("state", "=", "draft")])._credit_refresh_totals()
        self.env["ir.cron"]._notify_progress(done=len(rows), remaining=remaining)
        return remaining

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_is_evidence(self):
        return self.state != "draft"

    def _credit_open_fields(self):
        return {"insurer_reference", "note", "user_id"}

    def _check_manager(self):
        if not self.env.su and not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._(
                "Only a Credit Control Manager can send or cancel overdue notifications to the insurer."))

    @api.model
    def _check_no_other_draft(self, vals_list):
        """One draft per policy and buyer (a unique index guards races; this gives the readable message)."""
        keys = {(vals.get("policy_id"), vals.get("partner_id")) for vals in vals_list
                if vals.get("state", "draft") == "draft"}
        if not keys:
            return
        drafts = self.search([("state", "=", "draft"), ("policy_id", "in", [key[0] for key in keys]),
                              ("partner_id", "in", [key[1] for key in keys])])
        if clash := drafts.filtered(lambda n: (n.policy_id.id, n.partner_id.id) in keys):
            raise ValidationError(self.env._(
                "%(buyer)s already has a draft overdue notification under policy %(policy)s (%(notification)s): "
                "add the invoices to it.", buyer=clash[0].partner_id.display_name,
                policy=clash[0].policy_id.policy_number, notification=clash[0].name))

    @api.model
    def _credit_deadline_rows(self, today, limit=None, move_ids=None):
        """The insured invoices that need work today, in one query, with:

        ``new_state`` (the status they must have), ``to_add`` (overdue, deadline within the policy's notice
        days, in no live notification), ``to_remove`` (paid, no longer overdue or no longer posted while in a
        draft notification) and ``total`` (the number of such invoices before the limit). With ``move_ids``,
        those invoices only. Overdue counts from the first open instalment's due date (``credit_date_due``).
        """
        self.env.flush_all()
        return self.env.execute_query_dict(SQL(
            """
            WITH invoice AS (
                SELECT m.id, m.company_id, m.commercial_partner_id AS partner_id,
                       m.credit_insurance_policy_id AS policy_id, m.credit_insurance_state AS state,
                       m.credit_insurance_deadline AS deadline, m.credit_date_due,
                       n.state AS notification_state,
                       m.state = 'posted' AND m.credit_insured AND m.payment_state NOT IN %(paid)s AS open,
                       m.state = 'posted' AS posted
                  FROM account_move m
                  JOIN credit_insurance_policy pol ON pol.id = m.credit_insurance_policy_id
                  LEFT JOIN credit_insurance_notification n ON n.id = m.credit_insurance_notification_id
                 WHERE m.move_type = 'out_invoice' AND %(scope)s
                   AND (m.payment_state NOT IN %(paid)s OR m.credit_insurance_state IN ('to_notify', 'late')
                        OR n.state = 'draft')
            ), todo AS (
                SELECT i.*,
                       CASE WHEN NOT i.posted THEN NULL
                            WHEN i.notification_state = 'sent' THEN 'notified'
                            WHEN NOT i.open THEN 'covered'
                            WHEN i.deadline < %(today)s THEN 'late'
                            WHEN i.credit_date_due < %(today)s THEN 'to_notify'
                            ELSE 'covered' END AS new_state,
                       COALESCE(i.open AND i.credit_date_due < %(today)s
                                AND i.deadline - pol.notice_days <= %(today)s
                                AND (i.notification_state IS NULL OR i.notification_state = 'cancelled'), FALSE)
                           AS to_add,
                       COALESCE((NOT i.open OR i.credit_date_due >= %(today)s) AND i.notification_state = 'draft',
                                FALSE) AS to_remove
                  FROM invoice i
                  JOIN credit_insurance_policy pol ON pol.id = i.policy_id
            )
            SELECT todo.*, COUNT(*) OVER () AS total
              FROM todo
             WHERE new_state IS DISTINCT FROM state OR to_add OR to_remove
             ORDER BY company_id, id
             LIMIT %(limit)s
            """,
            paid=PAID_STATES, today=today, limit=limit,
            scope=SQL("m.id = ANY(%s)", move_ids) if move_ids is not None else SQL("TRUE"),
        ))

    def _credit_process_deadlines(self, rows, today):
        """Apply the rows of ``_credit_deadline_rows`` for the current company: detach paid invoices from
        drafts, create or extend one draft per policy and buyer, set the statuses and links (one UPDATE),
        schedule the activities of the new drafts and tell each buyer's chatter which invoices' cover is at
        risk."""
        Move = self.env["account.move"]
        touched, links = self.browse(), {}  # links: {invoice id: its notification id from now on, or None}
        if removed := [row["id"] for row in rows if row["to_remove"]]:
            touched |= Move.browse(removed).credit_insurance_notification_id
            links.update(dict.fromkeys(removed))
            self._credit_link_sql(SQL(
                """
                DELETE FROM credit_insurance_notification_account_move_rel r
                 USING credit_insurance_notification n
                 WHERE n.id = r.notification_id AND n.state = 'draft' AND r.move_id = ANY(%s)
                """, removed))
        new = self.browse()
        if to_add := [row for row in rows if row["to_add"]]:
            keys = {(row["policy_id"], row["partner_id"]) for row in to_add}
            drafts = self.search([
                ("company_id", "=", self.env.company.id), ("state", "=", "draft"),
                ("policy_id", "in", [policy for policy, _buyer in keys]),
                ("partner_id", "in", [buyer for _policy, buyer in keys]),
            ])
            by_key = {(draft.policy_id.id, draft.partner_id.id): draft for draft in drafts}
            missing = sorted(keys - set(by_key))
            users = self.env["res.partner"].browse({buyer for _policy, buyer in missing})._credit_responsible_users()
            new = self.create([{"policy_id": policy, "partner_id": buyer, "user_id": users[buyer].id}
                               for policy, buyer in missing])
            by_key.update({(n.policy_id.id, n.partner_id.id): n for n in new})
            pairs = [(by_key[row["policy_id"], row["partner_id"]].id, row["id"]) for row in to_add]
            links.update({move: notification for notification, move in pairs})
            self._credit_link_sql(SQL(
                """
                INSERT INTO credit_insurance_notification_account_move_rel (notification_id, move_id)
                SELECT * FROM unnest(%s::int[], %s::int[]) ON CONFLICT DO NOTHING
                """, [p[0] for p in pairs], [p[1] for p in pairs]))
            touched |= self.browse({pair[0] for pair in pairs})
        Move._credit_set_insurance_states({row["id"]: row["new_state"] for row in rows}, links)
        touched._credit_refresh_totals()
        if emptied := touched.filtered(lambda n: n.state == "draft" and not n.move_ids):
            emptied.write({"state": "cancelled"})
            body = escape(self.env._("Cancelled: none of its invoices is overdue any more."))
            emptied._message_log_batch(dict.fromkeys(emptied.ids, body))
        (new - emptied)._credit_schedule_activities()
        self._credit_warn_cover_at_risk([row for row in rows if row["new_state"] == "late" and row["state"] != "late"])

    def _credit_due_activities(self):
        activity_type = self.env.ref("credit_control_insurance.mail_activity_type_insurer_notification")
        return self.activity_ids.filtered(lambda activity: activity.activity_type_id == activity_type)

    def _credit_link_sql(self, query):
        """Run ``query`` on the invoice links, keeping the ORM caches right."""
        self.env.flush_all()
        self.env.execute_query(query)
        self.invalidate_model(["move_ids", "move_count"])
        self.env["account.move"].invalidate_model(["credit_insurance_notification_id"])

    def _credit_sync_moves(self):
        """After a user changed ``move_ids`` of drafts: point the listed invoices to their notification, and
        free the ones taken off."""
        drafts = self.filtered(lambda n: n.state == "draft")
        if not drafts:
            return
        self._credit_link_sql(SQL(
            """
            UPDATE account_move m SET credit_insurance_notification_id = NULL
             WHERE m.credit_insurance_notification_id = ANY(%(ids)s)
               AND NOT EXISTS (SELECT 1 FROM credit_insurance_notification_account_move_rel r
                                WHERE r.move_id = m.id AND r.notification_id = m.credit_insurance_notification_id);
            UPDATE account_move m SET credit_insurance_notification_id = r.notification_id
              FROM credit_insurance_notification_account_move_rel r
             WHERE r.move_id = m.id AND r.notification_id = ANY(%(ids)s);
            """, ids=drafts.ids))
        drafts._credit_refresh_totals()

    def _credit_refresh_totals(self, on_date_sent=False):
        """The overdue instalments (``line_ids``), overdue and outstanding amounts (company currency) and
        earliest deadline of the drafts among these notifications, in one round trip, as of today or, with
        ``on_date_sent``, the day each was sent. A sent notification keeps what it declared."""
        drafts = self.filtered(lambda notification: notification.state == "draft")
        if not drafts:
            return
        self.env.flush_all()
        instalments = drafts._credit_instalments_sql(on_date_sent)
        self.env.execute_query(SQL(
            """
            %(write_lines)s;
            WITH %(instalments)s, outstanding AS (
                SELECT notification_id, SUM(residual) AS amount FROM instalment GROUP BY notification_id
            ), overdue AS (
                SELECT notification_id, SUM(amount_residual) AS amount FROM credit_insurance_notification_line
                 WHERE notification_id = ANY(%(ids)s) GROUP BY notification_id
            ), deadline AS (
                SELECT r.notification_id, MIN(m.credit_insurance_deadline) AS day
                  FROM credit_insurance_notification_account_move_rel r
                  JOIN account_move m ON m.id = r.move_id
                 WHERE r.notification_id = ANY(%(ids)s) GROUP BY r.notification_id
            )
            UPDATE credit_insurance_notification n
               SET amount_overdue = COALESCE(overdue.amount, 0), amount_outstanding = COALESCE(outstanding.amount, 0),
                   deadline = deadline.day
              FROM unnest(%(ids)s::int[]) AS d(id)
              LEFT JOIN overdue ON overdue.notification_id = d.id
              LEFT JOIN outstanding ON outstanding.notification_id = d.id
              LEFT JOIN deadline ON deadline.notification_id = d.id
             WHERE n.id = d.id
            """, write_lines=drafts._credit_write_lines_sql(on_date_sent), instalments=instalments, ids=drafts.ids))
        drafts.invalidate_recordset(["amount_overdue", "amount_outstanding", "deadline", "line_ids"])
        self.env["credit.insurance.notification.line"].invalidate_model()

    def _credit_write_lines_sql(self, on_date_sent=False):
        """SQL: replace the lines of these notifications by their instalments past due on the day (today, or
        with ``on_date_sent`` the day each was sent) with what they left unpaid that day."""
        return SQL(
            """
            DELETE FROM credit_insurance_notification_line WHERE notification_id = ANY(%(ids)s);
            WITH %(instalments)s
            INSERT INTO credit_insurance_notification_line
                   (notification_id, move_line_id, move_id, date_maturity, currency_id, amount_residual_currency,
                    amount_residual, invoice_amount_due)
            SELECT notification_id, id, move_id, date_maturity, currency_id, residual_currency, residual, invoice_due
              FROM instalment
             WHERE date_maturity < as_of AND residual_currency > 0
            """, ids=self.ids, instalments=self._credit_instalments_sql(on_date_sent))

    def _credit_instalments_sql(self, on_date_sent=False):
        """SQL: the CTE ``instalment``, every receivable line of these notifications' posted invoices with what
        it left unpaid as of today or, with ``on_date_sent``, the day each notification was sent: its amount
        less the reconciliations dated by then (``residual_currency``, invoice currency), in company currency at
        the invoice's rate (``residual``), and its invoice's total of those (``invoice_due``)."""
        return SQL(
            """
            as_of AS (
                SELECT n.id, COALESCE(CASE WHEN %(on_date_sent)s THEN n.date_sent END, %(today)s) AS day,
                       cur.decimal_places
                  FROM credit_insurance_notification n
                  JOIN res_company c ON c.id = n.company_id
                  JOIN res_currency cur ON cur.id = c.currency_id
                 WHERE n.id = ANY(%(ids)s)
            ), open_item AS (
                SELECT a.id AS notification_id, l.id, l.move_id, l.date_maturity, l.currency_id, a.day AS as_of,
                       a.decimal_places, l.balance, l.amount_currency,
                       l.amount_currency - COALESCE(SUM(p.debit_amount_currency), 0) AS residual_currency
                  FROM as_of a
                  JOIN credit_insurance_notification_account_move_rel r ON r.notification_id = a.id
                  JOIN account_move m ON m.id = r.move_id AND m.state = 'posted'
                  JOIN account_move_line l ON l.move_id = m.id AND l.display_type = 'payment_term'
                  LEFT JOIN account_partial_reconcile p ON p.debit_move_id = l.id AND p.max_date <= a.day
                 GROUP BY a.id, a.day, a.decimal_places, l.id
            ), instalment AS (
                SELECT o.*,
                       ROUND(o.residual_currency * o.balance / NULLIF(o.amount_currency, 0), o.decimal_places)
                           AS residual,
                       SUM(o.residual_currency) OVER (PARTITION BY o.notification_id, o.move_id) AS invoice_due
                  FROM open_item o
            )
            """, on_date_sent=on_date_sent, today=fields.Date.context_today(self), ids=self.ids)

    def _credit_schedule_activities(self):
        """One 'Insurer Notification Due' activity per new draft, for its responsible person, due on the deadline."""
        if not self:
            return
        activity_type = self.env.ref("credit_control_insurance.mail_activity_type_insurer_notification")
        model_id = self.env["ir.model"]._get_id(self._name)
        fmt = functools.cache(functools.partial(format_date, self.env))  # a batch shares a few deadlines
        self.env["mail.activity"].create([{
            "res_model_id": model_id,
            "res_id": notification.id,
            "activity_type_id": activity_type.id,
            "summary": self.env._("Notify %(insurer)s of %(buyer)s's overdue invoices by %(deadline)s",
                                  insurer=notification.insurer_id.display_name,
                                  buyer=notification.partner_id.display_name,
                                  deadline=fmt(notification.deadline)),
            "user_id": notification.user_id.id or self.env.user.id,
            "date_deadline": notification.deadline or fields.Date.context_today(self),
        } for notification in self])

    def _credit_warn_cover_at_risk(self, rows):
        """One chatter message per buyer naming the invoices whose notification deadline just passed."""
        if not rows:
            return
        moves = self.env["account.move"].browse([row["id"] for row in rows])
        by_buyer = defaultdict(list)
        for move in moves:
            by_buyer[move.commercial_partner_id.id].append(move)
        fmt = functools.cache(functools.partial(format_date, self.env))  # a batch shares a few deadlines
        title = self.env._("Cover at risk: the deadline to notify the insurer passed for these unpaid invoices.")
        bodies = {
            buyer: Markup("%s<ul>%s</ul>") % (title, Markup().join(Markup("<li>%s</li>") % self.env._(
                "%(invoice)s (policy %(policy)s): deadline %(deadline)s",
                invoice=move.name, policy=move.credit_insurance_policy_id.policy_number,
                deadline=fmt(move.credit_insurance_deadline)) for move in buyer_moves))
            for buyer, buyer_moves in by_buyer.items()
        }
        self.env["res.partner"].browse(list(bodies))._message_log_batch(bodies)

    def _credit_hold_buyer(self):
        """Put the buyer on credit hold in the notification's company, unless it is already held."""
        self.ensure_one()
        buyer = self.partner_id.with_company(self.company_id).sudo()
        if buyer.credit_hold:
            body = self.env._("Overdue notified to the insurer (%(notification)s); the buyer was already on "
                              "credit hold.", notification=self.name)
        else:
            reason = self.env._("Overdue notified to the insurer (notification %(notification)s)",
                                notification=self.name)
            buyer.write({"credit_hold": True, "credit_hold_reason": reason})
            body = self.env._("Put on credit hold: %(reason)s.", reason=reason)
        buyer.message_post(body=escape(body))

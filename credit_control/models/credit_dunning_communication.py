import json
from collections import defaultdict, namedtuple
from datetime import timedelta
from itertools import product

from markupsafe import escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.osv import expression
from odoo.tools import SQL, format_amount, format_datetime

from ..garbage_collection import collection_paused
from ..report.credit_dunning_xlsx import collection_file_workbook, dunning_columns
from ..report.xlsx import xlsx_download_action

# A dunning level as the run weighs items against it (see _credit_ladders).
Rung = namedtuple("Rung", "level_id offset delay escalates spacing minimum")
STATES = [("draft", "Draft"), ("sent", "Sent"), ("done", "Done"), ("cancelled", "Cancelled"), ("failed", "Failed")]


class CreditDunningCommunication(models.Model):
    """What one dunning level did for one customer on one day: channels, invoices, amounts and outcome.

    It is the evidence an insurer asks for when a claim is filed, so it is never rewritten by later runs, nor by
    users: only the dunning run makes communications and their lines, only its responsible person can be
    changed, and the buttons change the state (a manager's cancellation of a sent one is logged).
    """

    _name = "credit.dunning.communication"
    _description = "Dunning Communication"
    _inherit = ["credit.evidence.mixin", "mail.thread", "mail.activity.mixin"]
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
    # Copied from the level when the communication is made, like the actions below: the history stays true.
    policy_id = fields.Many2one("credit.dunning.policy", string="Dunning Policy", readonly=True, index=True)
    stage = fields.Integer(readonly=True, aggregator="max", help="1 (reminder) to 5 (legal action).")
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
        string="Net Amount Due", readonly=True, aggregator=None,
        help="What the customer was asked to pay, in company currency, when it was made: the open amount of the "
             "invoices of this communication, less the open credits applied to them. Not summed: a customer's "
             "debt is in several communications.")
    amount_due_display = fields.Char(
        string="Net Amount Due (as sent)", compute="_compute_amount_due_display",
        help="The net amount due as the customer reads it, in the reader's language: in the currency of the "
             "invoices and credits listed when they are all in one, else in company currency.")
    customer_overdue = fields.Monetary(
        compute="_compute_customer_overdue", aggregator="sum",
        help="What the customer owes overdue today, less its open credits, in company currency. Group totals "
             "count each customer once, in the current company.")
    amount_credit = fields.Monetary(
        string="Credits Applied", readonly=True,
        help="The customer's open credits (credit notes, payments on account) applied to these invoices, oldest "
             "invoice first, in company currency.")
    credit_ids = fields.One2many("credit.dunning.credit", "communication_id", string="Open Credits", readonly=True)
    call_activity_ids = fields.One2many("mail.activity", "credit_communication_id", string="Call Activities",
                                        readonly=True, help="The phone calls to make, scheduled on the customer.")
    call_log_ids = fields.One2many("credit.call.log", "communication_id", string="Calls", readonly=True)
    action_email = fields.Boolean(string="Email", readonly=True)
    action_letter = fields.Boolean(string="Letter", readonly=True)
    action_call = fields.Boolean(string="Phone Call", readonly=True)
    action_agency = fields.Boolean(string="Collection Agency", readonly=True)
    action_legal = fields.Boolean(string="Legal Action", readonly=True)
    action_hold = fields.Boolean(string="Credit Hold", readonly=True)
    agency_partner_id = fields.Many2one("res.partner", string="Agency", readonly=True)
    letter_printed_date = fields.Datetime(string="Letter Printed", readonly=True, copy=False,
                                          help="When the letter was first printed to be posted.")
    todo = fields.Boolean(
        string="To Do", compute="_compute_todo", search="_search_todo",
        help="Needs a person: a draft to review and send, a letter to print, a call or legal step due today or "
             "late, or a send that failed.")

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

    @api.depends("amount_due", "line_ids", "credit_ids")
    @api.depends_context("lang")
    def _compute_amount_due_display(self):
        for communication in self:
            totals = communication._credit_letter_data()["totals"]
            currency, amount = totals[0] if len(totals) == 1 else (communication.currency_id, communication.amount_due)
            communication.amount_due_display = format_amount(self.env, amount, currency)

    @api.depends("partner_id", "company_id")
    def _compute_customer_overdue(self):
        for company, communications in self.grouped("company_id").items():
            overdue = self.env["res.partner"].with_company(company)._credit_net_overdue_by_partner(
                communications.partner_id.ids)
            for communication in communications:
                communication.customer_overdue = overdue.get(communication.partner_id.id, 0.0)

    @api.depends("state", "action_letter", "letter_printed_date", "call_activity_ids.date_deadline",
                 "activity_ids.date_deadline")
    @api.depends_context("tz")
    def _compute_todo(self):
        todo = self.filtered_domain(self._credit_todo_domain())
        for communication in self:
            communication.todo = communication in todo

    def _search_todo(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("To Do can only be searched as set or not set."))
        if (operator == "=") == value:
            return self._credit_todo_domain()
        # x2many conditions do not negate term by term: exclude what is to do instead
        return [("id", "not in", self._search(self._credit_todo_domain()))]

    @api.model
    def _credit_todo_domain(self):
        """What needs a person today: drafts to review or send, failed sends, sent letters not printed yet, and
        sent communications with a call or legal activity due today or late (a rescheduled call waits)."""
        today = fields.Date.context_today(self)
        return expression.OR([
            [("state", "in", ("draft", "failed"))],
            [("state", "=", "sent"), ("action_letter", "=", True), ("letter_printed_date", "=", False)],
            [("state", "=", "sent"), ("call_activity_ids.date_deadline", "<=", today)],
            [("state", "=", "sent"), ("activity_ids.date_deadline", "<=", today)],
        ])

    def _read_group_select(self, aggregate_spec, query):
        """Sum a group's ``customer_overdue`` once per customer, however many communications it has there."""
        if aggregate_spec != "customer_overdue:sum":
            return super()._read_group_select(aggregate_spec, query)
        partners = self.env["res.partner"]
        self.env["account.move.line"].flush_model()
        return SQL(
            "(SELECT COALESCE(SUM(e.net_overdue), 0) FROM (%s) e "
            "WHERE e.partner_id = ANY(ARRAY_AGG(DISTINCT %s) FILTER (WHERE %s = ANY(%s))))",
            partners._credit_exposure_query(), self._field_to_sql(self._table, "partner_id", query),
            self._field_to_sql(self._table, "company_id", query), partners._credit_company_ids())

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_send(self):
        """Send reviewed drafts now, or again what failed once its cause is fixed, while it is still true."""
        if self.filtered(lambda c: c.state not in ("draft", "failed")):
            raise UserError(self.env._("Only draft or failed dunning communications can be sent."))
        if stale := self.filtered(lambda c: c.state == "failed")._credit_stale():
            raise UserError(self.env._(
                "%(communication)s is out of date: since it failed, its invoices were paid, credited or dunned "
                "further. Mark it done instead: the dunning run deals with what is still due.",
                communication=stale[0].display_name))
        self._credit_dispatch()

    def action_done(self):
        if self.filtered(lambda c: c.state not in ("sent", "failed")):
            raise UserError(self.env._("Only sent or failed dunning communications can be marked done."))
        self.sudo().write({"state": "done"})
        self._credit_log(self.env._("Marked done by %(user)s on %(when)s.", **self._credit_who_when()))
        (self.activity_ids | self.call_activity_ids).action_feedback(
            feedback=self.env._("Dunning communication marked done."))

    def action_cancel(self):
        """Cancel: a draft is never sent; a sent or failed one (managers only) no longer counts for its invoices'
        dunning level, so the next run may dun them at that level again."""
        if self.filtered(lambda c: c.state in ("done", "cancelled")):
            raise UserError(self.env._("A done or cancelled dunning communication cannot be cancelled."))
        if (sent := self.filtered(lambda c: c.state != "draft")) and not self._credit_is_manager():
            raise AccessError(self.env._(
                "%(communication)s was sent: only a Credit Control Manager can cancel it.",
                communication=sent[0].display_name))
        self.sudo().write({"state": "cancelled"})
        self._credit_log(self.env._("Cancelled by %(user)s on %(when)s.", **self._credit_who_when()))
        (self.activity_ids | self.call_activity_ids).unlink()

    def action_log_call(self):
        """Open *Log Call* for this communication's customer (and its open call activity)."""
        self.ensure_one()
        activity = self.env["mail.activity"].browse(self.env.context.get("credit_call_activity_id")).exists() \
            or self.call_activity_ids[:1]
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log Call"),
            "res_model": "credit.call.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_communication_id": self.id, "default_partner_id": self.partner_id.id,
                        "default_activity_id": activity.id},
        }

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
    def _cron_run_dunning(self, batch_size=2000):
        """Dun one batch of customers of one company; the cron runner commits and calls again while work remains.

        Crash-safe: a batch's communications, its invoices' dunning lines and the run's progress are written in
        one transaction, so a batch is done entirely or not at all and the next call resumes after the last
        committed batch.
        """
        companies = self.env["credit.dunning.policy"].sudo().search([]).company_id.sorted("id")
        done, remaining = 0, 0
        for company in companies:
            dunning = self.with_company(company)
            dunning.env["credit.payment.promise"]._credit_close_due_promises()
            if done:
                run = dunning._credit_todays_run()
                remaining += 0 if run.state == "done" else max(run.customer_total - run.customer_count, 1)
                continue
            done, remaining_here = dunning._credit_run_batch(batch_size)
            remaining += remaining_here
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return remaining

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _credit_run_batch(self, batch_size=2000, partner_ids=None, origin="cron"):
        """Dun a batch of customers of the current company; return (customers checked, customers left).

        Without ``partner_ids``, the batch is the next ``batch_size`` customers with open invoices, in id
        order, after where today's run (``credit.dunning.run``) stopped. A constant number of queries whatever
        the number of invoices: one to pick the customers, one to find what is due, one insert per table.
        """
        run, remaining = None, 0
        if partner_ids is None:
            run = self._credit_todays_run()
            if run.state == "done":
                return 0, 0
            partner_ids = self._credit_pending_partner_ids(run.last_partner_id, batch_size)
        with collection_paused():
            candidates = self._credit_dunning_candidates(partner_ids) if partner_ids else []
            communications = self._credit_create_communications(candidates, origin)
        # an automatic level's communications were made sent: carry them out
        communications.filtered(lambda c: c.state == "sent")._credit_dispatch()
        if run:
            checked = run.customer_count + len(partner_ids)
            # a short batch was the last one; otherwise what is left, at least one more call to find out
            remaining = max(run.customer_total - checked, 1) if len(partner_ids) == batch_size else 0
            run.write({
                "last_partner_id": partner_ids[-1] if partner_ids else run.last_partner_id,
                "customer_count": checked,
                "communication_count": run.communication_count + len(communications),
                "invoice_count": run.invoice_count + sum(len(group["items"]) for group in candidates),
                "state": "running" if remaining else "done",
            })
        return len(partner_ids), remaining

    @api.model
    def _credit_todays_run(self):
        """Today's run of the current company, made (with the number of customers to check) on first use."""
        today = self._credit_today()
        runs = self.env["credit.dunning.run"].sudo()
        run = runs.search([("company_id", "=", self.env.company.id), ("date", "=", today)], limit=1)
        if not run:
            self.env["account.move"].flush_model()
            [(total,)] = self.env.execute_query(SQL(
                "SELECT COUNT(*) FROM (SELECT commercial_partner_id FROM account_move WHERE %s GROUP BY 1) customers",
                self._credit_open_invoice_sql()))
            run = runs.create({"company_id": self.env.company.id, "date": today, "customer_total": total})
        return run

    @api.model
    def _credit_pending_partner_ids(self, after, limit):
        """The next ``limit`` customers of the current company with open invoices, in id order, after ``after``."""
        self.env["account.move"].flush_model()
        rows = self.env.execute_query(SQL(
            "SELECT commercial_partner_id FROM account_move WHERE %s AND commercial_partner_id > %s "
            "GROUP BY 1 ORDER BY 1 LIMIT %s", self._credit_open_invoice_sql(), after, limit))
        return [partner_id for (partner_id,) in rows]

    @api.model
    def _credit_open_invoice_sql(self):
        return SQL("company_id = %s AND %s", self.env.company.id, SQL(self.env["account.move"]._CREDIT_OPEN_INVOICE))

    @api.model
    def _credit_dunning_candidates(self, partner_ids=None):
        """The open items of these customers (None: all) of the current company due for a level today, with the
        customer's net for that level. An item is an invoice's receivable line, one per instalment, on its own
        due date (``date_maturity``): levels, ages and amounts are per item.

        - *Entry by age:* an item not yet in dunning starts at the highest level its age has reached among the
          levels that only communicate (email, letter, call) whose minimum is met, else the next one down.
        - *Escalation:* an item in dunning moves to the level after its current one, one level per run, once
          that level's minimum is met.
        - A pre-due level is never sent once the item is past due: it is skipped.
        - A level that hands over or restricts (``escalates``) is reached only when the latest written warning
          about the item (an email sent or a letter printed by a level that only communicates, from the due
          date on) is at least the level's ``spacing_days`` old.
        - *Net of credits:* the customer's open credits (credit notes, payments on account: negative open
          receivable lines) are applied to its open items, oldest credit to oldest item first: in their own
          currency first, then what is left to items in other currencies at each one's rate; an item's net
          counts in company currency at its own rate. A level is sent when the
          net of its items is more than the level's minimum amount (and more than 0).

        An item is skipped while its invoice is disputed, while its customer has a pending promise to pay and
        once it was dunned today. Its current level is that of its latest dunning line whose communication was
        not cancelled. A group per customer and level, levels lowest first: partner_id, level_id, net and credit
        (the net of its items and the credits applied to them, in company currency), credits (those credits per
        document) and items (oldest first: move_line_id, move_id, currency_id, date_due, residual,
        residual_currency).
        """
        today = self._credit_today()
        self.env.flush_all()
        lines = self.env.execute_query_dict(self._credit_open_lines_sql(partner_ids, today))
        history = {row["move_line_id"]: row for row in self.env.execute_query_dict(
            self._credit_item_history_sql(partner_ids, today))}
        ladders = self._credit_ladders({line["policy_id"] for line in lines})
        currencies = self.env["res.currency"].browse({line["currency_id"] for line in lines})
        digits = {currency.id: currency.decimal_places for currency in currencies | self.env.company.currency_id}
        by_partner = defaultdict(list)
        for line in lines:
            by_partner[line["partner_id"]].append(line)
        groups = []
        for partner_lines in by_partner.values():
            reached = []
            for item in self._credit_net_items(partner_lines, digits, today):
                ladder = ladders.get(item["policy_id"])
                if ladder and item["date_due"] + ladder[0].delay <= today:  # most are too young for any level
                    item["levels"] = self._credit_item_levels(item, history.get(item["move_line_id"], {}), ladder,
                                                              today)
                    if item["levels"]:
                        reached.append(item)
            groups += self._credit_group_by_level(reached, digits)
        return groups

    @api.model
    def _credit_ladders(self, policy_ids):
        """The levels of these (active) policies as ``Rung``, lowest offset first, per policy id: read once, as
        a run weighs each of tens of thousands of items against them."""
        ladders = defaultdict(list)
        levels = self.env["credit.dunning.level"].search([("policy_id", "in", list(policy_ids - {None})),
                                                          ("policy_id.active", "=", True)])
        for level in levels.sorted("offset_days"):
            ladders[level.policy_id.id].append(Rung(level.id, level.offset_days, timedelta(days=level.offset_days),
                                                    level.escalates, level.spacing_days, max(level.min_amount, 0.0)))
        return ladders

    @api.model
    def _credit_net_items(self, lines, digits, today):
        """One customer's open items with their ``net``: its open credits (the lines with a negative residual) are
        applied oldest credit to oldest item first, to the overdue items before those not overdue yet (as the
        customer's net overdue counts them). Among each of these, first to the items of the credit's own currency,
        in that currency, as the letter shows them; what is left then to the items still open in other
        currencies, at each line's own rate. Each item keeps its net in its currency (``net_currency``) and in
        company currency at its rate (``net``), and which credits covered it (``covered``: [(credit line, amount
        in the credit's currency)]). ``digits``: decimal places per currency id."""
        company_digits = digits[self.env.company.currency_id.id]
        items = sorted((line for line in lines if line["residual"] > 0),
                       key=lambda line: (line["date_due"], line["move_line_id"]))
        credits = sorted((line for line in lines if line["residual"] < 0 > line["residual_currency"]),
                         key=lambda line: (line["date"], line["move_line_id"]))
        left = {credit["move_line_id"]: -credit["residual_currency"] for credit in credits}  # credit's currency
        for item in items:
            item["net_currency"], item["covered"] = max(item["residual_currency"], 0.0), []
        overdue = [item for item in items if item["date_due"] < today]  # the oldest items, first in ``items``
        for tier, same_currency in product((overdue, items[len(overdue):]), (True, False)):
            for item in tier:
                for credit in credits:
                    if item["net_currency"] <= 0:
                        break
                    if left[credit["move_line_id"]] <= 0 or (credit["currency_id"] == item["currency_id"]) \
                            != same_currency:
                        continue
                    # one unit of the credit's currency in the item's currency, through company currency
                    factor = 1.0 if same_currency else (credit["residual"] / credit["residual_currency"]) / (
                        item["residual"] / item["residual_currency"])
                    used = min(left[credit["move_line_id"]], item["net_currency"] / factor)
                    item["covered"].append((credit, used))
                    left[credit["move_line_id"]] = round(left[credit["move_line_id"]] - used,
                                                         digits[credit["currency_id"]])
                    item["net_currency"] = round(item["net_currency"] - used * factor, digits[item["currency_id"]])
        for item in items:
            item["net"] = round(item["residual"] * item["net_currency"] / item["residual_currency"],
                                company_digits) if item["residual_currency"] > 0 else 0.0
        return items

    @api.model
    def _credit_item_levels(self, item, past, ladder, today):
        """The levels ``item`` may get today, to try in this order: when it enters dunning, the levels that only
        communicate its age reached, highest first; when it is in dunning, the level after its current one."""
        if past.get("dunned_today"):
            return []
        due, current = item["date_due"], past.get("current_offset")
        sendable = [rung for rung in ladder if rung.offset >= 0 or due >= today]  # no pre-due level once past due
        if current is None:
            return [rung for rung in reversed(sendable) if due + rung.delay <= today and not rung.escalates]
        following = [rung for rung in sendable if rung.offset > current][:1]
        written = past.get("last_written")
        return [rung for rung in following if due + rung.delay <= today and (
            not rung.escalates or (written and (today - written).days >= rung.spacing))]

    @api.model
    def _credit_group_by_level(self, items, digits):
        """Give one customer's items their level: the first of each item's ``levels`` whose group (the
        customer's items at that level) nets more than the level's minimum. Groups are weighed from the highest
        level down, so that the items a group drops (those with something to ask for) join the next level down
        before that one is weighed. The groups sent, as ``_credit_dunning_candidates`` returns them. ``digits``:
        decimal places per currency id."""
        company_digits = digits[self.env.company.currency_id.id]
        groups = defaultdict(list)
        for item in items:
            groups[item["levels"][0]].append(item)
        settled = []
        while groups:
            rung = max(groups, key=lambda rung: rung.offset)
            group = groups.pop(rung)
            net = round(sum(item["net"] for item in group), company_digits)
            if round(net - rung.minimum, company_digits) > 0:
                settled.append((rung, group, net))
                continue
            for item in group:
                following = item["levels"][item["levels"].index(rung) + 1:]
                if following and item["net"] > 0:
                    groups[following[0]].append(item)
        sent = []
        for rung, group, net in sorted(settled, key=lambda settle: settle[0].offset):
            credits = {}
            for credit, used in (cover for item in group for cover in item["covered"]):
                applied = credits.setdefault(credit["move_id"], {
                    "move_id": credit["move_id"], "date": credit["date"], "currency_id": credit["currency_id"],
                    "amount_residual": 0.0, "amount_residual_company": 0.0})
                applied["amount_residual"] -= used
                applied["amount_residual_company"] -= used * credit["residual"] / credit["residual_currency"]
            group_credits = [dict(
                credit, amount_residual=round(credit["amount_residual"], digits[credit["currency_id"]]),
                amount_residual_company=round(credit["amount_residual_company"], company_digits),
            ) for credit in credits.values()]
            sent.append({
                "partner_id": group[0]["partner_id"], "level_id": rung.level_id, "net": net,
                "credit": round(sum(item["residual"] for item in group) - net, company_digits),
                "credits": group_credits,
                "items": sorted(group, key=lambda item: (item["date_due"], item["move_line_id"])),
            })
        return sent

    @api.model
    def _credit_open_lines_sql(self, partner_ids, today):
        """SQL: the open receivable lines of these customers (None: all) that dunning weighs: the items (open
        invoice lines, one per instalment, not disputed) and the open credits (negative lines: credit notes,
        payments on account), with the customer's dunning policy; none for a customer whose promise to pay
        pauses its dunning."""
        partners = self.env["res.partner"]
        company = self.env.company
        return SQL(
            """
            SELECT l.id AS move_line_id, l.move_id, cp.id AS partner_id, l.currency_id, l.date,
                   l.date_maturity AS date_due, l.amount_residual AS residual,
                   l.amount_residual_currency AS residual_currency,
                   COALESCE(%(partner_policy)s, t.dunning_policy_id, %(company_policy)s) AS policy_id
              FROM account_move_line l
              JOIN res_partner p ON p.id = l.partner_id
              JOIN res_partner cp ON cp.id = p.commercial_partner_id
              JOIN account_move m ON m.id = l.move_id
              LEFT JOIN credit_tier t ON t.id = %(partner_tier)s
             WHERE l.company_id = %(company)s AND l.parent_state = 'posted' AND l.reconciled IS NOT TRUE
               AND l.account_id IN (SELECT id FROM account_account WHERE account_type = 'asset_receivable')
               AND l.amount_residual != 0
               AND (%(partner_ids)s IS NULL OR p.commercial_partner_id = ANY(%(partner_ids)s))
               AND p.commercial_partner_id NOT IN (%(paused)s)
               AND (l.amount_residual < 0
                    OR (m.move_type = 'out_invoice' AND m.payment_state IN ('not_paid', 'partial')
                        AND l.date_maturity IS NOT NULL
                        AND NOT (m.credit_disputed IS TRUE
                                 AND (m.credit_dispute_until IS NULL OR m.credit_dispute_until >= %(today)s))))
            """,
            company=company.id, today=today, company_policy=company.credit_dunning_policy_id.id or None,
            paused=self.env["credit.payment.promise"]._credit_open_promise_partner_sql(today),
            partner_ids=list(partner_ids) if partner_ids is not None else None,
            partner_policy=partners._field_to_sql("cp", "credit_dunning_policy_id"),
            partner_tier=partners._field_to_sql("cp", "credit_tier_id"),
        )

    @api.model
    def _credit_item_history_sql(self, partner_ids, today):
        """SQL: the dunning state of each open item of these customers (None: all) that was ever dunned: the
        offset of its current level (latest line of a communication not cancelled), its latest written warning
        (an email sent, a letter printed or marked done, by a level that only communicates, from the due date
        on: not a pre-due reminder, nor a hand-over notice) and whether it was dunned today."""
        return SQL(
            """
            SELECT dl.move_line_id,
                   (ARRAY_AGG(lv.offset_days ORDER BY dl.date DESC, dl.id DESC)
                        FILTER (WHERE c.state != 'cancelled'))[1] AS current_offset,
                   -- a letter is written when it is printed, an email when it is sent
                   MAX(CASE WHEN c.action_email THEN dl.date
                            ELSE COALESCE(c.letter_printed_date::date, dl.date) END)
                       FILTER (WHERE c.state IN ('sent', 'done') AND lv.offset_days >= 0 AND NOT lv.escalates
                               AND (c.action_email OR c.letter_printed_date IS NOT NULL
                                    OR (c.state = 'done' AND c.action_letter))) AS last_written,
                   BOOL_OR(dl.date = %(today)s) AS dunned_today
              FROM credit_dunning_line dl
              JOIN credit_dunning_communication c ON c.id = dl.communication_id
              JOIN credit_dunning_level lv ON lv.id = c.level_id
              JOIN account_move_line l ON l.id = dl.move_line_id AND l.reconciled IS NOT TRUE
             WHERE c.company_id = %(company)s
               AND (%(partner_ids)s IS NULL OR c.partner_id = ANY(%(partner_ids)s))
             GROUP BY dl.move_line_id
            """,
            company=self.env.company.id, today=today,
            partner_ids=list(partner_ids) if partner_ids is not None else None,
        )

    @api.model
    def _credit_today(self):
        """The run's day: today, or the ``credit_dunning_date`` of the context (replaying past runs), which only a
        Credit Control Manager or the superuser may set: for anyone else it changes nothing."""
        if (day := self.env.context.get("credit_dunning_date")) and self._credit_is_manager():
            return fields.Date.to_date(day)
        return fields.Date.context_today(self)

    def _credit_is_manager(self):
        return self.env.su or self.env.user.has_group("credit_control.group_credit_control_manager")

    def _credit_who_when(self):
        return {"user": self.env.user.name, "when": format_datetime(self.env, fields.Datetime.now())}

    def _credit_log(self, message):
        """Log ``message`` in the chatter of these communications."""
        self._message_log_batch(dict.fromkeys(self.ids, escape(message)))

    def _credit_open_fields(self):
        """Whatever the state, only the responsible person, who follows the communication up, can change."""
        return {"user_id"}

    def _credit_letter_data(self):
        """The letter's invoices and the customer's open credits in their own currency, the totals and ageing per
        currency (see ``res.partner._credit_items_with_totals``), the letter's ``date`` and the company's
        ``bank`` account for the payment (False when it has none)."""
        self.ensure_one()
        data = self.partner_id._credit_items_with_totals([{
            "name": line.move_id.name, "invoice_date": line.move_id.invoice_date, "date_due": line.date_due,
            "days_overdue": line.days_overdue, "amount": line.amount_residual, "currency": line.currency_id,
            "disputed": line.move_id.credit_disputed,
        } for line in self.line_ids] + [{
            "name": credit.move_id.name, "invoice_date": credit.date, "date_due": False, "days_overdue": 0,
            "amount": credit.amount_residual, "currency": credit.currency_id, "disputed": False, "credit": True,
        } for credit in self.credit_ids])
        data.update(date=self.date, bank=self.company_id._credit_bank_details())
        return data

    @api.model
    def _credit_create_communications(self, candidates, origin):
        """A communication per group of ``candidates`` (see ``_credit_dunning_candidates``), with a line per
        item: one insert per table for the lot.

        Plain SQL inserts: a run makes tens of thousands of lines, and these records have no ORM-side logic
        (no tracking, nothing computed from them). The unique (item, day) index on the lines makes a
        concurrent run dunning the same item fail instead of dunning it twice.
        """
        if not candidates:
            return self.browse()
        today = self._credit_today()
        partners = self.env["res.partner"].browse({group["partner_id"] for group in candidates})
        levels = self.env["credit.dunning.level"].browse({group["level_id"] for group in candidates})
        users = partners._credit_responsible_users()
        emailed = {group["partner_id"] for group in candidates if levels.browse(group["level_id"]).action_email}
        recipients = {partner.id: partner.address_get(["invoice"])["invoice"]
                      for partner in partners if partner.id in emailed}
        stamp = {"uid": self.env.uid, "now": self.env.cr.now(), "today": today, "company": self.env.company.id}
        self.env.flush_all()
        created = self.env.execute_query(SQL(
            """
            INSERT INTO credit_dunning_communication (
                partner_id, recipient_id, company_id, level_id, policy_id, stage, date, user_id, state, origin,
                amount_due, amount_credit, action_email, action_letter, action_call, action_agency, action_legal,
                action_hold, agency_partner_id, create_uid, create_date, write_uid, write_date)
            SELECT v.partner_id, v.recipient_id, %(company)s, lv.id, lv.policy_id, lv.stage, %(today)s, v.user_id,
                   -- an automatic level's communication is carried out in this transaction, or marked failed
                   CASE WHEN lv.auto_send THEN 'sent' ELSE 'draft' END, %(origin)s, v.amount_due, v.amount_credit,
                   lv.action_email, lv.action_letter, lv.action_call, lv.action_agency, lv.action_legal,
                   lv.action_hold, lv.agency_partner_id,
                   %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM jsonb_to_recordset(%(values)s::jsonb)
                   AS v(partner_id int, recipient_id int, level_id int, user_id int, amount_due numeric,
                        amount_credit numeric)
              JOIN credit_dunning_level lv ON lv.id = v.level_id
            RETURNING id, partner_id, level_id
            """,
            origin=origin, values=json.dumps([{
                "partner_id": group["partner_id"], "level_id": group["level_id"],
                "recipient_id": recipients.get(group["partner_id"], group["partner_id"]),
                "user_id": users[group["partner_id"]].id, "amount_due": group["net"], "amount_credit": group["credit"],
            } for group in candidates]), **stamp,
        ))
        ids = {(partner_id, level_id): communication_id for communication_id, partner_id, level_id in created}
        for group in candidates:
            group["communication_id"] = ids[group["partner_id"], group["level_id"]]
        self._credit_insert_credits([dict(credit, communication_id=group["communication_id"])
                                     for group in candidates for credit in group["credits"]], stamp)
        self.env.execute_query(SQL(
            """
            INSERT INTO credit_dunning_line (
                communication_id, move_id, move_line_id, date, currency_id, date_due, days_overdue, amount_residual,
                amount_residual_company)
            SELECT v.communication_id, v.move_id, v.move_line_id, %(today)s, v.currency_id, v.date_due,
                   %(today)s - v.date_due, v.residual_currency, v.residual
              FROM jsonb_to_recordset(%(values)s::jsonb)
                   AS v(communication_id int, move_id int, move_line_id int, currency_id int, date_due date,
                        residual numeric, residual_currency numeric)
            """,
            values=json.dumps([{
                "communication_id": group["communication_id"], "move_id": item["move_id"],
                "move_line_id": item["move_line_id"], "currency_id": item["currency_id"], "date_due": item["date_due"],
                "residual": item["residual"], "residual_currency": item["residual_currency"],
            } for group in candidates for item in group["items"]], default=str),
            today=today,
        ))
        self.env["account.move"].invalidate_model(["credit_dunning_line_ids", "credit_dunning_level_id",
                                                   "credit_dunning_date", "credit_dunning_count"])
        return self.browse(sorted(ids.values()))

    @api.model
    def _credit_insert_credits(self, credits, stamp):
        """List the credits applied to each communication's invoices, a row per credit document, in one insert."""
        if not credits:
            return
        self.env.execute_query(SQL(
            """
            INSERT INTO credit_dunning_credit (
                communication_id, move_id, company_id, date, currency_id, amount_residual, amount_residual_company,
                create_uid, create_date, write_uid, write_date)
            SELECT v.communication_id, v.move_id, %(company)s, v.date, v.currency_id, v.amount_residual,
                   v.amount_residual_company, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM jsonb_to_recordset(%(values)s::jsonb)
                   AS v(communication_id int, move_id int, date date, currency_id int, amount_residual numeric,
                        amount_residual_company numeric)
            """, values=json.dumps(credits, default=str), **stamp))

    def _credit_stale(self):
        """Those of these communications that no longer say what is true: one of their items is settled, its
        open amount changed, or a later communication (not cancelled) dunned it."""
        if not self:
            return self
        self.env.flush_all()
        return self.browse(communication_id for (communication_id,) in self.env.execute_query(SQL(
            """
            SELECT DISTINCT dl.communication_id
              FROM credit_dunning_line dl
              JOIN account_move_line l ON l.id = dl.move_line_id
             WHERE dl.communication_id = ANY(%s)
               AND (l.reconciled OR l.amount_residual_currency != dl.amount_residual
                    OR EXISTS (SELECT 1 FROM credit_dunning_line later
                                 JOIN credit_dunning_communication c ON c.id = later.communication_id
                                WHERE later.move_line_id = dl.move_line_id AND c.state != 'cancelled'
                                  AND (later.date, later.id) > (dl.date, dl.id)))
            """, self.ids)))

    def _credit_dispatch(self):
        """Carry out the levels' actions and mark each communication sent, or failed with the reason. A failed
        communication carries out nothing (no call, no hand-over, no hold): sent again, it does it all."""
        if not self:
            return
        failures = {}
        for communication in self.filtered(lambda c: c.action_email or c.action_agency):
            if error := communication._credit_send_emails():
                failures[communication] = error
        carried_out = self - self.browse(communication.id for communication in failures)
        carried_out._credit_schedule_activities()
        carried_out._credit_mark_invoices()
        carried_out._credit_apply_holds()
        by_reason = defaultdict(list)
        for communication, error in failures.items():
            by_reason[error].append(communication.id)
        # the drafts and failed ones sent now; an automatic level's communication was made sent
        outcomes = [("sent", None, [c.id for c in self if c.state in ("draft", "failed") and c not in failures])]
        outcomes += [("failed", error, ids) for error, ids in by_reason.items()]
        # One update per outcome for the whole batch: the state is not tracked, nothing depends on it in the ORM.
        self.flush_recordset()
        for state, reason, ids in filter(lambda outcome: outcome[2], outcomes):
            self.env.execute_query(SQL(
                "UPDATE credit_dunning_communication SET state = %s, failure_reason = %s, write_uid = %s, "
                "write_date = %s WHERE id = ANY(%s)", state, reason, self.env.uid, self.env.cr.now(), ids))
        self.invalidate_recordset(["state", "failure_reason", "write_uid", "write_date"])

    def _credit_send_emails(self):
        """Send this communication's emails (to the customer, in its language, with its invoices; to the agency);
        None, or why it failed: then none is sent. A template that cannot be rendered fails this communication
        alone: what it wrote is rolled back and the run goes on."""
        self.ensure_one()
        recipients = [self.recipient_id or self.partner_id] if self.action_email else []
        if self.action_agency:
            recipients.append(self.agency_partner_id)
        if error := next(filter(None, map(self._credit_unreachable, recipients)), None):
            return error
        try:
            with self.env.cr.savepoint():
                if self.action_email:
                    self._credit_send_email(self.level_id.mail_template_id,
                                            self.line_ids.move_id.invoice_pdf_report_id)
                if self.action_agency:
                    self._credit_send_agency_package()
                return None
        except UserError as exc:  # mail rendering errors are UserErrors
            self.env.invalidate_all()
            # a rendering error ends with the exception: the reason a person can act on
            reason = next((line for line in reversed(str(exc).splitlines()) if line.strip(" )")), "")[:300]
            return self.env._("The email could not be prepared: %(error)s", error=reason)

    def _credit_unreachable(self, recipient):
        """Why an email cannot reach ``recipient`` (a customer, an agency), or None."""
        if not recipient.email_normalized:
            return self.env._("%(partner)s has no valid email address.", partner=recipient.display_name)
        if recipient.is_blacklisted:
            return self.env._("%(email)s is on the email blacklist.", email=recipient.email_normalized)
        return None

    def _credit_send_agency_package(self):
        """Send the agency the collection file: the customer's statement and its dunning history."""
        self.ensure_one()
        attachment = self.env["ir.attachment"].create({
            "name": self.env._("Collection file %(partner)s.xlsx", partner=self.partner_id.name),
            "raw": collection_file_workbook(self.partner_id, self.env.company),
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
        """The phone calls (on the customer, linked to the communication, with what the caller needs) and the
        legal actions of these communications, as activities created in one go."""
        call_type = self.env.ref("mail.mail_activity_data_call")
        legal_type = self.env.ref("credit_control.mail_activity_type_credit_legal")
        model_id = self.env["ir.model"]._get_id(self._name)
        partner_model_id = self.env["ir.model"]._get_id("res.partner")
        today = self._credit_today()
        legal = self.filtered("action_legal")
        managers = legal.partner_id._credit_responsible_users(managers_only=True) if legal else {}
        calls = self.filtered("action_call")
        last_calls = calls.partner_id._credit_last_calls() if calls else {}
        vals_list = []
        for communication in self.filtered(lambda c: c.action_call or c.action_legal):
            values = {"partner": communication.partner_id.name,
                      "amount": communication.partner_id._credit_money(communication.amount_due),
                      "level": communication.level_id.name}
            if communication.action_call:
                caller = communication.user_id
                vals_list.append({
                    "res_model_id": partner_model_id, "res_id": communication.partner_id.id,
                    "credit_communication_id": communication.id, "date_deadline": today,
                    "activity_type_id": call_type.id, "user_id": caller.id,
                    "summary": self.with_context(lang=caller.lang).env._(
                        "Call %(partner)s about %(amount)s (%(level)s)", **values),
                    "note": communication._credit_call_note(caller, last_calls.get(communication.partner_id.id)),
                })
            if communication.action_legal:
                legal_user = communication.level_id.legal_user_id or managers[communication.partner_id.id]
                vals_list.append({
                    "res_model_id": model_id, "res_id": communication.id, "date_deadline": today,
                    "activity_type_id": legal_type.id, "user_id": legal_user.id,
                    "summary": self.env._("Start legal action against %(partner)s for %(amount)s (%(level)s)",
                                          **values),
                })
        if vals_list:
            self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(vals_list)

    def _credit_call_contact(self):
        """Whom to call: the customer's invoicing contact, else the customer."""
        self.ensure_one()
        return self.partner_id.child_ids.filtered(lambda c: c.type == "invoice" and (c.phone or c.mobile))[:1] \
            or self.partner_id

    def _credit_call_note(self, reader, last_call):
        """The call activity's note, in the caller's language: whom to call and on which numbers, the items with
        their amounts and ages, and how the last call ended."""
        self.ensure_one()
        contact = self._credit_call_contact()
        env = self.with_context(lang=reader.lang or self.env.lang).env
        return env["ir.qweb"]._render("credit_control.dunning_call_note", {
            "communication": self.with_env(env), "contact": contact.with_env(env),
            "phone": contact.phone or self.partner_id.phone, "mobile": contact.mobile or self.partner_id.mobile,
            "items": self.with_env(env)._credit_letter_data(),
            "last_call": last_call.with_env(env) if last_call else False,
        })

    def _credit_mark_invoices(self):
        """Invoices handed over to an agency or to legal carry it, for the filters and the evidence."""
        for state, channel in (("agency", "action_agency"), ("legal", "action_legal")):
            moves = self.filtered(channel).line_ids.move_id
            if moves:
                # never back from legal action to an agency
                self.env.execute_query(SQL("UPDATE account_move SET credit_collection_state = %s WHERE id = ANY(%s) "
                                           "AND credit_collection_state IS DISTINCT FROM 'legal'", state, moves.ids))
        self.env["account.move"].invalidate_model(["credit_collection_state"])

    def _credit_apply_holds(self):
        """Credit hold for the customers of the hold and legal levels, stopping new deliveries and invoices."""
        holding = self.filtered(lambda c: c.action_hold or c.action_legal)
        for (level, date), communications in holding.grouped(lambda c: (c.level_id, c.date)).items():
            partners = communications.partner_id.sudo().filtered(lambda p: not p.credit_hold)
            partners.write({"credit_hold": True, "credit_hold_reason": self.env._(
                "Dunning: %(level)s on %(date)s", level=level.name, date=date)})

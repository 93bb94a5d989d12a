import json
import operator

from odoo import Command, api, fields, models
from odoo.tools import SQL

SEVERITIES = [("amber", "Amber"), ("red", "Red")]
LIGHTS = [("green", "Green"), ("amber", "Amber"), ("red", "Red")]
COMPARATORS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt}
# Namespace of the advisory lock of a company's cash-flow refresh and digest (ASCII "ccwr"), with the company id.
FINISH_LOCK_KEY = 0x63637772
COMPANY_SIGNALS = [
    ("dso", "DSO"),
    ("overdue", "Overdue Share"),
    ("concentration", "Top-5 Concentration"),
    ("reserve", "Cash Reserve"),
    ("ocf_ratio", "Operating Cash Flow / Net Profit"),
    ("cash_gap", "Forecast Cash Gap"),
]


class CreditWarning(models.Model):
    """An early warning: a customer indicator past its rule's threshold, or a company cash-flow signal.

    One open warning per customer and rule (per company and signal for company warnings): the daily run
    updates it while the signal lasts and resolves it when the signal clears.
    """

    _name = "credit.warning"
    _description = "Early Warning"
    _order = "severity desc, date desc, id desc"  # red first
    _check_company_auto = True

    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    partner_id = fields.Many2one("res.partner", string="Customer", index=True, readonly=True, ondelete="cascade",
                                 help="Empty for a warning on the company's own cash flow.")
    rule_id = fields.Many2one("credit.warning.rule", index=True, readonly=True, ondelete="cascade",
                              check_company=True)
    company_signal = fields.Selection(COMPANY_SIGNALS, readonly=True,
                                      help="The company cash-flow signal, for a company warning.")
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson", store=True)
    severity = fields.Selection(SEVERITIES, required=True, readonly=True)
    value = fields.Float(string="Measured", readonly=True, digits=(16, 2))
    threshold = fields.Float(readonly=True, digits=(16, 2))
    unit = fields.Char(compute="_compute_unit")
    note = fields.Char(string="Details", readonly=True)
    state = fields.Selection(
        selection=[("new", "To Review"), ("acknowledged", "Acknowledged"), ("resolved", "Resolved")],
        required=True, default="new", readonly=True, index=True,
    )
    date = fields.Date(string="Raised On", required=True, readonly=True, default=fields.Date.context_today)
    last_date = fields.Date(string="Last Seen", readonly=True, help="The last run that still measured the signal.")
    acknowledged_by_id = fields.Many2one("res.users", readonly=True)
    acknowledged_date = fields.Date(readonly=True)
    resolved_date = fields.Date(readonly=True)

    def init(self):
        # Never two open warnings for the same signal: the run updates the open one.
        self.env.cr.execute(SQL(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS credit_warning_open_rule_uniq
                ON credit_warning (rule_id, partner_id) WHERE state != 'resolved' AND rule_id IS NOT NULL;
            CREATE UNIQUE INDEX IF NOT EXISTS credit_warning_open_signal_uniq
                ON credit_warning (company_id, company_signal) WHERE state != 'resolved' AND company_signal IS NOT NULL;
            """))

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("rule_id", "company_signal", "partner_id")
    def _compute_display_name(self):
        signals = dict(self._fields["company_signal"]._description_selection(self.env))
        for warning in self:
            name = warning.rule_id.display_name or signals.get(warning.company_signal, "")
            warning.display_name = f"{warning.partner_id.display_name}: {name}" if warning.partner_id else name

    @api.depends("rule_id.indicator", "company_signal")
    @api.depends_context("lang")
    def _compute_unit(self):
        specs = self.env["credit.warning.rule"]._credit_indicator_specs()
        units = {"dso": self.env._("days"), "overdue": "%", "concentration": "%", "reserve": self.env._("months"),
                 "ocf_ratio": "×", "cash_gap": "%"}
        for warning in self:
            spec = specs.get(warning.rule_id.indicator, {})
            warning.unit = spec.get("unit", "") if warning.rule_id else units.get(warning.company_signal, "")

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_acknowledge(self):
        """The credit controller has seen the warning; it stays open until the signal clears.

        Users only read warnings: acknowledging is the one change they make, through this action.
        """
        self.check_access("read")
        self.sudo().filtered(lambda w: w.state == "new").write({
            "state": "acknowledged", "acknowledged_by_id": self.env.user.id,
            "acknowledged_date": fields.Date.context_today(self),
        })

    # -------------------------------------------------------------------------
    # CRON
    # -------------------------------------------------------------------------

    @api.model
    def _cron_compute_credit_warnings(self, batch_size=2000):
        """Measure one batch of customers of one company; the cron runner commits and calls again.

        Resumable: a customer measured today is skipped. Once a company's customers are all measured,
        its cash-flow monitor is refreshed and, once a day, its digest of new red warnings is sent.
        Returns the number of customers still to measure.
        """
        today = fields.Date.context_today(self)
        partners = self.env["res.partner"]
        pending = {company: partners.with_company(company)._credit_pending_partner_ids(today, "credit_warned_on")
                   for company in self.env["res.company"].search([])}
        total = sum(len(ids) for ids in pending.values())
        company = next((c for c, ids in pending.items() if ids), None)
        batch = partners
        if company:
            batch = partners.with_company(company).browse(pending[company][:batch_size])
            self.with_company(company)._credit_measure_partners(batch)
            if len(batch) == len(pending[company]):
                self.with_company(company)._credit_finish_company()
        remaining = total - len(batch)
        if not remaining:  # the companies without customers to measure too (each finishes once a day)
            for other in pending:
                self.with_company(other)._credit_finish_company()
        self.env["ir.cron"]._notify_progress(done=len(batch), remaining=remaining)
        return remaining

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_measure_partners(self, partners):
        """Measure every active rule of the current company on these commercial partners, open, update
        or resolve their warnings, set their traffic lights and escalate. A constant number of queries
        per batch: one per rule, then a handful for the warnings, lights and escalations."""
        company = self.env.company
        today = fields.Date.context_today(self)
        partners = partners.with_env(self.env)  # measured in this company
        rules = self.env["credit.warning.rule"].search([("company_id", "=", company.id)])
        facts = rules._credit_batch_facts(partners)
        firing = {}
        for rule in rules:
            compare = COMPARATORS[rule.comparison]
            for partner_id, measure in rule._credit_measure(partners, facts).items():
                value, note = measure if isinstance(measure, tuple) else (measure, "")
                if value is not None and compare(value, rule.threshold):
                    firing[rule.id, partner_id] = {"value": value, "note": note or ""}
        open_warnings = self.search([
            ("company_id", "=", company.id), ("partner_id", "in", partners.ids), ("state", "!=", "resolved"),
            ("rule_id", "!=", False),
        ])
        self._credit_sync(open_warnings, firing, lambda w: (w.rule_id.id, w.partner_id.id),
                          lambda key: {"rule_id": key[0], "partner_id": key[1],
                                       "severity": rules.browse(key[0]).severity,
                                       "threshold": rules.browse(key[0]).threshold})
        lights = self._credit_set_lights(partners, today)
        # escalate when a new red light brings the customer to the limit, not every day it stays there
        raised_today = {partner.id for [partner] in self._read_group(
            [("partner_id", "in", partners.ids), ("company_id", "=", company.id), ("date", "=", today),
             ("severity", "=", "red"), ("state", "!=", "resolved")], ["partner_id"])}
        self._credit_escalate(partners.browse([pid for pid, (_light, reds) in lights.items()
                                               if reds >= company.credit_warning_red_limit and pid in raised_today]))

    def _credit_sync_company(self, signals):
        """Open, update or resolve the current company's own cash-flow warnings.

        ``signals`` maps each firing company signal to its measured value, threshold, severity and note;
        the company's open warnings on any other signal are resolved.
        """
        company = self.env.company
        open_warnings = self.search([("company_id", "=", company.id), ("company_signal", "!=", False),
                                     ("state", "!=", "resolved")])
        firing = {(signal,): values for signal, values in signals.items()}
        self._credit_sync(open_warnings, firing, lambda w: (w.company_signal,),
                          lambda key: {"company_signal": key[0], **firing[key]})

    def _credit_sync(self, open_warnings, firing, key_of, new_values):
        """Create the firing signals without an open warning, refresh the others, resolve the cleared ones."""
        today = fields.Date.context_today(self)
        by_key = {key_of(warning): warning for warning in open_warnings}
        cleared = open_warnings.filtered(lambda w: key_of(w) not in firing)
        cleared.write({"state": "resolved", "resolved_date": today})
        # the rule's severity and threshold may have changed since the warning opened
        updates = [{"id": by_key[key].id, "value": values["value"], "note": values["note"],
                    "severity": new_values(key)["severity"], "threshold": new_values(key)["threshold"]}
                   for key, values in firing.items() if key in by_key]
        if updates:
            self.env.execute_query(SQL(
                """
                UPDATE credit_warning w SET value = v.value, note = v.note, severity = v.severity,
                       threshold = v.threshold, last_date = %(today)s
                  FROM jsonb_to_recordset(%(rows)s::jsonb)
                       AS v(id int, value numeric, note text, severity text, threshold numeric)
                 WHERE w.id = v.id
                """, today=today, rows=json.dumps(updates)))
            open_warnings.invalidate_recordset(["value", "note", "severity", "threshold", "last_date"])
        self._credit_insert([{**new_values(key), "value": values["value"], "note": values["note"]}
                             for key, values in firing.items() if key not in by_key])

    def _credit_insert(self, rows):
        """Open new warnings of the current company in one INSERT. A warning opened meanwhile by a concurrent
        run for the same signal wins (the unique index on open warnings); this one is then skipped."""
        if not rows:
            return
        self.env.execute_query(SQL(
            """
            INSERT INTO credit_warning (company_id, partner_id, rule_id, company_signal, user_id, severity, value,
                                        threshold, note, state, date, last_date,
                                        create_uid, create_date, write_uid, write_date)
            SELECT %(company)s, v.partner_id, v.rule_id, v.company_signal, p.user_id, v.severity, v.value,
                   v.threshold, v.note, 'new', %(today)s, %(today)s, %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s,
                   NOW() AT TIME ZONE 'UTC'
              FROM jsonb_to_recordset(%(rows)s::jsonb) AS v(partner_id int, rule_id int, company_signal text,
                                                           severity text, value numeric, threshold numeric,
                                                           note text)
              LEFT JOIN res_partner p ON p.id = v.partner_id
            ON CONFLICT DO NOTHING
            """,
            company=self.env.company.id, today=fields.Date.context_today(self), uid=self.env.uid,
            rows=json.dumps(rows)))

    def _credit_set_lights(self, partners, today):
        """Store each partner's traffic light for the current company; {partner id: (light, red count)}."""
        counts = {}
        for partner, severity, count in self._read_group(
                [("company_id", "=", self.env.company.id), ("partner_id", "in", partners.ids),
                 ("state", "!=", "resolved")], ["partner_id", "severity"], ["__count"]):
            counts.setdefault(partner.id, {})[severity] = count
        lights = {}
        for partner in partners:
            severities = counts.get(partner.id, {})
            light = "red" if severities.get("red") else "amber" if severities.get("amber") else "green"
            lights[partner.id] = (light, severities.get("red", 0))
        key = str(self.env.company.id)
        self.env.execute_query(SQL(
            """
            UPDATE res_partner p
               SET credit_light = COALESCE(p.credit_light, '{}') || jsonb_build_object(%(key)s, v.light),
                   credit_warned_on = COALESCE(p.credit_warned_on, '{}') || jsonb_build_object(%(key)s, %(today)s)
              FROM jsonb_to_recordset(%(rows)s::jsonb) AS v(id int, light text)
             WHERE p.commercial_partner_id = v.id
            """,
            key=key, today=str(today),
            rows=json.dumps([{"id": pid, "light": light} for pid, (light, _reds) in lights.items()])))
        partners.invalidate_model(["credit_light", "credit_warned_on"])
        return lights

    def _credit_escalate(self, partners):
        """An activity for a credit manager on each escalated customer without one, and the credit hold
        when the company asks for it."""
        if not partners:
            return
        company = self.env.company
        today = fields.Date.context_today(self)
        activity_type = self.env.ref("credit_control.mail_activity_type_credit_warning")
        already = set(self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "in", partners.ids),
            ("activity_type_id", "=", activity_type.id),
        ]).mapped("res_id"))
        to_escalate = partners.filtered(lambda p: p.id not in already)
        if not to_escalate:
            return
        limit = company.credit_warning_red_limit
        # the credit controller if a Credit Control Manager of the company, else one of those managers (the
        # controller still, when the company has no manager at all: someone must act)
        users = to_escalate._credit_responsible_users(managers_only=True)
        managers = company._credit_managers()
        users = {pid: user if user in managers else managers[:1] or user for pid, user in users.items()}
        self.env["mail.activity"].create([{
            "res_model_id": self.env["ir.model"]._get_id("res.partner"),
            "res_id": partner.id,
            "activity_type_id": activity_type.id,
            "summary": self.env._("%(count)s or more red warnings: start the contingency plan", count=limit),
            "user_id": users[partner.id].id,
            "date_deadline": today,
        } for partner in to_escalate])
        if company.credit_warning_hold:
            to_hold = to_escalate.filtered(lambda p: not p.credit_hold)
            to_hold.write({"credit_hold": True, "credit_hold_reason": self.env._(
                "Early warning: %(count)s or more red lights", count=limit)})

    def _credit_finish_company(self):
        """After a company's customers: refresh its cash-flow monitor and, once a day, send the digest of
        today's new red warnings (the company's own among them)."""
        company = self.env.company
        today = fields.Date.context_today(self)
        # One refresh and digest at a time per company, with a transaction-level advisory lock: a row lock on
        # res_company would block every insert referring to the company (moves, lines) until the run ends.
        # A run that waited reads an older snapshot: repeating what the run before it wrote (the month's KPI, the
        # digest date) fails to serialise, so it rolls back, its digest with it, and the cron runs it again.
        self.env.execute_query(SQL("SELECT pg_advisory_xact_lock(%s, %s)", FINISH_LOCK_KEY, company.id))
        company.invalidate_recordset(["credit_warning_digest_date"])
        kpis = self.env["credit.cash.kpi"]
        if not kpis.search_count([("company_id", "=", company.id), ("date", "=", today)], limit=1):
            kpis._credit_refresh()
        # customers no longer measured (no activity, nothing owed) keep no open warning and turn green
        stale = self.search([("company_id", "=", company.id), ("partner_id", "!=", False), ("state", "!=", "resolved"),
                             ("partner_id.credit_warned_on", "!=", today)])
        if stale:
            stale.write({"state": "resolved", "resolved_date": today})
            self._credit_set_lights(stale.partner_id, today)
        if not company.credit_warning_digest or company.credit_warning_digest_date == today:
            return
        company.credit_warning_digest_date = today
        new_red = self.search([("company_id", "=", company.id), ("date", "=", today), ("severity", "=", "red"),
                               ("state", "=", "new")])
        managers = self.env.ref("credit_control.group_credit_control_manager").users.filtered(
            lambda user: company in user.company_ids and not user.share and user.email)
        if new_red and managers:
            template = self.env.ref("credit_control.mail_template_credit_warning_digest")
            template.with_context(credit_warnings=new_red).send_mail(
                company.id, email_values={"recipient_ids": [Command.set(managers.partner_id.ids)]})

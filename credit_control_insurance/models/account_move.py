from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

# Where an insured invoice stands towards the insurer's overdue-notification deadline.
INSURANCE_STATES = [
    ("covered", "Covered"),
    ("to_notify", "To Notify"),
    ("notified", "Notified"),
    ("late", "Cover at Risk"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    credit_insured = fields.Boolean(
        string="Insured", readonly=True, copy=False,
        help="The insurer covered the buyer when the invoice was posted.",
    )
    credit_insurance_policy_id = fields.Many2one("credit.insurance.policy", string="Insurance Policy", readonly=True,
                                                 copy=False, index="btree_not_null")
    credit_insurance_cover_id = fields.Many2one("credit.insurance.cover", string="Cover Decision", readonly=True,
                                                copy=False)
    credit_insurance_deadline = fields.Date(
        string="Notification Deadline", compute="_compute_credit_insurance_deadline", store=True, copy=False,
        help="Last day to notify the insurer if the invoice is still unpaid: the due date plus the policy's "
             "maximum extension period.",
    )
    credit_insurance_notification_id = fields.Many2one(
        "credit.insurance.notification", string="Overdue Notification", readonly=True, copy=False,
        index="btree_not_null", help="The overdue notification to the insurer that lists this invoice.",
    )
    credit_insurance_state = fields.Selection(
        INSURANCE_STATES, string="Insurance Status", readonly=True, copy=False, index="btree_not_null",
        help="Covered: nothing to notify. To notify: overdue, the insurer must be told before the deadline. "
             "Notified: the overdue notification was sent. Cover at risk: the deadline passed without "
             "notification. Updated every day by the overdue-notification scheduled action.",
    )
    credit_insurance_claim_ids = fields.Many2many(
        "credit.insurance.claim", "credit_insurance_claim_move_rel", "move_id", "claim_id", string="Insurance Claims",
        readonly=True, copy=False, groups="credit_control.group_credit_control_user")
    credit_insurance_claim_count = fields.Integer(
        string="Claim Count", compute="_compute_credit_insurance_claim_count",
        groups="credit_control.group_credit_control_user")

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("credit_insured", "credit_date_due", "credit_insurance_policy_id.max_extension_days")
    def _compute_credit_insurance_deadline(self):
        # from the oldest open instalment's due date: the day the invoice became overdue
        for move in self:
            policy = move.credit_insurance_policy_id
            move.credit_insurance_deadline = move.credit_date_due + timedelta(days=policy.max_extension_days) \
                if move.credit_insured and policy and move.credit_date_due else False

    def _compute_credit_insurance_claim_count(self):
        for move in self:
            move.credit_insurance_claim_count = len(move.credit_insurance_claim_ids)

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        posted.filtered(lambda m: m.move_type == "out_invoice")._credit_record_insurance()
        return posted

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_credit_insurance_claim(self):
        """A draft claim on the selected insured invoices (one buyer, one policy), opened."""
        values = self.env["credit.insurance.claim"]._credit_prepare_from_invoices(self)
        claim = self.env["credit.insurance.claim"].with_company(self.company_id).create(values)
        return claim._get_records_action(name=self.env._("Claim"))

    def action_view_credit_insurance_claims(self):
        self.ensure_one()
        return self.credit_insurance_claim_ids._get_records_action(name=self.env._("Insurance Claims"))

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _credit_record_insurance(self):
        """Store on each customer invoice whether the buyer was covered on its date, and under what."""
        Cover = self.env["credit.insurance.cover"].sudo()
        for company in self.company_id:
            invoices = self.filtered(lambda m, company=company: m.company_id == company)
            for date in set(invoices.mapped("invoice_date")):
                dated = invoices.filtered(lambda m, date=date: m.invoice_date == date)
                covers = Cover.with_company(company)._credit_current_covers(dated.commercial_partner_id.ids, date)
                by_cover = {}
                for invoice in dated:
                    cover = covers.get(invoice.commercial_partner_id.id, Cover)
                    policy = cover.policy_id
                    insured = bool(cover) and cover._credit_covered_amount() > 0 and (
                        not policy.country_ids or invoice.commercial_partner_id.country_id in policy.country_ids
                    ) and not (  # terms longer than the policy's maximum credit period are not insured
                        policy.max_credit_period_days and invoice.invoice_date_due and
                        (invoice.invoice_date_due - invoice.invoice_date).days > policy.max_credit_period_days)
                    by_cover.setdefault(cover if insured else Cover, self.browse())
                    by_cover[cover if insured else Cover] |= invoice
                for cover, group in by_cover.items():  # one write per cover
                    group.write({"credit_insured": bool(cover), "credit_insurance_policy_id": cover.policy_id.id,
                                 "credit_insurance_cover_id": cover.id,
                                 "credit_insurance_state": "covered" if cover else False})

    def _credit_set_insurance_states(self, states, notifications=None):
        """Write ``{invoice id: insurance status}`` and, given, ``{invoice id: its overdue notification id or
        None}`` in one query (the daily run's bulk update)."""
        notifications = notifications or {}
        ids = list(states.keys() | notifications.keys())
        if not ids:
            return
        self.env.flush_all()
        self.env.execute_query(SQL(
            """
            UPDATE account_move m
               SET credit_insurance_state = CASE WHEN v.has_state THEN v.state ELSE m.credit_insurance_state END,
                   credit_insurance_notification_id = CASE WHEN v.relink THEN v.notification_id
                                                           ELSE m.credit_insurance_notification_id END
              FROM unnest(%s::int[], %s::bool[], %s::varchar[], %s::bool[], %s::int[])
                   AS v(id, has_state, state, relink, notification_id)
             WHERE m.id = v.id
            """, ids, [i in states for i in ids], [states.get(i) for i in ids], [i in notifications for i in ids],
            [notifications.get(i) for i in ids]))
        self.invalidate_model(["credit_insurance_state", "credit_insurance_notification_id"])
        if notifications:
            self.env["credit.insurance.notification"].invalidate_model(["move_ids", "move_count"])

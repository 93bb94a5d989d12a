from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..report.xlsx import xlsx_download_action

REASONS = [
    ("limit", "Credit limit exceeded"),
    ("hold", "Credit hold"),
    ("prepayment", "Prepayment required"),
    ("overdue", "Overdue invoices"),
    ("terms", "Payment terms too long"),
    ("insurance", "No insurer cover"),  # kept here: uninstalling the insurance add-on keeps the approvals
]


class CreditOverride(models.Model):
    """A credit manager's approval of one specific posting that credit control refused."""

    _name = "credit.override"
    _description = "Credit Override"
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company,
                                 readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    move_ids = fields.Many2many("account.move", "credit_override_account_move_rel", "override_id", "move_id",
                                string="Invoices", required=True, readonly=True, check_company=True)
    user_id = fields.Many2one("res.users", string="Approved By", required=True, readonly=True,
                              default=lambda self: self.env.user)
    date = fields.Datetime(string="Approved On", required=True, readonly=True, default=fields.Datetime.now)
    reason_code = fields.Selection(REASONS, string="Refusal", required=True, readonly=True)
    reason = fields.Text(string="Justification", required=True, readonly=True)
    exposure = fields.Monetary(readonly=True, help="Exposure with the invoices, when the override was approved.")
    credit_limit = fields.Monetary(readonly=True)
    excess = fields.Monetary(readonly=True)
    max_amount = fields.Monetary(
        string="Up To Exposure", readonly=True,
        help="The override only holds while the exposure stays at or below this amount. 0: no cap.",
    )
    valid_until = fields.Date(
        required=True, readonly=True, default=fields.Date.context_today,
        help="The approval expires after this date (default: the end of the day it was given).",
    )
    move_amounts = fields.Json(
        readonly=True, copy=False,
        help="Technical: the approved moves as {move id: [signed total, currency id, customer id]}. A move whose "
             "amount, currency or customer changed since is no longer covered.",
    )
    origin = fields.Selection(
        selection=[("dialog", "Approval dialog"), ("code", "Programmatic bypass"),
                   ("reset", "Reset by a credit manager")], required=True, readonly=True, default="dialog",
    )
    used_on = fields.Datetime(readonly=True, copy=False)
    used_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    used_exposure = fields.Monetary(string="Exposure When Used", readonly=True, copy=False)
    used_move_ids = fields.Many2many("account.move", "credit_override_used_move_rel", "override_id", "move_id",
                                     string="Posted Moves", readonly=True, copy=False)
    state = fields.Selection(
        selection=[("approved", "Approved"), ("used", "Used")],
        required=True, default="approved", readonly=True,
    )

    @api.constrains("max_amount")
    def _check_max_amount(self):
        if any(override.max_amount < 0 for override in self):
            raise ValidationError(self.env._("The override cap cannot be negative."))

    @api.constrains("partner_id", "move_ids")
    def _check_moves_partner(self):
        for override in self:
            partners = override.move_ids.line_ids.filtered(
                lambda line: line.account_id.account_type == "asset_receivable").partner_id.commercial_partner_id
            if partners - override.partner_id:
                raise ValidationError(self.env._(
                    "An approval for %(partner)s cannot cover %(moves)s of another customer.",
                    partner=override.partner_id.display_name,
                    moves=", ".join(override.move_ids.filtered(
                        lambda m, o=override: m.commercial_partner_id != o.partner_id).mapped("display_name"))))

    # -------------------------------------------------------------------------
    # CRUD
    # -------------------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a Credit Control Manager can approve a credit override."))
        today = fields.Date.context_today(self)
        for vals in vals_list:
            if vals.get("valid_until") and fields.Date.to_date(vals["valid_until"]) < today:
                raise ValidationError(self.env._("The approval cannot expire in the past."))
        overrides = super().create(vals_list)
        for override in overrides.filtered(lambda o: not o.move_amounts):
            override.sudo().move_amounts = override.move_ids._credit_snapshot()
        for override in overrides:
            body = override._credit_log_message()
            override.partner_id.message_post(body=body)
            for move in override.move_ids:
                move.message_post(body=body)
        return overrides

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_export_xlsx(self):
        env = self.env
        reasons = dict(self._fields["reason_code"]._description_selection(env))  # with add-ons' reasons
        columns = [
            (env._("Approved On"), 18, lambda o: o.date, "datetime"),
            (env._("Customer"), 30, lambda o: o.partner_id.display_name, None),
            (env._("Invoices"), 30, lambda o: ", ".join(o.move_ids.mapped("name")), None),
            (env._("Refusal"), 22, lambda o: reasons[o.reason_code], None),
            (env._("Exposure"), 16, lambda o: o.exposure, "money"),
            (env._("Credit Limit"), 16, lambda o: o.credit_limit, "money"),
            (env._("Excess"), 16, lambda o: o.excess, "money"),
            (env._("Approved By"), 20, lambda o: o.user_id.name, None),
            (env._("Justification"), 50, lambda o: o.reason, "wrap"),
            (env._("State"), 10, lambda o: dict(self._fields["state"]._description_selection(env))[o.state], None),
        ]
        return xlsx_download_action(self, env._("Credit Overrides"), columns, env._("credit_overrides.xlsx"))

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    @api.model
    def _credit_approved_for(self, moves):
        """Approved overrides that mention any of ``moves`` (one query)."""
        return self.sudo().search([("move_ids", "in", moves.ids), ("state", "=", "approved")])

    def _credit_covers(self, decision):
        """Whether this unused, unexpired approval covers the refused posting ``decision``: the same customer and
        refusal, moves it approved with the same signed totals, currencies and customers, the exposure within
        its cap."""
        self.ensure_one()
        moves = self.env["account.move"].browse(decision["move_ids"])
        snapshot = moves._credit_snapshot()
        approved = self.move_amounts or {}
        return (self.state == "approved"
                and self.partner_id.id == decision["partner_id"]
                and self.reason_code == decision["reason"]
                and all(approved.get(key) == value for key, value in snapshot.items())
                and (not self.max_amount or decision["exposure"] <= self.max_amount)
                and fields.Date.context_today(self) <= self.valid_until)

    def _credit_use(self, decision):
        """Spend the approval on this posting; the figures approved stay as they were."""
        self.write({"state": "used", "used_on": fields.Datetime.now(), "used_by_id": self.env.uid,
                    "used_exposure": decision["exposure"],
                    "used_move_ids": [fields.Command.set(decision["move_ids"])]})

    @api.model
    def _credit_record_reset(self, decision):
        """A credit manager reset a credit note or payment over the limit: kept as a used override."""
        values = self._credit_values(decision, self.env._("Reset to draft over the credit limit"))
        return self.with_user(self.env.uid).sudo().create(dict(
            values, origin="reset", state="used", user_id=self.env.uid, used_on=fields.Datetime.now(),
            used_by_id=self.env.uid, used_exposure=decision["exposure"],
            used_move_ids=[fields.Command.set(decision["move_ids"])]))

    @api.model
    def _credit_bypass(self, decision, reason):
        """Integrators' bypass (context key ``credit_control_override_reason``): managers only, logged."""
        if not self.env.user.has_group("credit_control.group_credit_control_manager"):
            raise AccessError(self.env._("Only a Credit Control Manager can bypass credit control."))
        return self.create(dict(self._credit_values(decision, reason), origin="code", state="used",
                                used_on=fields.Datetime.now(), used_by_id=self.env.uid,
                                used_exposure=decision["exposure"],
                                used_move_ids=[fields.Command.set(decision["move_ids"])]))

    @api.model
    def _credit_values(self, decision, reason):
        return {
            "partner_id": decision["partner_id"],
            "move_ids": [fields.Command.set(decision["move_ids"])],
            "reason_code": decision["reason"],
            "reason": reason,
            "exposure": decision["exposure"],
            "credit_limit": decision["limit"],
            "excess": decision["excess"],
        }

    def _credit_log_message(self):
        self.ensure_one()
        money = self.partner_id._credit_money
        return self.env._(
            "Credit override (%(refusal)s) approved by %(user)s on %(date)s for %(moves)s: exposure %(exposure)s, "
            "limit %(limit)s, excess %(excess)s. Justification: %(reason)s",
            refusal=dict(self._fields["reason_code"]._description_selection(self.env))[self.reason_code],
            user=self.user_id.name, date=fields.Datetime.to_string(self.date),
            moves=", ".join(self.move_ids.mapped("display_name")),
            exposure=money(self.exposure), limit=money(self.credit_limit), excess=money(self.excess),
            reason=self.reason,
        )

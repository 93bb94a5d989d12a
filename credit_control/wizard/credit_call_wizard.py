from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..models.credit_call_log import OUTCOMES


class CreditCallWizard(models.TransientModel):
    """*Log Call*: record how a collection call ended, and do what the outcome calls for.

    - *Says it has paid*, *Other*: the call is logged and its activity done.
    - *Promise to pay*: the promise is recorded (date, amount, who promised) and its form opens.
    - *Dispute*: the chosen invoices are marked disputed with the reason and open.
    - *No answer*: the call activity moves to the day to call again (without one, the communication's next
      call is scheduled then).
    """

    _name = "credit.call.wizard"
    _description = "Log Call"

    communication_id = fields.Many2one("credit.dunning.communication", string="Dunning Communication")
    activity_id = fields.Many2one("mail.activity", string="Call Activity")
    partner_id = fields.Many2one("res.partner", string="Customer", required=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    currency_id = fields.Many2one(related="company_id.currency_id")
    contact_id = fields.Many2one("res.partner", string="Spoke With",
                                 domain="['|', ('id', '=', partner_id), ('parent_id', '=', partner_id)]")
    phone = fields.Char(string="Number Called", compute="_compute_phone", store=True, readonly=False)
    outcome = fields.Selection(OUTCOMES, required=True)
    note = fields.Text()
    promise_date = fields.Date(string="Promised Date")
    promise_amount = fields.Monetary(string="Promised Amount", compute="_compute_promise_amount", store=True,
                                     readonly=False)
    promised_by = fields.Char(compute="_compute_promised_by", store=True, readonly=False)
    dispute_move_ids = fields.Many2many(
        "account.move", string="Disputed Invoices",
        domain="[('commercial_partner_id', '=', partner_id), ('move_type', '=', 'out_invoice'), "
               "('state', '=', 'posted'), ('payment_state', 'in', ('not_paid', 'partial'))]")
    dispute_reason = fields.Char()
    next_call_date = fields.Date(string="Call Again On",
                                 default=lambda self: fields.Date.context_today(self) + timedelta(days=1))

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("contact_id", "partner_id")
    def _compute_phone(self):
        for wizard in self:
            person = wizard.contact_id or wizard.partner_id
            wizard.phone = person.phone or person.mobile or wizard.partner_id.phone or wizard.partner_id.mobile

    @api.depends("communication_id")
    def _compute_promise_amount(self):
        for wizard in self:
            wizard.promise_amount = wizard.communication_id.amount_due

    @api.depends("contact_id")
    def _compute_promised_by(self):
        for wizard in self:
            wizard.promised_by = wizard.contact_id.name

    # -------------------------------------------------------------------------
    # ACTIONS
    # -------------------------------------------------------------------------

    def action_confirm(self):
        self.ensure_one()
        self._check_outcome()
        customer = self.partner_id.commercial_partner_id
        values = {
            "partner_id": customer.id, "company_id": self.env.company.id, "communication_id": self.communication_id.id,
            "contact_id": self.contact_id.id, "phone": self.phone, "outcome": self.outcome, "note": self.note,
        }
        result = {"type": "ir.actions.act_window_close"}
        if self.outcome == "promise":
            promise = self.env["credit.payment.promise"].create({
                "partner_id": customer.id, "promise_date": self.promise_date, "amount": self.promise_amount,
                "promised_by": self.promised_by or customer.name, "note": self.note})
            values["promise_id"] = promise.id
            result = {"type": "ir.actions.act_window", "res_model": "credit.payment.promise", "res_id": promise.id,
                      "view_mode": "form", "views": [(False, "form")], "target": "current"}
        elif self.outcome == "dispute":
            self.dispute_move_ids.sudo().write({"credit_disputed": True, "credit_dispute_reason": self.dispute_reason})
            values["disputed_move_ids"] = [fields.Command.set(self.dispute_move_ids.ids)]
            result = self.env["ir.actions.act_window"]._for_xml_id("account.action_move_out_invoice_type")
            result.update(domain=[("id", "in", self.dispute_move_ids.ids)], context={"create": False})
            if len(self.dispute_move_ids) == 1:
                result.update(view_mode="form", views=[(False, "form")], res_id=self.dispute_move_ids.id)
        elif self.outcome == "no_answer":
            values["next_call_date"] = self.next_call_date
        log = self.env["credit.call.log"].sudo().create(values)
        self._credit_follow_up(log)
        return result

    # -------------------------------------------------------------------------
    # HELPERS
    # -------------------------------------------------------------------------

    def _check_outcome(self):
        """What each outcome needs, checked before anything is written."""
        customer = self.partner_id.commercial_partner_id
        if self.communication_id and self.communication_id.partner_id != customer:
            raise ValidationError(self.env._("This dunning communication is not about %(partner)s.",
                                             partner=customer.display_name))
        if activity := self.activity_id:
            if self.communication_id and activity.credit_communication_id != self.communication_id:
                raise ValidationError(self.env._("This call activity is not the dunning communication's."))
            if (activity.res_model != "res.partner" or activity.res_id != customer.id
                    or not activity.credit_communication_id):
                raise ValidationError(self.env._("This activity is not a dunning call of %(partner)s.",
                                                 partner=customer.display_name))
        if self.outcome == "promise":
            if not self.promise_date or self.promise_amount <= 0:
                raise ValidationError(self.env._("A promise to pay needs the promised date and a positive amount."))
            if self.promise_date < fields.Date.context_today(self):
                raise ValidationError(self.env._("The promised date of an open promise cannot be in the past."))
        if self.outcome == "dispute":
            if not self.dispute_move_ids or not self.dispute_reason:
                raise ValidationError(self.env._("A dispute needs the disputed invoices and the reason."))
            if wrong := self.dispute_move_ids.filtered(lambda move: (
                    move.commercial_partner_id != customer or move.move_type != "out_invoice"
                    or move.state != "posted" or move.company_id != self.env.company)):
                raise ValidationError(self.env._("%(invoice)s is not a posted invoice of %(partner)s.",
                                                 invoice=wrong[0].display_name, partner=customer.display_name))
        if self.outcome == "no_answer" and (not self.next_call_date
                                            or self.next_call_date < fields.Date.context_today(self)):
            raise ValidationError(self.env._("Say when to call again: today or later."))
        if self.outcome == "other" and not self.note:
            raise ValidationError(self.env._("Say what the call gave in the note."))

    def _credit_follow_up(self, log):
        """Move the call activity to the next call, or close it (and its communication, once sent) with the
        outcome."""
        # Checked by _check_outcome: a dunning call of the customer (any controller's: colleagues cover calls).
        activity = self.activity_id.sudo()
        if log.outcome == "no_answer":
            if activity:
                activity.write({"date_deadline": log.next_call_date})
            elif self.communication_id:
                self._credit_schedule_next_call(log)
            return
        outcome = dict(self._fields["outcome"]._description_selection(self.env))[log.outcome]
        activity.action_feedback(feedback=" – ".join(filter(None, [outcome, log.note])))
        communication = self.communication_id
        if communication.state == "sent" and not communication.call_activity_ids:
            communication.sudo().write({"state": "done"})
            communication._credit_log(self.env._("Call logged by %(user)s on %(when)s: done.",
                                                 **communication._credit_who_when()))

    def _credit_schedule_next_call(self, log):
        """The communication's next call on ``log``'s day to call again, shaped as the dunning run's calls (on the
        customer, linked to the communication, for its follow-up person, with what to say)."""
        communication = self.communication_id
        caller = communication.user_id or self.env.user
        # As superuser, like the dunning run: a credit controller may not edit customers.
        self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create({
            "res_model_id": self.env["ir.model"]._get_id("res.partner"), "res_id": communication.partner_id.id,
            "credit_communication_id": communication.id, "date_deadline": log.next_call_date,
            "activity_type_id": self.env.ref("mail.mail_activity_data_call").id, "user_id": caller.id,
            "summary": self.with_context(lang=caller.lang).env._(
                "Call %(partner)s about %(amount)s (%(level)s)", partner=communication.partner_id.name,
                amount=communication.partner_id._credit_money(communication.amount_due),
                level=communication.level_id.name),
            "note": communication._credit_call_note(caller, log),
        })

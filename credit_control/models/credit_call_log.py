from odoo import api, fields, models

OUTCOMES = [
    ("paid", "Says it has paid"),
    ("promise", "Promise to pay"),
    ("dispute", "Dispute"),
    ("no_answer", "No answer"),
    ("other", "Other"),
]


class CreditCallLog(models.Model):
    """What a collection call to a customer gave: who was called, when, by whom, the outcome and its follow-up
    (the promise, the disputed invoices, the next call). Only *Log Call* makes one; then it is evidence."""

    _name = "credit.call.log"
    _description = "Collection Call"
    _inherit = ["credit.evidence.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    partner_id = fields.Many2one("res.partner", string="Customer", required=True, index=True, readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True,
                                 default=lambda self: self.env.company)
    communication_id = fields.Many2one("credit.dunning.communication", string="Dunning Communication",
                                       index="btree_not_null", readonly=True, check_company=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    user_id = fields.Many2one("res.users", string="Called By", required=True, readonly=True,
                              default=lambda self: self.env.user)
    contact_id = fields.Many2one("res.partner", string="Spoke With", readonly=True)
    phone = fields.Char(string="Number Called", readonly=True)
    outcome = fields.Selection(OUTCOMES, required=True, readonly=True)
    note = fields.Text(readonly=True)
    promise_id = fields.Many2one("credit.payment.promise", string="Promise to Pay", readonly=True)
    disputed_move_ids = fields.Many2many("account.move", string="Disputed Invoices", readonly=True)
    next_call_date = fields.Date(string="Call Again On", readonly=True)

    @api.depends("partner_id", "outcome", "date")
    def _compute_display_name(self):
        labels = dict(self._fields["outcome"]._description_selection(self.env))
        for log in self:
            log.display_name = self.env._("Call to %(partner)s: %(outcome)s", partner=log.partner_id.name,
                                          outcome=labels.get(log.outcome, ""))

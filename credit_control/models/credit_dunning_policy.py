from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CreditDunningPolicy(models.Model):
    """An escalation ladder: ordered dunning levels, each due a number of days from the invoice due date."""

    _name = "credit.dunning.policy"
    _description = "Dunning Policy"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company, index=True)
    level_ids = fields.One2many("credit.dunning.level", "policy_id", string="Levels", copy=True,
                                help="The steps of the ladder, in order of days from the due date.")
    level_count = fields.Integer(compute="_compute_level_count")
    note = fields.Html(translate=True, help="When to use this policy, for the credit team.")

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends("level_ids")
    def _compute_level_count(self):
        for policy in self:
            policy.level_count = len(policy.level_ids)

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains("level_ids")
    def _check_level_order(self):
        """Levels escalate: in sequence order, each is due strictly later than the one before. A level that hands
        over or restricts follows a written level due on or after the due date, which an overdue invoice can
        enter at: without one, such a level could never be reached."""
        for policy in self:
            previous = None
            written = False
            for level in policy.level_ids.sorted(lambda lv: (lv.sequence, lv.id)):
                if level.escalates and not written:
                    raise ValidationError(self.env._(
                        "In dunning policy %(policy)s, level %(level)s hands over or restricts, but no earlier level "
                        "due on or after the due date sends an email or a letter without handing over or "
                        "restricting. Add one before it: the customer is told in writing first.",
                        policy=policy.name, level=level.name))
                written = written or (level.offset_days >= 0 and not level.escalates
                                      and (level.action_email or level.action_letter))
                if previous and level.offset_days <= previous.offset_days:
                    raise ValidationError(self.env._(
                        "In dunning policy %(policy)s, level %(level)s (%(offset)+d days) comes after "
                        "%(previous)s (%(previous_offset)+d days) but is not due later. Order the levels by "
                        "their days from the due date.",
                        policy=policy.name, level=level.name, offset=level.offset_days,
                        previous=previous.name, previous_offset=previous.offset_days))
                previous = level

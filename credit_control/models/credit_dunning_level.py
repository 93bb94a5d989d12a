from odoo import api, fields, models
from odoo.exceptions import ValidationError

# Dunning stage of each action, 1 (reminder) to 5 (legal): the rating's "dunning stage" fact.
ACTION_STAGES = [("action_legal", 5), ("action_agency", 4), ("action_letter", 3), ("action_call", 2),
                 ("action_email", 1), ("action_hold", 1)]


class CreditDunningLevel(models.Model):
    """One step of a dunning policy: when it is due and what it does."""

    _name = "credit.dunning.level"
    _description = "Dunning Level"
    _order = "policy_id, sequence, id"
    _check_company_auto = True

    policy_id = fields.Many2one("credit.dunning.policy", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    offset_days = fields.Integer(
        string="Days From Due Date", required=True,
        help="The level is due this many days after the invoice due date; negative: before it (a reminder).",
    )
    min_amount = fields.Monetary(
        string="Minimum Amount",
        help="The customer is dunned at this level only when its invoices at this level, less the open credits "
             "applied to them, add up to more than this amount, in company currency. Invoices entering dunning "
             "below it get the level before; invoices already in dunning wait.",
    )
    message = fields.Text(
        translate=True,
        help="What the customer reads in the email and the letter of this level, in the customer's language.",
    )
    auto_send = fields.Boolean(
        string="Send Automatically", default=True,
        help="The daily run sends this level by itself. Without it, the run prepares a draft that a credit "
             "controller reviews and sends.",
    )
    action_email = fields.Boolean(string="Email", help="Email the customer the level's template with its invoices.")
    mail_template_id = fields.Many2one(
        "mail.template", string="Email Template", domain="[('model', '=', 'credit.dunning.communication')]",
        help="Rendered in the customer's language; the invoices' PDFs are attached when they exist.",
    )
    action_letter = fields.Boolean(string="Letter", help="A printable collection letter.")
    action_call = fields.Boolean(string="Phone Call",
                                 help="A phone-call activity for the customer's credit controller.")
    action_agency = fields.Boolean(
        string="Collection Agency",
        help="Hand the invoices over to a collection agency: it receives the statement of open items and the "
             "dunning history, and the invoices are marked as handed over.",
    )
    agency_partner_id = fields.Many2one("res.partner", string="Agency",
                                        help="The collection agency that receives the file (it needs an email).")
    agency_template_id = fields.Many2one(
        "mail.template", string="Agency Email Template",
        domain="[('model', '=', 'credit.dunning.communication')]",
        help="The email sent to the agency with the open items and the dunning history.",
        default=lambda self: self.env.ref("credit_control.mail_template_dunning_agency", raise_if_not_found=False),
    )
    action_legal = fields.Boolean(
        string="Legal Action", help="An activity for the legal contact, and the customer is put on credit hold.")
    legal_user_id = fields.Many2one(
        "res.users", string="Legal Contact", help="Receives the legal-action activity; a credit manager when empty.")
    action_hold = fields.Boolean(string="Credit Hold",
                                 help="Put the customer on credit hold: no new invoice can be posted.")
    spacing_days = fields.Integer(
        string="Days After a Written Reminder", default=14, required=True,
        help="A level that hands over or restricts (collection agency, legal action, credit hold) is reached only "
             "this many days after the latest written reminder about the invoice: an email sent or a letter "
             "printed by a level from the due date on that only communicates (not a pre-due reminder).",
    )
    escalates = fields.Boolean(
        compute="_compute_stage", store=True,
        help="It hands over or restricts (collection agency, legal action, credit hold): an invoice never enters "
             "dunning at such a level, and reaches it only after a written reminder (see the spacing).",
    )
    stage = fields.Integer(
        compute="_compute_stage", store=True,
        help="1 (reminder) to 5 (legal action), from the strongest action; it feeds the credit rating.",
    )

    # -------------------------------------------------------------------------
    # COMPUTE
    # -------------------------------------------------------------------------

    @api.depends(*(name for name, _stage in ACTION_STAGES))
    def _compute_stage(self):
        for level in self:
            level.stage = next((stage for name, stage in ACTION_STAGES if level[name]), 0)
            level.escalates = level.action_agency or level.action_legal or level.action_hold

    # -------------------------------------------------------------------------
    # CONSTRAINTS
    # -------------------------------------------------------------------------

    @api.constrains(*(name for name, _stage in ACTION_STAGES), "mail_template_id", "agency_partner_id",
                    "agency_template_id", "min_amount", "spacing_days")
    def _check_actions(self):
        for level in self:
            if not level.stage:
                raise ValidationError(self.env._(
                    "Dunning level %(level)s does nothing: choose at least one action (email, letter, phone call, "
                    "collection agency, legal action or credit hold).", level=level.name))
            if level.action_email and not level.mail_template_id:
                raise ValidationError(self.env._("Dunning level %(level)s sends an email: choose its template.",
                                                 level=level.name))
            for template in level.mail_template_id | level.agency_template_id:
                if template.model != "credit.dunning.communication":
                    raise ValidationError(self.env._(
                        "Template %(template)s of dunning level %(level)s is for %(model)s; dunning templates "
                        "must be for Dunning Communications.",
                        template=template.name, level=level.name, model=template.model_id.name or template.model))
            if level.action_agency and not level.agency_partner_id:
                raise ValidationError(self.env._(
                    "Dunning level %(level)s hands invoices over to a collection agency: choose the agency.",
                    level=level.name))
            if level.action_agency and not level.agency_template_id:
                raise ValidationError(self.env._(
                    "Dunning level %(level)s hands invoices over to a collection agency: choose the email "
                    "template of the hand-over package.", level=level.name))
            if level.spacing_days < 0:
                raise ValidationError(self.env._(
                    "The days after a written reminder of dunning level %(level)s cannot be negative.",
                    level=level.name))
            if level.min_amount < 0:
                raise ValidationError(self.env._("The minimum amount of dunning level %(level)s cannot be negative.",
                                                 level=level.name))

    @api.constrains("offset_days", "sequence", "action_email", "action_letter", "action_agency", "action_legal",
                    "action_hold")
    def _check_offset_order(self):
        self.policy_id._check_level_order()

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class CreditInsuranceDeclarationGenerate(models.TransientModel):
    """Prepare the premium declarations of chosen policies for one period, on demand."""

    _name = "credit.insurance.declaration.generate"
    _description = "Generate Premium Declarations"

    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    policy_ids = fields.Many2many(
        "credit.insurance.policy", "credit_insurance_declaration_generate_policy_rel", "wizard_id", "policy_id",
        string="Policies",
        domain="[('state', 'in', ('active', 'expired')), ('company_id', '=', company_id)]",
        default=lambda self: self.env["credit.insurance.policy"].search([
            ("state", "=", "active"), ("company_id", "=", self.env.company.id)]),
    )
    date = fields.Date(
        string="Period Including",
        help="Each policy's declaration period (calendar month or quarter, by its declaration frequency) that "
             "includes this day. Empty: each policy's last complete period.",
    )

    @api.constrains("date")
    def _check_date(self):
        for wizard in self:
            if wizard.date and wizard.date > fields.Date.context_today(wizard):
                raise ValidationError(self.env._("The period cannot start in the future."))

    def action_generate(self):
        """Create the missing drafts and compute the existing drafts again; submitted ones are left as they are."""
        self.ensure_one()
        if not self.policy_ids:
            raise UserError(self.env._("Choose the policies to declare."))
        declarations = self.env["credit.insurance.declaration"]._credit_generate(self.policy_ids, day=self.date)
        if not declarations:
            raise UserError(self.env._("The period is outside the dates of the chosen policies."))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Premium Declarations"),
            "res_model": "credit.insurance.declaration",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", declarations.ids)],
        }

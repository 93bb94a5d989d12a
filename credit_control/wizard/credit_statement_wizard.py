from odoo import fields, models
from odoo.exceptions import UserError

from ..report.credit_dunning_xlsx import statement_workbook


class CreditStatementWizard(models.TransientModel):
    """Send, print or download a statement of all open items, in each customer's language."""

    _name = "credit.statement.wizard"
    _description = "Customer Statement"

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)

    def action_send_email(self):
        self.ensure_one()
        partners = self.partner_ids.commercial_partner_id
        without_email = partners.filtered(lambda p: not p.email_normalized or p.is_blacklisted)
        if without_email:
            raise UserError(self.env._("No usable email address (missing or blacklisted) for: %(partners)s.",
                                       partners=", ".join(without_email.mapped("display_name"))))
        template = self.env.ref("credit_control.mail_template_customer_statement")
        for partner in partners:
            partner.message_post_with_source(template, message_type="comment", subtype_xmlid="mail.mt_comment")
        return {"type": "ir.actions.client", "tag": "display_notification", "params": {
            "type": "success", "message": self.env._("%(count)s statements sent.", count=len(partners)),
            "next": {"type": "ir.actions.act_window_close"}}}

    def action_print_pdf(self):
        self.ensure_one()
        return self.env.ref("credit_control.action_report_customer_statement").report_action(
            self.partner_ids.commercial_partner_id)

    def action_download_xlsx(self):
        self.ensure_one()
        partner = self.partner_ids.commercial_partner_id
        if len(partner) != 1:
            raise UserError(self.env._("Download the spreadsheet statement one customer at a time."))
        attachment = self.env["ir.attachment"].create({
            "name": self.env._("Statement %(partner)s %(date)s.xlsx", partner=partner.name,
                               date=fields.Date.context_today(self)),
            "raw": statement_workbook(partner, self.env.company),
            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        })
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true",
                "target": "self"}

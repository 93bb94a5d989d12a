from odoo import api, fields, models


class ReportDunningLetter(models.AbstractModel):
    """The dunning letter report: printing a sent letter records it as printed, which takes it off *To Do*."""

    _name = "report.credit_control.report_dunning_letter"
    _description = "Dunning Letter"

    @api.model
    def _get_report_values(self, docids, data=None):
        letters = self.env["credit.dunning.communication"].browse(docids)
        # an HTML preview runs on a read-only cursor: only a real print counts
        if not self.env.cr.readonly:
            unprinted = letters.filtered(lambda c: c.action_letter and c.state == "sent" and not c.letter_printed_date)
            if unprinted:
                unprinted.sudo().write({"letter_printed_date": fields.Datetime.now()})
                unprinted._credit_log(self.env._("Letter printed by %(user)s on %(when)s.",
                                                 **unprinted._credit_who_when()))
        return {"doc_ids": docids, "doc_model": letters._name, "docs": letters, "data": data}

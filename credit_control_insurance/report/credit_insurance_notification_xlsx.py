"""The overdue notification file for the insurer: one row per invoice (records in, XLSX bytes out)."""

from odoo import fields

from odoo.addons.credit_control.report.xlsx import build_xlsx


def notification_columns(env, today):
    """Columns over (notification, invoice) pairs; days overdue as of the date sent, or ``today`` for a draft."""
    return [
        (env._("Buyer"), 36, lambda r: r[0].partner_id.name, None),
        (env._("Tax ID"), 18, lambda r: r[0].partner_id.vat or "", None),
        (env._("Invoice"), 20, lambda r: r[1].name, None),
        (env._("Invoice Date"), 12, lambda r: r[1].invoice_date, "date"),
        (env._("Due Date"), 12, lambda r: r[1].credit_date_due, "date"),
        (env._("Days Overdue"), 12, lambda r: max(((r[0].date_sent or today) - r[1].credit_date_due).days, 0), None),
        (env._("Amount Due"), 16, lambda r: r[1].amount_residual, "money"),
        (env._("Currency"), 10, lambda r: r[1].currency_id.name, None),
        (env._("Notification Deadline"), 14, lambda r: r[1].credit_insurance_deadline, "date"),
        (env._("Policy"), 18, lambda r: r[0].policy_id.policy_number, None),
        (env._("Notification"), 18, lambda r: r[0].name, None),
    ]


def notification_workbook(env, notifications):
    """Every invoice of ``notifications``, by notification then due date."""
    rows = [(notification, move) for notification in notifications
            for move in notification.move_ids.sorted(lambda m: (m.credit_date_due, m.name))]
    today = fields.Date.context_today(notifications)
    return build_xlsx(rows, env._("Overdue Notification"), notification_columns(env, today))

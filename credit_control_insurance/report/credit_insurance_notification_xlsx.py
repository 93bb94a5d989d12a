"""The overdue notification file for the insurer: one row per overdue instalment (records in, XLSX bytes out)."""

from datetime import timedelta

from odoo import fields

from odoo.addons.credit_control.report.xlsx import build_xlsx


def notification_columns(env, today):
    """Columns over (notification, instalment) pairs; days overdue as of the date sent, or ``today`` for a draft."""
    return [
        (env._("Buyer"), 36, lambda r: r[0].partner_id.name, None),
        (env._("Tax ID"), 18, lambda r: r[0].partner_id.vat or "", None),
        (env._("Invoice"), 20, lambda r: r[1].move_id.name, None),
        (env._("Invoice Date"), 12, lambda r: r[1].move_id.invoice_date, "date"),
        (env._("Due Date"), 12, lambda r: r[1].date_maturity, "date"),
        (env._("Days Overdue"), 12, lambda r: max(((r[0].date_sent or today) - r[1].date_maturity).days, 0), None),
        (env._("Amount Overdue"), 16, lambda r: r[1].amount_residual_currency, "money"),
        (env._("Invoice Amount Due"), 16, lambda r: r[1].invoice_amount_due, "money"),
        (env._("Currency"), 10, lambda r: r[1].currency_id.name, None),
        (env._("Notification Deadline"), 14, lambda r: r[1].date_maturity + timedelta(
            days=r[0].policy_id.max_extension_days), "date"),
        (env._("Policy"), 18, lambda r: r[0].policy_id.policy_number, None),
        (env._("Notification"), 18, lambda r: r[0].name, None),
    ]


def notification_workbook(env, notifications):
    """Every overdue instalment of ``notifications``, by notification then due date."""
    rows = [(notification, line) for notification in notifications for line in notification.line_ids]
    today = fields.Date.context_today(notifications)
    return build_xlsx(rows, env._("Overdue Notification"), notification_columns(env, today))

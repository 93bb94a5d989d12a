"""Dunning exports: the dunning activity, and a customer's statement of open items with its dunning history."""

from odoo import fields

from .xlsx import build_xlsx_sheets


def dunning_columns(env):
    states = dict(env["credit.dunning.communication"]._fields["state"]._description_selection(env))
    channels = ["action_email", "action_letter", "action_call", "action_agency", "action_legal", "action_hold"]
    labels = {name: env["credit.dunning.communication"]._fields[name]._description_string(env) for name in channels}
    return [
        (env._("Date"), 12, lambda c: c.date, "date"),
        (env._("Customer"), 32, lambda c: c.partner_id.display_name, None),
        (env._("Dunning Policy"), 20, lambda c: c.policy_id.name, None),
        (env._("Level"), 20, lambda c: c.level_id.name, None),
        (env._("Channels"), 30, lambda c: ", ".join(labels[name] for name in channels if c[name]), None),
        (env._("Invoices"), 30, lambda c: ", ".join(c.line_ids.move_id.mapped("name")), "wrap"),
        (env._("Amount Due"), 16, lambda c: c.amount_due, "money"),
        (env._("Currency"), 10, lambda c: c.currency_id.name, None),
        (env._("State"), 12, lambda c: states.get(c.state, ""), None),
        (env._("Failure Reason"), 30, lambda c: c.failure_reason or "", None),
        (env._("Responsible"), 20, lambda c: c.user_id.name or "", None),
    ]


def open_item_columns(env, today):
    return [
        (env._("Invoice"), 20, lambda line: line.move_id.name, None),
        (env._("Invoice Date"), 12, lambda line: line.move_id.invoice_date, "date"),
        (env._("Due Date"), 12, lambda line: line.date_maturity, "date"),
        (env._("Days Overdue"), 12, lambda line: max((today - line.date_maturity).days, 0)
         if line.date_maturity else 0, None),
        (env._("Reference"), 20, lambda line: line.move_id.ref or "", None),
        (env._("Currency"), 10, lambda line: line.currency_id.name, None),
        (env._("Amount"), 16, lambda line: line.amount_currency, "money"),
        (env._("Open Amount"), 16, lambda line: line.amount_residual_currency, "money"),
        (env._("Open Amount (Company Currency)"), 18, lambda line: line.amount_residual, "money"),
        (env._("Dunning Level"), 20, lambda line: line.move_id.credit_dunning_level_id.name or "", None),
        (env._("Disputed"), 10, lambda line: env._("Yes") if line.move_id.credit_disputed else "", None),
    ]


def history_columns(env):
    states = dict(env["credit.dunning.communication"]._fields["state"]._description_selection(env))
    return [
        (env._("Date"), 12, lambda line: line.date, "date"),
        (env._("Level"), 20, lambda line: line.level_id.name, None),
        (env._("Invoice"), 20, lambda line: line.move_id.name, None),
        (env._("Days Overdue"), 12, lambda line: line.days_overdue, None),
        (env._("Currency"), 10, lambda line: line.currency_id.name, None),
        (env._("Open Amount"), 16, lambda line: line.amount_residual, "money"),
        (env._("State"), 12, lambda line: states.get(line.state, ""), None),
        (env._("Responsible"), 20, lambda line: line.communication_id.user_id.name or "", None),
    ]


def statement_workbook(partner, company):
    """The customer's open items and dunning history in ``company``, in the customer's language, as bytes."""
    env = partner.with_company(company).with_context(lang=partner.lang or "en_US").env
    partner = partner.with_env(env)
    today = fields.Date.context_today(partner)
    return build_xlsx_sheets([
        (env._("Open Items"), partner._credit_open_items(), open_item_columns(env, today)),
        (env._("Dunning History"), partner._credit_dunning_history(), history_columns(env)),
    ])

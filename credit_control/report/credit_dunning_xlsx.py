"""Dunning exports: the dunning activity, a customer's statement of open items, and the collection file of an
agency (the statement and the dunning history).

The statement goes to the customer and the collection file to an agency: neither holds anything internal, such
as the names of the staff who dunned.
"""

from .xlsx import BlockSheet, build_xlsx_sheets


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
    ]


def statement_block(env, partner, company, data):
    """The statement's first sheet: who and when, the totals and ageing per currency, and where to pay."""
    currencies = data["currencies"] or [company.currency_id]
    rows = [
        [(env._("Statement of Open Items"), "title")],
        [],
        [(env._("Company"), "label"), company.name],
        [(env._("Customer"), "label"), partner.commercial_partner_id.name],
        [(env._("Statement Date"), "label"), (data["date"], "date")],
        [(env._("Currency"), "label"), ", ".join(currency.name for currency in currencies)],
        [],
    ]
    if not data["items"]:
        rows.append([env._("You have no open items with us. Thank you!")])
    else:
        rows.append([(env._("Currency"), "header"), (env._("Total Open Amount"), "header")])
        rows += [[currency.name, (total, "total")] for currency, total in data["totals"]]
        rows += [[], [(env._("Ageing"), "label")],
                 [(env._("Currency"), "header")] + [(label, "header") for _key, label, _days in data["ageing_buckets"]]
                 + [(env._("Total Open Amount"), "header")]]
        rows += [[row["currency"].name] + [(row["amounts"][key], "money") for key, _label, _days in
                                           data["ageing_buckets"]] + [(row["total"], "total")]
                 for row in data["ageing"]]
        rows += payment_rows(env, data["bank"])
    return BlockSheet(env._("Statement"), rows, [24, 18, 14, 14, 14, 14, 16])


def payment_rows(env, bank):
    """The company's bank account and how to pay, or nothing when the company has no bank account."""
    if not bank:
        return []
    rows = [[], [(env._("Payment"), "label")],
            [env._("Account Holder"), bank["holder"]]]
    if bank["bank"]:
        rows.append([env._("Bank"), bank["bank"]])
    rows.append([env._("Account Number"), bank["acc_number"]])
    if bank["bic"]:
        rows.append([env._("BIC"), bank["bic"]])
    rows.append([env._("Please quote the invoice numbers with your payment.")])
    return rows


def _statement_sheets(partner, company):
    env = partner.with_company(company).with_context(lang=partner.lang or "en_US").env
    partner = partner.with_env(env)
    data = partner._credit_statement_data()
    return env, partner, [
        statement_block(env, partner, company, data),
        (env._("Open Items"), partner._credit_open_items(), open_item_columns(env, data["date"])),
    ]


def statement_workbook(partner, company):
    """The customer's statement in ``company``, in the customer's language, as bytes: a first sheet with the
    header, the totals and ageing per currency and the bank account, then the open items, credit notes and
    payments on account included. Nothing internal: it goes to the customer."""
    _env, _partner, sheets = _statement_sheets(partner, company)
    return build_xlsx_sheets(sheets)


def collection_file_workbook(partner, company):
    """The collection file handed to an agency, as bytes, in the customer's language: the customer's statement
    and its dunning history, without the names of the staff who dunned."""
    env, partner, sheets = _statement_sheets(partner, company)
    return build_xlsx_sheets(sheets + [
        (env._("Dunning History"), partner._credit_dunning_history(), history_columns(env)),
    ])

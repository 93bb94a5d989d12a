"""The premium declaration for the insurer as a spreadsheet: records in, bytes out."""

from odoo.addons.credit_control.report.xlsx import build_xlsx


def declaration_workbook(env, declaration):
    """One row per buyer country and invoice currency, a total row, then the premium rows.

    Columns: country, invoice currency, invoices, credit notes, invoiced, credited, net (invoice currency),
    net (policy currency). The total and premium rows fill the first and the last column.
    """
    policy_currency = declaration.currency_id.name
    rows = [{
        "label": line.country_id.name or env._("No country"),
        "currency": line.currency_id.name,
        "invoices": line.invoice_count,
        "refunds": line.refund_count,
        "invoiced": line.amount_invoiced,
        "refunded": line.amount_refunded,
        "net": line.amount_net,
        "net_policy": line.amount_net_policy,
    } for line in declaration.line_ids]
    rows.append({
        "label": env._("Insured turnover"), "currency": policy_currency, "invoices": declaration.invoice_count,
        "refunds": declaration.refund_count, "net_policy": declaration.insured_turnover,
    })
    rows += [
        {"label": env._("Premium rate (%)"), "net_policy": declaration.premium_rate},
        {"label": env._("Premium"), "currency": policy_currency, "net_policy": declaration.premium},
        {"label": env._("Annual minimum premium"), "currency": policy_currency,
         "net_policy": declaration.minimum_premium},
        {"label": env._("Due earlier in the policy year"), "currency": policy_currency,
         "net_policy": declaration.year_premium_before},
        {"label": env._("Minimum premium true-up"), "currency": policy_currency, "net_policy": declaration.true_up},
        {"label": env._("Premium due"), "currency": policy_currency, "net_policy": declaration.premium_due},
        {"label": env._("Due for the policy year so far"), "currency": policy_currency,
         "net_policy": declaration.year_to_date_premium},
    ]
    columns = [
        (env._("Buyer Country"), 28, lambda r: r["label"], None),
        (env._("Currency"), 10, lambda r: r.get("currency", ""), None),
        (env._("Invoices"), 10, lambda r: r.get("invoices", ""), None),
        (env._("Credit Notes"), 12, lambda r: r.get("refunds", ""), None),
        (env._("Invoiced"), 16, lambda r: r.get("invoiced", ""), "money"),
        (env._("Credited"), 16, lambda r: r.get("refunded", ""), "money"),
        (env._("Net Turnover"), 16, lambda r: r.get("net", ""), "money"),
        (env._("Net Turnover (%(currency)s)", currency=policy_currency), 20, lambda r: r["net_policy"], "money"),
    ]
    return build_xlsx(rows, env._("Declaration %(period)s", period=declaration._credit_period_label()), columns)

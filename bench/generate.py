#!/usr/bin/env python3
"""Build the benchmark database ``cc_bench_<preset>`` (issue #8).

The database holds our two modules and the OCA peers ``account_financial_risk`` and
``account_credit_control`` (18.0 wheels from PyPI, unzipped into ``.cache/oca-addons``), without demo data,
and a seeded, realistic receivable ledger: several companies with the generic chart of accounts, customers
across credit tiers, invoices over 18 months, full, partial and late payments, credit notes, unapplied
payments, foreign currency with rates, and open items of every age.

Speed: a handful of template documents per company is created and posted through the ORM; the ledger is then
planned in Python (seeded) and written with a few ``INSERT ... SELECT`` statements that copy the templates,
keeping moves, lines, residuals, reconciliations, matching numbers and payment states consistent.

``build(env, partners=, lines=, seed=)`` only needs ``account`` (the tests call it without the OCA peers).
Run it as ``python3 scripts/devenv.py exec {python} bench/generate.py --preset small``.
"""

import argparse
import json
import math
import random
import subprocess
import sys
import time
import zipfile
from datetime import date, datetime, timedelta
from pathlib import Path

from odoo import Command
from odoo.tools import SQL

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (
    CACHE,
    DEFAULT_SEED,
    MODULES_HASH_KEY,
    OCA_DIR,
    OUR_MODULES,
    PRESETS,
    SIZE_KEY,
    bench_conf,
    db_name,
    load_odoo,
    module_path,
    modules_hash,
    raw_cursor,
)

MODULES = (*OUR_MODULES, "account_financial_risk", "account_credit_control")
OCA_WHEELS = {
    "account_financial_risk": "odoo-addon-account-financial-risk>=18.0,<18.1",
    "account_credit_control": "odoo-addon-account-credit-control>=18.0,<18.1",
}
HISTORY_DAYS = 548  # 18 months of invoices (default)
TEMPLATE_DATE = date(2000, 1, 1)  # templates are numbered in a year no generated document uses
TIERS = (  # code, name, limit rule, weight among customers, payment term (days)
    ("CORE", "Core customers", "avg_monthly_sales", 20, 45),
    ("REG", "Regular customers", "quarter_sales", 50, 30),
    ("FIX", "Fixed limit", "fixed", 20, 30),
    ("PRE", "Prepayment only", "prepayment", 10, 0),
)
BEHAVIOURS = (("good", 60), ("late", 30), ("bad", 10))


# ---------------------------------------------------------------------------
# OCA peers
# ---------------------------------------------------------------------------

def ensure_oca():
    """Download the OCA 18.0 wheels (no dependencies: they only need core modules) and unzip their add-ons."""
    missing = [name for name in OCA_WHEELS if not (OCA_DIR / name / "__manifest__.py").exists()]
    if not missing:
        return
    wheels = CACHE / "oca-wheels"
    print(f"[bench] downloading OCA wheels: {', '.join(missing)}", flush=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check", "--no-deps",
                    "-d", str(wheels), *(OCA_WHEELS[name] for name in missing)], check=True)
    OCA_DIR.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(wheels.glob("odoo_addon_*-18.0.*.whl")):
        with zipfile.ZipFile(wheel) as zf:
            for member in zf.namelist():
                if member.startswith("odoo/addons/"):
                    target = OCA_DIR / member.removeprefix("odoo/addons/")
                    if not member.endswith("/"):
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_bytes(zf.read(member))


# ---------------------------------------------------------------------------
# Plan: the whole ledger, decided in Python from the seed (amounts in cents)
# ---------------------------------------------------------------------------

def month_rate(company_index, day):
    """Rate of the foreign currency (units per 1 company currency) on the first of ``day``'s month."""
    k = day.year * 12 + day.month
    base = 1.08 if company_index != 2 else 1 / 1.08
    return round(base * (1 + 0.04 * math.sin(k / 2.0 + company_index)), 6)


def plan_partners(rng, n_partners, n_companies):
    partners = []
    tier_weights = [t[3] for t in TIERS]
    for i in range(n_partners):
        home = rng.randrange(n_companies)
        companies = [home]
        if n_companies > 1 and rng.random() < 0.15:
            companies.append((home + 1 + rng.randrange(n_companies - 1)) % n_companies)
        tiers = {c: rng.choices(range(len(TIERS)), weights=tier_weights)[0] for c in companies}
        mean = round(rng.lognormvariate(7.5, 0.8) * 100)  # cents, median ~1,800
        partners.append({
            "name": f"Bench Customer {i + 1:05d}",
            "companies": companies,
            "tiers": tiers,
            "behaviour": rng.choices([b[0] for b in BEHAVIOURS], weights=[b[1] for b in BEHAVIOURS])[0],
            "foreign": rng.random() < 0.1,
            "mean": mean,
            "limit": {c: round(mean * 4, -5) for c in companies},
            "weight": rng.lognormvariate(0, 1),
        })
    return partners


def plan_ledger(rng, partners, n_lines, today, history_days=HISTORY_DAYS):
    """Return (docs, partials): documents with receivable residuals, and their reconciliations."""
    pairs = [(p, c) for p in range(len(partners)) for c in partners[p]["companies"]]
    cum, total = [], 0.0
    for p, _c in pairs:
        total += partners[p]["weight"]
        cum.append(total)
    docs, partials = [], []

    def add(kind, p, c, day, amount, rate, due=None):
        balance = round(amount / rate) if rate != 1 else amount
        doc = {"kind": kind, "partner": p, "company": c, "date": day, "due": due or day, "foreign": rate != 1,
               "amount": amount, "balance": balance, "residual": amount, "residual_balance": balance}
        docs.append(doc)
        return doc

    def reconcile(invoice, credit, amount, balance):
        invoice["residual"] -= amount
        invoice["residual_balance"] -= balance
        credit["residual"] -= amount
        credit["residual_balance"] -= balance
        invoice["reversed"] = invoice.get("reversed") or credit["kind"] == "refund"
        partials.append({"debit": invoice, "credit": credit, "amount": amount, "balance": balance,
                         "date": max(invoice["date"], credit["date"])})

    while len(docs) < n_lines:
        p, c = pairs[rng.choices(range(len(pairs)), cum_weights=cum)[0]]
        partner = partners[p]
        tier = TIERS[partner["tiers"][c]]
        day = today - timedelta(days=rng.randrange(history_days))
        rate = month_rate(c, day) if partner["foreign"] else 1
        amount = max(100, round(partner["mean"] * rng.uniform(0.3, 1.7)))
        invoice = add("invoice", p, c, day, amount, rate, due=day + timedelta(days=tier[4]))
        if rng.random() < 0.06 and len(docs) < n_lines:
            refund_day = day + timedelta(days=rng.randint(1, 20))
            if refund_day <= today:
                refund_amount = round(amount * rng.uniform(0.1, 0.5))
                refund = add("refund", p, c, refund_day, refund_amount, rate)
                refund["balance"] = refund["residual_balance"] = round(invoice["balance"] * refund_amount / amount)
                if rng.random() < 0.75:
                    reconcile(invoice, refund, refund["amount"], refund["balance"])
        if tier[4] == 0:
            delay = -tier[4]
        elif partner["behaviour"] == "good":
            delay = rng.randint(-tier[4], 3)
        elif partner["behaviour"] == "late":
            delay = rng.randint(1, 75)
        else:
            delay = rng.randint(20, 400)
        pay_day = max(day, invoice["due"] + timedelta(days=delay))
        if pay_day <= today and len(docs) < n_lines:
            if rng.random() < 0.88:
                amount, balance = invoice["residual"], invoice["residual_balance"]
            else:
                share = rng.uniform(0.2, 0.8)
                amount, balance = round(invoice["residual"] * share), round(invoice["residual_balance"] * share)
            payment = add("payment", p, c, pay_day, amount, rate)
            payment["balance"] = payment["residual_balance"] = balance
            reconcile(invoice, payment, amount, balance)
        if rng.random() < 0.01 and len(docs) < n_lines:  # a payment on account, applied to nothing
            on_account = today - timedelta(days=rng.randrange(history_days))
            add("payment", p, c, on_account, round(partner["mean"] * rng.uniform(0.1, 1)), 1)
    return docs, partials


# ---------------------------------------------------------------------------
# Database set-up through the ORM (companies, charts, rates, tiers, templates)
# ---------------------------------------------------------------------------

def setup_companies(env, n_companies, seed, today, history_days=HISTORY_DAYS):

    usd, eur = env.ref("base.USD"), env.ref("base.EUR")
    (usd | eur).active = True
    companies = env["res.company"]
    for i in range(n_companies):
        currency = eur if i == 2 else usd
        company = env["res.company"].create({"name": f"Bench {seed}-{i + 1}", "currency_id": currency.id})
        env["account.chart.template"].try_loading("generic_coa", company, install_demo=False)
        foreign = usd if currency == eur else eur
        months, day = [], today.replace(day=1)
        for _k in range(history_days // 30 + 3):
            months.append(day)
            day = (day - timedelta(days=1)).replace(day=1)
        env["res.currency.rate"].create([
            {"name": m, "rate": month_rate(i, m), "currency_id": foreign.id, "company_id": company.id}
            for m in months
        ])
        companies |= company
    env.user.company_ids = [Command.link(c.id) for c in companies]
    return companies


def setup_tiers(env, companies):
    """One set of credit tiers per company; {(company index, tier index): tier id} (empty without the model)."""
    if "credit.tier" not in env:
        return {}
    tiers = {}
    for c, company in enumerate(companies):
        for t, (code, name, rule, _weight, _term) in enumerate(TIERS):
            tiers[c, t] = env["credit.tier"].create({
                "name": name, "code": code, "limit_rule": rule, "company_id": company.id, "fixed_amount": 5000.0,
            }).id
    return tiers


def make_templates(env, company, partner):
    """Post one invoice, one credit note and one payment entry of 100.00; return their ids per kind."""

    Journal = env["account.journal"].with_company(company)
    sale = Journal.search([("company_id", "=", company.id), ("type", "=", "sale")], limit=1)
    bank = Journal.search([("company_id", "=", company.id), ("type", "=", "bank")], limit=1)
    Move = env["account.move"].with_company(company)
    line = {"name": "Goods", "quantity": 1, "price_unit": 100.0, "tax_ids": [Command.clear()],
            "account_id": sale.default_account_id.id}
    invoice_vals = {"partner_id": partner.id, "invoice_date": TEMPLATE_DATE, "journal_id": sale.id,
                    "invoice_line_ids": [Command.create(line)]}
    invoice = Move.create({**invoice_vals, "move_type": "out_invoice"})
    refund = Move.create({**invoice_vals, "move_type": "out_refund"})
    receivable = invoice.line_ids.filtered(lambda aml: aml.account_id.account_type == "asset_receivable").account_id
    payment = Move.create({
        "move_type": "entry", "journal_id": bank.id, "date": TEMPLATE_DATE, "line_ids": [
            Command.create({"account_id": bank.default_account_id.id, "partner_id": partner.id, "debit": 100.0}),
            Command.create({"account_id": receivable.id, "partner_id": partner.id, "credit": 100.0}),
        ],
    })
    moves = invoice | refund | payment
    moves.action_post()
    templates = {}
    for kind, move in (("invoice", invoice), ("refund", refund), ("payment", payment)):
        assert len(move.line_ids) == 2, f"template {kind} must have two lines, got {len(move.line_ids)}"
        rec = move.line_ids.filtered(lambda aml: aml.account_id == receivable)
        templates[kind] = (move.id, rec.id, (move.line_ids - rec).id, move.sequence_prefix)
    return templates


# ---------------------------------------------------------------------------
# Bulk SQL
# ---------------------------------------------------------------------------

def reserve_ids(cr, table, count):
    """Reserve ``count`` consecutive ids of ``table``'s sequence; return the first."""

    if not count:
        return 0
    seq = f"{table}_id_seq"
    cr.execute(SQL("SELECT setval(%s, nextval(%s) + %s - 1)", seq, seq, count))
    return cr.fetchone()[0] - count + 1


def table_columns(cr, table):
    cr.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
               [table])
    return [row[0] for row in cr.fetchall()]


def clone(cr, table, plan, template_column, overrides):
    """Insert one copy of a template row of ``table`` per row of the temporary table ``plan``.

    ``overrides`` maps a column to an SQL expression over ``p`` (the plan row) and ``t`` (the template row);
    every other column is copied from the template.
    """

    columns = table_columns(cr, table)
    exprs = [SQL(overrides[col]) if col in overrides else SQL("t.%s", SQL.identifier(col)) for col in columns]
    cr.execute(SQL(
        "INSERT INTO %s (%s) SELECT %s FROM %s p JOIN %s t ON t.id = p.%s",
        SQL.identifier(table), SQL(", ").join(SQL.identifier(c) for c in columns), SQL(", ").join(exprs),
        SQL.identifier(plan), SQL.identifier(table), SQL.identifier(template_column),
    ))
    return cr.rowcount


def load_plan(cr, name, columns, rows):
    """Create the temporary table ``name`` (``columns``: 'name type' strings) and fill it with ``rows``."""
    cr.execute(f"DROP TABLE IF EXISTS {name}")
    cr.execute(f"CREATE TEMPORARY TABLE {name} ({', '.join(columns)}) ON COMMIT DROP")
    if rows:
        cr.execute_values(f"INSERT INTO {name} VALUES %s", rows, page_size=5000)


def insert_partners(env, partners, companies, tiers, template):
    cr = env.cr
    first = reserve_ids(cr, "res_partner", len(partners))
    rows, company_ids = [], companies.ids
    for i, partner in enumerate(partners):
        pid = first + i
        partner["id"] = pid
        tier = {str(company_ids[c]): tiers[c, t] for c, t in partner["tiers"].items()} if tiers else None
        limit = {str(company_ids[c]): value / 100 for c, value in partner["limit"].items()}
        rows.append((pid, template.id, partner["name"], f"BC{i + 1:05d}", json.dumps(tier) if tier else None,
                     json.dumps(limit)))
    load_plan(cr, "bench_partner_plan", ["id int", "tmpl int", "name varchar", "ref varchar", "tier jsonb",
                                         "credit_limit jsonb"], rows)
    overrides = {
        "id": "p.id", "name": "p.name", "complete_name": "p.name", "display_name": "p.name", "ref": "p.ref",
        "commercial_partner_id": "p.id", "email": "lower(replace(p.name, ' ', '.')) || '@example.com'",
        "credit_limit": "p.credit_limit", "credit_tier_id": "p.tier",
        # OCA account_financial_risk: count open and overdue invoices in the customer's risk
        "risk_invoice_open_include": "true", "risk_invoice_unpaid_include": "true",
    }
    clone(cr, "res_partner", "bench_partner_plan", "tmpl", overrides)


def move_overrides():
    sign = "sign(t.{0})"
    overrides = {
        "id": "p.move_id", "name": "p.name", "sequence_prefix": "p.seq_prefix", "sequence_number": "p.seq_number",
        "date": "p.date", "invoice_date": "CASE WHEN t.invoice_date IS NULL THEN NULL ELSE p.date END",
        "invoice_date_due": "CASE WHEN t.invoice_date_due IS NULL THEN NULL ELSE p.due END",
        # one receivable line per move: its due date is the first open instalment's (credit_control)
        "credit_date_due": "CASE WHEN t.credit_date_due IS NULL THEN NULL ELSE p.due END",
        "partner_id": "p.partner_id", "commercial_partner_id": "p.partner_id",
        "partner_shipping_id": "CASE WHEN t.partner_shipping_id IS NULL THEN NULL ELSE p.partner_id END",
        "invoice_partner_display_name": "CASE WHEN t.invoice_partner_display_name IS NULL THEN NULL "
                                        "ELSE p.partner_name END",
        "payment_reference": "CASE WHEN t.payment_reference IS NULL THEN NULL ELSE p.name END",
        "currency_id": "p.currency_id",
        "payment_state": "CASE WHEN t.move_type = 'entry' THEN t.payment_state ELSE p.payment_state END",
        "amount_residual": sign.format("amount_residual") + " * p.residual / 100.0",
        "amount_residual_signed": sign.format("amount_residual_signed") + " * p.residual_balance / 100.0",
    }
    for col in ("amount_untaxed", "amount_total", "amount_untaxed_in_currency_signed",
                "amount_total_in_currency_signed"):
        overrides[col] = sign.format(col) + " * p.amount / 100.0"
    for col in ("amount_untaxed_signed", "amount_total_signed"):
        overrides[col] = sign.format(col) + " * p.balance / 100.0"
    return overrides


def line_overrides(receivable):
    """Copy expressions for a move's receivable line, or for its counterpart (income or bank) line."""
    s = "p.sign" if receivable else "(-p.sign)"
    overrides = {
        "id": "p.rec_line_id" if receivable else "p.cp_line_id", "move_id": "p.move_id", "move_name": "p.name",
        "date": "p.date", "invoice_date": "CASE WHEN t.invoice_date IS NULL THEN NULL ELSE p.date END",
        "date_maturity": "CASE WHEN t.date_maturity IS NULL THEN NULL ELSE p.due END",
        "partner_id": "p.partner_id", "currency_id": "p.currency_id",
        "amount_currency": f"{s} * p.amount / 100.0", "balance": f"{s} * p.balance / 100.0",
        "debit": f"CASE WHEN {s} > 0 THEN p.balance / 100.0 ELSE 0 END",
        "credit": f"CASE WHEN {s} < 0 THEN p.balance / 100.0 ELSE 0 END",
        "price_unit": "sign(t.price_unit) * p.amount / 100.0",
        "price_subtotal": "sign(t.price_subtotal) * p.amount / 100.0",
        "price_total": "sign(t.price_total) * p.amount / 100.0",
    }
    if receivable:
        overrides.update({
            "amount_residual": f"{s} * p.residual_balance / 100.0",
            "amount_residual_currency": f"{s} * p.residual / 100.0",
            "reconciled": "p.residual = 0 AND p.residual_balance = 0",
            "full_reconcile_id": "p.full_reconcile_id", "matching_number": "p.matching_number",
        })
    else:  # a cash line keeps its balance as residual, an income line has none
        overrides.update({
            "amount_residual": f"sign(abs(t.amount_residual)) * {s} * p.balance / 100.0",
            "amount_residual_currency": f"sign(abs(t.amount_residual_currency)) * {s} * p.amount / 100.0",
        })
    return overrides


def insert_ledger(env, docs, partials, partners, companies, templates):
    cr = env.cr
    move0 = reserve_ids(cr, "account_move", len(docs))
    line0 = reserve_ids(cr, "account_move_line", 2 * len(docs))
    partial0 = reserve_ids(cr, "account_partial_reconcile", len(partials))
    for i, doc in enumerate(docs):
        doc["move_id"], doc["rec_line_id"], doc["cp_line_id"] = move0 + i, line0 + 2 * i, line0 + 2 * i + 1
        doc["full"] = doc["matching"] = None
    # reconciliations: a fully paid invoice gets a full reconcile, a partly paid one a 'P<min partial>' number
    groups = {}
    for k, partial in enumerate(partials):
        partial["id"] = partial0 + k
        groups.setdefault(partial["debit"]["move_id"], []).append(partial)
    full_invoices = [g for g in groups.values() if g[0]["debit"]["residual"] == 0 == g[0]["debit"]["residual_balance"]]
    full0 = reserve_ids(cr, "account_full_reconcile", len(full_invoices))
    for k, group in enumerate(full_invoices):
        for partial in group:
            partial["full"] = full0 + k
    for group in groups.values():
        full = group[0].get("full")
        matching = str(full) if full else f"P{group[0]['id']}"
        for doc in [group[0]["debit"], *(partial["credit"] for partial in group)]:
            doc["full"], doc["matching"] = full, matching
    # names: one sequence per journal (company and kind) and year, in date order
    counters = {}
    for doc in sorted(docs, key=lambda d: (d["company"], d["kind"], d["date"], d["move_id"])):
        prefix = templates[doc["company"]][doc["kind"]][3].replace(str(TEMPLATE_DATE.year), str(doc["date"].year))
        number = counters[prefix] = counters.get(prefix, 0) + 1
        doc["seq_prefix"], doc["seq_number"], doc["name"] = prefix, number, f"{prefix}{number:05d}"
    usd, eur = env.ref("base.USD").id, env.ref("base.EUR").id
    currencies = [(c.currency_id.id, usd if c.currency_id.id == eur else eur) for c in companies]
    rows = []
    for doc in docs:
        own_currency, foreign_currency = currencies[doc["company"]]
        tmpl_move, tmpl_rec, tmpl_cp, _prefix = templates[doc["company"]][doc["kind"]]
        if doc["kind"] == "payment" or doc["kind"] == "refund":
            state = "paid" if doc["residual"] == 0 and doc["kind"] == "refund" else "not_paid"
        else:
            # like Odoo, a paid invoice settled with at least one credit note is 'reversed'
            state = ("reversed" if doc.get("reversed") else "paid") if doc["full"] else (
                "partial" if doc["matching"] else "not_paid")
        rows.append((
            doc["move_id"], doc["rec_line_id"], doc["cp_line_id"], tmpl_move, tmpl_rec, tmpl_cp,
            1 if doc["kind"] == "invoice" else -1, doc["name"], doc["seq_prefix"], doc["seq_number"], doc["date"],
            doc["due"], partners[doc["partner"]]["id"], partners[doc["partner"]]["name"],
            foreign_currency if doc["foreign"] else own_currency, doc["amount"], doc["balance"], doc["residual"],
            doc["residual_balance"], state, doc["full"], doc["matching"],
        ))
    load_plan(cr, "bench_move_plan", [
        "move_id int", "rec_line_id int", "cp_line_id int", "tmpl_move int", "tmpl_rec int", "tmpl_cp int",
        "sign int", "name varchar", "seq_prefix varchar", "seq_number int", "date date", "due date",
        "partner_id int", "partner_name varchar", "currency_id int", "amount bigint", "balance bigint",
        "residual bigint", "residual_balance bigint", "payment_state varchar", "full_reconcile_id int",
        "matching_number varchar",
    ], rows)
    if full_invoices:
        cr.execute("INSERT INTO account_full_reconcile (id, create_uid, write_uid, create_date, write_date) "
                   "SELECT g, 1, 1, now(), now() FROM generate_series(%s, %s) g",
                   [full0, full0 + len(full_invoices) - 1])
    clone(cr, "account_move", "bench_move_plan", "tmpl_move", move_overrides())
    clone(cr, "account_move_line", "bench_move_plan", "tmpl_rec", line_overrides(receivable=True))
    clone(cr, "account_move_line", "bench_move_plan", "tmpl_cp", line_overrides(receivable=False))
    if partials:
        now, company_ids = datetime.now(), companies.ids
        currency = {doc["move_id"]: row[14] for doc, row in zip(docs, rows, strict=True)}
        cr.execute_values(
            "INSERT INTO account_partial_reconcile (id, debit_move_id, credit_move_id, full_reconcile_id, "
            "debit_currency_id, credit_currency_id, company_id, max_date, amount, debit_amount_currency, "
            "credit_amount_currency, create_uid, write_uid, create_date, write_date) VALUES %s",
            [(pr["id"], pr["debit"]["rec_line_id"], pr["credit"]["rec_line_id"], pr.get("full"),
              currency[pr["debit"]["move_id"]], currency[pr["credit"]["move_id"]],
              company_ids[pr["debit"]["company"]], pr["date"], pr["balance"] / 100, pr["amount"] / 100,
              pr["amount"] / 100, 1, 1, now, now) for pr in partials],
            page_size=5000,
        )


# ---------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------

def build(env, partners, lines, seed=DEFAULT_SEED, companies=3, today=None, history_days=HISTORY_DAYS):
    """Create the benchmark data in ``env`` (needs ``account``; never commits); return ``totals()``.

    :param partners: number of customers
    :param lines: number of receivable journal items (invoices, credit notes and payments)
    :param companies: number of new companies (the third one, if any, keeps its books in EUR)
    :param history_days: invoices are dated over this many days up to ``today``
    """
    today = today or date.today()
    rng = random.Random(seed)
    env = env(context=dict(env.context, tracking_disable=True, mail_notrack=True, mail_create_nolog=True))
    company_recs = setup_companies(env, companies, seed, today, history_days)
    tiers = setup_tiers(env, company_recs)
    template_partner = env["res.partner"].create({"name": "Bench template", "is_company": True,
                                                  "customer_rank": 1, "lang": "en_US"})
    templates = [make_templates(env, company, template_partner) for company in company_recs]
    env.flush_all()
    partner_plan = plan_partners(rng, partners, len(company_recs))
    docs, partials = plan_ledger(rng, partner_plan, lines, today, history_days)
    insert_partners(env, partner_plan, company_recs, tiers, template_partner)
    insert_ledger(env, docs, partials, partner_plan, company_recs, templates)
    template_moves = [tmpl[0] for per_company in templates for tmpl in per_company.values()]
    env.cr.execute("DELETE FROM account_move WHERE id = ANY(%s)", [template_moves])
    env.cr.execute("DELETE FROM res_partner WHERE id = %s", [template_partner.id])
    env.invalidate_all()
    env.cr.execute("ANALYZE res_partner, account_move, account_move_line, account_partial_reconcile")
    return totals(env, company_recs.ids)


def totals(env, company_ids):
    """Figures that must not change for a given seed and size."""
    env.cr.execute("""
        SELECT count(DISTINCT m.id), count(l.id), count(l.id) FILTER (WHERE a.account_type = 'asset_receivable'),
               sum(l.amount_residual) FILTER (WHERE a.account_type = 'asset_receivable'),
               count(l.id) FILTER (WHERE a.account_type = 'asset_receivable' AND NOT l.reconciled),
               count(DISTINCT l.partner_id), sum(l.balance), count(DISTINCT l.full_reconcile_id)
          FROM account_move m
          JOIN account_move_line l ON l.move_id = m.id
          JOIN account_account a ON a.id = l.account_id
         WHERE m.company_id = ANY(%s)
    """, [company_ids])
    keys = ("moves", "lines", "receivable_lines", "receivable_residual", "open_items", "customers", "balance",
            "full_reconciles")
    return dict(zip(keys, env.cr.fetchone(), strict=True))


def size_marker(size, seed):
    """The size stored in the database; companies and history appear only when they are not the defaults."""
    marker = f"partners={size['partners']} lines={size['lines']} seed={seed}"
    if size.get("companies", 3) != 3:
        marker += f" companies={size['companies']}"
    if size.get("history_days", HISTORY_DAYS) != HISTORY_DAYS:
        marker += f" history_days={size['history_days']}"
    return marker


def odoo_cli(conf, dbname, *args):
    subprocess.run([sys.executable, "-m", "odoo", "-c", str(conf), "-d", dbname, *args, "--stop-after-init",
                    "--no-http", "--log-level=warn"], check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--partners", type=int, help="number of customers (default: the preset's)")
    parser.add_argument("--lines", type=int, help="number of receivable journal items (default: the preset's)")
    parser.add_argument("--companies", type=int, help="number of companies (default: the preset's, else 3)")
    parser.add_argument("--history-days", type=int,
                        help=f"days of invoices (default: the preset's, else {HISTORY_DAYS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--force", action="store_true", help="rebuild even if the database matches")
    args = parser.parse_args()
    options = {"partners": args.partners, "lines": args.lines, "companies": args.companies,
               "history_days": args.history_days}
    size = {"companies": 3, "history_days": HISTORY_DAYS, **PRESETS[args.preset],
            **{k: v for k, v in options.items() if v}}
    marker = size_marker(size, args.seed)
    dbname = db_name(args.preset)
    started = time.monotonic()

    ensure_oca()
    conf = bench_conf()
    odoo = load_odoo(conf)
    code = modules_hash(odoo)
    print(f"[bench] {', '.join(OUR_MODULES)} from {module_path(odoo, OUR_MODULES[0]).parent}", flush=True)
    with raw_cursor(odoo, dbname) as cr:
        found = found_code = None
        if cr:
            cr.execute("SELECT key, value FROM ir_config_parameter WHERE key IN %s", [(SIZE_KEY, MODULES_HASH_KEY)])
            values = dict(cr.fetchall())
            found, found_code = values.get(SIZE_KEY), values.get(MODULES_HASH_KEY)
    if found == marker and not args.force:
        if found_code != code:
            print(f"[bench] updating {', '.join(OUR_MODULES)} in {dbname}: their code changed", flush=True)
            odoo_cli(conf, dbname, "-u", ",".join(OUR_MODULES))
            with raw_cursor(odoo, dbname) as cr:
                cr.execute("INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, "
                           "write_date) VALUES (%s, %s, 1, 1, now(), now()) "
                           "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [MODULES_HASH_KEY, code])
                cr.commit()
        print(f"[bench] reusing database {dbname} ({marker})", flush=True)
        return 0
    odoo.service.db.exp_drop(dbname) if found is not None or dbname in odoo.service.db.list_dbs(True) else None
    print(f"[bench] installing {', '.join(MODULES)} into {dbname}", flush=True)
    odoo_cli(conf, dbname, "-i", ",".join(MODULES), "--without-demo=all")
    installed = time.monotonic()
    print(f"[bench] modules installed in {installed - started:.0f}s; generating {marker}", flush=True)
    registry = odoo.modules.registry.Registry(dbname)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        figures = build(env, size["partners"], size["lines"], args.seed, companies=size["companies"],
                        history_days=size["history_days"])
        env["ir.config_parameter"].set_param(SIZE_KEY, marker)
        env["ir.config_parameter"].set_param(MODULES_HASH_KEY, code)
    print(f"[bench] data generated in {time.monotonic() - installed:.0f}s: {figures}", flush=True)
    print(f"[bench] database {dbname} ready in {time.monotonic() - started:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

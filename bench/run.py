#!/usr/bin/env python3
"""Run the benchmark scenarios against ``cc_bench_<preset>`` (built by bench/generate.py).

Each scenario times our code and a baseline in the same run, on the same data, in fresh transactions that are
rolled back (so every repetition starts from the same state with cold ORM caches), and reports the medians,
their ratio and the number of SQL queries of one repetition. One line per scenario and baseline is printed
and the same figures are written as JSON under ``.cache/bench/``.

A scenario whose code is not in the installed modules yet prints ``n/a (not implemented yet)``: feature work
fills in its ``ours`` function (and ``requires``) below.
Run it as ``python3 scripts/devenv.py exec {python} bench/run.py --preset small``.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import BENCH_DIR, PRESETS, SIZE_KEY, bench_conf, db_name, load_odoo

NOT_IMPLEMENTED = "n/a (not implemented yet)"
OCA_RISK_FIELDS = ["risk_invoice_open", "risk_invoice_unpaid", "risk_account_amount", "risk_account_amount_unpaid",
                   "risk_total", "risk_exception"]
# The dunning levels of both policies (ours and OCA's): name, days after the due date; letters only, no email.
DUNNING_LEVELS = (("First reminder", 10), ("Second reminder", 30), ("Final notice", 60), ("Legal warning", 90))
DUNNING_BATCH = 2000  # customers per _credit_run_batch call, the scheduled action's default
WARNING_BATCH = 2000  # customers per _credit_measure_partners call, the scheduled action's default
NOTIFICATION_BATCH = 5000  # invoices per _cron_insurance_deadlines call, the scheduled action's default


@dataclass
class Scenario:
    """``ours`` and each baseline take (env, ctx) and do the measured work in ``env.company``."""

    name: str
    measured: str
    ours: object = None
    requires: tuple = ()  # (model, method or field) pairs that must exist, else the scenario prints n/a
    baselines: list = field(default_factory=list)  # (label, function, requires)
    setup: object = None  # (env, ctx) -> data passed as ctx["data"]; run before the clock starts
    repeats: int = 0  # overrides --repeat when the setup is expensive
    created: object = None  # (env, ctx) -> {what: count} made by one run, read after the clock; must not be all 0


# ---------------------------------------------------------------------------
# Scenario functions
# ---------------------------------------------------------------------------

def profile_recompute(env, ctx):
    env["res.partner"].browse(ctx["partner_ids"])._credit_compute_profiles()


def bare_sql_aggregate(env, ctx):
    env.cr.execute("""
        SELECT l.partner_id, sum(l.amount_residual),
               sum(l.amount_residual) FILTER (WHERE l.date_maturity < current_date)
          FROM account_move_line l
          JOIN account_account a ON a.id = l.account_id
         WHERE l.company_id = %s AND l.parent_state = 'posted' AND a.account_type = 'asset_receivable'
           AND NOT l.reconciled AND l.partner_id = ANY(%s)
         GROUP BY l.partner_id
    """, [env.company.id, ctx["partner_ids"]])
    env.cr.fetchall()


def oca_risk_fields(env, ctx):
    env["res.partner"].browse(ctx["partner_ids"]).read(OCA_RISK_FIELDS)


def draft_invoices(env, ctx):
    """500 draft invoices over 50 customers whose limits are high enough for every check to pass."""
    from odoo import Command  # Odoo is importable only once load_odoo ran

    partners = env["res.partner"].browse(ctx["partner_ids"][:50])
    for partner in partners:
        partner.credit_limit = 10 ** 9
    partners.write({"credit_hold": False})
    product_line = {"name": "Goods", "quantity": 1, "price_unit": 100.0, "tax_ids": []}
    return env["account.move"].create([
        {"move_type": "out_invoice", "partner_id": partner.id, "invoice_date": time.strftime("%Y-%m-%d"),
         "invoice_line_ids": [Command.create(product_line)]}
        for partner in partners for _i in range(10)
    ])


def post_with_credit_control(env, ctx):
    env.company.account_use_credit_limit = True
    ctx["data"].with_context(bypass_risk=True).action_post()


def post_without_credit_control(env, ctx):
    env.company.account_use_credit_limit = False
    ctx["data"].with_context(bypass_risk=True).action_post()


def post_with_oca_risk(env, ctx):
    env.company.account_use_credit_limit = False
    ctx["data"].action_post()


def dunning_policies(env, ctx):
    """Our dunning policy and an OCA credit control policy with the same levels, each its company's default."""
    from odoo import Command

    company, data = env.company, {}
    if "credit.control.policy" in env:
        receivable = env["account.account"].search([*env["account.account"]._check_company_domain(company),
                                                    ("account_type", "=", "asset_receivable")])
        template = env.ref("account_credit_control.email_template_credit_control_base")
        data["oca_policy"] = env["credit.control.policy"].create({
            "name": "Bench dunning", "company_id": company.id, "account_ids": [Command.set(receivable.ids)],
            "level_ids": [Command.create({
                "name": name, "level": index, "computation_mode": "net_days", "delay_days": days,
                "channel": "letter", "email_template_id": template.id, "custom_text": name, "custom_mail_text": name,
            }) for index, (name, days) in enumerate(DUNNING_LEVELS, start=1)],
        })
        company.credit_policy_id = data["oca_policy"]
    if "credit.dunning.policy" in env:
        policy = env["credit.dunning.policy"].create({
            "name": "Bench dunning", "company_id": company.id,
            "level_ids": [Command.create({
                "name": name, "sequence": 10 * index, "offset_days": days, "min_amount": 0.0, "action_letter": True,
            }) for index, (name, days) in enumerate(DUNNING_LEVELS, start=1)],
        })
        company.credit_dunning_policy_id = policy
        # the company's policy for every customer: no tier or customer of the bench data overrides it
        env["credit.tier"].search([("company_id", "=", company.id)]).dunning_policy_id = policy
        env["res.partner"].search([("credit_dunning_policy_id", "not in", [False, policy.id])]).write(
            {"credit_dunning_policy_id": policy.id})
    data["before"] = dunning_records(env, ctx)
    return data


def dunning_records(env, ctx):
    """Dunning records of the company: OCA credit control lines, our communications and their invoice lines."""
    counts = {}
    for label, model in (("OCA lines", "credit.control.line"), ("communications", "credit.dunning.communication"),
                         ("invoices dunned", "credit.dunning.line")):
        if model in env:
            counts[label] = env[model].search_count([("company_id", "=", env.company.id)])
    before = ctx.get("data", {}).get("before", {})
    return {label: count - before.get(label, 0) for label, count in counts.items()}


def dunning_run(env, ctx):
    """A full run: batches of customers until none is left."""
    dunning = env["credit.dunning.communication"]
    for _batch in range(len(ctx["partner_ids"]) // DUNNING_BATCH + 2):
        _done, remaining = dunning._credit_run_batch(batch_size=DUNNING_BATCH)
        if not remaining:
            return
    raise RuntimeError("the dunning run still has customers left after more batches than customers allow")


def oca_credit_control_run(env, ctx):
    from odoo import Command

    run = env["credit.control.run"].create({
        "date": datetime.date.today(), "company_id": env.company.id,
        "policy_ids": [Command.set(ctx["data"]["oca_policy"].ids)],
    })
    run.generate_credit_lines()


def warning_run(env, ctx):
    """A full warning run of the company: every customer in batches, as the scheduled action does, then the
    company's own close (cash-flow monitor, digest)."""
    warnings = env["credit.warning"]
    partners = env["res.partner"].browse(ctx["partner_ids"])
    for start in range(0, len(partners), WARNING_BATCH):
        warnings._credit_measure_partners(partners[start:start + WARNING_BATCH])
    warnings._credit_finish_company()


def warning_records(env, ctx):
    """Open warnings of the company, and its customers measured (warnings) or rated (profiles) today."""
    key, today = str(env.company.id), str(datetime.date.today())
    env.cr.execute("""
        SELECT count(*) FILTER (WHERE credit_warned_on->>%s = %s), count(*) FILTER (WHERE credit_rated_on->>%s = %s)
          FROM res_partner WHERE id = commercial_partner_id
    """, [key, today, key, today])
    measured, rated = env.cr.fetchone()
    return {"open warnings": env["credit.warning"].search_count([("company_id", "=", env.company.id),
                                                                  ("state", "!=", "resolved")]),
            "customers measured": measured, "customers rated": rated}


def insurance_policy(env, partner_ids):
    """An active policy of the company (60-day extension, 5 days' notice) granting cover to each of
    ``partner_ids`` (SQL: 10,000 covers)."""
    from odoo.tools import SQL

    insurer = env["res.partner"].create({"name": "Bench Insurer", "is_company": True})
    policy = env["credit.insurance.policy"].create({
        "policy_number": "BENCH-1", "insurer_id": insurer.id, "company_id": env.company.id,
        "date_start": datetime.date.today() - datetime.timedelta(days=3 * 365),
        "date_end": datetime.date.today() + datetime.timedelta(days=365), "max_extension_days": 60,
        "notice_days": 5})
    policy.action_activate()
    env.flush_all()
    env.cr.execute(SQL(
        """
        INSERT INTO credit_insurance_cover (partner_id, policy_id, company_id, decision, amount_granted,
                                            date_effective, request_date, create_uid, write_uid, create_date,
                                            write_date)
        SELECT p, %(policy)s, %(company)s, 'granted', 1000000, %(start)s, %(start)s, 1, 1, now(), now()
          FROM unnest(%(partners)s::int[]) AS p
        """, policy=policy.id, company=env.company.id, start=policy.date_start, partners=list(partner_ids)))
    return policy


def insured_items(env, ctx):
    """Every open customer invoice of the company insured: a policy covering every customer, the invoices
    marked as posting would have."""
    from odoo.tools import SQL

    company = env.company
    policy = insurance_policy(env, ctx["partner_ids"])
    env.cr.execute(SQL(
        """
        UPDATE account_move m
           SET credit_insured = TRUE, credit_insurance_policy_id = c.policy_id, credit_insurance_cover_id = c.id,
               credit_insurance_state = 'covered', credit_insurance_deadline = m.credit_date_due + 60
          FROM credit_insurance_cover c
         WHERE c.policy_id = %(policy)s AND c.partner_id = m.commercial_partner_id AND m.company_id = %(company)s
           AND m.move_type = 'out_invoice' AND m.state = 'posted'
           AND m.payment_state NOT IN ('paid', 'in_payment', 'reversed')
        """, policy=policy.id, company=company.id))
    insured = env.cr.rowcount
    env.invalidate_all()
    return {"insured": insured}


def notification_run(env, ctx):
    """The daily overdue-notification run, called again while invoices are left, as the cron runner does."""
    notifications = env["credit.insurance.notification"]
    for _batch in range(ctx["data"]["insured"] // NOTIFICATION_BATCH + 2):
        if not notifications._cron_insurance_deadlines(batch_size=NOTIFICATION_BATCH):
            return
    raise RuntimeError("the notification run still has invoices left after more batches than invoices allow")


def notification_records(env, ctx):
    """Insured open invoices of the company, drafts prepared and invoices put in them or flagged."""
    env.cr.execute("""
        SELECT count(*), count(*) FILTER (WHERE credit_insurance_notification_id IS NOT NULL),
               count(*) FILTER (WHERE credit_insurance_state = 'late')
          FROM account_move WHERE company_id = %s AND credit_insured
    """, [env.company.id])
    insured, listed, late = env.cr.fetchone()
    return {"insured invoices": insured, "invoices listed": listed, "cover at risk": late,
            "drafts": env["credit.insurance.notification"].search_count([("company_id", "=", env.company.id)])}


def overdue_customers(env, name, customers, invoices, due, **partner_values):
    """``customers`` new customers with ``invoices`` posted invoices of 100 each, all due on ``due``."""
    from odoo import Command

    partners = env["res.partner"].create([{"name": f"{name} {i}", "is_company": True, **partner_values}
                                          for i in range(customers)])
    env["account.move"].create([
        {"move_type": "out_invoice", "partner_id": partner.id, "invoice_date": due, "invoice_date_due": due,
         "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 100.0, "tax_ids": []})]}
        for partner in partners for _i in range(invoices)
    ]).with_context(bypass_risk=True).action_post()
    env.flush_all()
    return partners


def warning_batch_queries(odoo, registry, ctx, customers, invoices):
    """Queries of one warning batch of ``customers`` new customers with ``invoices`` overdue invoices each,
    at 95% of their limit (so that warnings are opened), in a transaction that is rolled back."""
    due = datetime.date.today() - datetime.timedelta(days=45)
    with registry.cursor() as cr:
        env = bench_env(odoo, cr, ctx)
        partners = overdue_customers(env, "Warning check", customers, invoices, due,
                                     credit_limit=100.0 * invoices / 0.95)
        env.invalidate_all()
        start = odoo.sql_db.sql_counter
        env["credit.warning"]._credit_measure_partners(partners)
        env.flush_all()
        queries = odoo.sql_db.sql_counter - start
        opened = env["credit.warning"].search_count([("partner_id", "in", partners.ids)])
        cr.rollback()
    if opened < customers:
        raise SystemExit(f"[bench] warning check: expected warnings for {customers} customers, got {opened}")
    return {"customers": customers, "invoices": customers * invoices, "warnings": opened, "queries": queries}


def dunning_batch_queries(odoo, registry, ctx, customers, invoices):
    """Queries of one dunning batch of ``customers`` new customers with ``invoices`` overdue invoices each.

    The invoices are posted before the counter starts, in a transaction that is rolled back.
    """
    due = datetime.date.today() - datetime.timedelta(days=DUNNING_LEVELS[-1][1] + 30)
    with registry.cursor() as cr:
        env = bench_env(odoo, cr, ctx)
        check_ctx = dict(ctx, data=dunning_policies(env, ctx))
        partners = overdue_customers(env, "Dunning check", customers, invoices, due)
        env.invalidate_all()
        start = odoo.sql_db.sql_counter
        done, _remaining = env["credit.dunning.communication"]._credit_run_batch(
            batch_size=customers, partner_ids=partners.ids)
        env.flush_all()
        queries = odoo.sql_db.sql_counter - start
        created = dunning_records(env, check_ctx)
        cr.rollback()
    if done != customers or created.get("invoices dunned") != customers * invoices:
        raise SystemExit(f"[bench] dunning check: expected {customers} customers and {customers * invoices} "
                         f"invoices dunned, got {done} and {created}")
    return {"customers": customers, "invoices": customers * invoices, "queries": queries}


def notification_batch_queries(odoo, registry, ctx, customers, invoices):
    """Queries of one overdue-notification batch over ``customers`` new insured customers with ``invoices``
    invoices each, 90 days overdue (drafts, activities and cover-at-risk messages), posted before the counter
    starts, in a transaction that is rolled back."""
    from odoo import Command

    due = datetime.date.today() - datetime.timedelta(days=90)
    with registry.cursor() as cr:
        env = bench_env(odoo, cr, ctx)
        partners = env["res.partner"].create([{"name": f"Insured check {i}", "is_company": True}
                                              for i in range(customers)])
        insurance_policy(env, partners.ids)  # before posting: the invoices are insured when posted
        env["account.move"].create([
            {"move_type": "out_invoice", "partner_id": partner.id, "invoice_date": due, "invoice_date_due": due,
             "invoice_line_ids": [Command.create({"name": "Goods", "quantity": 1, "price_unit": 100.0,
                                                  "tax_ids": []})]}
            for partner in partners for _i in range(invoices)
        ]).with_context(bypass_risk=True).action_post()
        env.flush_all()
        notifications = env["credit.insurance.notification"]
        env.invalidate_all()
        start = odoo.sql_db.sql_counter
        notifications._cron_insurance_deadlines()
        env.flush_all()
        queries = odoo.sql_db.sql_counter - start
        drafts = notifications.search_count([("partner_id", "in", partners.ids)])
        cr.rollback()
    if drafts != customers:
        raise SystemExit(f"[bench] notification check: expected {customers} drafts, got {drafts}")
    return {"customers": customers, "invoices": customers * invoices, "drafts": drafts, "queries": queries}


SCENARIOS = [
    Scenario(
        "profile recompute", "credit profiles of all customers of one company",
        ours=profile_recompute, requires=(("res.partner", "_credit_compute_profiles"),),
        baselines=[
            ("SQL aggregate", bare_sql_aggregate, ()),
            ("OCA risk fields", oca_risk_fields, (("res.partner", "risk_total"),)),
        ],
    ),
    # Placeholders: the feature work sets ``ours``/``requires`` and the baseline functions.
    Scenario(
        "posting overhead", "posting 500 invoices over 50 customers in one batch",
        ours=post_with_credit_control, requires=(("account.move", "_credit_enforce"),),
        baselines=[
            ("credit control disabled", post_without_credit_control, ()),
            ("OCA financial risk", post_with_oca_risk, (("res.partner", "risk_total"),)),
        ],
        setup=draft_invoices, repeats=3,
    ),
    Scenario(
        "dunning run", "a full dunning run over all overdue items of one company",
        ours=dunning_run, requires=(("credit.dunning.communication", "_credit_run_batch"),),
        baselines=[("OCA credit control run", oca_credit_control_run,
                    (("credit.control.run", "generate_credit_lines"),))],
        setup=dunning_policies, created=dunning_records, repeats=3,
    ),
    Scenario(
        "warning run", "early warnings of all customers of one company",
        ours=warning_run, requires=(("credit.warning", "_credit_measure_partners"),),
        baselines=[("profile recompute", profile_recompute, (("res.partner", "_credit_compute_profiles"),))],
        created=warning_records,
    ),
    Scenario(
        "overdue notifications", "the overdue-notification run over every insured open invoice of one company",
        ours=notification_run, requires=(("credit.insurance.notification", "_cron_insurance_deadlines"),),
        baselines=[("profile recompute", profile_recompute, (("res.partner", "_credit_compute_profiles"),))],
        setup=insured_items, created=notification_records, repeats=3,
    ),
]


# ---------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------

def missing(env, requires):
    return [f"{model}.{name}" for model, name in requires
            if model not in env or not (name in env[model]._fields or hasattr(env[model], name))]


def bench_env(odoo, cr, ctx):
    env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})(context={"tracking_disable": True})
    return env(context=dict(env.context, allowed_company_ids=[ctx["company_id"]]))


def measure(odoo, registry, func, ctx, repeats, setup=None, created=None):
    """Median seconds over ``repeats`` runs, each in its own rolled-back transaction; queries of the last run
    and, with ``created``, what it made (a run that makes nothing is an error: it would compare nothing)."""
    times, made = [], None
    for _i in range(repeats):
        with registry.cursor() as cr:
            env = bench_env(odoo, cr, ctx)
            run_ctx = dict(ctx, data=setup(env, ctx)) if setup else ctx
            env.flush_all()
            start_queries, start = odoo.sql_db.sql_counter, time.perf_counter()
            func(env, run_ctx)
            env.flush_all()
            times.append(time.perf_counter() - start)
            queries = odoo.sql_db.sql_counter - start_queries
            if created:
                made = {label: count for label, count in created(env, run_ctx).items() if count}
                if not made:
                    raise SystemExit(f"[bench] {func.__name__} created nothing: the comparison would be empty")
            cr.rollback()
    return statistics.median(times), queries, made


def context(odoo, registry):
    """The company with the most customers, and those customers (commercial partners with receivables)."""
    with registry.cursor() as cr:
        cr.execute("""
            SELECT l.company_id, array_agg(DISTINCT l.partner_id ORDER BY l.partner_id)
              FROM account_move_line l
              JOIN account_account a ON a.id = l.account_id
             WHERE a.account_type = 'asset_receivable' AND l.parent_state = 'posted'
             GROUP BY l.company_id ORDER BY count(DISTINCT l.partner_id) DESC LIMIT 1
        """)
        company_id, partner_ids = cr.fetchone()
        cr.execute("SELECT value FROM ir_config_parameter WHERE key = %s", [SIZE_KEY])
        size = cr.fetchone()[0]
    return {"company_id": company_id, "partner_ids": partner_ids, "size": size}


def run_scenario(odoo, registry, scenario, ctx, repeats):
    """Rows of one scenario, one per baseline; a side that cannot run is reported as n/a."""
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        ours_absent = missing(env, scenario.requires) if scenario.ours else ["ours"]
        baselines_absent = [missing(env, requires) if func else ["baseline"]
                            for _label, func, requires in scenario.baselines]
    repeats = scenario.repeats or repeats
    ours = None if ours_absent else measure(odoo, registry, scenario.ours, ctx, repeats, scenario.setup,
                                            scenario.created)
    rows = []
    for (label, func, _requires), absent in zip(scenario.baselines, baselines_absent, strict=True):
        base = None if absent else measure(odoo, registry, func, ctx, repeats, scenario.setup, scenario.created)
        rows.append({
            "scenario": f"{scenario.name} vs {label}", "measured": scenario.measured,
            "ours_s": ours and round(ours[0], 4), "baseline_s": base and round(base[0], 4),
            "ratio": round(ours[0] / base[0], 2) if ours and base and base[0] else None,
            "ours_queries": ours and ours[1], "baseline_queries": base and base[1],
            "ours_created": ours and ours[2], "baseline_created": base and base[2],
            "ours_status": "ok" if not ours_absent else NOT_IMPLEMENTED, "baseline_status": availability(absent),
        })
    return rows


def availability(absent):
    if not absent:
        return "ok"
    if absent in (["ours"], ["baseline"]):
        return NOT_IMPLEMENTED
    return f"n/a (missing {', '.join(absent)})"


def format_row(row):
    ours = f"{row['ours_s']:.3f}s" if row["ours_s"] is not None else row["ours_status"]
    base = f"{row['baseline_s']:.3f}s" if row["baseline_s"] is not None else row["baseline_status"]
    ratio = f"{row['ratio']:.2f}x" if row["ratio"] is not None else "n/a"
    queries = f"{row['ours_queries'] if row['ours_queries'] is not None else '-'}/" \
              f"{row['baseline_queries'] if row['baseline_queries'] is not None else '-'}"
    line = (f"{row['scenario']:<44} | {row['measured']:<62} | ours {ours} | baseline {base} | ratio {ratio} | "
            f"queries {queries}")
    if row.get("ours_created") or row.get("baseline_created"):
        line += f" | created {format_counts(row['ours_created'])}/{format_counts(row['baseline_created'])}"
    return line


def format_counts(counts):
    return ", ".join(f"{count:,} {label}" for label, count in counts.items()) if counts else "-"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted(PRESETS), default="small")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the median is reported")
    parser.add_argument("--scenario", help="run only the scenarios whose name contains this text")
    args = parser.parse_args()
    odoo = load_odoo(bench_conf())
    dbname = db_name(args.preset)
    if dbname not in odoo.service.db.list_dbs(force=True):
        raise SystemExit(f"No database {dbname}: run bench/generate.py --preset {args.preset} first.")
    registry = odoo.modules.registry.Registry(dbname)
    ctx = context(odoo, registry)
    print(f"[bench] {dbname}: {ctx['size']}; company {ctx['company_id']} with {len(ctx['partner_ids'])} customers; "
          f"median of {args.repeat} runs", flush=True)
    rows = []
    for scenario in SCENARIOS:
        if args.scenario and args.scenario not in scenario.name:
            continue
        for row in run_scenario(odoo, registry, scenario, ctx, args.repeat):
            print(format_row(row), flush=True)
            rows.append(row)
    checks = {}
    # the queries of one batch must not grow with its invoices (20 customers with 1, then 10 invoices each);
    # 100 customers with 1 invoice each show what each customer costs
    for label, func, requires in (
            ("dunning batch queries", dunning_batch_queries,
             ("credit.dunning.communication", "_credit_run_batch")),
            ("warning batch queries", warning_batch_queries, ("credit.warning", "_credit_measure_partners")),
            ("overdue notification batch queries", notification_batch_queries,
             ("credit.insurance.notification", "_cron_insurance_deadlines"))):
        with registry.cursor() as cr:
            ready = not missing(odoo.api.Environment(cr, odoo.SUPERUSER_ID, {}), (requires,))
        if not ready or (args.scenario and label.split()[0] not in args.scenario):
            continue
        checks[label] = batches = [func(odoo, registry, ctx, customers, invoices)
                                   for customers, invoices in ((20, 1), (20, 10), (100, 1))]
        print(f"{label:<44} | " + " | ".join(
            f"{b['customers']} customers, {b['invoices']} invoices: {b['queries']} queries" for b in batches),
            flush=True)
    report = {
        "preset": args.preset, "database": dbname, "size": ctx["size"], "customers": len(ctx["partner_ids"]),
        "repeat": args.repeat, "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "odoo": odoo.release.version},
        "scenarios": rows,
        "checks": checks,
    }
    suffix = f"-{args.scenario.replace(' ', '-')}" if args.scenario else ""
    out = BENCH_DIR / f"results-{args.preset}{suffix}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"[bench] results written to {out.relative_to(BENCH_DIR.parent.parent)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""18.0.1.1.0: a credit limit of 0 used to mean "no limit"; it now means no credit.

Keep every upgraded database's meaning: a customer whose limit was 0 in a company gets the explicit
"No Credit Limit" there, one with a limit keeps it, and a company whose default limit was 0 gives customers
without their own limit no limit (its Settings choice), so nobody is blocked by surprise.
"""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute("""
        UPDATE res_partner p
           SET credit_no_limit = COALESCE(p.credit_no_limit, '{}'::jsonb) || s.no_limit
          FROM (SELECT id, jsonb_object_agg(key, COALESCE((value #>> '{}')::numeric, 0) = 0) AS no_limit
                  FROM res_partner, jsonb_each(credit_limit)
                 GROUP BY id) s
         WHERE s.id = p.id
    """)
    defaults = env["ir.default"]
    for company in env["res.company"].search([]):
        if not defaults._get("res.partner", "credit_limit", company_id=company.id):
            defaults.set("res.partner", "credit_no_limit", True, company_id=company.id)

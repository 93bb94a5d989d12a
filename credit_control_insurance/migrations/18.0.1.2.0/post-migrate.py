"""18.0.1.2.0: the insurer's share of a recovery follows its share of the loss (the indemnity it paid over the
loss claimed) and never exceeds the indemnity it paid less what it already got back; it was the indemnity % of
every amount recovered. The recoveries recorded before get their shares by that rule."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    recoveries = env["credit.insurance.recovery"].with_context(active_test=False).search([])
    for name in ("insurer_percent", "insurer_share", "company_share"):
        env.add_to_compute(recoveries._fields[name], recoveries)
    recoveries.flush_recordset()

"""18.0.1.2.0:

- the indemnity is min(max(loss claimed − deductible, 0) × indemnity %, remaining liability): the deductible
  comes off the loss before the percentage and the cap is applied last, so that the insurer pays up to its
  maximum liability (it was min(loss × %, remaining) − deductible). Draft claims are computed again; filed,
  decided and paid claims keep their frozen figures, as the insurer received them;
- the insurer's share of a recovery follows its share of the loss (the indemnity it paid over the loss claimed)
  and never exceeds the indemnity it paid less what it already got back; it was the indemnity % of every amount
  recovered. The recoveries recorded before get their shares by that rule;
- the annual minimum premium is trued up on the period that closes the policy year (see pre-migrate); the
  draft declarations are computed again.
"""

from odoo import SUPERUSER_ID, api

INDEMNITY_FIELDS = ("indemnity_percent", "gross_indemnity", "remaining_liability", "capped_indemnity", "deductible",
                    "indemnity", "computation_note")


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    drafts = env["credit.insurance.claim"].search([("state", "=", "draft")])
    recoveries = env["credit.insurance.recovery"].search([])
    for records, names in ((drafts, INDEMNITY_FIELDS), (recoveries, ("insurer_percent", "insurer_share",
                                                                      "company_share"))):
        for name in names:
            env.add_to_compute(records._fields[name], records)
        records.flush_recordset()
    # the drafts, billed by the new rule, in date order: a year's closing period learns the earlier ones
    declarations = env["credit.insurance.declaration"].search([("state", "=", "draft")],
                                                              order="policy_id, date_from")
    declarations._credit_compute()
    claims = recoveries.claim_id  # their totals follow the shares just computed
    for name in ("recovered_amount", "recovered_insurer_share", "recovered_company_share"):
        env.add_to_compute(claims._fields[name], claims)
    claims.flush_recordset()

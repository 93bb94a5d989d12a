"""18.0.1.3.0:

- an overdue notification's amount overdue is what its invoices' instalments past due leave unpaid, listed as
  its lines; the invoices' whole unpaid amount is the new amount outstanding. Drafts are computed again; a sent
  or cancelled notification declared its invoices' whole unpaid amount, which becomes its amount outstanding,
  keeps its amount overdue, and gets as lines its instalments past due on the day sent, with what they left
  unpaid that day (their amounts less the reconciliations dated by then), as a notification sent now;
- policies may have an annual aggregate first loss (none before) and a claim's explanation names the claims that
  hold the maximum liability: draft claims are computed again, filed ones keep their figures;
- a policy has a responsible person for its renewal: the internal user who created it, while active (the
  upgrade runs as the superuser, whom no one reads activities of).
"""

from odoo import SUPERUSER_ID, api
from odoo.tools import SQL

INDEMNITY_FIELDS = ("indemnity_percent", "gross_indemnity", "remaining_liability", "capped_indemnity", "deductible",
                    "first_loss", "indemnity", "computation_note")


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    cr.execute(SQL("UPDATE credit_insurance_notification SET amount_outstanding = amount_overdue "
                   "WHERE state != 'draft'"))
    sent = env["credit.insurance.notification"].search([("state", "!=", "draft"), ("date_sent", "!=", False)])
    env.flush_all()
    env.cr.execute(sent._credit_write_lines_sql(on_date_sent=True))
    env["credit.insurance.notification"].search([("state", "=", "draft")])._credit_refresh_totals()
    cr.execute(SQL(
        """
        UPDATE credit_insurance_policy p SET user_id = u.id
          FROM res_users u
         WHERE u.id = p.create_uid AND u.active AND NOT u.share AND u.id != %s AND p.user_id IS NULL
        """, SUPERUSER_ID))
    drafts = env["credit.insurance.claim"].search([("state", "=", "draft")])
    for name in INDEMNITY_FIELDS:
        env.add_to_compute(drafts._fields[name], drafts)
    drafts.flush_recordset()

"""18.0.1.3.0:

- an overdue notification's amount overdue is what its invoices' instalments past due leave unpaid, listed as
  its lines; the invoices' whole unpaid amount is the new amount outstanding. Drafts are computed again; a sent
  or cancelled notification declared its invoices' whole unpaid amount, which becomes its amount outstanding,
  keeps its amount overdue, and gets as lines its instalments past due on the day sent, with what they left
  unpaid that day (their amounts less the reconciliations made by then);
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
    cr.execute(SQL(
        """
        WITH item AS (
            SELECT n.id AS notification_id, l.id, l.move_id, l.date_maturity, l.currency_id,
                   l.amount_currency - COALESCE(SUM(p.debit_amount_currency), 0) AS residual_currency,
                   l.balance - COALESCE(SUM(p.amount), 0) AS residual, n.date_sent, l.date_maturity < n.date_sent AS due
              FROM credit_insurance_notification n
              JOIN credit_insurance_notification_account_move_rel r ON r.notification_id = n.id
              JOIN account_move_line l ON l.move_id = r.move_id AND l.display_type = 'payment_term'
              LEFT JOIN account_partial_reconcile p ON p.debit_move_id = l.id AND p.max_date <= n.date_sent
             WHERE n.state != 'draft' AND n.date_sent IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM credit_insurance_notification_line nl WHERE nl.notification_id = n.id)
             GROUP BY n.id, l.id
        )
        INSERT INTO credit_insurance_notification_line
               (notification_id, move_line_id, move_id, date_maturity, currency_id, amount_residual_currency,
                amount_residual, invoice_amount_due)
        SELECT notification_id, id, move_id, date_maturity, currency_id, residual_currency, residual, invoice_due
          FROM (SELECT item.*, SUM(residual_currency) OVER (PARTITION BY notification_id, move_id) AS invoice_due
                  FROM item) i
         WHERE due AND residual_currency > 0
        """))
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

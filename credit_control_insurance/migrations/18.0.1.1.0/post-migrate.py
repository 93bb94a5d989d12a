"""18.0.1.1.0: an insured invoice's notification deadline runs from its first open instalment's due date
(``credit_date_due``, filled by credit_control), no longer from its last."""


def migrate(cr, version):
    cr.execute("""
        UPDATE account_move m
           SET credit_insurance_deadline = m.credit_date_due + COALESCE(p.max_extension_days, 0)
          FROM credit_insurance_policy p
         WHERE p.id = m.credit_insurance_policy_id AND m.credit_insured AND m.credit_date_due IS NOT NULL
           AND m.credit_insurance_deadline IS DISTINCT FROM m.credit_date_due + COALESCE(p.max_extension_days, 0)
    """)

"""18.0.1.2.0: the annual minimum premium is billed once, as a true-up on the period that closes the policy
year, not as a minimum per period. A declaration's ``minimum_premium`` is now the policy's annual minimum.

The declarations made before keep what they billed: their top-up to the period's minimum becomes their
``true_up`` (premium due − premium), their minimum the annual one it was the share of, and the new columns are
made here so that the upgrade does not compute them again."""


def migrate(cr, version):
    cr.execute("""
        ALTER TABLE credit_insurance_declaration
            ADD COLUMN IF NOT EXISTS year_closing boolean,
            ADD COLUMN IF NOT EXISTS year_premium_before numeric,
            ADD COLUMN IF NOT EXISTS true_up numeric,
            ADD COLUMN IF NOT EXISTS year_to_date_premium numeric
    """)
    cr.execute("""
        UPDATE credit_insurance_declaration
           SET year_closing = FALSE, year_premium_before = 0,
               true_up = GREATEST(COALESCE(premium_due, 0) - COALESCE(premium, 0), 0),
               year_to_date_premium = COALESCE(premium_due, 0),
               minimum_premium = ROUND(COALESCE(minimum_premium, 0) * 12
                   / ((EXTRACT(YEAR FROM date_to) - EXTRACT(YEAR FROM date_from)) * 12
                      + EXTRACT(MONTH FROM date_to) - EXTRACT(MONTH FROM date_from) + 1), 2)
    """)

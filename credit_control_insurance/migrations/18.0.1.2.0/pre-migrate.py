"""18.0.1.2.0: the annual minimum premium is billed once, as a true-up on the period that closes the policy
year, not as a minimum per period. A declaration's ``minimum_premium`` is now the policy's annual minimum.

The new columns are made here, so that the upgrade does not compute them again. The declarations submitted (or
cancelled) before keep what they billed: their top-up to the period's minimum becomes their ``true_up``
(premium due − premium), their minimum the policy's annual one (else the one their share was of), and their
year to date the running total of the year's declarations. Drafts are computed again (post-migrate)."""


def migrate(cr, version):
    cr.execute("""
        ALTER TABLE credit_insurance_declaration
            ADD COLUMN IF NOT EXISTS year_closing boolean,
            ADD COLUMN IF NOT EXISTS year_premium_before numeric,
            ADD COLUMN IF NOT EXISTS true_up numeric,
            ADD COLUMN IF NOT EXISTS year_to_date_premium numeric
    """)
    cr.execute("""
        WITH periods AS (
            SELECT d.id, d.state, d.premium, d.premium_due, d.minimum_premium AS share,
                   p.minimum_premium AS annual, cur.decimal_places,
                   (EXTRACT(YEAR FROM d.date_to) - EXTRACT(YEAR FROM d.date_from)) * 12
                       + EXTRACT(MONTH FROM d.date_to) - EXTRACT(MONTH FROM d.date_from) + 1 AS months,
                   SUM(COALESCE(d.premium_due, 0)) FILTER (WHERE d.state != 'cancelled') OVER (
                       PARTITION BY d.policy_id, GREATEST(EXTRACT(YEAR FROM age(
                           GREATEST(d.date_from, p.date_start), p.date_start)), 0)
                       ORDER BY d.date_from, d.id) AS running
              FROM credit_insurance_declaration d
              JOIN credit_insurance_policy p ON p.id = d.policy_id
              JOIN res_currency cur ON cur.id = p.currency_id
        )
        UPDATE credit_insurance_declaration d
           SET year_closing = FALSE,
               true_up = GREATEST(COALESCE(x.premium_due, 0) - COALESCE(x.premium, 0), 0),
               year_to_date_premium = COALESCE(x.running, x.premium_due, 0),
               year_premium_before = COALESCE(x.running, x.premium_due, 0) - COALESCE(x.premium_due, 0),
               minimum_premium = CASE
                   WHEN ROUND(COALESCE(x.annual, 0) * x.months / 12, x.decimal_places) = COALESCE(x.share, 0)
                   THEN x.annual
                   ELSE ROUND(COALESCE(x.share, 0) * 12 / x.months, x.decimal_places) END
          FROM periods x
         WHERE x.id = d.id AND x.state != 'draft'
    """)
    cr.execute("""
        UPDATE credit_insurance_declaration
           SET year_closing = FALSE, year_premium_before = 0, true_up = 0, premium_due = premium,
               year_to_date_premium = premium
         WHERE state = 'draft'
    """)

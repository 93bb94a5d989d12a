"""18.0.1.3.0:

- a dunning line stores only its item; its customer, company and level are its communication's (the same
  values, stored there), and its author and date too: the columns go, with their foreign keys, so that a run's
  tens of thousands of inserts check fewer of them (post-migrate: the earlier versions' scripts use them);
- the dunning email (a ``noupdate`` template) shows the net amount due in the currency of the items it lists
  (``amount_due_display``), not always in company currency.
"""

OLD, NEW = "format_amount(object.amount_due, object.currency_id)", "object.amount_due_display"


def migrate(cr, version):
    cr.execute("""
        ALTER TABLE credit_dunning_line
            DROP COLUMN IF EXISTS partner_id, DROP COLUMN IF EXISTS company_id, DROP COLUMN IF EXISTS level_id,
            DROP COLUMN IF EXISTS create_uid, DROP COLUMN IF EXISTS create_date,
            DROP COLUMN IF EXISTS write_uid, DROP COLUMN IF EXISTS write_date
    """)
    # in every language of the body, the expression the module wrote (a company's own wording is kept)
    cr.execute("""
        UPDATE mail_template t
           SET body_html = (SELECT jsonb_object_agg(lang.key, replace(lang.value, %(old)s, %(new)s))
                              FROM jsonb_each_text(t.body_html) lang)
          FROM ir_model_data d
         WHERE d.module = 'credit_control' AND d.name = 'mail_template_dunning' AND d.res_id = t.id
           AND t.body_html::text LIKE '%%' || %(old)s || '%%'
    """, {"old": OLD, "new": NEW})

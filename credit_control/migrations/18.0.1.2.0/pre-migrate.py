"""18.0.1.2.0:

- a promise to pay counts payments from the day it was recorded (``date``), which was its creation;
- the dunning email (a ``noupdate`` template) gets the item states, the open credits and the net: an older
  one is kept, renamed "... (before 18.0.1.2.0)" (for a customised wording), and the levels get the new one;
- dunning works per receivable item (``move_line_id``, one per instalment): each existing dunning line is the
  item of its invoice whose due date it recorded (else the invoice's first receivable line), and an item, no
  longer an invoice, is dunned at most once a day.
"""

OLD_SUFFIX = " (before 18.0.1.2.0)"


def migrate(cr, version):
    # The old dunning email keeps its record, renamed and without its xmlid: this update creates the new one
    # from the data file, and post-migrate points the levels at it.
    cr.execute("""
        WITH old AS (
            DELETE FROM ir_model_data d
             USING mail_template t
             WHERE d.model = 'mail.template' AND d.res_id = t.id
               AND d.module = 'credit_control' AND d.name = 'mail_template_dunning'
               AND strpos(t.body_html ->> 'en_US', 'credit_ids') = 0
            RETURNING d.res_id
        )
        UPDATE mail_template t SET name = jsonb_set(t.name, '{en_US}', to_jsonb((t.name ->> 'en_US') || %s))
          FROM old WHERE t.id = old.res_id
    """, [OLD_SUFFIX])

    cr.execute("ALTER TABLE credit_payment_promise ADD COLUMN IF NOT EXISTS date date")
    cr.execute("UPDATE credit_payment_promise SET date = create_date::date WHERE date IS NULL")

    cr.execute("ALTER TABLE credit_dunning_line ADD COLUMN IF NOT EXISTS move_line_id int4")
    cr.execute("""
        UPDATE credit_dunning_line dl
           SET move_line_id = (
               SELECT l.id
                 FROM account_move_line l
                 JOIN account_account a ON a.id = l.account_id AND a.account_type = 'asset_receivable'
                WHERE l.move_id = dl.move_id
                ORDER BY l.date_maturity IS NOT DISTINCT FROM dl.date_due DESC, l.date_maturity, l.id
                LIMIT 1)
         WHERE dl.move_line_id IS NULL
    """)
    # a line whose invoice has no receivable line left cannot be kept as the history of an item
    cr.execute("DELETE FROM credit_dunning_line WHERE move_line_id IS NULL")
    cr.execute("ALTER TABLE credit_dunning_line DROP CONSTRAINT IF EXISTS credit_dunning_line_move_date_uniq")

"""18.0.1.2.0:

- a promise to pay counts payments from the day it was recorded (``date``), which was its creation;
- dunning works per receivable item (``move_line_id``, one per instalment): each existing dunning line is the
  item of its invoice whose due date it recorded (else the invoice's first receivable line), and an item, no
  longer an invoice, is dunned at most once a day.
"""


def migrate(cr, version):
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

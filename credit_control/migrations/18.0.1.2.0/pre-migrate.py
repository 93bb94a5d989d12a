"""18.0.1.2.0: a promise to pay counts payments from the day it was recorded (``date``), which was its creation."""


def migrate(cr, version):
    cr.execute("ALTER TABLE credit_payment_promise ADD COLUMN IF NOT EXISTS date date")
    cr.execute("UPDATE credit_payment_promise SET date = create_date::date WHERE date IS NULL")

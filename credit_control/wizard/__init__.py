from . import credit_review_wizard

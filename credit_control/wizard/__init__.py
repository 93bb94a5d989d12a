from . import credit_override_wizard
from . import credit_review_wizard

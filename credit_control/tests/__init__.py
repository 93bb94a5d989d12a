from . import test_credit_tier

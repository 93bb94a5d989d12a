from . import test_credit_profile, test_credit_tier

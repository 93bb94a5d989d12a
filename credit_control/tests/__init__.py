from . import test_credit_profile
from . import test_credit_tier

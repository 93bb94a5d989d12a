from . import test_credit_insurance_policy

from . import test_credit_insurance_policy
from . import test_credit_insurance_notification

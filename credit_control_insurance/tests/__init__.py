from . import test_credit_insurance_policy
from . import test_credit_insurance_cover
from . import test_credit_insurance_declaration

from . import credit_insurance_policy

from . import credit_tier

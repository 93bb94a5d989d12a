from . import credit_call_wizard
from . import credit_dunning_wizard
from . import credit_override_wizard
from . import credit_review_wizard
from . import credit_statement_wizard

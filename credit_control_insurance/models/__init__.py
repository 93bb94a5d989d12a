from . import account_move
from . import credit_insurance_cover
from . import credit_insurance_policy
from . import credit_override
from . import credit_warning_rule
from . import res_company
from . import res_config_settings
from . import res_partner

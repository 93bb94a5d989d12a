from . import test_credit_insurance_claim
from . import test_credit_insurance_cover
from . import test_credit_insurance_declaration
from . import test_credit_insurance_policy
from . import test_credit_insurance_notification
from . import test_credit_insurance_xlsx
from . import test_ui
from . import test_credit_insurance_uninstall

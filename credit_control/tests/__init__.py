from . import test_credit_concurrency
from . import test_credit_enforcement
from . import test_credit_profile
from . import test_credit_tier
from . import test_ui
from . import test_credit_dunning
from . import test_credit_warning
from . import test_credit_cash_monitor

from . import credit_insurance_cover_request
from . import credit_insurance_declaration_generate
from . import credit_insurance_indemnity_wizard

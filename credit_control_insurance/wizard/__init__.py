from . import credit_insurance_cover_request
from . import credit_insurance_declaration_generate

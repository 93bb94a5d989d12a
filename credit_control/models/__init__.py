from . import (
    account_move,
    credit_file_item,
    credit_file_item_type,
    credit_review,
    credit_tier,
    res_company,
    res_config_settings,
    res_partner,
)

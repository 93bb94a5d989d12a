from odoo.exceptions import UserError


class CreditLimitExceeded(UserError):
    """Posting is refused by credit control.

    ``blocks`` holds one dict per refused commercial partner, for the UI and for integrators:
    ``partner_id``, ``move_ids``, ``reason`` (``limit``, ``hold``, ``prepayment``, ``overdue``),
    ``exposure``, ``limit``, ``excess``, ``message``.
    """

    def __init__(self, message, blocks):
        super().__init__(message)
        self.blocks = blocks

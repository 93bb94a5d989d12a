from odoo import models

from .account_move import CREDIT_EXEMPT


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    def _create_exchange_difference_moves(self, exchange_diff_values_list):
        """Exchange differences booked while reconciling are no new credit: not checked at posting."""
        return super(AccountMoveLine, self.with_context(credit_control_exempt=CREDIT_EXEMPT)) \
            ._create_exchange_difference_moves(exchange_diff_values_list)

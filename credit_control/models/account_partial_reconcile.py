from odoo import models

from .account_move import CREDIT_EXEMPT


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def _create_tax_cash_basis_moves(self):
        """Cash-basis tax entries booked while reconciling are no new credit: not checked at posting."""
        return super(AccountPartialReconcile, self.with_context(credit_control_exempt=CREDIT_EXEMPT)) \
            ._create_tax_cash_basis_moves()

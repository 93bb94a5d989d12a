from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon


class CreditControlCommon(AccountTestInvoicingCommon):
    """Accounting test fixtures plus a Credit Control Manager as the test user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.groups_id = [Command.link(cls.env.ref("credit_control.group_credit_control_manager").id)]

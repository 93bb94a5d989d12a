"""Cross-module checks run by pytest-odoo on a database with both modules installed."""

from odoo.tests import tagged
from odoo.tests.common import TransactionCase, new_test_user


# Outside odoo.addons the test metaclass sets no tags, so tag explicitly.
@tagged("standard")
class TestInstallation(TransactionCase):
    def test_both_modules_installed(self):
        modules = self.env["ir.module.module"].search(
            [("name", "in", ("credit_control", "credit_control_insurance"))]
        )
        self.assertEqual(set(modules.mapped("state")), {"installed"})
        self.assertEqual(len(modules), 2)

    def test_menus_under_accounting(self):
        root = self.env.ref("account.menu_finance")
        control = self.env.ref("credit_control.menu_credit_control_root")
        insurance = self.env.ref("credit_control_insurance.menu_credit_insurance_root")
        self.assertEqual(control.parent_id, root)
        self.assertEqual(insurance.parent_id, root)

    def test_credit_control_user_sees_insurance_read_only(self):
        user = new_test_user(self.env, "cc_x_user", groups="credit_control.group_credit_control_user")
        menus = self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()
        self.assertIn(self.env.ref("credit_control_insurance.menu_credit_insurance_root").id, menus)
        self.assertIn(self.env.ref("credit_control.menu_credit_control_root").id, menus)
        plain = new_test_user(self.env, "cc_x_plain", groups="base.group_user")
        self.assertNotIn(
            self.env.ref("credit_control.menu_credit_control_root").id,
            self.env["ir.ui.menu"].with_user(plain)._visible_menu_ids(),
        )

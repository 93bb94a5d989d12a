from odoo.modules.module import get_manifest
from odoo.tests import tagged
from odoo.tools import convert_file, file_open

from odoo.addons.credit_control.tests.common import CreditControlCommon

MODULES = ("credit_control", "credit_control_insurance")


@tagged("post_install", "-at_install")
class TestCreditHousekeeping(CreditControlCommon):
    """What an update of the modules must leave alone."""

    def test_update_keeps_customised_schedules(self):
        """A module update (``-u``) never resets a scheduled action a customer changed: every cron of both
        modules (those installed) keeps its interval, next call and active flag when its data is loaded again."""
        env = self.env(su=True)
        data = env["ir.model.data"].search([("model", "=", "ir.cron"), ("module", "in", MODULES)])
        installed = env["ir.module.module"].search([("name", "in", MODULES), ("state", "=", "installed")])
        self.assertEqual(set(data.mapped("module")), set(installed.mapped("name")), "each module has crons")
        crons = env["ir.cron"].browse(data.mapped("res_id"))
        customised = {"interval_number": 7, "interval_type": "weeks", "nextcall": "2031-01-05 04:00:00",
                      "active": False}
        crons.write(customised)
        reloaded = []
        for module in installed.mapped("name"):
            for filename in get_manifest(module)["data"]:
                with file_open(f"{module}/{filename}") as file:
                    if 'model="ir.cron"' not in file.read():
                        continue
                convert_file(env, module, filename, {}, mode="update", noupdate=False)  # as -u does
                reloaded.append(filename)
        self.assertTrue(reloaded)
        crons.invalidate_recordset()
        for cron in crons:
            self.assertEqual(
                (cron.interval_number, cron.interval_type, str(cron.nextcall), cron.active),
                (7, "weeks", "2031-01-05 04:00:00", False), cron.name)

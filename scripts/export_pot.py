"""Regenerate each module's .pot and merge it into i18n/zh_CN.po (run through ``make pot``).

The scratch database has the demo data, so that the demo's tiers, dunning policies and letters are
translated too. Existing zh_CN translations are kept; new strings are added untranslated and listed,
so that the translator knows what to fill in. Obsolete strings are dropped.
"""

import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(os.environ["CREDIT_CONTROL_ROOT"])
MODULES = ("credit_control", "credit_control_insurance")
DB = "cc_i18n_export"


def odoo(*args):
    cmd = [os.environ["ODOO_PYTHON"], "-m", "odoo", "-c", os.environ["ODOO_CONF"], "-d", DB, "--no-http",
           "--stop-after-init", "--log-level=warn", *args]
    subprocess.run(cmd, check=True)


def merge(pot_path, po_path):
    pot = polib.pofile(str(pot_path))
    old = polib.pofile(str(po_path)) if po_path.exists() else polib.POFile()
    known = {(e.msgctxt, e.msgid): e.msgstr for e in old}
    po = polib.POFile(wrapwidth=78)
    po.metadata = dict(pot.metadata, Language="zh_CN", **{"Plural-Forms": "nplurals=1; plural=0;"})
    missing = []
    for entry in pot:
        entry.msgstr = known.get((entry.msgctxt, entry.msgid), "")
        if not entry.msgstr:
            missing.append(entry.msgid)
        po.append(entry)
    po.save(str(po_path))
    return missing


def main():
    odoo("-i", ",".join(MODULES), "--without-demo=")
    try:
        todo = 0
        for module in MODULES:
            pot = ROOT / module / "i18n" / f"{module}.pot"
            pot.parent.mkdir(exist_ok=True)
            odoo(f"--i18n-export={pot}", f"--modules={module}")
            missing = merge(pot, ROOT / module / "i18n" / "zh_CN.po")
            todo += len(missing)
            for msgid in missing:
                print(f"{module}: untranslated: {msgid!r}")
        print(f"{todo} untranslated zh_CN strings")
    finally:
        subprocess.run([os.environ["ODOO_PYTHON"], "-c", f"""
import odoo
from odoo.service.db import exp_drop
odoo.tools.config.parse_config(['-c', '{os.environ["ODOO_CONF"]}'])
exp_drop('{DB}')
"""], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

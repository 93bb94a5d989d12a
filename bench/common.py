"""Shared helpers of bench/generate.py and bench/run.py: presets, configuration and database access."""

import configparser
import contextlib
import os
from pathlib import Path

ROOT = Path(os.environ.get("CREDIT_CONTROL_ROOT") or Path(__file__).resolve().parent.parent)
CACHE = ROOT / ".cache"
BENCH_DIR = CACHE / "bench"
OCA_DIR = CACHE / "oca-addons"
PRESETS = {
    "small": {"partners": 500, "lines": 10_000},
    "large": {"partners": 10_000, "lines": 200_000},
}
DEFAULT_SEED = 8
SIZE_KEY = "credit_control.bench_size"


def db_name(preset):
    return f"cc_bench_{preset}"


def bench_conf():
    """Write .cache/bench/odoo.conf: $ODOO_CONF with the OCA add-ons appended to the addons path."""
    source = os.environ.get("ODOO_CONF") or str(CACHE / "odoo.conf")
    parser = configparser.ConfigParser(interpolation=None)
    if not parser.read(source):
        raise SystemExit(f"No Odoo configuration at {source}: run through `python3 scripts/devenv.py exec`.")
    paths = [p for p in parser.get("options", "addons_path", fallback="").split(",") if p]
    if OCA_DIR.is_dir() and str(OCA_DIR) not in paths:
        paths.append(str(OCA_DIR))
    parser.set("options", "addons_path", ",".join(paths))
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    conf = BENCH_DIR / "odoo.conf"
    with open(conf, "w") as out:
        parser.write(out)
    return conf


def load_odoo(conf):
    """Import Odoo and read ``conf``; return the odoo package."""
    import odoo

    odoo.tools.config.parse_config(["-c", str(conf), "--log-level=warn", "--no-http"])
    return odoo


@contextlib.contextmanager
def raw_cursor(odoo, dbname):
    """A cursor on ``dbname`` without loading the registry (None when the database does not exist)."""
    if dbname not in odoo.service.db.list_dbs(force=True):
        yield None
        return
    with odoo.sql_db.db_connect(dbname).cursor() as cr:
        yield cr

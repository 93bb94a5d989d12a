"""Shared helpers of bench/generate.py and bench/run.py: presets, configuration and database access."""

import configparser
import contextlib
import hashlib
import os
from pathlib import Path

ROOT = Path(os.environ.get("CREDIT_CONTROL_ROOT") or Path(__file__).resolve().parent.parent)
CACHE = ROOT / ".cache"
BENCH_DIR = CACHE / "bench"
OCA_DIR = CACHE / "oca-addons"
# partners and lines (receivable journal items) are required; companies and history_days default to
# generate.build()'s (3 companies, 548 days of invoices).
PRESETS = {
    "small": {"partners": 500, "lines": 10_000},
    "large": {"partners": 10_000, "lines": 200_000},
    # the dunning issue's size: about 100,000 open receivable items over 10,000 customers of one company
    "dunning": {"partners": 10_000, "lines": 340_000, "companies": 1, "history_days": 90},
}
DEFAULT_SEED = 8
SIZE_KEY = "credit_control.bench_size"
MODULES_HASH_KEY = "credit_control.bench_modules_hash"  # code of OUR_MODULES the database was updated with
OUR_MODULES = ("credit_control", "credit_control_insurance")


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


def module_path(odoo, module):
    """Where Odoo loads ``module`` from with the benchmark's addons path."""
    odoo.modules.module.initialize_sys_path()
    return Path(odoo.modules.module.get_module_path(module))


def modules_hash(odoo):
    """Hash of our modules' files as found on the addons path, i.e. the code the benchmark will load."""
    digest = hashlib.sha1()
    for module in OUR_MODULES:
        path = module_path(odoo, module)
        for file in sorted(path.rglob("*")):
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(str(file.relative_to(path.parent)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()

#!/usr/bin/env python3
"""Development environment for the credit_control add-ons.

``make run``, ``make test`` and ``make bench`` all go through this script. It
finds or installs Odoo 18, starts a private PostgreSQL cluster under
``.cache/`` when no ``PG*`` variables are given, and then serves, tests or
benchmarks the two add-ons. It only needs the Python standard library.
"""

import argparse
import contextlib
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
MODULES = ("credit_control", "credit_control_insurance")
ODOO_ARCHIVE_URL = "https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz"
DEMO_DB = "credit_control_demo"
LAST_RELEASE_FILE = ROOT / ".ci" / "last-release"
LAST_RELEASE_TREE = CACHE / "last-release"
MODULES_HASH_KEY = "credit_control.devenv_modules_hash"
LOG_ERROR_RE = re.compile(r"^\S+ \S+ \d+ (ERROR|CRITICAL) ", re.M)
REPORT_RE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
SKIP_RE = re.compile(r"^\S+ \S+ \d+ INFO \S+ \S+: skipped ", re.M)


class SetupError(Exception):
    """A set-up problem the user must fix; the message says how."""


def say(msg):
    print(f"[devenv] {msg}", flush=True)


def is_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def run(cmd, check=True, **kw):
    return subprocess.run([str(c) for c in cmd], check=check, **kw)


def free_port(preferred=None):
    for port in ([preferred] if preferred else []) + [0]:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise SetupError("No free loopback port found.")


def port_in_use(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def postgres_alive(pid):
    """Whether ``pid`` is a live PostgreSQL process; a pid since reused by another program does not count."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    cmdline = Path(f"/proc/{pid}/cmdline")
    return not cmdline.exists() or b"postgres" in cmdline.read_bytes()


# ---------------------------------------------------------------------------
# System packages
# ---------------------------------------------------------------------------

def apt_install(packages):
    """Install missing Debian packages when running as root; return what is still missing."""
    missing = [p for p in packages if run(["dpkg", "-s", p], check=False, capture_output=True).returncode]
    if not missing or not is_root() or not shutil.which("apt-get"):
        return missing
    say(f"installing system packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(["apt-get", "update", "-qq"], check=False, env=env, capture_output=True)
    proc = run(["apt-get", "install", "-y", "-qq", *missing], check=False, env=env, capture_output=True, text=True)
    if proc.returncode:
        say(proc.stderr[-2000:])
        return missing
    return []


def find_pg_bin(name):
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


def chromium_path():
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


# ---------------------------------------------------------------------------
# Python and Odoo
# ---------------------------------------------------------------------------

def odoo_major(python):
    """Return Odoo's major version importable by ``python``, or None."""
    if not Path(python).exists():
        return None
    proc = run([python, "-c", "import odoo.release as r; print(r.version_info[0])"],
               check=False, capture_output=True, text=True, timeout=120)
    return int(proc.stdout.strip()) if proc.returncode == 0 and proc.stdout.strip().isdigit() else None


def source_major(tree):
    release = Path(tree) / "odoo" / "release.py"
    if not release.is_file():
        return None
    match = re.search(r"^version_info = \((\d+),", release.read_text(), re.M)
    return int(match.group(1)) if match else None


WHAT_TO_PROVIDE = (
    "Provide one of: a Python that can import Odoo 18 (run make from its virtualenv, or PYTHON=/path/to/python), "
    "ODOO_SRC=/path/to/odoo-18.0 (a source tree or a .tar.gz/.zip of it), or network access to Odoo's download server."
)


def extract(archive, dest):
    """Unpack a .tar.gz/.tgz/.zip Odoo source archive; return the tree holding odoo/release.py."""
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(dest)
        else:
            with tarfile.open(archive) as tf:
                tf.extractall(dest, filter="data")
    except (tarfile.TarError, OSError, zipfile.BadZipFile, EOFError) as exc:
        shutil.rmtree(dest, ignore_errors=True)
        reason = str(exc).splitlines()[0].rstrip(":")
        raise SetupError(f"{archive} could not be unpacked ({reason}): it is not a valid Odoo 18.0 source archive. "
                         f"{WHAT_TO_PROVIDE}") from exc
    trees = [p.parent.parent for pattern in ("odoo/release.py", "*/odoo/release.py") for p in dest.glob(pattern)]
    return trees[0] if trees else dest


def odoo18_tree(tree, origin):
    """Return ``tree`` if it is an Odoo 18 source tree, else explain what ``origin`` should be."""
    major = source_major(tree)
    if major != 18:
        found = f"it holds Odoo {major}" if major else "it holds no odoo/release.py"
        raise SetupError(f"{origin} is not an Odoo 18.0 source tree or archive ({found}). {WHAT_TO_PROVIDE}")
    return tree


def locate_odoo_source():
    """Return an Odoo 18 source tree from $ODOO_SRC or the official archive."""
    src = os.environ.get("ODOO_SRC")
    if src:
        path = Path(src).expanduser()
        if path.is_dir():
            return odoo18_tree(path, f"ODOO_SRC={src}")
        if path.is_file():
            return odoo18_tree(extract(path, CACHE / "odoo-src"), f"ODOO_SRC={src}")
        raise SetupError(f"ODOO_SRC={src} does not exist. {WHAT_TO_PROVIDE}")
    archive = CACHE / "odoo_18.0.tar.gz"
    if not archive.exists():
        say(f"no Odoo in this Python and no ODOO_SRC: downloading {ODOO_ARCHIVE_URL}")
        part = archive.with_suffix(".part")
        CACHE.mkdir(exist_ok=True)
        try:
            with urllib.request.urlopen(ODOO_ARCHIVE_URL, timeout=20) as resp, open(part, "wb") as out:
                shutil.copyfileobj(resp, out, 1 << 20)
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            part.unlink(missing_ok=True)
            raise SetupError(
                "Odoo 18 is needed but was not found: the active Python cannot import odoo 18, ODOO_SRC is not "
                f"set, and Odoo's official 18.0 source archive could not be downloaded ({exc}). {WHAT_TO_PROVIDE}"
            ) from exc
        part.rename(archive)
    try:
        return odoo18_tree(extract(archive, CACHE / "odoo-src"), f"The download {ODOO_ARCHIVE_URL}")
    except SetupError:
        archive.unlink()  # a bad download must not be trusted by the next run
        raise


def pip(python, *args):
    env = dict(os.environ, PIP_CONSTRAINT=str(ROOT / "scripts" / "build-constraints.txt"))
    proc = run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args], check=False, env=env)
    if proc.returncode:
        raise SetupError(f"pip install {' '.join(map(str, args))} failed with {python} (see pip's output above). "
                         "Check the network access to PyPI and the system packages needed to build the wheels.")


def ensure_python():
    """Return a Python that imports Odoo 18 and has the project's requirements."""
    python = sys.executable
    if odoo_major(python) != 18:
        venv_python = ROOT / ".venv" / "bin" / "python"
        if odoo_major(venv_python) != 18:
            tree = locate_odoo_source()
            if not venv_python.exists():
                say("creating .venv")
                run([sys.executable, "-m", "venv", ROOT / ".venv"])
            missing = apt_install(["libpq-dev", "libldap2-dev", "libsasl2-dev", "build-essential"])
            if missing:
                say(f"warning: missing system packages {missing}; building Odoo's requirements may fail")
            say(f"installing Odoo 18 from {tree} into .venv")
            pip(venv_python, "-r", Path(tree) / "requirements.txt")
            pip(venv_python, "--no-deps", "-e", tree)
        python = str(venv_python)
    reqs = [ROOT / "requirements.txt", ROOT / "requirements-test.txt"]
    digest = hashlib.sha1(("\n".join(p.read_text() for p in reqs) + python).encode()).hexdigest()[:12]
    stamp = CACHE / f"requirements-{digest}.ok"
    if not stamp.exists():
        say("installing the project's Python requirements")
        pip(python, *[a for r in reqs for a in ("-r", r)])
        CACHE.mkdir(exist_ok=True)
        stamp.touch()
    return python


def addons_path(python, extra=(), root=ROOT):
    code = ("import odoo, os; b = os.path.dirname(odoo.__file__); "
            "print(','.join(p for p in (os.path.join(b, 'addons'), os.path.join(b, '..', 'addons')) "
            "if os.path.isdir(p) and os.path.isdir(os.path.join(p, 'account'))))")
    core = run([python, "-c", code], capture_output=True, text=True).stdout.strip()
    base = os.path.realpath(os.path.join(core.split(",")[0], "..", "odoo", "addons")) if core else ""
    paths = [p for p in core.split(",") if p] + ([base] if os.path.isdir(base) else [])
    return ",".join(dict.fromkeys([str(root), *map(str, extra), *paths]))


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------

class Cluster:
    """A private PostgreSQL cluster under .cache/pg, or the server named by PG* variables."""

    def __init__(self):
        self.external = any(os.environ.get(v) for v in ("PGHOST", "PGPORT", "PGUSER"))
        self.started = False
        self.base = CACHE / "pg"
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if is_root() else []

    @property
    def params(self):
        if self.external:
            return {
                "db_host": os.environ.get("PGHOST", ""),
                "db_port": os.environ.get("PGPORT", ""),
                "db_user": os.environ.get("PGUSER", ""),
                "db_password": os.environ.get("PGPASSWORD", ""),
            }
        return {"db_host": str(self.base / "run"), "db_port": self.port, "db_user": "odoo", "db_password": ""}

    def pg(self, name, *args, check=True):
        binary = find_pg_bin(name)
        return run([*self.as_postgres, binary, *args], check=check, capture_output=True, text=True)

    def ensure(self):
        if self.external:
            say(f"using the PostgreSQL server given by PG* variables ({self.params['db_host'] or 'default'})")
            return self
        if not find_pg_bin("initdb") and apt_install(["postgresql"]):
            raise SetupError("PostgreSQL is not installed: install the 'postgresql' package, or set "
                             "PGHOST/PGPORT/PGUSER to use an existing server.")
        self._check_access()
        data = self.base / "data"
        ready = self.base / "READY"
        if data.exists() and not ready.exists():
            say("removing a half-initialised PostgreSQL cluster left by an interrupted run")
            shutil.rmtree(self.base)
        if not data.exists():
            self._init()
        self.port = int((self.base / "port").read_text())
        owner = self._claim()
        if self.pg("pg_ctl", "-D", data, "status", check=False).returncode == 0:
            if owner:  # nobody else uses it: a killed run left it behind, so stop it when done
                say(f"taking over the PostgreSQL cluster an interrupted run left on port {self.port}")
                self.started = True
            else:
                say(f"reusing the PostgreSQL cluster another run of this checkout serves on port {self.port}")
            return self
        self._start()
        return self

    def _claim(self):
        """Lock .cache/pg/owner.lock for the life of this process; False if another devenv process holds it."""
        self.lock = open(self.base / "owner.lock", "w")  # noqa: SIM115 - kept open on purpose
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _check_access(self):
        """The postgres user must be able to write the cluster folder; fall back to /tmp if it cannot."""
        self.base.mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            run(["chown", "postgres:postgres", self.base])
            if run([*self.as_postgres, "test", "-w", self.base], check=False).returncode:
                digest = hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]
                self.base = Path(f"/tmp/credit_control-pg-{digest}")
                self.base.mkdir(exist_ok=True)
                run(["chown", "postgres:postgres", self.base])

    def _init(self):
        say(f"initialising a private PostgreSQL cluster in {self.base}")
        (self.base / "run").mkdir(parents=True, exist_ok=True)
        if self.as_postgres:
            run(["chown", "-R", "postgres:postgres", self.base])
        proc = self.pg("initdb", "-D", self.base / "data", "-U", "odoo", "--auth=trust", "-E", "UTF8",
                       "--locale=C", check=False)
        if proc.returncode:
            raise SetupError(f"initdb failed:\n{proc.stdout}{proc.stderr}")
        (self.base / "port").write_text(str(free_port(55432)))
        (self.base / "READY").write_text("initdb done\n")

    def _start(self):
        data = self.base / "data"
        pidfile = data / "postmaster.pid"
        if pidfile.exists():
            pid = int((pidfile.read_text().split() or ["0"])[0])
            if postgres_alive(pid):
                raise SetupError(f"PostgreSQL process {pid} holds {data} but does not answer; stop it first.")
            say("removing a stale postmaster.pid left by a crashed cluster")
            pidfile.unlink()
        if port_in_use(self.port):
            self.port = free_port()
            (self.base / "port").write_text(str(self.port))
            say(f"the cluster's previous port is taken; moving to port {self.port}")
        opts = f"-k {self.base / 'run'} -p {self.port} -c listen_addresses=127.0.0.1 -c fsync=off"
        proc = self.pg("pg_ctl", "-D", data, "-l", self.base / "server.log", "-w", "-t", "60", "-o", opts, "start",
                       check=False)
        if proc.returncode:
            log = (self.base / "server.log").read_text()[-2000:] if (self.base / "server.log").exists() else ""
            raise SetupError(f"PostgreSQL did not start:\n{proc.stdout}{proc.stderr}\n{log}")
        self.started = True
        say(f"PostgreSQL started on port {self.port} (socket in {self.base / 'run'})")

    def stop(self):
        if self.started:
            self.pg("pg_ctl", "-D", self.base / "data", "-m", "fast", "-w", "stop", check=False)
            self.started = False
            say("PostgreSQL stopped")


# ---------------------------------------------------------------------------
# Odoo helpers
# ---------------------------------------------------------------------------

class Odoo:
    def __init__(self, python, cluster, extra_addons=(), root=ROOT, conf="odoo.conf"):
        """``root`` holds the two modules (first in the addons path); ``conf`` is written under .cache/."""
        self.python = python
        self.cluster = cluster
        self.conf = CACHE / conf
        lines = ["[options]", f"addons_path = {addons_path(python, extra_addons, root)}",
                 f"data_dir = {CACHE / 'filestore'}", "http_interface = 127.0.0.1", "max_cron_threads = 1"]
        lines += [f"{key} = {value}" for key, value in cluster.params.items() if value != ""]
        CACHE.mkdir(exist_ok=True)
        self.conf.write_text("\n".join(lines) + "\n")

    def cmd(self, *args):
        return [self.python, "-m", "odoo", "-c", self.conf, *args]

    def run_logged(self, args, logfile):
        """Run Odoo, echo and save its log; return (returncode, log text)."""
        logfile.parent.mkdir(parents=True, exist_ok=True)
        with open(logfile, "w") as out:
            proc = subprocess.Popen([str(c) for c in self.cmd(*args)], stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, text=True)
            try:
                for line in proc.stdout:
                    out.write(line)
                    sys.stdout.write(line)
                proc.wait()
            finally:
                stop_process(proc)
        return proc.returncode, logfile.read_text()

    def sql(self, dbname, query, *params):
        """Run one query in ``dbname`` through psycopg2; return the rows (None if no such database)."""
        p = self.cluster.params
        code = (
            "import sys, json, psycopg2\n"
            "a = json.loads(sys.argv[1])\n"
            "try:\n"
            "    conn = psycopg2.connect(dbname=a['db'], host=a['host'] or None, port=a['port'] or None,"
            " user=a['user'] or None, password=a['password'] or None)\n"
            "except psycopg2.OperationalError as e:\n"
            "    print(json.dumps(None) if 'does not exist' in str(e) else sys.exit(str(e)))\n"
            "    sys.exit(0)\n"
            "conn.autocommit = True\n"
            "cr = conn.cursor(); cr.execute(a['q'], a['params'])\n"
            "print(json.dumps(cr.fetchall() if cr.description else []))\n"
        )
        args = json.dumps({"db": dbname, "host": p["db_host"], "port": str(p["db_port"]), "user": p["db_user"],
                           "password": p["db_password"], "q": query, "params": list(params)})
        proc = run([self.python, "-c", code, args], capture_output=True, text=True, check=False)
        if proc.returncode:
            raise SetupError(f"PostgreSQL query failed: {proc.stderr.strip()[-1000:]}")
        return json.loads(proc.stdout)

    def drop_db(self, dbname):
        self.sql("postgres", f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        shutil.rmtree(CACHE / "filestore" / "filestore" / dbname, ignore_errors=True)


def modules_hash():
    digest = hashlib.sha1()
    for module in MODULES:
        for path in sorted((ROOT / module).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(ROOT)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def log_errors(text):
    return [line for line in text.splitlines() if LOG_ERROR_RE.match(line)]


# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

def db_marker(odoo, dbname):
    """The modules hash stored in ``dbname``: None without a database, '' when it never finished installing."""
    if not odoo.sql("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", dbname):
        return None
    if not odoo.sql(dbname, "SELECT to_regclass('ir_config_parameter')")[0][0]:
        return ""
    rows = odoo.sql(dbname, "SELECT value FROM ir_config_parameter WHERE key = %s", MODULES_HASH_KEY)
    return rows[0][0] if rows else ""


def ensure_demo_db(odoo, dbname=DEMO_DB):
    """Create or update the demo database; one a crashed run left without its marker is rebuilt."""
    wanted = modules_hash()
    marker = db_marker(odoo, dbname)
    if marker == wanted:
        say(f"database {dbname} is up to date")
        return
    if marker == "":
        say(f"database {dbname} was left half-initialised by an interrupted run: rebuilding it")
        odoo.drop_db(dbname)
    action = "-u" if marker else "-i"
    say(f"{'updating' if marker else 'creating'} database {dbname} with demo data")
    logfile = CACHE / "logs" / "run-install.log"
    rc, text = odoo.run_logged(["-d", dbname, action, ",".join(MODULES), "--stop-after-init", "--no-http"], logfile)
    if rc or log_errors(text):
        if not marker:
            odoo.drop_db(dbname)
        raise SetupError(f"Installing the modules into {dbname} failed; see {logfile}.")
    odoo.sql(dbname, "INSERT INTO ir_config_parameter (key, value, create_uid, write_uid, create_date, write_date) "
             "VALUES (%s, %s, 1, 1, now(), now()) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
             MODULES_HASH_KEY, wanted)


def stop_process(proc):
    """Stop an Odoo child still running (Ctrl-C, SIGTERM or an error in this script): gently, then by force."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(30)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def wait_http(url, proc, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError, urllib.error.URLError), urllib.request.urlopen(url, timeout=5) as resp:
            if resp.status == 200:
                return True
        time.sleep(0.5)
    return False


def cmd_run(args, cluster):
    port = os.environ.get("ODOO_PORT", "8069")
    if not port.isdigit():
        raise SetupError(f"ODOO_PORT={port} is not a port number; use e.g. ODOO_PORT={free_port()} make run")
    port = int(port)
    if port_in_use(port):
        raise SetupError(f"Port {port} is already in use (another Odoo?). Stop it, or choose another port: "
                         f"ODOO_PORT={free_port()} make run")
    odoo = Odoo(ensure_python(), cluster.ensure())
    ensure_demo_db(odoo)
    proc = subprocess.Popen([str(c) for c in odoo.cmd("-d", DEMO_DB, "--db-filter", f"^{DEMO_DB}$",
                                                       "--http-port", str(port))])
    try:
        url = f"http://127.0.0.1:{port}"
        if wait_http(f"{url}/web/login", proc):
            say(f"Credit Control is ready at {url} (database {DEMO_DB}, login admin / admin). Ctrl-C stops it.")
        elif proc.poll() is None:
            say(f"warning: {url}/web/login does not answer yet; see Odoo's log above")
        if proc.wait():
            raise SetupError(f"Odoo stopped with exit code {proc.returncode}; see its log above. If port {port} "
                             f"was taken meanwhile, choose another one: ODOO_PORT={free_port()} make run")
        return 0
    finally:
        stop_process(proc)


class Tally:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.problems = []

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            say(f"PASS {name}")
        else:
            self.failed += 1
            self.problems.append(f"{name}: {detail}" if detail else name)
            say(f"FAIL {name} {detail}")


def odoo_tests(odoo, tally, dbname):
    tags = ",".join(f"/{m}" for m in MODULES)
    rc, text = odoo.run_logged(
        ["-d", dbname, "-i", ",".join(MODULES), "--without-demo=all", "--test-enable", "--test-tags", tags,
         "--stop-after-init", "--http-port", str(free_port())],
        CACHE / "logs" / "odoo-tests.log")
    reports = REPORT_RE.findall(text)
    skipped = len(SKIP_RE.findall(text))
    if not reports:
        tally.check("odoo test run", False, f"no test report (exit code {rc})")
        return
    failed, errors, total = map(int, reports[-1])
    if not total:
        tally.check("odoo test run", False, "no test ran")
    tally.passed += total - failed - errors - skipped
    tally.failed += failed + errors + skipped
    say(f"Odoo tests: {total} run, {failed} failed, {errors} errors, {skipped} skipped (skips count as failures)")
    if failed or errors or skipped:
        tally.problems.append(f"odoo tests: {failed} failed, {errors} errors, {skipped} skipped")
    errors_in_log = log_errors(text)
    tally.check("no ERROR lines in the Odoo test log", not errors_in_log and rc == 0,
                "\n".join(errors_in_log[:10]) or f"exit code {rc}")


def pytest_tests(odoo, tally, dbname):
    junit = CACHE / "logs" / "pytest.xml"
    junit.unlink(missing_ok=True)  # a report left by an earlier run must not pass for this one
    # Odoo logs at WARNING and the report keeps every test's output, so ERROR lines can be found in it.
    proc = run([odoo.python, "-m", "pytest", ROOT / "tests", "--odoo-config", odoo.conf, "--odoo-database", dbname,
                "--odoo-log-level=warn", "-o", "junit_logging=all", "-p", "no:cacheprovider", f"--junitxml={junit}",
                "-rs"], check=False, cwd=ROOT)
    if not junit.exists():
        tally.check("pytest (root tests/)", False, f"exit code {proc.returncode}, no report")
        return
    report = ET.parse(junit).getroot()
    suite = report if report.tag == "testsuite" else report.find("testsuite")
    total, failures, errors, skipped = (int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped"))
    bad = failures + errors + skipped
    tally.passed += total - bad
    tally.failed += bad
    if bad:
        tally.problems.append(f"pytest: {failures} failed, {errors} errors, {skipped} skipped of {total}")
    elif not total or proc.returncode:
        tally.check("pytest (root tests/)", False, f"{total} tests, exit code {proc.returncode}")
    errors_in_log = log_errors("".join(report.itertext()))
    tally.check("no ERROR lines in the pytest log", not errors_in_log, "\n".join(errors_in_log[:10]))


def demo_install(odoo, tally, dbname):
    for label, action in (("install with demo data", "-i"), ("upgrade (-u)", "-u")):
        rc, text = odoo.run_logged(["-d", dbname, action, ",".join(MODULES), "--stop-after-init", "--no-http"],
                                   CACHE / "logs" / f"demo{action}.log")
        errors = log_errors(text)
        tally.check(f"{label} of both modules", rc == 0 and not errors, "\n".join(errors[:10]) or f"exit code {rc}")


# ---------------------------------------------------------------------------
# Upgrade from the last release
# ---------------------------------------------------------------------------

UPGRADE_COLUMNS = {
    "credit_override": ("id", "partner_id", "company_id", "reason_code", "reason", "exposure", "credit_limit",
                        "state"),
    "credit_dunning_communication": ("id", "state", "partner_id", "company_id", "level_id", "stage", "date",
                                     "amount_due", "origin"),
    # a line's customer, company and level are its communication's (stored there only since 18.0.1.3.0)
    "credit_dunning_line": ("id", "communication_id", "move_id", "date", "date_due", "days_overdue",
                            "amount_residual", "amount_residual_company"),
}
# Per (commercial partner, company): the stored company-dependent values.
LIMITS_SQL = """
    SELECT p.id, c.id, p.credit_limit -> c.id::text, p.credit_hold -> c.id::text, p.credit_hold_reason -> c.id::text
      FROM res_partner p CROSS JOIN res_company c
     WHERE p.id = p.commercial_partner_id
       AND (p.credit_limit ? c.id::text OR p.credit_hold ? c.id::text OR p.credit_hold_reason ? c.id::text)
     ORDER BY 1, 2
"""
# Per (commercial partner, company): an effective limit of 0, which meant "no limit" before 18.0.1.1.0, with the
# company default (ir.default of res.partner.credit_limit, 0 without one).
ZERO_LIMITS_SQL = """
    WITH defaults AS (
        SELECT c.id AS company_id, COALESCE((
                   SELECT d.json_value::float FROM ir_default d JOIN ir_model_fields f ON f.id = d.field_id
                    WHERE f.model = 'res.partner' AND f.name = 'credit_limit' AND d.user_id IS NULL
                      AND d.condition IS NULL AND (d.company_id = c.id OR d.company_id IS NULL)
                    ORDER BY d.company_id NULLS LAST LIMIT 1), 0) AS value
          FROM res_company c
    )
    SELECT p.id, d.company_id, d.value
      FROM res_partner p CROSS JOIN defaults d
     WHERE p.id = p.commercial_partner_id AND (p.company_id IS NULL OR p.company_id = d.company_id)
       AND COALESCE((p.credit_limit ->> d.company_id::text)::float, d.value) = 0
"""


def last_release_tree():
    """Check out the commit named in .ci/last-release in .cache/last-release (reused when already there)."""
    if not LAST_RELEASE_FILE.exists():
        raise SetupError(f"{LAST_RELEASE_FILE} is missing: it names the previous release's commit.")
    commit = LAST_RELEASE_FILE.read_text().strip()
    git = ["git", "-C", ROOT]
    if run([*git, "cat-file", "-e", f"{commit}^{{commit}}"], check=False, capture_output=True).returncode:
        raise SetupError(f"commit {commit} (.ci/last-release) is not in this clone: run 'git fetch --unshallow' "
                         "or clone the whole history of main.")
    if LAST_RELEASE_TREE.exists():
        head = run(["git", "-C", LAST_RELEASE_TREE, "rev-parse", "HEAD"], check=False, capture_output=True, text=True)
        if head.returncode == 0 and head.stdout.strip() == commit:
            return LAST_RELEASE_TREE
        say(f"replacing the stale checkout of the last release in {LAST_RELEASE_TREE}")
        run([*git, "worktree", "remove", "--force", LAST_RELEASE_TREE], check=False, capture_output=True)
        shutil.rmtree(LAST_RELEASE_TREE, ignore_errors=True)
    run([*git, "worktree", "prune"])
    proc = run([*git, "worktree", "add", "--detach", LAST_RELEASE_TREE, commit], check=False, capture_output=True,
               text=True)
    if proc.returncode:
        raise SetupError(f"git worktree add of the last release failed:\n{proc.stderr}")
    return LAST_RELEASE_TREE


def upgrade_snapshot(odoo, dbname):
    """The rows the upgrade must keep, as text so that dates and numerics compare exactly."""
    snapshot = {"limits": odoo.sql(dbname, LIMITS_SQL), "zero_limits": odoo.sql(dbname, ZERO_LIMITS_SQL)}
    for table, wanted in UPGRADE_COLUMNS.items():
        existing = {row[0] for row in odoo.sql(
            dbname, "SELECT column_name FROM information_schema.columns WHERE table_name = %s", table)}
        columns = [c for c in wanted if c in existing]
        select = ", ".join(f'"{c}"::text' for c in columns)  # names from UPGRADE_COLUMNS, not from input
        snapshot[table] = (columns, odoo.sql(dbname, f'SELECT {select} FROM "{table}" ORDER BY id'))
    return snapshot


def table_kept(odoo, dbname, snapshot, table):
    """'' when every row of ``table`` in the snapshot is still there with the same values, else what differs."""
    columns, before = snapshot[table]
    existing = {row[0] for row in odoo.sql(
        dbname, "SELECT column_name FROM information_schema.columns WHERE table_name = %s", table)}
    if missing := [c for c in columns if c not in existing]:
        return f"{table} lost the columns {missing}"
    select = ", ".join(f'"{c}"::text' for c in columns)
    after = {row[0]: row for row in odoo.sql(dbname, f'SELECT {select} FROM "{table}" ORDER BY id')}
    changed = [(row, after.get(row[0])) for row in before if after.get(row[0]) != row]
    if changed:
        return f"{table}: {len(changed)} of {len(before)} rows changed or gone, e.g. {changed[:3]}"
    if len(after) != len(before):
        return f"{table}: {len(before)} rows before the upgrade, {len(after)} after"
    return "" if before else f"{table}: no row in the last release's demo data, nothing was checked"


def dunning_items_kept(odoo, dbname):
    """'' when every dunning line names a receivable line of its own invoice, due on the day it recorded."""
    [(lines, wrong)] = odoo.sql(dbname, """
        SELECT COUNT(*), COUNT(*) FILTER (WHERE l.move_id IS DISTINCT FROM dl.move_id
                                             OR l.date_maturity IS DISTINCT FROM dl.date_due)
          FROM credit_dunning_line dl LEFT JOIN account_move_line l ON l.id = dl.move_line_id
    """)
    if not lines:
        return "no dunning line in the last release's demo data"
    return f"{wrong} of {lines} dunning lines name no item of their invoice due on their due date" if wrong else ""


def no_limit_kept(odoo, dbname, zero_limits):
    """'' when every customer whose limit was 0 (no limit, before 18.0.1.1.0) now has no limit, else why not."""
    if not odoo.sql(dbname, "SELECT 1 FROM information_schema.columns "
                            "WHERE table_name = 'res_partner' AND column_name = 'credit_no_limit'"):
        return "res_partner.credit_no_limit does not exist: the 18.0.1.1.0 migration has not landed"
    used = dict(odoo.sql(dbname, "SELECT id, account_use_credit_limit FROM res_company"))
    # The company's choice for customers without their own value: ir.default of res.partner.credit_no_limit.
    company_default = {company_id: value == "true" for company_id, value in odoo.sql(
        dbname, "SELECT d.company_id, d.json_value FROM ir_default d JOIN ir_model_fields f ON f.id = d.field_id "
                "WHERE f.model = 'res.partner' AND f.name = 'credit_no_limit' AND d.company_id IS NOT NULL "
                "AND d.user_id IS NULL AND d.condition IS NULL")}
    partner_ids = sorted({partner_id for partner_id, _company_id, _default in zero_limits})
    stored = dict(odoo.sql(dbname, "SELECT id, credit_no_limit FROM res_partner WHERE id = ANY(%s)", partner_ids))
    wrong = []
    for partner_id, company_id, _default in zero_limits:
        if not used.get(company_id):
            continue
        own = (stored.get(partner_id) or {}).get(str(company_id))
        if own is True or (own is None and company_default.get(company_id)):
            continue
        wrong.append((partner_id, company_id))
    if wrong:
        return (f"{len(wrong)} customers had a limit of 0 (no limit) and now have a limit, as (partner, company): "
                f"{wrong[:10]}")
    return ""


def upgrade_test(odoo, tally):
    """Install the last release with demo data, upgrade it to the working tree, check that nothing is lost."""
    dbname = f"cc_upgrade_{os.getpid()}"
    try:
        old = Odoo(odoo.python, odoo.cluster, root=last_release_tree(), conf="odoo-last-release.conf")
    except SetupError as exc:
        tally.check("upgrade from the last release", False, str(exc))
        return
    try:
        rc, text = old.run_logged(["-d", dbname, "-i", ",".join(MODULES), "--stop-after-init", "--no-http"],
                                  CACHE / "logs" / "upgrade-install.log")
        errors = log_errors(text)
        if rc or errors:
            tally.check("upgrade from the last release", False,
                        "installing the last release: " + ("\n".join(errors[:10]) or f"exit code {rc}"))
            return
        snapshot = upgrade_snapshot(odoo, dbname)
        rc, text = odoo.run_logged(["-d", dbname, "-u", ",".join(MODULES), "--stop-after-init", "--no-http"],
                                   CACHE / "logs" / "upgrade-update.log")
        errors = log_errors(text)
        tally.check("upgrade from the last release", rc == 0 and not errors,
                    "\n".join(errors[:10]) or f"exit code {rc}")
        if rc:
            return
        limits = odoo.sql(dbname, LIMITS_SQL)
        lost = [row for row in snapshot["limits"] if row not in limits]
        tally.check("upgrade keeps credit limits and holds", snapshot["limits"] and not lost,
                    f"{len(lost)} of {len(snapshot['limits'])} (partner, company, limit, hold, reason) changed, "
                    f"e.g. {lost[:3]}" if lost else "no stored limit or hold in the last release's demo data")
        problem = table_kept(odoo, dbname, snapshot, "credit_override")
        tally.check("upgrade keeps overrides", not problem, problem)
        problem = "; ".join(p for p in (table_kept(odoo, dbname, snapshot, t)
                                        for t in ("credit_dunning_communication", "credit_dunning_line")) if p)
        tally.check("upgrade keeps dunning history", not problem, problem)
        problem = dunning_items_kept(odoo, dbname)
        tally.check("upgrade gives each dunning line its receivable item", not problem, problem)
        [(new_body, kept_copy, old_used)] = odoo.sql(dbname, """
            SELECT bool_or(strpos(t.body_html ->> 'en_US', 'credit_ids') > 0 AND d.id IS NOT NULL),
                   bool_or(strpos(t.name ->> 'en_US', '(before 18.0.1.2.0)') > 0),
                   bool_or(lv.id IS NOT NULL AND d.id IS NULL)
              FROM mail_template t
              LEFT JOIN ir_model_data d ON d.model = 'mail.template' AND d.res_id = t.id AND d.noupdate
                   AND d.module = 'credit_control' AND d.name = 'mail_template_dunning'
              LEFT JOIN credit_dunning_level lv ON lv.mail_template_id = t.id
             WHERE t.model = 'credit.dunning.communication'
        """)
        tally.check("upgrade gives the dunning email its item states and credits, keeping the old one",
                    new_body and kept_copy and not old_used,
                    f"new body: {new_body}, old one kept: {kept_copy}, levels still on the old one: {old_used}")
        problem = no_limit_kept(odoo, dbname, snapshot["zero_limits"])
        tally.check("upgrade turns a limit of 0 into no limit", not problem, problem)
    finally:
        with contextlib.suppress(SetupError):
            odoo.drop_db(dbname)


def linters(odoo, tally):
    proc = run([odoo.python, "-m", "ruff", "check", "."], check=False, cwd=ROOT)
    tally.check("ruff", proc.returncode == 0)
    proc = run([odoo.python, "-m", "pylint", "--rcfile", ROOT / "setup.cfg", *MODULES], check=False, cwd=ROOT)
    tally.check("pylint-odoo mandatory checks", proc.returncode == 0)
    docker = shutil.which("docker")
    if docker and run([docker, "compose", "version"], check=False, capture_output=True).returncode == 0:
        proc = run([docker, "compose", "-f", ROOT / "docker" / "compose.yaml", "config", "-q"], check=False)
        tally.check("docker compose config", proc.returncode == 0)
    else:
        say("no docker compose client here: docker/compose.yaml not validated")


def cmd_test(args, cluster):
    python = ensure_python()
    if not args.upgrade_only and not chromium_path() and apt_install(["chromium"]):
        raise SetupError("Chromium is needed for the browser tests: install the 'chromium' package.")
    if not args.upgrade_only and not shutil.which("wkhtmltopdf") and apt_install(["wkhtmltopdf"]):
        raise SetupError("wkhtmltopdf is needed for the PDF tests: install the 'wkhtmltopdf' package.")
    odoo = Odoo(python, cluster.ensure())
    tally = Tally()
    suffix = f"{os.getpid()}"
    test_db, demo_db = f"cc_test_{suffix}", f"cc_demo_{suffix}"
    try:
        if args.upgrade_only:
            upgrade_test(odoo, tally)
        else:
            odoo_tests(odoo, tally, test_db)
            if not args.odoo_only:
                pytest_tests(odoo, tally, test_db)
                demo_install(odoo, tally, demo_db)
                upgrade_test(odoo, tally)
                linters(odoo, tally)
    finally:
        for db in (test_db, demo_db):
            with contextlib.suppress(SetupError):  # keep the original error, and try every database
                odoo.drop_db(db)
        cluster.stop()  # now, so that the TOTAL line is the last one
    for problem in tally.problems:
        say(f"problem: {problem}")
    print(f"TOTAL: {tally.passed} passed, {tally.failed} failed", flush=True)
    return 1 if tally.failed else 0


def cmd_shell_env(args, cluster):
    """Set up everything, then run a command with ODOO_PYTHON / ODOO_CONF exported (used by make bench)."""
    python = ensure_python()
    extra = [CACHE / "oca-addons"] if (CACHE / "oca-addons").is_dir() else []
    odoo = Odoo(python, cluster.ensure(), extra)
    env = dict(os.environ, ODOO_PYTHON=python, ODOO_CONF=str(odoo.conf), CREDIT_CONTROL_ROOT=str(ROOT))
    return run([python if c == "{python}" else c for c in args.command], check=False, env=env, cwd=ROOT).returncode


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command_name", required=True)
    sub.add_parser("run", help="serve Odoo with both modules and demo data")
    test = sub.add_parser("test", help="run every test and check")
    test.add_argument("--odoo-only", action="store_true", help="only the Odoo module tests")
    test.add_argument("--upgrade-only", action="store_true", help=argparse.SUPPRESS)  # only the upgrade step
    shell = sub.add_parser("exec", help="run a command inside the environment ({python} is Odoo's Python)")
    shell.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    cluster = Cluster()
    handler = {"run": cmd_run, "test": cmd_test, "exec": cmd_shell_env}[args.command_name]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return handler(args, cluster)
    except SetupError as exc:
        print(f"\nERROR: {exc}\n", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        return 130
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())

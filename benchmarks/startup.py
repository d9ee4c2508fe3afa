"""Start-up of `manage.py import_traffic` on a one-row file, before and after, in one run.

    [DATABASE_URL=postgres://…] python benchmarks/startup.py [--runs 5]

Each figure is the wall-clock time of a whole process (interpreter, Django set-up,
the command, the import of one row), median of interleaved runs:
- `checks (old path)`: the same command with the system checks it used to run (they
  import the URL conf, every view, the templates' and admin's checks): the baseline;
- `import_traffic`: the command as it is now (ImportCommand skips the checks, Django
  admin's modules are discovered only for the checks and the URL conf), its modules
  compiled as the Docker image compiles them at build time;
- `not compiled`: the same in a copy of the source without bytecode, as the image ran
  it before it compiled (PYTHONDONTWRITEBYTECODE: every start compiled the portal);
- `manage.py check`: the checks alone, for scale;
- `python -c pass`: the interpreter, the floor.
It also says whether importing the URL conf loads a heavy library (matplotlib, pandas,
openpyxl, numpy, reportlab), which should happen only where a chart or file is drawn.

Runs against a scratch database: a temporary SQLite file, or `<name>_startup` next to
DATABASE_URL's PostgreSQL database (created and dropped here). Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("matplotlib", "pandas", "openpyxl", "numpy", "reportlab")
PACKAGES = ("gigaportal", "dashboard", "devices", "traffic", "support", "surveys", "security")

OLD_PATH = """
import os, sys
import django
django.setup()
from traffic.management.commands.import_traffic import Command
Command.requires_system_checks = "__all__"  # what BaseCommand does by default
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", "import_traffic", sys.argv[1]])
"""

URLCONF_PROBE = f"""
import sys
import django
django.setup()
import gigaportal.urls  # noqa: F401
print(",".join(m for m in {HEAVY!r} if m in sys.modules) or "none")
"""


def timed(args: list[str], env: dict, cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def scratch_database(env: dict, tmp: Path) -> tuple[str, callable]:
    url = env.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return f"sqlite:///{tmp / 'startup.sqlite3'}", lambda: None
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_startup"
    admin = dict(env, PGDATABASE="postgres")
    host = ["-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 5432)]
    user = ["-U", parts.username or "postgres"]
    subprocess.run(["dropdb", "--if-exists", *host, *user, name], env=admin, check=True)
    subprocess.run(["createdb", *host, *user, name], env=admin, check=True)
    scratch = urlunsplit(parts._replace(path="/" + name))
    return scratch, lambda: subprocess.run(["dropdb", *host, *user, name], env=admin, check=False)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args, _unknown = parser.parse_known_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        env = dict(
            os.environ,
            SECRET_KEY="benchmark-only",
            HTTPS="false",
            DEBUG="false",
            DJANGO_SETTINGS_MODULE="gigaportal.settings",
        )
        env.pop("REDIS_URL", None)  # the import's evaluation runs in-process: no months due
        env["DATABASE_URL"], drop = scratch_database(env, tmp_path)
        # The source as the image has it (compiled at build), and a copy without
        # bytecode, compiled again by every start under PYTHONDONTWRITEBYTECODE.
        for package in PACKAGES:
            compileall.compile_dir(ROOT / package, quiet=1)
        uncompiled = tmp_path / "uncompiled"
        shutil.copytree(
            ROOT,
            uncompiled,
            ignore=shutil.ignore_patterns(
                ".venv",
                ".git",
                "__pycache__",
                "*.pyc",
                "db.sqlite3*",
                "media",
                "staticfiles",
                "test-artifacts",
            ),
        )
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        try:
            subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
            figures: dict[str, list[float]] = {
                "python -c pass": [],
                "manage.py check": [],
                "checks (old path)": [],
                "import_traffic": [],
                "not compiled": [],
            }
            month = 0
            for _run in range(args.runs):
                files = []
                for _ in range(3):
                    month += 1
                    path = tmp_path / f"one-{month}.csv"
                    path.write_text(
                        f"回線番号,利用月,通信量(GB)\n070-0000-0001,{2000 + month // 12}-{month % 12 + 1:02d},1.5\n",
                        encoding="utf-8",
                    )
                    files.append(str(path))
                figures["python -c pass"].append(timed([python, "-c", "pass"], env))
                figures["manage.py check"].append(timed([python, "manage.py", "check"], env))
                figures["checks (old path)"].append(timed([python, "-c", OLD_PATH, files[0]], env))
                figures["import_traffic"].append(
                    timed([python, "manage.py", "import_traffic", files[1]], env)
                )
                figures["not compiled"].append(
                    timed([python, "manage.py", "import_traffic", files[2]], env, uncompiled)
                )
            probe = subprocess.run(
                [python, "-c", URLCONF_PROBE], cwd=ROOT, env=env, check=True, capture_output=True
            )
        finally:
            drop()
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    print(f"start-up of a one-row import on {database}, median of {args.runs} interleaved runs:")
    baseline = statistics.median(figures["checks (old path)"])
    for name, values in figures.items():
        median = statistics.median(values)
        print(f"  {name:20s} {median:6.2f} s  ({median / baseline:4.2f}× the old path)")
    print(f"heavy libraries loaded with the URL conf: {probe.stdout.decode().strip()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

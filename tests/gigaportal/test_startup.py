"""Commands start fast: an import command does not load the URL conf (the system checks
would), and the URL conf loads no heavy library (charts and workbooks import theirs
where they are drawn). benchmarks/startup.py measures the time; these check the cause."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("matplotlib", "pandas", "openpyxl", "numpy", "reportlab")


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="gigaportal.settings")
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_import_command_does_not_load_the_url_conf(tmp_path):
    code = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('URLCONF', 'gigaportal.urls' in sys.modules))\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(['manage.py', 'import_traffic', sys.argv[1]])\n"
    )
    result = run_python(code, str(tmp_path / "missing.csv"))
    # The command refuses the missing file (exit 1) after start-up, without the checks.
    assert "no such file" in result.stderr
    assert "URLCONF False" in result.stdout


def test_the_url_conf_loads_no_heavy_library():
    code = (
        "import sys, django\n"
        "django.setup()\n"
        "import gigaportal.urls\n"
        f"print('HEAVY', [m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout


def test_an_import_command_loads_neither_admin_modules_nor_other_apps_services(tmp_path):
    code = (
        "import atexit, sys\n"
        "names = ('traffic.admin', 'devices.admin', 'surveys.services', 'support.services')\n"
        "atexit.register(lambda: print('LOADED', [m for m in names if m in sys.modules]))\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(['manage.py', 'import_traffic', sys.argv[1]])\n"
    )
    result = run_python(code, str(tmp_path / "missing.csv"))
    assert "no such file" in result.stderr
    assert "LOADED []" in result.stdout


def test_the_admin_modules_are_discovered_for_the_checks_and_the_url_conf():
    """Not at start-up, but before admin is checked (`manage.py check`, a server start)
    or served: the checks still see every registered model admin."""
    code = (
        "import sys, django\n"
        "django.setup()\n"
        "print('AT SETUP', 'traffic.admin' in sys.modules)\n"
        "from django.core import checks\n"
        "checks.run_checks(tags=[checks.Tags.admin])\n"
        "from django.contrib import admin\n"
        "from traffic.models import Case\n"
        "print('AFTER CHECKS', admin.site.is_registered(Case))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert "AT SETUP False" in result.stdout
    assert "AFTER CHECKS True" in result.stdout

"""The benchmark scripts still run, at a small size, so that none of them breaks
unnoticed between the sessions that read their figures (the evaluation benchmark once
stopped at a row lock taken outside a transaction). Figures are printed by the scripts
and never asserted here: only that each runs to the end and prints its comparison.
They run against PostgreSQL, as their figures are meant to (scratch databases named
after DATABASE_URL's, created and dropped by each script)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import _unavailable

ROOT = Path(__file__).resolve().parent.parent

SMALL = {
    "evaluation.py": (["--lines", "2000", "--runs", "1"], "evaluation of 2022-10"),
    "support_report.py": (["--records", "200", "--import-rows", "50"], "baseline per-row save"),
    "surveys_import.py": (["--responses", "200"], "baseline pandas"),
    "startup.py": (["--runs", "1"], "import_traffic"),
    "import_memory.py": (
        ["--sizes", "0.05", "--kinds", "support_log,schools,devices,device_events,surveys"],
        "csv-only peak",
    ),
}


@pytest.fixture(scope="module")
def postgres_url():
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        _unavailable("the benchmarks need PostgreSQL: set DATABASE_URL=postgres://…")
    return url


@pytest.mark.parametrize("script", sorted(SMALL))
def test_benchmark_runs_at_a_small_size(script, postgres_url):
    arguments, expected = SMALL[script]
    env = {**os.environ, "DATABASE_URL": postgres_url, "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert expected in result.stdout, result.stdout[-3000:]

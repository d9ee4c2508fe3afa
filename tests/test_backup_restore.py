"""docs/first-deployment/backup.md on the real database: pg_dump of the portal's
database, pg_restore into a fresh one, and the same report numbers from both (PostgreSQL
only; uses the machine's pg_dump and pg_restore)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.db import connection

from tests.conftest import _unavailable
from traffic.services.usage import usage_import

ROOT = Path(__file__).resolve().parents[1]


def report(database_url: str) -> str:
    env = dict(os.environ, DATABASE_URL=database_url)
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "traffic_report", "usage", "--from", "2022-09"]
        + ["--to", "2022-10", "--format", "csv"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_a_dump_restored_into_a_fresh_database_gives_the_same_report_numbers(
    transactional_db, school_a, tmp_path
):
    if connection.vendor != "postgresql" or not shutil.which("pg_restore"):
        _unavailable("needs PostgreSQL and pg_dump/pg_restore")
    usage_import(
        file=io.BytesIO(
            "回線番号,利用月,データ通信量(GB),学校コード\n070-4000-0001,2022-09,12.5,A001\n"
            "070-4000-0002,2022-09,3,A001\n070-4000-0001,2022-10,250,A001\n".encode()
        )
    )
    settings = connection.settings_dict
    host = ["-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432)]
    user = ["-U", settings["USER"] or "postgres"]
    env = dict(os.environ, PGPASSWORD=settings["PASSWORD"] or "")
    source = settings["NAME"]
    fresh = f"{source}_restored"
    dump = tmp_path / "portal.dump"
    subprocess.run(["pg_dump", *host, *user, "-Fc", "-f", str(dump), source], env=env, check=True)
    subprocess.run(["dropdb", "--if-exists", *host, *user, fresh], env=env, check=True)
    subprocess.run(["createdb", *host, *user, fresh], env=env, check=True)
    try:
        subprocess.run(
            ["pg_restore", *host, *user, "--no-owner", "-d", fresh, str(dump)], env=env, check=True
        )
        base = f"postgres://{settings['USER'] or 'postgres'}@{host[1]}:{host[3]}"
        original, restored = report(f"{base}/{source}"), report(f"{base}/{fresh}")
    finally:
        subprocess.run(["dropdb", "--if-exists", *host, *user, fresh], env=env, check=False)
    assert restored == original
    assert "2022-09" in original and "2022-10" in original

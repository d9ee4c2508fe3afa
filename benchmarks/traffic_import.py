"""Import speed of the carrier CSV against a raw COPY of the same file, in one run.

    DATABASE_URL=postgres://… python benchmarks/traffic_import.py [--prefecture]

Generates 25,000 lines × 12 months (with --prefecture 300,000 × 12) as a CSV, then
measures on a scratch database (<name>_bench, created and dropped here):
- rows/s of the import service (raw cells by COPY, checked and converted in SQL,
  set-based apply; see docs/traffic.md);
- rows/s of a raw `COPY … FROM STDIN (FORMAT csv)` of the same bytes into a bare
  table: the floor nothing can beat;
- their ratio, the peak memory (max RSS) of each phase;
- the time and number of SQL queries to evaluate one month.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("HTTPS", "false")
# Deliveries are not measured here; without a broker they would run in-process.
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

SCHOOLS = 70
MONTHS = [f"2022-{m:02d}" for m in range(1, 13)]


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_csv(path: Path, lines: int) -> int:
    rng = random.Random(1)
    heavy = set(rng.sample(range(lines), max(lines // 1000, 10)))
    rows = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("回線番号,利用月,データ通信量(GB),学校コード\n")
        for month in MONTHS:
            for i in range(lines):
                gb = rng.uniform(150, 320) if i in heavy else rng.lognormvariate(0.5, 1.0)
                out.write(
                    f"070-{i // 10000:04d}-{i % 10000:04d},{month},{gb:,.2f},B{i % SCHOOLS:03d}\n"
                )
                rows += 1
    return rows


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prefecture", action="store_true", help="300,000 lines × 12 months")
    args = parser.parse_args()
    lines = 300_000 if args.prefecture else 25_000
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; figures are for the SQLite path", flush=True)

    base_name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{base_name}_bench"
    created = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return run(lines)
    finally:
        connection.creation.destroy_test_db(created, verbosity=0)


def run(lines: int) -> int:
    from gigaportal import imports
    from gigaportal.calendar import Month
    from gigaportal.models import ImportBatch, ObjectChange, School
    from gigaportal.scope import COMMAND_LINE
    from traffic import services

    School.objects.bulk_create(
        School(code=f"B{i:03d}", name=f"ベンチ{i}小学校", kind=School.Kind.ELEMENTARY)
        for i in range(SCHOOLS)
    )

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "usage.csv"
        start = time.perf_counter()
        rows = write_csv(path, lines)
        size_mb = path.stat().st_size / 1024 / 1024
        print(
            f"file: {lines:,} lines × 12 months = {rows:,} rows, {size_mb:.1f} MB "
            f"(written in {time.perf_counter() - start:.1f} s)",
            flush=True,
        )

        # Baseline: the same bytes, raw COPY into a bare table.
        rss_before = max_rss_mb()
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE UNLOGGED TABLE bench_bare (line text, month text, usage text, school text)"
            )
            start = time.perf_counter()
            with (
                path.open("rb") as binary,
                cursor.copy("COPY bench_bare FROM STDIN (FORMAT csv, HEADER true)") as copy,
            ):
                while chunk := binary.read(1 << 20):
                    copy.write(chunk)
            raw_seconds = time.perf_counter() - start
            cursor.execute("DROP TABLE bench_bare")
        raw_rate = rows / raw_seconds
        print(
            f"raw COPY:      {raw_seconds:7.2f} s  {raw_rate:12,.0f} rows/s  (max RSS {max_rss_mb():.0f} MB)",
            flush=True,
        )

        # The whole import as `manage.py import_traffic` runs it: an import batch (the
        # file's SHA-256, the batch row and its one change-log entry) around the import.
        start = time.perf_counter()
        with path.open("rb") as binary:
            digest_seconds = time.perf_counter()
            imports.file_digest(binary)
            digest_seconds = time.perf_counter() - digest_seconds
            batch = imports.batch_import(kind="traffic_usage", file=binary, by=COMMAND_LINE)
        import_seconds = time.perf_counter() - start
        assert batch.status == ImportBatch.Status.DONE and batch.created == rows, batch.errors
        import_rate = rows / import_seconds
        print(
            f"import_traffic:{import_seconds:7.2f} s  {import_rate:12,.0f} rows/s  (max RSS {max_rss_mb():.0f} MB; "
            f"{max_rss_mb() - rss_before:+.0f} MB over the baseline phase)",
            flush=True,
        )
        print(f"ratio import/raw COPY: {import_seconds / raw_seconds:.2f}×", flush=True)
        print(
            f"  of which the file's SHA-256 (counted twice above: once here, once in the "
            f"batch): {digest_seconds:.2f} s; change-log rows written: "
            f"{ObjectChange.objects.filter(action='import').count()} for {rows:,} rows",
            flush=True,
        )

        # Importing a month again replaces it: time one month's re-import.
        one_month = Path(tmp) / "month.csv"
        with path.open(encoding="utf-8") as src, one_month.open("w", encoding="utf-8") as dst:
            dst.write(src.readline())
            for line in src:
                if ",2022-12," in line:
                    dst.write(line)
        start = time.perf_counter()
        with one_month.open("rb") as binary:
            services.usage_import(file=binary)
        print(
            f"re-import of one month ({lines:,} rows, replacing it): {time.perf_counter() - start:.2f} s",
            flush=True,
        )

    # The policy comes after the imports, so that the months are not evaluated on
    # commit (in-process here) inside the import's timing.
    services.policy_set(by=COMMAND_LINE, effective_from=Month(2022, 9))
    services.evaluation_run(month=Month(2022, 9))
    # Inside an outer transaction, so delivery (queued on commit) is not timed.
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        outcome = services.evaluation_run(month=Month(2022, 10))
        evaluation_seconds = time.perf_counter() - start
    print(
        f"evaluation of 2022-10 over {lines:,} lines: {evaluation_seconds:.3f} s, {len(queries)} queries "
        f"(opened {outcome.opened}, escalated {outcome.escalated}, improved {outcome.improved})",
        flush=True,
    )
    print(f"peak memory (max RSS of the whole process): {max_rss_mb():.0f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

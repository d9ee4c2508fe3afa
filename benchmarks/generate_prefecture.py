"""Fills a migrated PostgreSQL database with prefecture-sized usage for the load test.

    DATABASE_URL=postgres://…/demo python benchmarks/generate_prefecture.py [--lines 300000]

Adds `--lines` lines (070-5xxx-xxxx, spread over the schools already there: load the
demo first, for its schools and accounts) with 12 months of usage (2021-01 … 2021-12,
before the demo's months, so no evaluation is due), loaded by COPY into the usage
table, then the monthly totals rebuilt as an import leaves them. Refuses to run twice
on one database (its lines exist). PostgreSQL only; not run by run_all.py.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("HTTPS", "false")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

MONTHS = [f"2021-{m:02d}-01" for m in range(1, 13)]
PREFIX = "070-5"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=300_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("PostgreSQL only (set DATABASE_URL)")
        return 1
    from gigaportal.models import School
    from traffic.models import Line
    from traffic.services import monthly_totals_refresh
    from traffic.services.months import usage_months_record
    from traffic.services.partitions import usage_partitions_ensure

    if Line.objects.filter(number__startswith=PREFIX).exists():
        print("this database already holds the generated lines; nothing done")
        return 1
    schools = list(School.objects.values_list("pk", flat=True))
    if not schools:
        print("no schools: load the demo first (manage.py load_demo)")
        return 1
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        # The months' own partitions, as an import leaves them (not the default one).
        usage_partitions_ensure([dt.date.fromisoformat(month) for month in MONTHS])
        cursor.execute(
            "INSERT INTO traffic_line (number, school_id) SELECT"
            f" '{PREFIX}' || lpad((i / 10000)::text, 3, '0') || '-' || lpad((i %% 10000)::text, 4, '0'),"
            " (%s::bigint[])[i %% %s + 1] FROM generate_series(0, %s) i RETURNING id",
            [schools, len(schools), args.lines - 1],
        )
        line_ids = [row[0] for row in cursor.fetchall()]
        rng = random.Random(14)
        with cursor.copy("COPY traffic_monthlyusage (line_id, month, usage_mb) FROM STDIN") as copy:
            for month in MONTHS:
                rows = []
                for line_id in line_ids:
                    mb = rng.lognormvariate(0.5, 1.0) * 1024
                    rows.append(f"{line_id}\t{month}\t{mb:.3f}")
                copy.write("\n".join(rows) + "\n")
        monthly_totals_refresh(months=[dt.date.fromisoformat(month) for month in MONTHS])
        # Their states, as the import records them (traffic.services.months).
        usage_months_record(days=[dt.date.fromisoformat(month) for month in MONTHS])
        cursor.execute("ANALYZE traffic_line")
        cursor.execute("ANALYZE traffic_monthlyusage")
    print(
        f"{len(line_ids):,} lines × {len(MONTHS)} months = {len(line_ids) * len(MONTHS):,} usage rows "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

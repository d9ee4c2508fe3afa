"""Support benchmarks: the per-term tally and the log import, each next to a naive
baseline measured in the same run. Everything happens inside a transaction that is
rolled back, on a scratch database (<name>_bench, created and dropped here).

    DATABASE_URL=postgres://... SECRET_KEY=x python benchmarks/support_report.py [--records 20000]
"""

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from gigaportal import imports  # noqa: E402
from gigaportal.calendar import default_terms, term_of  # noqa: E402
from gigaportal.models import School, User  # noqa: E402
from support import selectors  # noqa: E402
from support.models import SupportRecord  # noqa: E402
from support.rules import tally_by_term  # noqa: E402


class Rollback(Exception):
    pass


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--import-rows", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(1)
    try:
        with transaction.atomic():
            schools = School.objects.bulk_create(
                [School(code=f"BM{i:03d}", name=f"bench{i}", kind="elementary") for i in range(50)]
            )
            leader = User.objects.create(username="bench-leader", role="leader")
            staff = User.objects.create(
                username="bench-staff", role="support", full_name="計測 太郎"
            )
            first = dt.date(2022, 4, 1)
            SupportRecord.objects.bulk_create(
                [
                    SupportRecord(
                        date=first + dt.timedelta(days=rng.randrange(365)),
                        school=rng.choice(schools),
                        kind=rng.choice(["online", "visit", "training"]),
                        created_by=staff,
                    )
                    for _ in range(args.records)
                ],
                batch_size=5000,
            )

            def tally_sql():
                terms, counts = selectors.term_day_counts(user=leader, fiscal_year=2022)
                return tally_by_term(counts, terms)

            def tally_rows():
                # Baseline: every record loaded and counted in Python.
                terms = default_terms(2022)
                counter = Counter()
                for record in SupportRecord.objects.filter(date__year__in=[2022, 2023]):
                    term = term_of(record.date, terms)
                    if term:
                        counter[(term.number, record.kind)] += 1
                return counter

            fast, t_fast = timed(tally_sql)
            slow, t_slow = timed(tally_rows)
            assert sum(fast.counts.values()) == sum(slow.values())
            print(
                f"term tally of {args.records} records: grouped SQL {t_fast * 1000:.1f} ms, "
                f"baseline row-by-row {t_slow * 1000:.1f} ms ({t_slow / t_fast:.0f}x)"
            )

            lines = ["date,school_code,kind,staff"] + [
                f"2022-05-{rng.randrange(1, 29):02d},{rng.choice(schools).code},visit,bench-staff"
                for _ in range(args.import_rows)
            ]
            data = ("\n".join(lines) + "\n").encode()
            # As `manage.py import_support_log` runs it: an import batch (digest, one
            # change-log entry) around the import.
            batch, t_bulk = timed(
                lambda: imports.batch_import(kind="support_log", file=io.BytesIO(data), by=leader)
            )
            assert batch.status == "done", batch.errors

            def per_row():
                # Baseline: one save and one link insert per row.
                for line in lines[1:]:
                    day, code, kind, _who = line.split(",")
                    record = SupportRecord.objects.create(
                        date=day, school=School.objects.get(code=code), kind=kind, created_by=leader
                    )
                    record.staff.add(staff)

            _, t_rows = timed(per_row)
            print(
                f"import of {args.import_rows} rows: bulk {t_bulk * 1000:.0f} ms, "
                f"baseline per-row save {t_rows * 1000:.0f} ms ({t_rows / t_bulk:.0f}x)"
            )
            raise Rollback
    except Rollback:
        pass


def on_scratch_database() -> None:
    base_name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{base_name}_bench"
    created = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        main()
    finally:
        connection.creation.destroy_test_db(created, verbosity=0)


if __name__ == "__main__":
    on_scratch_database()

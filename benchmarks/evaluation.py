"""One month's evaluation at a million lines, and its candidate query old and new, in one run.

    DATABASE_URL=postgres://… python benchmarks/evaluation.py [--lines 1000000]

On a scratch database (<name>_evaluation, created and dropped here) it generates, in
SQL, `--lines` lines over 70 schools with two months of usage (0.1 % of them heavy),
evaluates the first month, and then measures for the second:
- the candidate query as it was (one filter: at or above the lowest threshold OR
  has an open case, kept here as the baseline) and the candidate reads as they are
  (traffic.services.evaluation._candidates: the open cases, the month's rows at or
  above the threshold, those lines by id with their two months), median of
  interleaved runs, with the same lines;
- the whole `evaluation_run` in-process, median of runs each rolled back: time and
  number of queries (delivery, published on commit, is not part of it);
- delivery of the month's actions in-process (outbox-only backend), in batches.
PostgreSQL only; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("HTTPS", "false")
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

SCHOOLS = 70
OLD_CANDIDATES = (
    "SELECT u.line_id, l.number, l.school_id, s.name, u.usage_mb"
    " FROM traffic_monthlyusage u JOIN traffic_line l ON l.id = u.line_id"
    " LEFT JOIN gigaportal_school s ON s.id = l.school_id"
    " WHERE u.month = %(month)s AND (u.usage_mb >= %(lowest)s OR u.line_id IN"
    " (SELECT line_id FROM traffic_case WHERE closed_month IS NULL))"
)


def generate(lines: int) -> None:
    from gigaportal.models import School

    schools = School.objects.bulk_create(
        School(code=f"B{i:03d}", name=f"ベンチ{i}小学校", kind=School.Kind.ELEMENTARY)
        for i in range(SCHOOLS)
    )

    from traffic.services.partitions import usage_partitions_ensure

    # The months' own partitions (PostgreSQL), as an import leaves them.
    usage_partitions_ensure([dt.date(2022, 9, 1), dt.date(2022, 10, 1)])
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO traffic_line (number, school_id)"
            " SELECT '070-' || lpad((i / 10000)::text, 4, '0') || '-' || lpad((i %% 10000)::text, 4, '0'),"
            f" (%s::bigint[])[i %% {SCHOOLS} + 1] FROM generate_series(0, {lines - 1}) i",
            [[school.pk for school in schools]],
        )
        # Heavy lines: every 1,000th (250 GB in September, 150 GB in October, so they
        # escalate), the rest light; in MB.
        for month, heavy_gb in (("2022-09-01", 250), ("2022-10-01", 150)):
            cursor.execute(
                "INSERT INTO traffic_monthlyusage (line_id, month, usage_mb)"
                f" SELECT id, %s, CASE WHEN id %% 1000 = 0 THEN {heavy_gb} * 1024"
                " ELSE round((random() * 4096)::numeric, 3) END FROM traffic_line",
                [month],
            )
    from traffic.services import monthly_totals_refresh, months

    monthly_totals_refresh()  # as the import keeps them
    # And the months' states: complete, so confirmed (traffic.services.months).
    months.usage_months_record(days=[dt.date(2022, 9, 1), dt.date(2022, 10, 1)])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args, _unknown = parser.parse_known_args()
    if connection.vendor != "postgresql":
        print("skipped: PostgreSQL only (set DATABASE_URL)")
        return 0
    base_name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"{base_name}_evaluation"
    created = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        return run(args.lines, args.runs)
    finally:
        connection.creation.destroy_test_db(created, verbosity=0)


def run(lines: int, runs: int) -> int:
    from gigaportal.calendar import Month
    from gigaportal.scope import COMMAND_LINE
    from traffic import services
    from traffic.models import MB_PER_GB, Action
    from traffic.services import evaluation

    start = time.perf_counter()
    generate(lines)
    print(
        f"data: {lines:,} lines × 2 months, generated in {time.perf_counter() - start:.1f} s",
        flush=True,
    )
    policy = services.policy_set(by=COMMAND_LINE, effective_from=Month(2022, 9))
    services.evaluation_run(month=Month(2022, 9))
    # Delivery ran in-process as the evaluation committed; time it again from pending.
    print(
        "after the evaluation's own delivery:",
        dict(Action.objects.values_list("state").annotate(n=Count("pk")).values_list("state", "n")),
        set(Action.objects.values_list("last_error", flat=True)),
        flush=True,
    )
    sep_actions = list(Action.objects.values_list("pk", flat=True))
    Action.objects.update(
        state="pending", attempts=0, sent_at=None, claimed_at=None, next_attempt_at=None
    )
    start = time.perf_counter()
    outcomes = services.actions_deliver(action_ids=sep_actions)
    print(
        f"delivery of {len(sep_actions):,} actions in-process, in batches: "
        f"{time.perf_counter() - start:.2f} s {dict(outcomes)}",
        flush=True,
    )

    rule = policy.as_rule()
    lowest = rule.lowest_trigger_gb * MB_PER_GB
    october = Month(2022, 10)
    day = october.first_day()
    old_times, new_times = [], []
    for _run in range(runs):
        with connection.cursor() as cursor:
            start = time.perf_counter()
            cursor.execute(OLD_CANDIDATES, {"month": day, "lowest": lowest})
            old_rows = cursor.fetchall()
            old_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        candidates = evaluation._candidates(rule, october)
        new_times.append(time.perf_counter() - start)
    # The same lines (here every open case's line has a row this month).
    assert sorted((r[0], r[4]) for r in old_rows) == sorted(
        (line_id, row[3]) for line_id, row in candidates.lines.items()
    ), "the two candidate reads disagree"
    old, new = statistics.median(old_times), statistics.median(new_times)
    print(
        f"candidate reads ({len(candidates.lines):,} lines), median of {runs}: "
        f"one OR query {old * 1000:.0f} ms (baseline), now (3 queries) {new * 1000:.1f} ms, "
        f"ratio {new / old:.3f}×",
        flush=True,
    )

    class RolledBack(Exception):
        pass

    # Each run inside a transaction rolled back, so every run evaluates the same
    # October (and delivery, published on commit, is never timed).
    times = []
    for run_number in range(runs):
        try:
            with transaction.atomic(), CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                if os.environ.get("PROFILE") and run_number == 0:
                    import cProfile

                    profile = cProfile.Profile()
                    result = profile.runcall(evaluation.evaluation_run, month=october)
                    profile.print_stats("cumulative")
                else:
                    result = evaluation.evaluation_run(month=october)
                times.append(time.perf_counter() - start)
                # Read here: a context left by an exception stops counting at the end.
                captured = list(queries.captured_queries)
                raise RolledBack
        except RolledBack:
            pass
        with connection.cursor() as cursor:
            cursor.execute("VACUUM traffic_case, traffic_casestep, traffic_action")
    print(
        f"evaluation of 2022-10 at {lines:,} lines, median of {runs}: "
        f"{statistics.median(times):.3f} s (runs {', '.join(f'{t:.2f}' for t in times)}), "
        f"{len(captured)} queries "
        f"(opened {result.opened}, escalated {result.escalated}, improved {result.improved})",
        flush=True,
    )
    slowest = sorted(captured, key=lambda q: -float(q["time"]))[:3]
    for query in slowest:
        print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:150]}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

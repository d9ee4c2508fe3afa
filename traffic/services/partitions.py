"""The usage table's month partitions on PostgreSQL (migration 0012_usage_partitions).

`traffic_monthlyusage` is `PARTITION BY RANGE (month)` there: one partition per month,
`traffic_monthlyusage_YYYYMM`, and `traffic_monthlyusage_default` for rows written one
at a time (admin, tests) for a month that has no partition yet. SQLite keeps the plain
table; `usage_partitioned()` says which one the database has.

The usage import replaces its months with `months_replace`: each month's rows go into
a new table with no index (one `INSERT … SELECT` for all the months, routed through a
partitioned load table of its own), its indexes and constraints are
built on the whole table at once, and only then, still in the import's transaction,
the old partition (if any) is dropped and the new one attached. Readers of the usage
table wait only for that swap and what follows it in the transaction (the monthly
totals); the load and the index builds lock nothing they read. The new table's unique
(line, month) constraint is built before it is attached, so the guarantee holds for
every row, and a failure anywhere rolls the whole swap back (DDL is transactional):
the old month stays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import connection

from traffic.models import MonthlyUsage

TABLE = MonthlyUsage._meta.db_table
DEFAULT = f"{TABLE}_default"


def usage_partitioned() -> bool:
    """Whether the usage table is partitioned (PostgreSQL with migration 0011)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def partition_name(day: dt.date) -> str:
    return f"{TABLE}_{day:%Y%m}"


def _bounds(day: dt.date) -> tuple[str, str]:
    first = day.replace(day=1)
    after = (first + dt.timedelta(days=32)).replace(day=1)
    return first.isoformat(), after.isoformat()


def _attached(cursor) -> set[str]:
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass",
        [TABLE],
    )
    return {name for (name,) in cursor.fetchall()}


def _build(cursor, days: Sequence[dt.date], rows_sql: str) -> None:
    """For each of `days`, a table shaped like its month's partition
    (`<partition>_new`), filled by one pass over `rows_sql`, then indexed."""
    load = f"{TABLE}_load"
    several = len(days) > 1
    if several:
        # A partitioned table of our own routes the rows to the new tables in one
        # pass; they are detached from it before their indexes are built. One month's
        # rows go straight into its table.
        cursor.execute(
            f"CREATE TABLE {load} (LIKE {TABLE} INCLUDING DEFAULTS) PARTITION BY RANGE (month)"
        )
    for day in days:
        name = f"{partition_name(day)}_new"
        first, after = _bounds(day)
        # The CHECK on the month's range is there from the start, so each row is checked
        # as it goes in rather than by a scan of the whole table afterwards, and ATTACH
        # then trusts it and skips its own scan.
        cursor.execute(
            f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS,"
            f" CONSTRAINT {name}_month CHECK (month >= '{first}' AND month < '{after}'))"
        )
        if several:
            cursor.execute(
                f"ALTER TABLE {load} ATTACH PARTITION {name}"
                f" FOR VALUES FROM ('{first}') TO ('{after}')"
            )
    target = load if several else f"{partition_name(days[0])}_new"
    cursor.execute(f"INSERT INTO {target} (line_id, month, usage_mb) {rows_sql}")
    for day in days:
        name = f"{partition_name(day)}_new"
        if several:
            cursor.execute(f"ALTER TABLE {load} DETACH PARTITION {name}")
        # The keys match the parent's, so ATTACH takes these indexes as the partition's
        # instead of building its own.
        cursor.execute(
            f"ALTER TABLE {name} ADD CONSTRAINT {name}_pkey PRIMARY KEY (id, month),"
            f" ADD CONSTRAINT {name}_line_id_month_key UNIQUE (line_id, month)"
        )
        cursor.execute(f"CREATE INDEX {name}_usage_mb_month_idx ON {name} (usage_mb, month)")
    if several:
        cursor.execute(f"DROP TABLE {load}")


def _rename(cursor, old: str, new: str) -> None:
    cursor.execute(f"ALTER TABLE {old} RENAME TO {new}")
    cursor.execute(f"ALTER TABLE {new} RENAME CONSTRAINT {old}_month TO {new}_month")
    for suffix in ("pkey", "line_id_month_key", "usage_mb_month_idx"):
        cursor.execute(f"ALTER INDEX {old}_{suffix} RENAME TO {new}_{suffix}")


def months_replace(cursor, months: Iterable[dt.date], rows_sql: str) -> None:
    """Replaces the usage of `months` (first days) with the rows `rows_sql` selects:
    (line_id, month, usage_mb), every row in one of those months. See the module
    docstring."""
    days = sorted(set(months))
    if not days:
        return
    _build(cursor, days, rows_sql)
    # The swap. Drops first: the lock they need on the usage table (ACCESS EXCLUSIVE)
    # is then taken once, before the attaches' weaker one.
    attached = _attached(cursor)
    for day in days:
        if partition_name(day) in attached:
            cursor.execute(f"DROP TABLE {partition_name(day)}")
    cursor.execute(
        f"DELETE FROM {DEFAULT} WHERE date_trunc('month', month)::date = ANY(%s::date[])",
        [days],
    )
    for day in days:
        name = partition_name(day)
        first, after = _bounds(day)
        _rename(cursor, f"{name}_new", name)
        cursor.execute(
            f"ALTER TABLE {TABLE} ATTACH PARTITION {name} FOR VALUES FROM ('{first}') TO ('{after}')"
        )


def usage_partitions_ensure(months: Iterable[dt.date]) -> None:
    """A partition for each of `months`, for writers that insert usage rows directly
    (benchmarks, generated data): rows of those months already in the default
    partition move into it. Nothing to do on SQLite."""
    if not usage_partitioned():
        return
    with connection.cursor() as cursor:
        attached = _attached(cursor)
        for day in sorted({month.replace(day=1) for month in months}):
            name = partition_name(day)
            if name in attached:
                continue
            months_replace(
                cursor,
                [day],
                f"SELECT line_id, month, usage_mb FROM {DEFAULT}"
                f" WHERE date_trunc('month', month)::date = '{day.isoformat()}'",
            )

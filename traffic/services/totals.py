"""The monthly totals (traffic.models.MonthlyTotal): a month's usage per school, kept
in step with the usage rows by the writers of those rows, in their transaction.

`monthly_totals_refresh(cursor, months=…)` recomputes the given months (every month
when None) from the usage rows in two statements; the usage import calls it for the
months of its file (all of them when the file moved a line to another school), and so
does a line's change of school.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection

from traffic.models import Line, MonthlyTotal, MonthlyUsage


def monthly_totals_sql(months_sql: str | None) -> list[str]:
    """The statements that rebuild the totals of the months `months_sql` selects (a
    subquery giving dates, or None for every month). Migration 0010 fills the table
    with the same INSERT."""
    totals = MonthlyTotal._meta.db_table
    usage = MonthlyUsage._meta.db_table
    lines = Line._meta.db_table
    where = f" WHERE month IN ({months_sql})" if months_sql else ""
    usage_where = f" WHERE u.month IN ({months_sql})" if months_sql else ""
    return [
        f"DELETE FROM {totals}{where}",
        f"INSERT INTO {totals} (month, school_id, total_mb, lines)"
        f" SELECT u.month, l.school_id, SUM(u.usage_mb), COUNT(*) FROM {usage} u"
        f" JOIN {lines} l ON l.id = u.line_id{usage_where} GROUP BY u.month, l.school_id",
    ]


def monthly_totals_refresh(
    *, months: Iterable[dt.date] | None = None, months_sql: str = ""
) -> None:
    """Recomputes the totals of `months` (first days), or of the months the SQL
    `months_sql` selects, or of every month when neither is given."""
    params: list = []
    if months is not None:
        days = sorted(set(months))
        if not days:
            return
        months_sql = ", ".join(["%s"] * len(days))
        params = days
    with connection.cursor() as cursor:
        for statement in monthly_totals_sql(months_sql or None):
            cursor.execute(statement, params if "%s" in statement else [])

"""Factories for the traffic app's rows."""

from __future__ import annotations

import itertools
from decimal import Decimal

from gigaportal.calendar import Month
from traffic.models import Line, MonthlyUsage, Policy, UsageMonth

_seq = itertools.count(1)


def make_line(*, school=None, number: str | None = None) -> Line:
    n = next(_seq)
    return Line.objects.create(
        number=number or f"070-9{n // 10000:03d}-{n % 10000:04d}", school=school
    )


SEPTEMBER_2022 = Month(2022, 9)


def make_policy(*, effective_from: Month = SEPTEMBER_2022, **extra) -> Policy:
    return Policy.objects.create(effective_from=effective_from.first_day(), **extra)


def set_usage(line: Line, month: Month, gb, *, confirmed: bool = True) -> MonthlyUsage:
    """A usage row, and the month's totals kept in step as the import keeps them. The
    month is taken as complete and confirmed (as a full carrier file would leave it)
    unless `confirmed=False`; an evaluated month stays evaluated."""
    from traffic.services import monthly_totals_refresh

    usage = MonthlyUsage.objects.create(
        line=line, month=month.first_day(), usage_mb=Decimal(str(gb)) * 1024
    )
    monthly_totals_refresh(months=[month.first_day()])
    state, _created = UsageMonth.objects.get_or_create(month=month.first_day())
    if state.status != UsageMonth.Status.EVALUATED:
        state.status = UsageMonth.Status.CONFIRMED if confirmed else UsageMonth.Status.IMPORTED
        state.save(update_fields=["status"])
    return usage


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)

"""Versions by effective date: the one mechanism behind every record that changes on a
day and keeps its past (traffic's heavy-usage policy, the security policy's versions,
the organisation charts).

A version is in force from its effective date until the next version's; before the
first there is none. Two forms of the same rule:

- pure helpers over plain values, for a list already in memory (one query, many days):

      versions.in_force(policies, month.first_day())
      versions.upcoming(policies, today)
      versions.spans(policies)            # [(version, first day, last day or None)]

- a queryset mixin, for the database to pick the row (the model names its date field
  once, `effective_field`, "effective_from" by default):

      class OrgChart(models.Model):
          objects = VersionedQuerySet.as_manager()

      OrgChart.objects.filter(slug="security").in_force(day)
      PolicyVersion.objects.filter(status=APPROVED).in_force_each("document", day)

Which rows count as versions (approved ones only, one chart's) is the caller's filter:
the mechanism only orders them by date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.db import models
from django.db.models import OuterRef, Subquery

V = TypeVar("V")

DEFAULT_FIELD = "effective_from"


def effective_from_of(version) -> dt.date | None:
    """The default date of a version: its `effective_from`."""
    return getattr(version, DEFAULT_FIELD)


def _dated(
    versions: Iterable[V], date_of: Callable[[V], dt.date | None]
) -> list[tuple[dt.date, int, V]]:
    # The position breaks ties between two versions of one day: the later listed wins,
    # as a list ordered by date and then by creation reads.
    return sorted(
        (day, index, version)
        for index, version in enumerate(versions)
        if (day := date_of(version)) is not None
    )


def in_force(
    versions: Iterable[V],
    day: dt.date,
    *,
    date_of: Callable[[V], dt.date | None] = effective_from_of,
) -> V | None:
    """The version in force on `day`: the latest whose date is not after it. A version
    without a date (a draft not yet given one) is never in force."""
    current = None
    for start, _index, version in _dated(versions, date_of):
        if start > day:
            break
        current = version
    return current


def upcoming(
    versions: Iterable[V],
    day: dt.date,
    *,
    date_of: Callable[[V], dt.date | None] = effective_from_of,
) -> V | None:
    """The next version to take effect after `day`, if one is known."""
    for start, _index, version in _dated(versions, date_of):
        if start > day:
            return version
    return None


@dataclass(frozen=True)
class Span(Generic[V]):
    """A version and the days it is (or was) in force; `last` None while it lasts."""

    version: V
    first: dt.date
    last: dt.date | None

    def contains(self, day: dt.date) -> bool:
        return self.first <= day and (self.last is None or day <= self.last)


def spans(
    versions: Iterable[V], *, date_of: Callable[[V], dt.date | None] = effective_from_of
) -> list[Span[V]]:
    """Each dated version with its days in force, oldest first. Of two versions of one
    day the earlier listed was never in force and is left out."""
    dated = _dated(versions, date_of)
    result: list[Span[V]] = []
    for position, (start, _index, version) in enumerate(dated):
        following = dated[position + 1][0] if position + 1 < len(dated) else None
        if following == start:
            continue
        last = following - dt.timedelta(days=1) if following is not None else None
        result.append(Span(version, start, last))
    return result


class VersionedQuerySetMixin:
    """The rule above, asked of the database. Mix into any QuerySet (a scoped one too)."""

    def _effective_field(self) -> str:
        return getattr(self.model, "effective_field", DEFAULT_FIELD)

    def in_force(self, day: dt.date):
        """The row in force on `day`, or None."""
        field = self._effective_field()
        return self.filter(**{f"{field}__lte": day}).order_by(f"-{field}", "-pk").first()

    def upcoming(self, day: dt.date):
        """The next row to take effect after `day`, or None."""
        field = self._effective_field()
        return self.filter(**{f"{field}__gt": day}).order_by(field, "pk").first()

    def in_force_each(self, group: str, day: dt.date):
        """For each value of `group` (a document, a chart's slug), the row in force on
        `day`: one query, whatever the number of groups."""
        field = self._effective_field()
        latest = (
            self.filter(**{group: OuterRef(group), f"{field}__lte": day})
            .order_by(f"-{field}", "-pk")
            .values("pk")[:1]
        )
        return self.filter(pk=Subquery(latest))

    def upcoming_each(self, group: str, day: dt.date):
        """For each value of `group`, the next row to take effect after `day`."""
        field = self._effective_field()
        following = (
            self.filter(**{group: OuterRef(group), f"{field}__gt": day})
            .order_by(field, "pk")
            .values("pk")[:1]
        )
        return self.filter(pk=Subquery(following))


class VersionedQuerySet(VersionedQuerySetMixin, models.QuerySet):
    """`objects = VersionedQuerySet.as_manager()` on a model of versions."""

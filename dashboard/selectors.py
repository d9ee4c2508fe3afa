"""The leader's monthly dashboard: a card per area, each read from that area's
registered reports (`ReportSpec.snapshot`) for the month, its previous month and the
twelve months before, so the page says what the report pages say. A fixed number of
queries whatever the data size (every report builder is), cached per month and role
until the next write lands (every write, an import batch included, leaves a change-log
entry, whose newest id is the cache's version)."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal import reports
from gigaportal.calendar import Month
from gigaportal.models import ObjectChange
from gigaportal.permissions import has_role
from gigaportal.reports import Period
from gigaportal.reports.tables import display

SPARK_WIDTH, SPARK_HEIGHT = 120, 28
CACHE_SECONDS = 60 * 60


@dataclass(frozen=True)
class Figure:
    """One headline figure: the month's value, its changes and its twelve months."""

    label: str
    value: Any
    unit: str = ""
    previous: Any = None
    year_ago: Any = None
    series: tuple = ()

    @property
    def change(self):
        return _difference(self.value, self.previous)

    @property
    def change_year(self):
        return _difference(self.value, self.year_ago)

    @property
    def sparkline(self) -> str:
        return sparkline_points(self.series)


@dataclass
class Card:
    key: str
    title: str
    url: str
    figures: list[Figure] = field(default_factory=list)
    lines: list[tuple[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _difference(value, other):
    if value is None or other is None:
        return None
    if isinstance(value, int) and isinstance(other, int):
        return value - other
    try:
        return round(float(value) - float(other), 1)
    except (TypeError, ValueError):
        return None


def sparkline_points(values, *, width: int = SPARK_WIDTH, height: int = SPARK_HEIGHT) -> str:
    """An SVG polyline's points for the values; a month without records (None) has no
    point, so the line does not fall to zero where nothing was recorded yet."""
    if not values:
        return ""
    known = [float(v) for v in values if v is not None]
    top = max(known, default=0.0) or 1.0
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{n * step:.1f},{height - 2 - (height - 4) * float(v) / top:.1f}"
        for n, v in enumerate(values)
        if v is not None
    )


AREA_MONTHS = ("traffic.usage", "support.months", "devices.breakage_long")


def months_with_records(*, user) -> dict[str, list[Month]]:
    """The months each area has records for (traffic's usage, support's log, devices'
    events), oldest first; together they are the month picker's choices."""
    return {slug: reports.get(slug).available_months(user) for slug in AREA_MONTHS}


def all_months(found: dict[str, list[Month]]) -> list[Month]:
    return sorted({m for months in found.values() for m in months})


def default_month(*, months: list[Month], today: dt.date) -> tuple[Month, bool]:
    """The latest month with records (True) or, with none, the current one (False)."""
    months = [m for m in months if m <= Month.of(today)]
    if months:
        return months[-1], True
    return Month.of(today), False


def monthly(
    *, user, month: Month, months: dict[str, list[Month]], today: dt.date | None = None
) -> list[Card]:
    """The cards of `month`; `months` are each area's months with records (a month
    without any is no comparison for the month after it or a year later)."""
    today = today or timezone.localdate()
    version = ObjectChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
    from django.utils.translation import get_language

    # Cached as text in the reader's language, for the role's scope (staff roles all
    # see every school; a leader's card has more lines than a support member's).
    key = f"dashboard:{get_language()}:{user.role}:{month}:{today}:{version}"
    cards = cache.get(key)
    if cards is None:
        cards = _cards(user=user, month=month, months=months, today=today)
        cache.set(key, cards, CACHE_SECONDS)
    return cards


def _cards(*, user, month: Month, months: dict[str, list[Month]], today: dt.date) -> list[Card]:
    span = Period.range(month.add(-12), month)
    return [
        _support(user, month, span, set(months["support.months"]), today),
        _devices(user, month, span, set(months["devices.breakage_long"])),
        _traffic(user, month, span, set(months["traffic.usage"])),
        _surveys(user, month),
        _security(user, month),
    ]


def _series(report, key: str, months: list[Month], month_key: str = "month") -> list:
    by_month = {
        row[report.keys.index(month_key)]: row[report.keys.index(key)] for row in report.rows
    }
    return [by_month.get(m, 0) or 0 for m in months]


def _figure(label, series: list, unit: str = "", *, months=(), present=None) -> Figure:
    """The last value of 13 months, against the one before and the first. A month
    without records, when `present` says which have them, has no value (None: the
    card says so, rather than a 0 that reads as a fall) and is no comparison."""

    def known(n):
        if present is not None and months[n] not in present:
            return None
        return series[n]

    return Figure(
        label=label,
        value=known(-1),
        unit=unit,
        previous=known(-2),
        year_ago=known(0),
        series=tuple(known(n) for n in range(1, len(series))),
    )


def _link(name: str, params: dict) -> str:
    from urllib.parse import urlencode

    from django.urls import reverse

    return f"{reverse(name)}?{urlencode(params)}"


# --- The cards --------------------------------------------------------------------------------------


def _support(user, month: Month, span: Period, present: set[Month], today: dt.date) -> Card:
    from gigaportal.selectors import terms_for_fiscal_year

    months = span.months()
    by_month = reports.get("support.months").snapshot(user=user, period=span)
    card = Card("support", _("Support"), _link("support:report_months", span.params()))
    for column in by_month.columns[1:4]:
        card.figures.append(
            _figure(
                str(column.label),
                _series(by_month, column.key, months),
                months=months,
                present=present,
            )
        )
    terms = reports.get("support.terms").snapshot(user=user, period=Period.month(month))
    term_key = next(
        (
            f"term{t.number}"
            for t in terms_for_fiscal_year(month.fiscal_year())
            if t.start <= month.last_day() and t.end >= month.first_day()
        ),
        "",
    )
    for row in terms.rows:
        term = row[terms.keys.index(term_key)] if term_key in terms.keys else None
        card.lines.append(
            (
                str(row[0]),
                _("this term %(term)s, this fiscal year %(year)s")
                % {
                    "term": term if term is not None else "—",
                    "year": row[terms.keys.index("total")],
                },
            )
        )
    waiting = reports.get("support.open_requests").snapshot(user=user)
    days = waiting.column("days_waiting")
    card.lines.append(
        (
            _("Open requests"),
            _("%(n)s (median %(days)s days waiting)")
            % {"n": len(days), "days": f"{statistics.median(days):g}" if days else 0},
        )
    )
    week = [
        d
        for d in waiting.column("scheduled_date")
        if d is not None and today <= d <= today + dt.timedelta(days=7)
    ]
    card.lines.append((_("Visits planned for the coming week"), len(week)))
    return card


def _devices(user, month: Month, span: Period, present: set[Month]) -> Card:
    months = span.months()
    long = reports.get("devices.breakage_long").snapshot(user=user, period=span)
    card = Card("devices", _("Devices"), _link("devices:breakage", {"month": str(month)}))
    keys = long.keys
    models = []
    for row in long.rows:
        if row[keys.index("model")] not in models:
            models.append(row[keys.index("model")])
    for model in models:
        rows = [r for r in long.rows if r[keys.index("model")] == model]
        incidents = {r[keys.index("month")]: r[keys.index("incidents")] for r in rows}
        card.figures.append(
            _figure(
                _("%(model)s incidents") % {"model": model},
                [incidents.get(m, 0) or 0 for m in months],
                months=months,
                present=present,  # the months with device events: a row of 0 is not one
            )
        )
    forecast = reports.get("devices.forecast").snapshot(user=user, period=Period.month(month))
    for row in forecast.dicts():
        left = row["months_left"]
        card.lines.append(
            (
                _("%(model)s spares") % {"model": row["model"]},
                _("%(spares)s left, %(months)s months")
                % {"spares": f"{row['spares']:,}", "months": left}
                if isinstance(left, int | float | Decimal)
                else _("%(spares)s left (%(note)s)")
                % {"spares": f"{row['spares']:,}", "note": display(left)},
            )
        )
        if row["warning"]:
            card.warnings.append(
                _("%(model)s spares run out in %(months)s months (below %(threshold)s).")
                % {
                    "model": row["model"],
                    "months": row["months_left"],
                    "threshold": forecast.extra.get("threshold"),
                }
            )
    return card


def _traffic(user, month: Month, span: Period, present: set[Month]) -> Card:
    from traffic import selectors as traffic_selectors

    months = span.months()
    usage = reports.get("traffic.usage").snapshot(user=user, period=span)
    card = Card("traffic", _("Data usage"), _link("traffic:usage", {"month": str(month)}))
    for key, label, unit in (
        ("total_gb", _("Total usage"), "GB"),
        ("usage_rate_pct", _("Usage rate of the pooled contract"), "%"),
    ):
        card.figures.append(
            _figure(label, _series(usage, key, months), unit, months=months, present=present)
        )
    cases = reports.get("traffic.cases_of_month").snapshot(user=user, period=Period.month(month))
    statuses = cases.column("status")
    steps = "  ".join(
        f"{mark}\u00a0{sum(1 for s in statuses if str(getattr(s, 'code', s)) == f'stage{n}')}"
        for n, mark in enumerate("①②③④", start=1)
    )
    card.lines.append((_("Lines at each step"), steps))
    days = settings.DASHBOARD_NOTICE_DAYS
    late = (
        traffic_selectors.notice_list(user=user, unacknowledged=True)
        .filter(created_at__lt=timezone.now() - dt.timedelta(days=days))
        .count()
    )
    card.lines.append((_("Notices not acknowledged after %(days)s days") % {"days": days}, late))
    return card


def _surveys(user, month: Month) -> Card:
    rates = reports.get("surveys.rates").snapshot(user=user, period=Period.month(month))
    card = Card("surveys", _("Surveys"), _link("surveys:rates", {"fy": str(month.fiscal_year())}))
    rows = rates.dicts()
    if not rows:
        card.lines.append((_("Latest survey"), _("none this fiscal year")))
        return card
    latest = rows[-1]["survey"]
    card.lines.append((_("Latest survey"), latest))
    for row in rows:
        if row["survey"] == latest:
            card.lines.append(
                (
                    _("Response rate: %(group)s") % {"group": row["group"]},
                    f"{display(row[rates.keys[-1]])}%",
                )
            )
    likert = reports.get("surveys.likert").snapshot(user=user)
    if likert.rows:
        first = likert.rows[0][0]
        survey = likert.extra.get("survey")
        card.lines.append((_("Answer scales of"), f"{getattr(survey, 'title', '')}: {first}"))
        for row in likert.dicts():
            if row["question"] == first:
                card.lines.append(
                    (
                        _("Positive: %(group)s") % {"group": row["group"]},
                        f"{display(row['positive'])}%",
                    )
                )
    return card


def _security(user, month: Month) -> Card:
    from security import selectors as security_selectors

    day = month.last_day()
    policy = reports.get("security.policy").snapshot(user=user, on=day)
    card = Card("security", _("Security"), _link("security:policy", {"on": day.isoformat()}))
    for version in policy.extra.get("in_force", []):
        card.lines.append((_("In force"), f"{version.document.title} {version.label}"))
    for version in policy.extra.get("upcoming", {}).values():
        card.lines.append(
            (
                _("Upcoming"),
                f"{version.document.title} {version.label} ({version.effective_from})",
            )
        )
    spec = reports.get("security.acknowledgements")
    if has_role(user, spec.roles):
        for row in spec.snapshot(user=user).dicts():
            card.lines.append(
                (
                    _("Not yet acknowledged: %(version)s") % {"version": row["version"]},
                    row["not_yet"],
                )
            )
    card.lines.append(
        (_("Open software requests"), security_selectors.open_software_requests_count(user=user))
    )
    return card

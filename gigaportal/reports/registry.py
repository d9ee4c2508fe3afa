"""Reports as a registry: every report page, chart, download, command and the
committee pack build their tables through the same registered builder.

Each app's reports.py registers its reports:

    register(ReportSpec(
        slug="traffic.usage",
        title=_("Monthly data usage"),
        build=usage,                 # build(*, user, period, **filters) -> Report
        period=PeriodKind.RANGE,
        months=usage_months,         # months with records for the user, oldest first
        chart=usage_chart,           # chart(report, **kwargs) -> matplotlib Figure
    ))

and `gigaportal.reports.ReportView` renders any of them (gigaportal/reports/views.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from gigaportal.calendar import Month
from gigaportal.dates import date_window
from gigaportal.reports.period import Period, PeriodKind, fiscal_years_of
from gigaportal.reports.tables import Report
from gigaportal.roles import STAFF_ROLES
from gigaportal.scope import school_of, sees_all_schools


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    title: Any
    build: Callable[..., Report]
    period: PeriodKind | None = None
    # The months with records the user may see, oldest first: the period picker's
    # choices, and the default period (the latest).
    months: Callable[..., Sequence[Month]] | None = None
    roles: frozenset[str] = STAFF_ROLES
    # Query parameters the report reads besides the period: name → parser of the
    # query string (returns None for a missing or malformed value).
    filters: Mapping[str, Callable[[Mapping[str, str]], Any]] = field(default_factory=dict)
    chart: Callable[..., Any] | None = None
    chart_url: str = ""  # the URL name of the report's chart, when it has one
    template: str = "gigaportal/report_page.html"
    nav: str = ""  # the app's report tabs (a template), shown above the table
    controls: str = ""  # the report's own filters (a template), inside the picker's form
    options: Mapping[str, Any] = field(default_factory=dict)  # what those controls offer
    description: Any = ""
    filename: str = ""  # download name without extension; the slug by default
    # The version of the data the report reads (a few cheap values, e.g. the newest
    # row id of a summary table): when given, its chart is cached under it and the
    # period, and served without building the report at all.
    version: Callable[[], Any] | None = None

    def available_months(self, user) -> list[Month]:
        """The months with records, inside the date window: a record dated 0001 or 9999
        (stored before the window existed) must not put year 1 or 9999 in a picker."""
        if not self.months:
            return []
        window = date_window()
        return [month for month in self.months(user=user) if window.has_month(month)]

    def default_period(self, user, *, today, months=None) -> Period | None:
        """The latest period with records, marked as chosen for the reader."""
        if self.period is None:
            return None
        months = self.available_months(user) if months is None else months
        if not months:
            current = Month.of(today)
            return Period.of_kind(self.period, current).as_default()
        if self.period is PeriodKind.RANGE:
            return Period.range(months[0], months[-1]).as_default()
        return Period.of_kind(self.period, months[-1]).as_default()

    def choices(self, user, *, selected: Period | None, today, months=None) -> dict[str, list]:
        """What the period picker offers: fiscal years or months, newest first."""
        months = self.available_months(user) if months is None else months
        if self.period is PeriodKind.FISCAL_YEAR:
            # Fiscal years that begin inside the date window (a record of February 2000
            # is no reason to offer 1999, which ?fy= would not take).
            in_window = date_window().fiscal_years
            years = {y for y in fiscal_years_of(months) if y in in_window}
            years.add(Month.of(today).fiscal_year())
            if selected:
                years.add(selected.fiscal_year)
            return {"years": sorted(years, reverse=True)}
        options = set(months) | {Month.of(today)}
        if selected:
            options |= {selected.start, selected.end}
        return {"months": sorted(options, reverse=True)}

    def download_name(self, period: Period | None) -> str:
        base = self.filename or self.slug.replace(".", "-")
        return f"{base}-{period.slug}" if period else base

    def run(self, *, user, period: Period | None = None, **filters) -> Report:
        """The report's table for `user` (a command passes COMMAND_LINE)."""
        if self.period is not None:
            filters["period"] = period
        report = self.build(user=user, **filters)
        if report.period is None and period is not None:
            report = report.with_context(period=period)
        if not report.scope:
            report = report.with_context(scope=scope_label(user))
        return report

    def snapshot(self, *, user, period: Period | None = None, **filters) -> Report:
        """The report as its page shows it with no other query than the period: every
        filter not given takes the value its parser reads from an empty query string.
        The dashboard and the committee pack read reports this way, so what they print
        is what the pages show (nothing is computed twice)."""
        for name, parse in self.filters.items():
            filters.setdefault(name, parse({}))
        if self.period is not None and period is not None:
            period = Period.of_kind(self.period, period.start, period.end)
        return self.run(user=user, period=period, **filters)


REGISTRY: dict[str, ReportSpec] = {}


def register(spec: ReportSpec) -> ReportSpec:
    if spec.slug in REGISTRY and REGISTRY[spec.slug] is not spec:
        raise ValueError(f"report {spec.slug!r} is registered twice")
    REGISTRY[spec.slug] = spec
    return spec


def get(slug: str) -> ReportSpec:
    if slug not in REGISTRY:
        _discover()
    return REGISTRY[slug]


def all_reports() -> list[ReportSpec]:
    _discover()
    return list(REGISTRY.values())


def _discover() -> None:
    """Imports every app's reports module (and the portal's own, gigaportal.reports
    being the package this is in)."""
    import importlib

    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("reports")
    importlib.import_module("gigaportal.reports.portal")


def scope_label(user) -> str:
    """Whose rows a report holds: every school's, or a school user's own school's."""
    if sees_all_schools(user):
        return _("All schools")
    if school_of(user) is not None:
        return user.school.name
    return ""

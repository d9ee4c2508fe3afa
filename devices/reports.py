"""Device reports. The first part shapes tables from figures (pure functions); the
second registers the reports (gigaportal.reports), whose builders take the user and
the period and read through devices.selectors. The page, its charts, the downloads,
`manage.py devices_report` and the committee pack all use these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from django.http import Http404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from devices import ledger, selectors
from devices.models import DeviceEvent
from devices.selectors import BreakageFigures, RateRow
from gigaportal.calendar import Month, fiscal_months, month_range
from gigaportal.dates import fiscal_year_text, month_text
from gigaportal.reports import (
    Coded,
    Period,
    PeriodKind,
    Report,
    ReportColumn,
    ReportSpec,
    register,
)


def breakage_report(figures: BreakageFigures) -> Report:
    """model, month, incidents, spares_remaining: one row per model and month."""
    names = {m.pk: m.name for m in figures.models}
    return Report(
        title=_("Breakages and spares by month"),
        columns=[
            ReportColumn("model", _("model")),
            ReportColumn("month", _("month")),
            ReportColumn("incidents", _("incidents"), numeric=True),
            ReportColumn("spares_remaining", _("spares remaining"), numeric=True),
        ],
        rows=[(names[r.model], r.month, r.incidents, r.spares_remaining) for r in figures.rows],
    )


def fiscal_year_report(
    figures: BreakageFigures, *, year: int, previous_totals: Mapping[int, int]
) -> Report:
    """The committee's table: months down, for each model its incidents and the spares
    left; the year's total and the previous fiscal year's total at the foot."""
    columns = [ReportColumn("month", _("month"))]
    for model in figures.models:
        columns += [
            ReportColumn(
                f"incidents_{model.pk}", _("%(model)s incidents") % {"model": model.name}, True
            ),
            ReportColumn(
                f"spares_{model.pk}", _("%(model)s spares remaining") % {"model": model.name}, True
            ),
        ]
    by_key = {(r.model, r.month): r for r in figures.rows}
    months = sorted({r.month for r in figures.rows})
    rows = []
    for month in months:
        row: list = [month]
        for model in figures.models:
            figure = by_key[(model.pk, month)]
            row += [figure.incidents, figure.spares_remaining]
        rows.append(tuple(row))
    # Cell values are plain strings (eager gettext): openpyxl refuses lazy ones.
    total: list = [gettext("Total")]
    previous: list = [gettext("%(year)s total") % {"year": fiscal_year_text(year - 1)}]
    for model in figures.models:
        total += [sum(r.incidents for r in figures.rows if r.model == model.pk), None]
        previous += [previous_totals.get(model.pk, 0), None]
    return Report(
        title=_("%(year)s device breakages") % {"year": fiscal_year_text(year)},
        columns=columns,
        rows=rows,
        footer=[tuple(total), tuple(previous)],
    )


def rates_report(rows: Sequence[RateRow], *, start: Month, end: Month) -> Report:
    """Incidents per 1,000 deployed devices by school and model, highest first, so a
    school with an unusual rate stands out."""
    table = [
        (
            r.school_code,
            r.school_name,
            r.model_name,
            r.deployed,
            r.incidents,
            ledger.per_thousand(r.incidents, r.deployed),
        )
        for r in rows
    ]
    table.sort(key=lambda t: (-(t[5] if t[5] is not None else -1), t[0], t[2]))
    deployed = sum(r.deployed for r in rows)
    incidents = sum(r.incidents for r in rows)
    return Report(
        title=_("Breakage rate per 1,000 devices, %(start)s–%(end)s")
        % {"start": month_text(start), "end": month_text(end)},
        columns=[
            ReportColumn("school_code", _("school code")),
            ReportColumn("school", _("school")),
            ReportColumn("model", _("model")),
            ReportColumn("deployed", _("deployed"), True),
            ReportColumn("incidents", _("incidents"), True),
            ReportColumn("per_1000", _("per 1,000 devices"), True),
        ],
        rows=table,
        footer=[
            (
                "",
                gettext("All schools"),
                "",
                deployed,
                incidents,
                ledger.per_thousand(incidents, deployed),
            )
        ],
    )


def causes_report(counts: Mapping[tuple[Month, str], int], *, start: Month, end: Month) -> Report:
    causes = list(DeviceEvent.Cause.choices)
    columns = [ReportColumn("month", _("month"))]
    columns += [ReportColumn(value, label, True) for value, label in causes]
    columns += [
        ReportColumn("unknown", _("not given"), True),
        ReportColumn("total", _("Total"), True),
    ]
    rows = []
    for month in month_range(start, end):
        values = [counts.get((month, value), 0) for value, _label in causes]
        unknown = counts.get((month, ""), 0)
        rows.append((month, *values, unknown, sum(values) + unknown))
    totals = [sum(row[i] for row in rows) for i in range(1, len(columns))]
    return Report(
        title=_("Causes of breakages and failures by month"),
        columns=columns,
        rows=rows,
        footer=[(gettext("Total"), *totals)] if rows else [],
    )


def device_list_report(devices) -> Report:
    """The device list as it is filtered on its page (every row, not only the page)."""
    return Report(
        title=_("Devices"),
        columns=[
            ReportColumn("serial", _("serial number")),
            ReportColumn("model", _("model")),
            ReportColumn("status", _("status")),
            ReportColumn("school_code", _("school code")),
            ReportColumn("school", _("school")),
            ReportColumn("line_number", _("line number")),
            ReportColumn("asset_tag", _("asset tag")),
        ],
        rows=[
            (
                d.serial,
                d.model.name,
                d.get_status_display(),
                d.school.code if d.school else "",
                d.school.name if d.school else "",
                d.line_number,
                d.asset_tag,
            )
            for d in devices.iterator(chunk_size=2000)
        ],
    )


def _months_left(forecast):
    """As the page says it: a number of months, or 10年以上 / 減っていない (the command's
    CSV keeps the figure)."""
    if forecast.months_left is None:
        return Coded("", gettext("not shrinking"))
    if forecast.beyond_horizon:
        return Coded(forecast.months_left, gettext("10 years or more"))
    return round(forecast.months_left, 1)


def forecast_report(forecasts: Sequence[selectors.ModelForecast], *, threshold: int) -> Report:
    """Per model: spares left, the recent monthly use, months left, when they run out."""
    return Report(
        title=_("Spare stock forecast"),
        columns=[
            ReportColumn("model", _("model")),
            ReportColumn("as_of", _("as of")),
            ReportColumn("spares", _("spares remaining"), True),
            ReportColumn("monthly_rate", _("spares used per month"), True),
            ReportColumn("months_left", _("months left"), True),
            ReportColumn("run_out", _("runs out in")),
            ReportColumn("warning", _("warning")),
        ],
        rows=[
            (
                item.model.name,
                item.forecast.as_of,
                item.forecast.spares,
                item.forecast.monthly_rate,
                _months_left(item.forecast),
                None if item.forecast.beyond_horizon else item.forecast.run_out_month,
                item.forecast.warning,
            )
            for item in forecasts
        ],
        extra={"forecasts": list(forecasts), "threshold": threshold},
    )


# --- Registered reports ---------------------------------------------------------------


def _fiscal_span(period: Period) -> tuple[Month, Month]:
    """The fiscal year's months that have passed (the committee reports those)."""
    return fiscal_months(period.fiscal_year)[0], selectors.fiscal_year_end_shown(period.fiscal_year)


def breakage(*, user, period: Period) -> Report:
    start, end = _fiscal_span(period)
    figures = selectors.breakage_figures(user=user, start=start, end=end)
    previous = selectors.fiscal_year_incident_totals(user=user, year=period.fiscal_year - 1)
    report = fiscal_year_report(figures, year=period.fiscal_year, previous_totals=previous)
    notes = [
        gettext("%(model)s: %(spares)s spares at deployment.")
        % {"model": m.name, "spares": m.spares_at_deployment}
        for m in figures.models
    ]
    return report.with_context(notes=notes, extra={"models": figures.models})


def breakage_chart(report: Report, *, model_pk: int):
    """One model's incidents (bars) and spares remaining (line), from the table's rows."""
    from gigaportal import charts

    model = next((m for m in report.extra.get("models", ()) if m.pk == model_pk), None)
    if model is None:
        raise Http404
    incidents = report.keys.index(f"incidents_{model.pk}")
    spares = report.keys.index(f"spares_{model.pk}")
    return charts.bar_line_chart(
        title=f"{report.period.label} {model.name}",
        labels=[month_text(row[0], with_year=False) for row in report.rows],
        bars=[row[incidents] for row in report.rows],
        bar_label=gettext("Breakages and failures"),
        line=[row[spares] for row in report.rows],
        line_label=gettext("Spares remaining"),
    )


def breakage_long(*, user, period: Period) -> Report:
    """`model,month,incidents,spares_remaining`, as the command prints it."""
    return breakage_report(
        selectors.breakage_figures(user=user, start=period.start, end=period.end)
    )


def rates(*, user, period: Period) -> Report:
    start, end = _fiscal_span(period)
    return rates_report(
        selectors.school_model_rates(user=user, start=start, end=end), start=start, end=end
    )


def causes(*, user, period: Period) -> Report:
    start, end = _fiscal_span(period)
    return causes_report(
        selectors.causes_by_month(user=user, start=start, end=end), start=start, end=end
    )


def forecast(*, user, period: Period) -> Report:
    return forecast_report(
        selectors.forecasts(user=user, as_of=period.end),
        threshold=selectors.forecast_threshold_months(),
    )


NAV = "devices/_report_nav.html"
# The reports of the devices' tabs: a fiscal year of ledger events.
fiscal_year_spec = partial(
    ReportSpec, period=PeriodKind.FISCAL_YEAR, months=selectors.event_months, nav=NAV
)
BREAKAGE = register(
    fiscal_year_spec(
        slug="devices.breakage",
        title=_("Device breakages"),
        build=breakage,
        chart=breakage_chart,
        template="devices/breakage_report.html",
        filename="device-breakage",
    )
)
BREAKAGE_LONG = register(
    ReportSpec(
        slug="devices.breakage_long",
        title=_("Breakages and spares by month"),
        build=breakage_long,
        period=PeriodKind.RANGE,
        months=selectors.event_months,
    )
)
RATES = register(
    fiscal_year_spec(
        slug="devices.rates",
        title=_("Breakage rate by school"),
        build=rates,
        filename="device-breakage-rates",
    )
)
CAUSES = register(
    fiscal_year_spec(
        slug="devices.causes",
        title=_("Causes by month"),
        build=causes,
        filename="device-breakage-causes",
    )
)
FORECAST = register(
    ReportSpec(
        slug="devices.forecast",
        title=_("Spare stock forecast"),
        build=forecast,
        period=PeriodKind.MONTH,
        months=selectors.event_months,
        template="devices/forecast.html",
        nav=NAV,
        filename="device-spare-forecast",
    )
)

"""Report tables for devices: pure functions from figures to gigaportal Reports. The
page, its chart, the downloads and `manage.py devices_report` all use these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from devices import ledger
from devices.models import DeviceEvent
from devices.selectors import BreakageFigures, RateRow
from gigaportal.calendar import Month, fiscal_year_label, month_label, month_range
from gigaportal.reports import Report, ReportColumn


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
        rows=[
            (names[r.model], str(r.month), r.incidents, r.spares_remaining) for r in figures.rows
        ],
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
        row: list = [month_label(month)]
        for model in figures.models:
            figure = by_key[(model.pk, month)]
            row += [figure.incidents, figure.spares_remaining]
        rows.append(tuple(row))
    # Cell values are plain strings (eager gettext): openpyxl refuses lazy ones.
    total: list = [gettext("Total")]
    previous: list = [gettext("%(year)s total") % {"year": fiscal_year_label(year - 1)}]
    for model in figures.models:
        total += [sum(r.incidents for r in figures.rows if r.model == model.pk), None]
        previous += [previous_totals.get(model.pk, 0), None]
    return Report(
        title=_("%(year)s device breakages") % {"year": fiscal_year_label(year)},
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
        % {"start": month_label(start, with_year=True), "end": month_label(end, with_year=True)},
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
        rows.append((month_label(month, with_year=True), *values, unknown, sum(values) + unknown))
    totals = [sum(row[i] for row in rows) for i in range(1, len(columns))]
    return Report(
        title=_("Causes of breakages and failures by month"),
        columns=columns,
        rows=rows,
        footer=[(gettext("Total"), *totals)] if rows else [],
    )

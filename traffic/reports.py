"""The traffic tables as pure functions: plain rows in, gigaportal.reports.Report out.
The page, its chart, the CSV/Excel downloads and `manage.py traffic_report` all use
these, so they show the same numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from gigaportal.calendar import Month
from gigaportal.reports import Report, ReportColumn

MB_PER_GB = 1024
STAGE_MARKS = {"stage1": "①", "stage2": "②", "stage3": "③", "stage4": "④"}


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class UsageLine:
    month: Month
    total_gb: int
    lines: int
    capacity_gb: int
    usage_rate_pct: int


def usage_lines(rows: Iterable, gb_per_line: Mapping[Month, Decimal]) -> list[UsageLine]:
    """rows: objects with month, total_mb, lines (traffic.selectors.UsageMonth).

    Total in whole GB and the rate in whole percent, both rounded half up; the rate
    is computed from the exact total, not the rounded one.
    """
    result = []
    for row in rows:
        total_gb = Decimal(row.total_mb) / MB_PER_GB
        capacity = Decimal(row.lines) * gb_per_line[row.month]
        rate = total_gb * 100 / capacity if capacity else Decimal(0)
        result.append(
            UsageLine(
                month=row.month,
                total_gb=round_half_up(total_gb),
                lines=row.lines,
                capacity_gb=round_half_up(capacity),
                usage_rate_pct=round_half_up(rate),
            )
        )
    return result


def usage_report(lines: Sequence[UsageLine]) -> Report:
    return Report(
        title=_("Monthly data usage"),
        columns=[
            ReportColumn("month", _("month")),
            ReportColumn("total_gb", _("usage (GB)"), numeric=True),
            ReportColumn("lines", _("lines"), numeric=True),
            ReportColumn("capacity_gb", _("pooled capacity (GB)"), numeric=True),
            ReportColumn("usage_rate_pct", _("usage rate (%)"), numeric=True),
        ],
        rows=[(str(u.month), u.total_gb, u.lines, u.capacity_gb, u.usage_rate_pct) for u in lines],
    )


def flow_report(rows: Iterable[tuple[Month, Month, str, int]]) -> Report:
    return Report(
        title=_("Heavy-usage response by cohort"),
        columns=[
            ReportColumn("cohort_month", _("cohort (month of entry)")),
            ReportColumn("month", _("month")),
            ReportColumn("status", _("status")),
            ReportColumn("count", _("count"), numeric=True),
        ],
        rows=[(str(c), str(m), s, n) for c, m, s, n in rows if n],
    )


def flow_cell_text(counts: Mapping[str, int], improved_word: str) -> str:
    """'② 11, improved 5' as the seed writes a cell (the words are translated)."""
    parts = [
        f"{STAGE_MARKS[s]} {counts[s]}"
        for s in ("stage1", "stage2", "stage3", "stage4")
        if counts.get(s)
    ]
    if counts.get("improved"):
        parts.append(f"{improved_word} {counts['improved']}")
    return ", ".join(parts)


def flow_matrix(
    rows: Iterable[tuple[Month, Month, str, int]], improved_word: str
) -> tuple[list[Month], list[tuple[Month, list[str]]]]:
    """The seed's layout: one row per cohort, one column per month, cells as text."""
    cells: dict[tuple[Month, Month], dict[str, int]] = {}
    months: set[Month] = set()
    cohorts: set[Month] = set()
    for cohort, month, status, count in rows:
        cells.setdefault((cohort, month), {})[status] = count
        months.add(month)
        cohorts.add(cohort)
    ordered = sorted(months)
    return ordered, [
        (cohort, [flow_cell_text(cells.get((cohort, m), {}), improved_word) for m in ordered])
        for cohort in sorted(cohorts)
    ]


def flow_matrix_report(rows: Iterable[tuple[Month, Month, str, int]], improved_word: str) -> Report:
    months, matrix = flow_matrix(rows, improved_word)
    return Report(
        title=_("Heavy-usage response by cohort"),
        columns=[ReportColumn("cohort", _("cohort"))]
        + [ReportColumn(str(m), f"{m.year}年{m.month}月") for m in months],
        rows=[(f"{c.year}年{c.month}月", *cells) for c, cells in matrix],
    )


def cases_report(steps: Iterable) -> Report:
    """steps: CaseStep rows (with case and line) of one month."""
    return Report(
        title=_("Cases evaluated in the month"),
        columns=[
            ReportColumn("line_number", _("line number")),
            ReportColumn("cohort_month", _("cohort (month of entry)")),
            ReportColumn("status", _("status")),
        ],
        rows=[(s.case.line.number, f"{s.case.cohort:%Y-%m}", s.status) for s in steps],
    )


def mdm_csv_report(actions: Iterable, serials: Mapping[str, str] | None = None) -> Report:
    """One tablet message's recipients, to paste into the MDM console.

    The serial column is filled from `serials` (line number → device serial) when the
    devices app provides it; this function is the one place that shapes the file.
    """
    serials = serials or {}
    return Report(
        title=_("Tablet message recipients"),
        columns=[
            ReportColumn("serial_number", _("serial number")),
            ReportColumn("line_number", _("line number")),
            ReportColumn("school_code", _("school code")),
            ReportColumn("school", _("school")),
            ReportColumn("step", _("step"), numeric=True),
            ReportColumn("status", _("status")),
        ],
        rows=[
            (
                serials.get(a.case.line.number, ""),
                a.case.line.number,
                a.case.line.school.code if a.case.line.school else "",
                a.case.line.school.name if a.case.line.school else "",
                a.stage,
                a.status,
            )
            for a in actions
        ],
    )


def case_list_report(cases: Iterable) -> Report:
    """cases: Case rows with line and school."""
    return Report(
        title=_("Heavy-usage cases"),
        columns=[
            ReportColumn("line_number", _("line number")),
            ReportColumn("school", _("school")),
            ReportColumn("cohort_month", _("cohort (month of entry)")),
            ReportColumn("step", _("step"), numeric=True),
            ReportColumn("improved_in", _("improved in")),
        ],
        rows=[
            (
                c.line.number,
                c.line.school.name if c.line.school else "",
                f"{c.cohort:%Y-%m}",
                c.stage,
                f"{c.closed_month:%Y-%m}" if c.closed_month else "",
            )
            for c in cases
        ],
    )

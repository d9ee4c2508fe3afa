"""A pack of reports: several registered reports, each a numbered section with an
optional chart, written as one PDF (gigaportal.reports.pdf) and one Excel workbook with
native charts (gigaportal.reports.workbook). What a section holds is the registered
report's own `Report` (read with `ReportSpec.snapshot`, as its page shows it); a
chart is a description of which of its columns to draw, never a picture, so the PDF
draws it as vector graphics and Excel as a chart the staff can restyle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.encoding import force_str

from gigaportal.reports.tables import Report, display


@dataclass(frozen=True)
class Chart:
    """Which columns of a section's report to draw.

    kind: "column" (grouped bars), "line", or "stacked" (horizontal bars of shares that
    add up to 100, one chart per value of `split_by`).
    """

    kind: str
    category: str  # the column whose cells label the bars or points
    series: Sequence[str]  # the numeric columns drawn
    # A column drawn as a line on a second axis (usage rate beside usage in GB).
    secondary: str = ""
    split_by: str = ""
    title: Any = ""


@dataclass(frozen=True)
class Section:
    number: Any  # 資料1
    heading: Any
    report: Report
    chart: Chart | None = None
    # Column key → format of its cells in the PDF ("{}%"); whole numbers get thousands
    # separators unless listed in `plain`.
    formats: Mapping[str, str] = field(default_factory=dict)
    plain: Sequence[str] = ()
    # An organisation chart: the `depth` column indents the first text column.
    tree: bool = False
    # A section may ask for a new page (a wide table after a long one).
    page_break: bool = True

    @property
    def title(self) -> str:
        return f"{force_str(self.number)} {force_str(self.heading)}".strip()

    def text(self, key: str, value: Any) -> str:
        """A cell as the PDF prints it."""
        if value is None or value == "":
            return ""
        if isinstance(value, bool):
            return display(value)
        text = f"{value:,}" if isinstance(value, int) and key not in self.plain else display(value)
        template = self.formats.get(key)
        return template.format(text) if template else text


def chart_groups(section: Section) -> list[tuple[str, list[int]]]:
    """(title, row indexes) of each chart a section draws: one, or one per value of
    `split_by` (rows of one value are contiguous in every report that splits)."""
    chart = section.chart
    rows = section.report.rows
    # Nothing to draw: no rows, or no series (a breakage table before any model).
    if chart is None or not rows or not chart.series:
        return []
    if not chart.split_by:
        return [(force_str(chart.title or section.heading), list(range(len(rows))))]
    index = section.report.keys.index(chart.split_by)
    groups: list[tuple[str, list[int]]] = []
    for number, row in enumerate(rows):
        label = force_str(display(row[index]))
        if not groups or groups[-1][0] != label:
            groups.append((label, []))
        groups[-1][1].append(number)
    return groups


def number(value: Any) -> float:
    """A chart's value: a number cell as a float, anything else (a "減っていません", an
    empty cell) as zero."""
    if isinstance(value, bool) or value is None:
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0

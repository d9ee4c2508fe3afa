"""A pack of reports as one Excel workbook (XlsxWriter): a sheet per section, each an
Excel table (headers, filters, numbers as numbers), column widths that fit Japanese
text, and the section's chart as a native Excel chart over the sheet's cells, which the
staff can restyle (not a picture).

`gigaportal.reports.xlsx_bytes` (openpyxl) stays the download of one report page; this
is the pack's, because openpyxl's charts do not survive a restyle in Excel as well.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.utils.encoding import force_str

from gigaportal.reports.pack import Section, chart_groups
from gigaportal.reports.tables import (
    _SHEET_TITLE_FORBIDDEN,
    _display_width,
    _excel_value,
    display,
)

CHART_TYPES = {
    "column": ("column", None),
    "line": ("line", None),
    "stacked": ("bar", "percent_stacked"),
}


def pack_xlsx_bytes(sections: Sequence[Section], *, cover: Sequence[tuple[str, str]] = ()) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_urls": False})
    bold = workbook.add_format({"bold": True})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    date = workbook.add_format({"num_format": "yyyy-mm-dd", "valign": "top"})
    if cover:
        sheet = workbook.add_worksheet(_title(force_str(cover[0][1]), set()))
        for row, (label, value) in enumerate(cover):
            sheet.write(row, 0, label, bold)
            sheet.write(row, 1, value)
        sheet.set_column(0, 0, 16)
        sheet.set_column(1, 1, 60)
    used: set[str] = set()
    for section in sections:
        _sheet(workbook, section, used, bold=bold, wrap=wrap, date=date)
    workbook.close()
    return buffer.getvalue()


def _title(text: str, used: set[str]) -> str:
    base = text.translate(_SHEET_TITLE_FORBIDDEN)[:31] or "sheet"
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def _cell(value):
    value = _excel_value(value)
    return "" if value is None else value


def _sheet(workbook, section: Section, used: set[str], *, bold, wrap, date) -> None:
    import datetime as dt

    report = section.report
    name = _title(section.title, used)
    sheet = workbook.add_worksheet(name)
    sheet.write(0, 0, section.title, bold)
    sheet.write(
        1, 0, " / ".join(filter(None, [force_str(report.period or ""), force_str(report.scope)]))
    )
    top = 3  # the table's header row
    rows = [[_cell(v) for v in row] for row in (*report.rows, *report.footer)]
    columns = [{"header": _header(c.label, n)} for n, c in enumerate(report.columns)]
    if rows:
        sheet.add_table(
            top,
            0,
            top + len(rows),
            len(columns) - 1,
            {"data": rows, "columns": columns, "style": "Table Style Light 9", "autofilter": False},
        )
        for r, row in enumerate(rows, start=top + 1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date)
                elif isinstance(value, str) and "\n" in value:
                    sheet.write_string(r, c, value, wrap)
    else:
        for c, column in enumerate(columns):
            sheet.write(top, c, column["header"], bold)
    for c, column in enumerate(report.columns):
        texts = [force_str(column.label)] + [
            line
            for row in rows[:500]
            for line in str(display(row[c]) if row[c] != "" else "").split("\n")
        ]
        sheet.set_column(c, c, min(max(_display_width(t) for t in texts) + 2, 60))
    notes_row = top + len(rows) + 2
    for n, note in enumerate(report.notes):
        sheet.write(notes_row + n, 0, force_str(note))
    _charts(workbook, sheet, name, section, top, notes_row + len(report.notes) + 1)


def _header(label, n: int) -> str:
    # An Excel table's header must be unique text.
    return force_str(label) or f"column {n + 1}"


def _charts(workbook, sheet, name: str, section: Section, top: int, below: int) -> None:
    chart_spec = section.chart
    if chart_spec is None:
        return
    keys = section.report.keys
    kind, subtype = CHART_TYPES[chart_spec.kind]
    row = below
    for title, indexes in chart_groups(section):
        if not indexes:
            continue
        first, last = top + 1 + indexes[0], top + 1 + indexes[-1]
        options = {"type": kind} | ({"subtype": subtype} if subtype else {})
        chart = workbook.add_chart(options)
        category = keys.index(chart_spec.category)
        for key in chart_spec.series:
            column = keys.index(key)
            chart.add_series(
                {
                    "name": [name, top, column],
                    "categories": [name, first, category, last, category],
                    "values": [name, first, column, last, column],
                }
            )
        if chart_spec.secondary:
            column = keys.index(chart_spec.secondary)
            line = workbook.add_chart({"type": "line"})
            line.add_series(
                {
                    "name": [name, top, column],
                    "categories": [name, first, category, last, category],
                    "values": [name, first, column, last, column],
                    "y2_axis": True,
                    "marker": {"type": "circle"},
                    "data_labels": {"value": True},
                }
            )
            chart.combine(line)
        chart.set_title({"name": title[:80], "name_font": {"size": 11}})
        chart.set_legend({"position": "bottom"})
        chart.set_size(
            {
                "width": 720,
                "height": 300 if chart_spec.kind != "stacked" else 120 + 24 * len(indexes),
            }
        )
        sheet.insert_chart(row, 0, chart)
        row += 16 if chart_spec.kind != "stacked" else 6 + len(indexes)

"""Report tables: one shape for every report, many ways out.

A report builder (in an app's reports.py) returns a `Report`: its columns and rows of
plain values, the period and scope they cover, and notes. The same object renders as
an HTML table (templates/gigaportal/_report_table.html), a CSV (UTF-8 with BOM so
Excel opens it), an Excel workbook (several reports make one workbook, a sheet each,
for the committee pack), a terminal table for management commands, and a chart's
input. Nothing here queries the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils import timezone
from django.utils.encoding import force_str

from gigaportal.calendar import Month

FORMATS = ("csv", "table")


@dataclass(frozen=True)
class ReportColumn:
    key: str
    label: Any  # a lazy translation; the header people see
    numeric: bool = False
    # False: in the downloads only (a long text the page shows elsewhere).
    on_page: bool = True


@dataclass(frozen=True)
class Report:
    title: Any
    columns: Sequence[ReportColumn]
    rows: Sequence[Sequence[Any]]
    # Rows shown after the body (totals); part of downloads but not of `rows`.
    footer: Sequence[Sequence[Any]] = field(default_factory=tuple)
    # The period the rows cover (gigaportal.reports.Period) and whose rows they are
    # ("all schools", or a school user's school).
    period: Any = None
    scope: Any = ""
    # Sentences shown under the table (what is not counted, how it is rounded).
    notes: Sequence[Any] = field(default_factory=tuple)
    # What a page shows besides the table (the models of the breakage table, the
    # forecast's cards); never part of a download.
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return [column.key for column in self.columns]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.keys, row, strict=True)) for row in self.rows]

    def column(self, key: str) -> list[Any]:
        index = self.keys.index(key)
        return [row[index] for row in self.rows]

    def with_context(self, **values) -> Report:
        """The same rows with period, scope or notes set (a builder's last step)."""
        return replace(self, **values)

    def pivot(
        self,
        *,
        row: str,
        column: str,
        value: str,
        row_label: Any = None,
        columns: Sequence[tuple[Any, Any]] | None = None,
        empty: Any = 0,
        title: Any = None,
    ) -> Report:
        """Long to wide: one row per distinct `row` value, one column per distinct
        `column` value (in order of appearance, or `columns` as (value, label)), cells
        from `value` (`empty` where a pair has no row). The committee's tables are wide;
        the commands print them long."""
        r, c, v = self.keys.index(row), self.keys.index(column), self.keys.index(value)
        order = list(columns or ())
        known = {key for key, _label in order}
        cells: dict[tuple[Any, Any], Any] = {}
        row_values: list[Any] = []
        for line in self.rows:
            if line[r] not in row_values:
                row_values.append(line[r])
            if line[c] not in known:
                known.add(line[c])
                order.append((line[c], line[c]))
            cells[(line[r], line[c])] = line[v]
        numeric = self.columns[v].numeric
        return replace(
            self,
            title=title or self.title,
            columns=[ReportColumn(row, row_label or self.columns[r].label)]
            + [ReportColumn(str(key), label, numeric) for key, label in order],
            rows=[
                (rv, *(cells.get((rv, key), empty) for key, _label in order)) for rv in row_values
            ],
            footer=(),
        )


@dataclass(frozen=True)
class Coded:
    """A cell that is a code for programs and a text for people: a status as `sent` in
    a command's CSV and as 送信済み on the page and in its downloads."""

    code: Any
    text: str

    def __str__(self) -> str:
        return str(self.text)


def _plain(value: Any) -> Any:
    """A cell for the commands' machine-readable output: months as YYYY-MM, dates
    ISO, booleans 1/0, codes as codes."""
    if value is None:
        return ""
    if isinstance(value, Coded):
        return value.code
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Month):
        return str(value)
    return value


def display(value: Any) -> str:
    """A cell as a person reads it on a page or in a download: a month as 2022年4月
    (Apr 2022 in English), a date as 2022年4月15日, in the reader's language."""
    from gigaportal import dates

    if value is None:
        return ""
    if isinstance(value, Coded):
        return force_str(value.text)
    if isinstance(value, Month):
        return dates.month_text(value)
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value) if timezone.is_aware(value) else value
        return f"{dates.date_text(local.date())} {local:%H:%M}"
    if isinstance(value, dt.date):
        return dates.date_text(value)
    if isinstance(value, bool):
        return "✓" if value else ""
    return force_str(value)


def _human(value: Any) -> Any:
    """A cell of a download for people (CSV with labels): months and booleans as read,
    dates in ISO form (spreadsheets read them as dates), numbers as numbers."""
    if isinstance(value, Month | Coded):
        return display(value)
    if isinstance(value, bool):
        return "✓" if value else ""
    return _plain(value)


# A spreadsheet reads a cell starting with one of these as a formula (or, for tab and
# CR, a cell that a paste turns into one): `=HYPERLINK(...)` typed into a support
# record must stay text on the school PC that opens the download (OWASP's "CSV
# injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def _csv_safe(value: Any, converted: Any) -> Any:
    """The converted cell, with a leading `'` when it is text a spreadsheet would run;
    numbers (a negative count is `-2`) are left as numbers."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return converted
    return f"'{converted}" if is_formula_like(converted) else converted


def write_csv(report: Report, stream, *, labels: bool = False, footer: bool = True) -> None:
    """Header of column keys (machine-readable, as the commands document) or labels."""
    writer = csv.writer(stream, lineterminator="\r\n" if labels else "\n")
    header = [force_str(c.label) if labels else c.key for c in report.columns]
    writer.writerow([_csv_safe(h, h) for h in header])
    cell = _human if labels else _plain
    for row in (*report.rows, *(report.footer if footer else ())):
        writer.writerow([_csv_safe(v, cell(v)) for v in row])


def csv_bytes(report: Report) -> bytes:
    """The browser download: Japanese headers, UTF-8 with BOM, CRLF, as Excel expects."""
    buffer = io.StringIO()
    write_csv(report, buffer, labels=True)
    return buffer.getvalue().encode("utf-8-sig")


# Characters Excel refuses in a sheet name (openpyxl raises ValueError on them).
_SHEET_TITLE_FORBIDDEN = str.maketrans(dict.fromkeys("\\/*?:[]", "_"))


def _excel_value(value: Any) -> Any:
    """A cell value openpyxl accepts: it refuses aware datetimes and unknown types
    (a calendar.Month, a lazy translation) with a ValueError. A month is written as a
    person reads it."""
    if isinstance(value, Month):
        return display(value)
    if isinstance(value, str):
        return _excel_text(value)
    if value is None or isinstance(value, (bool, int, float, str, dt.date, dt.time)):
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return timezone.localtime(value).replace(tzinfo=None)
        return value
    if isinstance(value, Decimal):
        return float(value)
    return _excel_text(force_str(value))


def _excel_text(text: str) -> str:
    """Text without the control characters Excel refuses (a vertical tab pasted from
    Word would stop the whole workbook)."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def xlsx_bytes(*reports: Report) -> bytes:
    """One workbook, a sheet per report (the committee pack puts several together)."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for report in reports:
        _add_sheet(workbook, report, used)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(report: Report, used: set[str]) -> str:
    base = force_str(report.title).translate(_SHEET_TITLE_FORBIDDEN)[:31] or "report"
    title, n = base, 2
    while title.lower() in used:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(title.lower())
    return title


def _add_sheet(workbook, report: Report, used: set[str]) -> None:
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(_sheet_title(report, used))
    _append_row(sheet, [_excel_text(force_str(c.label)) for c in report.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in (*report.rows, *report.footer):
        _append_row(sheet, [_excel_value(v) for v in row])
    for index, column in enumerate(report.columns, start=1):
        width = max(
            [_display_width(force_str(column.label))]
            + [_display_width(str(_plain(r[index - 1]))) for r in report.rows[:500]]
        )
        sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width + 2, 60)


def _append_row(sheet, values: list[Any]) -> None:
    """openpyxl makes any text starting with `=` a formula: such text (and any other
    formula-like text) is written as an explicit string cell instead."""
    sheet.append(values)
    for cell, value in zip(sheet[sheet.max_row], values, strict=False):
        if is_formula_like(value):
            cell.data_type = "s"


def _display_width(text: str) -> int:
    # Full-width (Japanese) characters take two columns in a terminal and in Excel.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def text_table(report: Report, *, labels: bool = False) -> str:
    """An aligned plain-text table for management commands."""
    header = [force_str(c.label) if labels else c.key for c in report.columns]
    body = [[force_str(_plain(v)) for v in row] for row in (*report.rows, *report.footer)]
    widths = [
        max(_display_width(cell) for cell in column) for column in zip(header, *body, strict=True)
    ]

    def line(cells: Iterable[str]) -> str:
        parts = []
        for cell, width, column in zip(cells, widths, report.columns, strict=True):
            pad = " " * (width - _display_width(cell))
            parts.append(pad + cell if column.numeric else cell + pad)
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in body)]) + "\n"


def render_for_command(report: Report, fmt: str) -> str:
    if fmt == "csv":
        buffer = io.StringIO()
        write_csv(report, buffer)
        return buffer.getvalue()
    if fmt == "table":
        return text_table(report)
    raise ValueError(f"unknown format {fmt!r}")


DOWNLOAD_FORMATS = ("csv", "xlsx")


def download_requested(request) -> str | None:
    """The `?download=csv|xlsx` of a report page (gigaportal/_downloads.html makes the
    links), or None for the page itself."""
    fmt = request.GET.get("download")
    return fmt if fmt in DOWNLOAD_FORMATS else None


def download_response(report: Report, fmt: str, filename: str) -> HttpResponse:
    """`fmt` is 'csv' or 'xlsx'; `filename` without extension (ASCII is safest)."""
    if fmt == "csv":
        response = HttpResponse(csv_bytes(report), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = HttpResponse(
            xlsx_bytes(report),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        raise ValueError(f"unknown download format {fmt!r}")
    response["Content-Disposition"] = content_disposition(f"{filename}.{fmt}")
    return response


def content_disposition(filename: str, *, disposition: str = "attachment") -> str:
    """attachment; filename="<ASCII only>", plus RFC 5987's filename*=UTF-8''<the name
    as given> when the two differ: a school code with a quote or a line break in it
    cannot break the header, and a Japanese name still reaches the browser."""
    from urllib.parse import quote

    stem, dot, extension = filename.rpartition(".")
    if not dot or not re.fullmatch(r"[A-Za-z0-9]{1,5}", extension):
        stem, dot, extension = filename, "", ""
    # A name of Japanese only (青葉小学校.xlsx) keeps its extension: download.xlsx.
    safe = (re.sub(r"[^A-Za-z0-9._-]+", "_", stem).strip("._") or "download") + dot + extension
    if safe == filename:
        return f'{disposition}; filename="{safe}"'
    return f"{disposition}; filename=\"{safe}\"; filename*=UTF-8''{quote(filename, safe='')}"

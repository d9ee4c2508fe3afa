"""One report, many ways out (gigaportal/reports/tables.py, re-exported by the
gigaportal.reports package), and charts (gigaportal/charts.py)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
import warnings
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from gigaportal import charts
from gigaportal.calendar import Month
from gigaportal.reports import (
    Report,
    ReportColumn,
    _display_width,
    csv_bytes,
    download_response,
    render_for_command,
    text_table,
    xlsx_bytes,
)

REPORT = Report(
    title="2022/09 破損状況",
    columns=[
        ReportColumn("month", "月"),
        ReportColumn("breakages", "破損台数", numeric=True),
        ReportColumn("spares", "予備機残数", numeric=True),
        ReportColumn("rate", "割合", numeric=True),
    ],
    rows=[
        ["4月", 16, 518, Decimal("0.07")],
        ["5月", 22, 496, Decimal("0.09")],
        ["December", 21, 315, None],
    ],
    footer=[["合計", 59, None, None]],
)


def test_the_csv_download_is_utf8_with_a_bom_crlf_and_japanese_headers():
    data = csv_bytes(REPORT)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.split("\r\n")[:2] == ["月,破損台数,予備機残数,割合", "4月,16,518,0.07"]
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[-1] == ["合計", "59", "", ""]
    assert len(rows) == 5


def test_the_csv_headers_follow_the_language_of_the_request():
    report = Report(title="x", columns=[ReportColumn("school", gettext_lazy("school"))], rows=[])
    with translation.override("en"):
        assert csv_bytes(report).decode("utf-8-sig").splitlines() == ["school"]


def test_the_command_csv_has_machine_readable_keys_and_plain_values():
    text = render_for_command(REPORT, "csv")
    assert text.splitlines() == [
        "month,breakages,spares,rate",
        "4月,16,518,0.07",
        "5月,22,496,0.09",
        "December,21,315,",
        "合計,59,,",
    ]
    with pytest.raises(ValueError):
        render_for_command(REPORT, "pdf")


def test_the_text_table_aligns_full_width_characters_and_right_aligns_numbers():
    # Japanese characters take two columns: "月" is padded with 7 spaces to the width of
    # "December", and numbers end under the end of their header.
    assert text_table(REPORT, labels=True) == (
        "月        破損台数  予備機残数  割合\n"
        "--------  --------  ----------  ----\n"
        "4月             16         518  0.07\n"
        "5月             22         496  0.09\n"
        "December        21         315\n"
        "合計            59\n"
    )
    assert text_table(REPORT).splitlines()[0] == "month     breakages  spares  rate"


def test_display_width_counts_japanese_as_two_columns():
    assert _display_width("abc") == 3
    assert _display_width("破損") == 4
    assert _display_width("ＡＢ") == 4
    assert _display_width("ｱｲ") == 2  # half-width katakana


def test_the_xlsx_opens_and_has_the_rows_footer_and_numbers():
    workbook = load_workbook(io.BytesIO(xlsx_bytes(REPORT)))
    sheet = workbook.active
    # "/" is not allowed in a sheet name; the title is kept readable.
    assert sheet.title == "2022_09 破損状況"
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values == [
        ["月", "破損台数", "予備機残数", "割合"],
        ["4月", 16, 518, 0.07],
        ["5月", 22, 496, 0.09],
        ["December", 21, 315, None],
        ["合計", 59, None, None],
    ]
    assert sheet["A1"].font.bold


def test_the_xlsx_accepts_dates_aware_datetimes_months_and_lazy_text():
    aware = dt.datetime(2022, 4, 1, 0, 30, tzinfo=dt.UTC)
    report = Report(
        title="x" * 40,
        columns=[ReportColumn(k, k) for k in ("day", "at", "month", "label", "flag")],
        rows=[[dt.date(2022, 4, 15), aware, Month(2022, 9), gettext_lazy("school"), True]],
    )
    sheet = load_workbook(io.BytesIO(xlsx_bytes(report))).active
    assert sheet.title == "x" * 31
    day, at, month, label, flag = next(sheet.iter_rows(min_row=2, values_only=True))
    assert day.date() == dt.date(2022, 4, 15)
    assert at == dt.datetime(2022, 4, 1, 9, 30)  # Tokyo time, as the portal shows it
    assert month == "2022年9月"  # a month reads as people write it
    assert isinstance(label, str)
    assert flag is True


def test_downloads_are_attachments_of_the_right_type():
    response = download_response(REPORT, "csv", "breakages-2022")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="breakages-2022.csv"'
    assert response.content.startswith(b"\xef\xbb\xbf")
    response = download_response(REPORT, "xlsx", "breakages-2022")
    assert response["Content-Type"].endswith("spreadsheetml.sheet")
    assert response.content.startswith(b"PK\x03\x04")
    with pytest.raises(ValueError):
        download_response(REPORT, "pdf", "x")


def test_a_report_gives_its_rows_as_dicts_and_columns():
    assert REPORT.keys == ["month", "breakages", "spares", "rate"]
    assert REPORT.column("breakages") == [16, 22, 21]
    assert REPORT.dicts()[0] == {
        "month": "4月",
        "breakages": 16,
        "spares": 518,
        "rate": Decimal("0.07"),
    }


def test_the_package_re_exports_the_tables_module():
    from gigaportal import reports
    from gigaportal.reports import tables, views

    for name in ("Report", "ReportColumn", "csv_bytes", "xlsx_bytes", "text_table"):
        assert getattr(reports, name) is getattr(tables, name)
    assert reports.ReportView is views.ReportView  # loaded on first use
    with pytest.raises(AttributeError):
        reports.NoSuchThing  # noqa: B018


def test_with_context_sets_period_scope_and_notes_and_keeps_the_rows():
    from gigaportal.reports import Period

    report = REPORT.with_context(period=Period.fiscal(2022), scope="All schools", notes=["rounded"])
    assert (report.period.label, report.scope, list(report.notes)) == (
        "令和4年度",
        "All schools",
        ["rounded"],
    )
    assert report.rows == REPORT.rows and report.footer == REPORT.footer
    assert REPORT.period is None  # the original is unchanged (frozen)


# --- Long to wide -------------------------------------------------------------------------

LONG = Report(
    title="cohorts",
    columns=[
        ReportColumn("cohort", "対象月"),
        ReportColumn("month", "月"),
        ReportColumn("status", "状態"),
        ReportColumn("count", "件数", numeric=True),
    ],
    rows=[
        ("2022-04", "2022-04", "①", 10),
        ("2022-04", "2022-05", "①", 7),
        ("2022-05", "2022-05", "①", 12),
        ("2022-04", "2022-06", "①", 3),
    ],
    footer=[("計", "", "", 32)],
)


def test_pivot_makes_one_row_per_row_value_and_one_column_per_column_value():
    wide = LONG.pivot(row="cohort", column="month", value="count")
    assert wide.keys == ["cohort", "2022-04", "2022-05", "2022-06"]
    assert [c.label for c in wide.columns] == ["対象月", "2022-04", "2022-05", "2022-06"]
    assert [c.numeric for c in wide.columns] == [False, True, True, True]
    assert [list(row) for row in wide.rows] == [
        ["2022-04", 10, 7, 3],
        ["2022-05", 0, 12, 0],  # no row for a pair: `empty`
    ]
    assert wide.title == "cohorts"
    assert list(wide.footer) == []  # a long footer means nothing in the wide table


def test_pivot_takes_column_order_and_labels_and_appends_unlisted_values():
    wide = LONG.pivot(
        row="cohort",
        column="month",
        value="count",
        columns=[("2022-06", "6月"), ("2022-05", "5月"), ("2022-07", "7月")],
        row_label="開始月",
        empty=None,
        title="推移",
    )
    assert wide.keys == ["cohort", "2022-06", "2022-05", "2022-07", "2022-04"]
    assert [c.label for c in wide.columns] == ["開始月", "6月", "5月", "7月", "2022-04"]
    assert [list(row) for row in wide.rows] == [
        ["2022-04", 3, 7, None, 10],
        ["2022-05", None, 12, None, None],
    ]
    assert wide.title == "推移"
    # The wide table goes out like any other report.
    assert render_for_command(wide, "csv").splitlines()[1] == "2022-04,3,7,,10"


def test_pivot_keeps_the_last_value_of_a_repeated_pair_and_non_numeric_values():
    report = Report(
        title="t",
        columns=[ReportColumn("r", "r"), ReportColumn("c", "c"), ReportColumn("v", "v")],
        rows=[("a", 1, "x"), ("a", 1, "y"), ("b", 2, "z")],
    )
    wide = report.pivot(row="r", column="c", value="v", empty="")
    assert wide.keys == ["r", "1", "2"]
    assert [c.numeric for c in wide.columns] == [False, False, False]
    assert [list(row) for row in wide.rows] == [["a", "y", ""], ["b", "", "z"]]


def test_pivot_of_no_rows_is_an_empty_table_with_the_given_columns():
    empty = Report(title="t", columns=LONG.columns, rows=[])
    wide = empty.pivot(row="cohort", column="month", value="count", columns=[("2022-04", "4月")])
    assert wide.keys == ["cohort", "2022-04"]
    assert list(wide.rows) == []


# --- Several reports, one workbook ----------------------------------------------------------


def _sheets(data: bytes) -> dict[str, list[list]]:
    workbook = load_workbook(io.BytesIO(data))
    return {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in workbook.worksheets
    }


def test_several_reports_make_one_workbook_with_a_sheet_each_in_order():
    other = Report(title="学期別 支援件数", columns=[ReportColumn("n", "件数")], rows=[[5], [6]])
    data = xlsx_bytes(REPORT, other, LONG.pivot(row="cohort", column="month", value="count"))
    sheets = _sheets(data)
    assert list(sheets) == ["2022_09 破損状況", "学期別 支援件数", "cohorts"]
    assert sheets["学期別 支援件数"] == [["件数"], [5], [6]]
    assert sheets["2022_09 破損状況"][-1] == ["合計", 59, None, None]
    assert sheets["cohorts"][0] == ["対象月", "2022-04", "2022-05", "2022-06"]


def test_sheet_names_stay_unique_for_equal_titles_whatever_their_length_or_case():
    def titled(title):
        return Report(title=title, columns=[ReportColumn("x", "x")], rows=[[title]])

    long = "月別通信量" * 10
    reports = [
        titled("Usage"),
        titled("Usage"),
        titled("usage"),  # Excel compares sheet names case-insensitively
        titled(long),
        titled(long),
        titled(""),
        titled(""),
        titled("a/b"),
        titled("a_b"),
    ]
    names = list(_sheets(xlsx_bytes(*reports)))
    assert names == [
        "Usage",
        "Usage (2)",
        "usage (3)",
        long[:31],
        long[:27] + " (2)",
        "report",
        "report (2)",
        "a_b",
        "a_b (2)",
    ]
    assert len({name.lower() for name in names}) == len(names)
    assert all(len(name) <= 31 for name in names)
    # Each sheet holds its own report's rows.
    sheets = _sheets(xlsx_bytes(*reports))
    assert sheets["usage (3)"] == [["x"], ["usage"]]


# --- Charts ------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n"


def _png_size(data: bytes) -> tuple[int, int]:
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_a_bar_and_line_chart_renders_japanese_labels_without_missing_glyphs():
    figure = charts.bar_line_chart(
        title="iPad 破損台数と予備機残数",
        labels=["4月", "5月", "6月"],
        bars=[16, 22, 23],
        bar_label="破損台数",
        line=[518, 496, 473],
        line_label="予備機残数",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        data = charts.png_bytes(figure)
    assert data.startswith(PNG)
    assert _png_size(data) == (800, 440)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []


def test_a_grouped_bar_chart_renders():
    figure = charts.grouped_bar_chart(
        title="学期別 支援件数",
        groups=["1学期", "2学期", "3学期"],
        series={"オンライン支援": [5, 10, 4], "訪問支援": [248, 366, 62], "研修支援": [15, 12, 4]},
    )
    assert len(figure.axes[0].patches) == 9
    assert charts.png_bytes(figure).startswith(PNG)


def test_charts_are_cached_by_their_inputs():
    builds = []

    def build():
        builds.append(1)
        return charts.bar_line_chart(title="t", labels=["a"], bars=[1], bar_label="b")

    key = ["test-chart", str(uuid.uuid4()), [["4月", 16]]]
    first = charts.cached_png(key, build)
    second = charts.cached_png(key, build)
    assert first == second
    assert first.startswith(PNG)
    assert len(builds) == 1
    charts.cached_png([*key[:2], [["4月", 17]]], build)  # new data, new chart
    assert len(builds) == 2


def test_png_response_is_a_private_image():
    response = charts.png_response(PNG)
    assert response["Content-Type"] == "image/png"
    assert "private" in response["Cache-Control"]

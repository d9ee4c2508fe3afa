"""Every importer's date and month cells are inside the date window (issue 13, finding
9): a cell 0001-01-01 or 9999-12 is a row-numbered error and the file is refused whole,
through the shared parsers (gigaportal/tabular.py parse_date, parse_month)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import translation

from devices import services as device_services
from devices.models import DeviceEvent
from gigaportal.models import ImportBatch
from gigaportal.tabular import TabularError, parse_date, parse_month
from support.models import SupportRecord
from support.services.imports import record_import
from surveys.models import Response, Survey
from tests.devices.factories import make_device, make_device_model
from tests.surveys.factories import import_export, sheet_csv
from traffic.models import MonthlyUsage
from traffic.services.usage import usage_import

WINDOW = "2000-01-01 から"


def _messages(run) -> list[str]:
    with translation.override("ja"), pytest.raises(TabularError) as excinfo:
        run()
    return excinfo.value.messages()


@pytest.mark.parametrize("text", ["0001-01-01", "9999-12-31", "1999/12/31", "2999年1月1日"])
def test_parse_date_refuses_a_date_outside_the_window(text):
    with translation.override("ja"), pytest.raises(ValueError, match="受け付ける日付の範囲外です"):
        parse_date(text)


@pytest.mark.parametrize("text", ["0001-01", "9999-12", "1999/12", "2999年1月"])
def test_parse_month_refuses_a_month_outside_the_window(text):
    with translation.override("ja"), pytest.raises(ValueError, match="受け付ける日付の範囲外です"):
        parse_month(text)


def test_dates_and_months_inside_the_window_still_parse():
    assert parse_date("2000/1/1") == dt.date(2000, 1, 1)
    assert parse_date("２０２２年４月１５日") == dt.date(2022, 4, 15)
    assert str(parse_month("2022年9月")) == "2022-09"


@pytest.mark.django_db
def test_the_support_log_refuses_out_of_window_dates_by_row(support_staff, school_a):
    data = (
        "日付,学校コード,区分,担当\n"
        f"2022/4/12,{school_a.code},訪問支援,support_staff\n"
        f"0001-01-01,{school_a.code},訪問支援,support_staff\n"
        f"9999-12-31,{school_a.code},訪問支援,support_staff\n"
    ).encode()
    messages = _messages(lambda: record_import(file=io.BytesIO(data), by=support_staff))
    assert [m.split("、")[0] for m in messages] == ["3行目", "4行目"]
    assert all("日付" in m and "受け付ける日付の範囲外です" in m and WINDOW in m for m in messages)
    assert "'0001-01-01'" in messages[0] and "'9999-12-31'" in messages[1]
    assert not SupportRecord.objects.exists()


@pytest.mark.django_db
def test_the_device_events_refuse_out_of_window_dates_by_row(school_a):
    model = make_device_model()
    make_device(school=school_a, model=model, serial="B1")
    data = (
        b"date,serial,event\n2022-04-15,B1,failure\n0001-01-01,B1,failure\n9999-12-31,B1,failure\n"
    )
    messages = _messages(lambda: device_services.device_event_import(file=io.BytesIO(data)))
    assert [m.split("、")[0] for m in messages] == ["3行目", "4行目"]
    assert all("受け付ける日付の範囲外です" in m for m in messages)
    assert not DeviceEvent.objects.exists()


USAGE = "回線番号,利用月,データ通信量(GB),学校コード\n"


@pytest.mark.django_db
@pytest.mark.parametrize("python_parsing", [True, False], ids=["python", "sql"])
def test_the_usage_file_refuses_out_of_window_months_by_row(
    school_a, python_parsing, request, settings
):
    if not python_parsing:
        request.getfixturevalue("require_postgres")  # the COPY path is PostgreSQL's
    data = (
        USAGE
        + f"070-0000-0001,2022-09,1.5,{school_a.code}\n"
        + f"070-0000-0002,0001-01,1.5,{school_a.code}\n"
        + f"070-0000-0003,9999-12,1.5,{school_a.code}\n"
    ).encode()
    messages = _messages(lambda: usage_import(file=io.BytesIO(data), python_parsing=python_parsing))
    assert [m.split("、")[0] for m in messages] == ["3行目", "4行目"]
    assert all("利用月" in m and "受け付ける日付の範囲外です" in m for m in messages)
    assert not MonthlyUsage.objects.exists()


@pytest.mark.django_db
def test_a_survey_export_refuses_out_of_window_timestamps_by_row(school_a):
    data = sheet_csv(
        ["タイムスタンプ", "学校名", "質問"],
        [
            ["2022/11/30 8:00:00", school_a.name, "はい"],
            ["0001/01/01 8:01:00", school_a.name, "はい"],
            ["9999/12/31 8:02:00", school_a.name, "いいえ"],
        ],
    )
    with translation.override("ja"):
        batch = import_export(data, survey="bad")
    assert batch.status == ImportBatch.Status.FAILED
    assert [m.split("：")[0].split("、")[0] for m in batch.errors] == ["3行目", "4行目"]
    assert all("受け付ける日付の範囲外です" in m for m in batch.errors)
    assert not Survey.objects.filter(slug="bad").exists()
    assert not Response.objects.exists()

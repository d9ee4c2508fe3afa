"""An EUC-JP file is refused with its own message (issue 13, finding 9): it was read
as Shift_JIS and stored garbled (青葉小学校 became half-width katakana and stray kanji).
The reader takes UTF-8 (with or without BOM) and CP932 only."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from gigaportal.models import ImportBatch, School
from gigaportal.services import SCHOOL_COLUMNS
from gigaportal.tabular import TableReader, TabularError, detect_encoding
from support.models import SupportRecord
from tests.conftest import browser_login, screenshot

EUC_MESSAGE = (
    "EUC-JP の文字コードのファイルは読み込めません。UTF-8 か Shift_JIS (CP932) "
    "で保存し直してください。"
)

SCHOOLS = (
    "学校コード,学校名,校種\n"
    "E001,青葉小学校,小学校\n"
    "J001,第一中学校,中学校\n"
    "S001,みどり特別支援学校,特別支援学校\n"
)
# School names under English headers: their EUC-JP bytes are valid CP932 (half-width
# katakana and kanji), so they used to be imported as ﾀﾄﾍﾕｾｮｳﾘｹｻ for 青葉小学校.
SCHOOL_NAMES = (
    "school_code,name,kind\n"
    "E001,青葉小学校,小学校\n"
    "E002,旭小学校,小学校\n"
    "E003,さくら小学校,小学校\n"
    "J002,南中学校,中学校\n"
)
SUPPORT_LOG = (
    "日付,学校コード,区分,担当,内容,備考\n"
    "2022/4/12,A001,訪問支援,support_staff,アップデート,iPadOS更新\n"
    "2022-06-01,A001,研修支援,support_staff,,校内研修（ロイロノート）\n"
)
# A log whose EUC-JP bytes are valid CP932 too.
SUPPORT_LOG_NOTE = (
    "date,school_code,kind,staff,note\n2022/4/12,A001,visit,support_staff,南中学校と旭小学校\n"
)
TEXTS = [SCHOOLS, SCHOOL_NAMES, SUPPORT_LOG, SUPPORT_LOG_NOTE]
TEXT_IDS = ["schools", "names", "log", "log-note"]


def _encoding(data: bytes) -> str:
    return detect_encoding(io.BytesIO(data))


@pytest.mark.parametrize("text", TEXTS, ids=TEXT_IDS)
def test_euc_jp_is_refused_with_its_own_message(text):
    data = text.encode("euc_jp")
    with translation.override("ja"), pytest.raises(TabularError) as excinfo:
        _encoding(data)
    assert excinfo.value.messages() == [EUC_MESSAGE]


@pytest.mark.parametrize("text", [SCHOOL_NAMES, SUPPORT_LOG_NOTE], ids=["names", "log-note"])
def test_euc_jp_that_cp932_reads_as_half_width_garbage_is_refused_too(text):
    data = text.encode("euc_jp")
    # What used to happen: the bytes read as CP932 without an error, as garbage.
    garbled = data.decode("cp932")
    assert garbled != text and "ｾｮｳﾘｹｻ" in garbled  # 学校 as half-width katakana
    with translation.override("ja"), pytest.raises(TabularError) as excinfo:
        _encoding(data)
    assert excinfo.value.messages() == [EUC_MESSAGE]


@pytest.mark.parametrize("text", TEXTS, ids=TEXT_IDS)
def test_the_same_text_in_utf8_bom_and_cp932_is_read(text):
    assert _encoding(text.encode("utf-8")) == "utf-8"
    assert _encoding(b"\xef\xbb\xbf" + text.encode("utf-8")) == "utf-8-sig"
    assert _encoding(text.encode("cp932")) == "cp932"
    reader = TableReader(io.BytesIO(SCHOOLS.encode("cp932")), SCHOOL_COLUMNS)
    assert [row["name"] for row in reader] == ["青葉小学校", "第一中学校", "みどり特別支援学校"]


def test_a_cp932_file_of_half_width_katakana_is_still_cp932():
    """Old systems write readings in half-width kana (single bytes 0xA1–0xDF in CP932):
    a real Shift_JIS file, even when it has no other Japanese."""
    text = "username,kana\nsato,ｻﾄｳ ｹﾝ\ntanaka,ﾀﾅｶ ｲﾁﾛｳ\n"
    assert _encoding(text.encode("cp932")) == "cp932"


def test_a_file_in_no_encoding_we_read_gets_a_clear_message():
    with translation.override("ja"), pytest.raises(TabularError) as excinfo:
        _encoding(b"school_code,name\nE001,\x81 x\n")
    assert excinfo.value.messages() == [
        "文字コードが UTF-8 でも Shift_JIS（CP932）でもありません。"
        "どちらかの CSV で保存し直してください。"
    ]


@pytest.mark.django_db
def test_the_schools_import_page_refuses_euc_jp_with_400_and_stores_nothing(client, leader):
    client.force_login(leader)
    upload = io.BytesIO(SCHOOL_NAMES.encode("euc_jp"))
    upload.name = "schools.csv"
    response = client.post(
        reverse("schools:import"), {"file": upload}, headers={"accept-language": "ja"}
    )
    assert response.status_code == 400
    assert EUC_MESSAGE in response.content.decode()
    assert not School.objects.exists()
    assert ImportBatch.objects.get().status == ImportBatch.Status.FAILED


@pytest.mark.django_db
def test_the_support_log_import_page_refuses_euc_jp_with_400_and_stores_nothing(
    client, leader, support_staff, school_a
):
    client.force_login(leader)
    upload = io.BytesIO(SUPPORT_LOG_NOTE.encode("euc_jp"))
    upload.name = "log.csv"
    response = client.post(
        reverse("support:import"), {"file": upload}, headers={"accept-language": "ja"}
    )
    assert response.status_code == 400
    assert EUC_MESSAGE in response.content.decode()
    assert not SupportRecord.objects.exists()


@pytest.mark.django_db
def test_the_schools_command_refuses_euc_jp_and_stores_nothing(tmp_path):
    path = tmp_path / "schools.csv"
    path.write_bytes(SCHOOL_NAMES.encode("euc_jp"))
    with translation.override("ja"), pytest.raises(CommandError) as excinfo:
        call_command("import_schools", str(path))
    assert EUC_MESSAGE in str(excinfo.value)
    assert "nothing changed" in str(excinfo.value)
    assert not School.objects.exists()


@pytest.mark.browser
def test_the_leader_uploading_an_euc_jp_file_in_chromium_reads_why_in_japanese(
    page, leader, tmp_path
):
    path = tmp_path / "schools-euc.csv"
    path.write_bytes(SCHOOLS.encode("euc_jp"))
    browser_login(page, leader.username)
    page.goto("/schools/import/")
    page.set_input_files("input[name=file]", str(path))
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    errors = page.get_by_test_id("import-errors")
    errors.wait_for()
    screenshot(page, "schools-import-euc-jp")
    assert EUC_MESSAGE in errors.inner_text()
    assert not School.objects.exists()

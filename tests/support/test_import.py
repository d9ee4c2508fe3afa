"""Importing an existing support log: encodings, aliases, all-or-nothing errors."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils.translation import override

from gigaportal import imports
from gigaportal.models import ImportBatch, ObjectChange
from support.models import SupportRecord

pytestmark = pytest.mark.django_db

GOOD = (
    "日付,学校コード,区分,担当,内容,備考\n"
    "2022/4/12,A001,訪問支援,support_staff,アップデート,iPadOS更新\n"
    "２０２２年５月１０日,B001,オンライン支援,佐藤健,,電話で案内\n"
    "2022-06-01,A001,研修支援,佐藤 健、高橋 美咲,校内研修(Google),\n"
)


@pytest.fixture
def staff(support_staff, leader):
    return support_staff, leader


def upload(client, text: str, encoding="utf-8"):
    data = io.BytesIO(text.encode(encoding))
    data.name = "log.csv"
    return client.post(reverse("support:import"), {"file": data})


def test_the_leader_imports_a_cp932_log_in_the_browser(client, staff, school_a, school_b):
    client.force_login(staff[1])
    response = upload(client, GOOD, encoding="cp932")
    assert response.status_code == 302
    records = SupportRecord.objects.order_by("date")
    assert [(r.date.isoformat(), r.school.code, r.kind) for r in records] == [
        ("2022-04-12", "A001", "visit"),
        ("2022-05-10", "B001", "online"),
        ("2022-06-01", "A001", "training"),
    ]
    assert [u.username for u in records[2].staff.order_by("username")] == [
        "leader",
        "support_staff",
    ]
    assert [t.code for t in records[0].topics.all()] == ["updates"]
    assert records[0].what_was_done == "iPadOS更新"


def test_a_bad_file_is_refused_with_row_numbered_japanese_messages(
    client, staff, school_a, school_b
):
    bad = (
        "日付,学校コード,区分,担当\n"
        "2022/4/12,A001,訪問支援,support_staff\n"
        "2022/13/40,A001,訪問支援,support_staff\n"
        "2022/4/13,Z999,出張,support_staff\n"
        "2022/4/14,A001,visit,山田 花子\n"
    )
    client.force_login(staff[1])
    response = upload(client, bad)
    assert response.status_code == 400
    text = response.content.decode()
    assert "3行目" in text and "日付" in text
    assert "4行目" in text and "Z999" in text
    assert "出張" in text
    assert "5行目" in text and "山田 花子" in text
    assert "データは変更されていません" in text
    assert not SupportRecord.objects.exists()


def test_a_missing_column_is_named(client, staff):
    client.force_login(staff[1])
    response = upload(client, "日付,学校コード,担当\n2022/4/12,A001,support_staff\n")
    assert response.status_code == 400
    assert "区分" in response.content.decode()
    assert not SupportRecord.objects.exists()


def test_the_command_imports_and_refuses_a_bad_file_whole(tmp_path, staff, school_a, school_b):
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD.encode("utf-8-sig"))
    out = io.StringIO()
    call_command("import_support_log", str(good), stdout=out)
    assert "支援記録を 3 件取り込みました" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("date,school_code,kind,staff\n2022-04-01,A001,visit,nobody\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing changed"):
        call_command("import_support_log", str(bad))
    assert SupportRecord.objects.count() == 3


def test_the_import_writes_in_a_fixed_number_of_queries(
    require_postgres, staff, school_a, school_b, django_assert_max_num_queries
):
    from support.services import record_import

    # 560 rows, each its own (a file may not hold the same row twice).
    rows = "".join(
        f"2022-04-{d:02d},A001,visit,support_staff,アップデート,{n}回目\n"
        for n in range(20)
        for d in range(1, 29)
    )
    text = "date,school_code,kind,staff,topic,note\n" + rows
    with django_assert_max_num_queries(12):
        result = record_import(file=io.BytesIO(text.encode()), by=staff[1])
    assert result.created == 560


def test_only_the_leader_may_import(client, support_staff):
    client.force_login(support_staff)
    assert upload(client, GOOD).status_code == 403
    assert not SupportRecord.objects.exists()


def test_the_same_log_imported_twice_changes_nothing_and_says_it_was_already_imported(
    client, staff, school_a, school_b, tmp_path
):
    client.force_login(staff[1])
    assert upload(client, GOOD).status_code == 302
    first = ImportBatch.objects.get(kind="support_log")
    assert (first.status, first.created) == (ImportBatch.Status.DONE, 3)
    again = upload(client, GOOD)
    assert again.status_code == 302  # not a refusal: a batch that changed nothing
    second = ImportBatch.objects.filter(kind="support_log").order_by("pk").last()
    assert second.pk != first.pk
    assert second.status == ImportBatch.Status.UNCHANGED
    assert (second.created, second.updated, second.errors) == (0, 0, [])
    assert second.details["same_as"]["batch"] == first.pk
    assert second.details["same_as"]["by"] == "高橋 美咲"
    message = imports.describe(second)
    with override("en"):
        assert "already imported" in imports.describe(second)
        assert "nothing was changed" in imports.describe(second)
    assert "高橋 美咲" in message
    page = client.get(again.url).content.decode()
    assert message in page
    assert SupportRecord.objects.count() == 3
    # Only the batch that applied is in the change log.
    assert ObjectChange.objects.filter(action=ObjectChange.Action.IMPORT).count() == 1
    # The command does the same: a no-op that says so, not an error.
    path = tmp_path / "log.csv"
    path.write_bytes(GOOD.encode("utf-8"))
    out = io.StringIO()
    call_command("import_support_log", str(path), stdout=out)
    third = ImportBatch.objects.filter(kind="support_log").order_by("pk").last()
    assert third.status == ImportBatch.Status.UNCHANGED
    assert third.details["same_as"]["batch"] == first.pk
    assert imports.describe(third) in out.getvalue()
    assert SupportRecord.objects.count() == 3
    assert ObjectChange.objects.filter(action=ObjectChange.Action.IMPORT).count() == 1


def test_rows_already_recorded_are_row_errors_even_in_another_file(
    client, staff, school_a, school_b
):
    client.force_login(staff[1])
    assert upload(client, GOOD).status_code == 302
    overlapping = (
        "日付,学校コード,区分,担当\n"
        "2022-07-01,A001,訪問支援,support_staff\n"  # new
        "2022/5/10,B001,オンライン支援,support_staff\n"  # row 2 of the first file
        "2022-06-01,A001,研修支援,leader、support_staff\n"  # same staff, other order
        "2022-06-01,A001,研修支援,support_staff\n"  # other staff set: a different visit
    )
    response = upload(client, overlapping)
    assert response.status_code == 400
    page = response.content.decode()
    assert page.count("同じ支援(日付・学校・区分・担当)が既に記録されています") == 2
    assert "3行目" in page and "4行目" in page
    assert "2行目" not in page and "5行目" not in page
    assert SupportRecord.objects.count() == 3  # nothing of the file was written

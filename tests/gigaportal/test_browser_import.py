"""The leader uploads a school CSV in real Chromium: a bad file shows its row errors in
Japanese and writes nothing; the corrected file imports."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from gigaportal.models import School
from tests.conftest import browser_login, screenshot

BAD = "学校コード,学校名,校種\nE101,青葉小学校,小学校\nE101,旭小学校,大学\n"
GOOD = "学校コード,学校名,校種\nE101,青葉小学校,小学校\nE102,旭小学校,中学校\n"


@pytest.mark.browser
def test_the_leader_sees_row_errors_in_japanese_then_imports_the_corrected_file(
    page, leader, tmp_path
):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(BAD.encode("cp932"))
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD.encode("cp932"))

    browser_login(page, leader.username)
    page.goto("/schools/import/")
    page.set_input_files("input[name=file]", str(bad))
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    errors = page.get_by_test_id("import-errors")
    errors.wait_for()
    items = errors.locator("li").all_inner_texts()
    screenshot(page, "schools-import-errors")
    assert len(items) == 2
    assert items[0].startswith(_ja("Row %(row)s, column %(column)s: %(message)s").split("%")[0])
    assert "3" in items[0] and "E101" in items[0]
    with translation.override("ja"):
        heading = gettext(
            "The file was not imported. Nothing was changed. Correct these rows and upload it again:"
        )
    assert heading in errors.inner_text()
    assert heading != (
        "The file was not imported. Nothing was changed. Correct these rows and upload it again:"
    ), "the page must be in Japanese"
    assert not School.objects.exists()

    page.set_input_files("input[name=file]", str(good))
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url("**/schools/")
    assert sorted(School.objects.values_list("code", flat=True)) == ["E101", "E102"]
    assert page.get_by_text("旭小学校").is_visible()
    screenshot(page, "schools-import-done")


def _ja(msgid: str) -> str:
    with translation.override("ja"):
        return gettext(msgid)


@pytest.mark.browser
@pytest.mark.celery_worker
def test_a_large_upload_is_followed_on_its_page_while_the_real_worker_imports_it(
    celery_worker, page, settings, leader, support_staff, school_a, tmp_path
):
    from support.models import SupportRecord

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_INLINE_MAX_BYTES = 10_000
    header = "日付,学校コード,区分,担当,内容,備考\n"
    rows = "".join(
        f"2022-{4 + n % 9:02d}-{1 + n % 28:02d},A001,訪問支援,support_staff,,記録{n}\n"
        for n in range(600)
    )
    good = tmp_path / "log.csv"
    good.write_bytes((header + rows).encode("cp932"))
    bad = tmp_path / "bad.csv"
    bad.write_bytes((header + rows + "2022-05-01,Z999,訪問支援,support_staff,,\n").encode())
    assert good.stat().st_size > settings.IMPORT_INLINE_MAX_BYTES

    browser_login(page, leader.username)
    page.goto("/support/records/import/")
    page.set_input_files("input[name=file]", str(bad))
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url("**/imports/*/")
    errors = page.locator("#batch-error-list li")
    errors.first.wait_for()
    assert errors.first.inner_text().startswith("602行目、列「学校コード」：")
    screenshot(page, "support-import-worker-refused")
    assert not SupportRecord.objects.exists()

    page.goto("/support/records/import/")
    page.set_input_files("input[name=file]", str(good))
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url("**/imports/*/")
    page.get_by_text("支援記録を 600 件取り込みました。").wait_for()
    screenshot(page, "support-import-worker-done")
    assert SupportRecord.objects.count() == 600

"""Imports in the background with bounded memory (issue 13): an upload over
IMPORT_INLINE_MAX_BYTES returns at once with a queued batch that a real worker
completes, in the uploader's language; each kind's size limit is named in Japanese;
identical rows in one file are refused; the chunked imports stay all or nothing."""

from __future__ import annotations

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from devices import services as device_services
from devices.models import DeviceEvent
from gigaportal import imports
from gigaportal.models import ImportBatch, School
from gigaportal.scope import COMMAND_LINE
from gigaportal.tabular import TabularError
from support.models import SupportRecord
from support.services import imports as support_imports
from tests.devices.factories import make_device, make_device_model

Status = ImportBatch.Status
HEADER = "日付,学校コード,区分,担当,内容,備考\n"


def log_rows(count: int, *, school: str = "A001", start: int = 0) -> str:
    """`count` support rows, each its own (the note numbers them)."""
    return "".join(
        f"2022-{4 + (n % 9):02d}-{1 + n % 28:02d},{school},訪問支援,support_staff,,記録{n}\n"
        for n in range(start, start + count)
    )


def post_log(client, data: bytes, *, language: str = "ja", name: str = "log.csv"):
    return client.post(
        reverse("support:import"),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
        headers={"accept-language": language},
    )


def wait_until_finished(batch: ImportBatch, seconds: float = 60.0) -> ImportBatch:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        if batch.is_finished:
            return batch
        time.sleep(0.2)
    raise AssertionError(f"batch {batch.pk} still {batch.status}")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# --- Large uploads go to the real worker, in the uploader's language -----------------------


@pytest.mark.celery_worker
def test_a_large_upload_returns_at_once_and_the_real_worker_imports_it(
    celery_worker, client, settings, leader, support_staff, school_a
):
    # A "50 MB-class" file in miniature: the threshold is lowered instead.
    settings.IMPORT_INLINE_MAX_BYTES = 10_000
    data = (HEADER + log_rows(600)).encode()
    assert len(data) > settings.IMPORT_INLINE_MAX_BYTES
    client.force_login(leader)
    response = post_log(client, data)
    batch = ImportBatch.objects.get()
    # The request only stored the file: the browser goes to the batch's page.
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:detail", args=[batch.pk])
    assert batch.language == "ja"
    batch = wait_until_finished(batch)
    assert batch.status == Status.DONE, batch.errors
    assert SupportRecord.objects.count() == 600
    status = client.get(reverse("imports:status", args=[batch.pk])).json()
    assert status["finished"] is True
    assert status["message"] == "支援記録を 600 件取り込みました。"
    assert not batch.file


@pytest.mark.celery_worker
@pytest.mark.parametrize(
    ("uploader", "worker_default", "expected", "not_expected"),
    [
        ("ja", "en", "601行目、列「学校コード」：", "Row 601"),
        ("en", "ja", "Row 601, column 学校コード:", "601行目"),
    ],
)
def test_the_workers_row_messages_are_in_the_uploaders_language(
    celery_worker,
    client,
    settings,
    leader,
    support_staff,
    school_a,
    uploader,
    worker_default,
    expected,
    not_expected,
):
    settings.IMPORT_INLINE_MAX_BYTES = 10_000
    # The worker's own default language is the other one: only the batch's language
    # can make its messages the uploader's.
    settings.LANGUAGE_CODE = worker_default
    data = (HEADER + log_rows(599) + "2022-05-01,Z999,訪問支援,support_staff,,\n").encode()
    client.force_login(leader)
    response = post_log(client, data, language=uploader)
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("imports:detail", args=[batch.pk])
    assert batch.language == uploader
    batch = wait_until_finished(batch)
    assert batch.status == Status.FAILED
    assert batch.errors[0].startswith(expected), batch.errors
    assert not_expected not in " ".join(batch.errors)
    assert not SupportRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_tasks")
def test_without_a_broker_the_queued_batch_runs_in_process(
    client, settings, leader, support_staff, school_a, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_BYTES = 1_000
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_log(client, (HEADER + log_rows(50)).encode())
    batch = ImportBatch.objects.get()
    assert response["Location"] == reverse("imports:detail", args=[batch.pk])
    assert batch.status == Status.DONE
    assert SupportRecord.objects.count() == 50


@pytest.mark.django_db
def test_a_file_within_the_inline_size_is_imported_while_the_browser_waits(
    client, settings, leader, support_staff, school_a
):
    data = (HEADER + log_rows(20)).encode()
    settings.IMPORT_INLINE_MAX_BYTES = len(data)
    client.force_login(leader)
    response = post_log(client, data)
    assert response["Location"] == reverse("support:record_list")
    assert ImportBatch.objects.get().status == Status.DONE
    assert SupportRecord.objects.count() == 20


# --- Size limits ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_file_over_its_kinds_limit_is_refused_by_the_form_with_the_limit_named(
    client, settings, leader, support_staff, school_a
):
    settings.IMPORT_MAX_MB = {**settings.IMPORT_MAX_MB, "support_log": 1}
    data = (HEADER + log_rows(30_000)).encode()
    assert len(data) > 1024 * 1024
    client.force_login(leader)
    response = post_log(client, data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "この取り込み（支援記録の取り込み）の上限は 1 MB です。" in page
    assert f"ファイルは {len(data) / 1024 / 1024:.1f} MB です。" in page
    assert not ImportBatch.objects.exists()
    assert not SupportRecord.objects.exists()
    # The page says the limit before anyone uploads.
    assert "1 MB まで" in client.get(reverse("support:import")).content.decode()


@pytest.mark.django_db
def test_each_kind_has_its_own_limit(client, settings, leader):
    settings.IMPORT_MAX_MB = {**settings.IMPORT_MAX_MB, "schools": 1, "devices": 3}
    data = ("学校コード,学校名,校種\n" + "E101,青葉小学校,小学校\n" * 60_000).encode()
    assert 1024 * 1024 < len(data) < 3 * 1024 * 1024
    client.force_login(leader)
    schools = client.post(reverse("schools:import"), {"file": SimpleUploadedFile("s.csv", data)})
    assert schools.status_code == 400
    assert "上限は 1 MB です" in schools.content.decode()
    assert imports.importer("devices").size_problem(len(data)) is None
    assert imports.importer("traffic_usage").max_mb == 200


@pytest.mark.django_db
def test_a_commands_file_over_the_limit_fails_its_batch_before_a_row_is_read(
    settings, support_staff, school_a
):
    settings.IMPORT_MAX_MB = {**settings.IMPORT_MAX_MB, "support_log": 1}
    data = (HEADER + log_rows(30_000)).encode()
    batch = imports.batch_import(kind="support_log", file=io.BytesIO(data), by=COMMAND_LINE)
    assert batch.status == Status.FAILED
    assert len(batch.errors) == 1 and "上限は 1 MB です" in batch.errors[0]
    assert not SupportRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("eager_tasks")
def test_a_stored_batch_over_the_limit_is_refused_by_the_worker(
    settings, leader, support_staff, school_a, django_capture_on_commit_callbacks
):
    data = (HEADER + log_rows(30_000)).encode()
    settings.IMPORT_MAX_MB = {**settings.IMPORT_MAX_MB, "support_log": 1}
    with django_capture_on_commit_callbacks(execute=True):
        batch = imports.batch_start(
            kind="support_log", upload=SimpleUploadedFile("big.csv", data), by=leader
        )
    batch.refresh_from_db()
    assert batch.status == Status.FAILED
    assert "上限は 1 MB です" in batch.errors[0]
    assert not batch.file
    assert not SupportRecord.objects.exists()


# --- Identical rows in one file ----------------------------------------------------------------


@pytest.mark.django_db
def test_identical_rows_in_a_support_log_are_refused_row_numbered(
    client, leader, support_staff, school_a
):
    data = (
        HEADER
        + "2022-04-12,A001,訪問支援,support_staff,,iPad更新\n"
        + "2022-04-13,A001,訪問支援,support_staff,,iPad更新\n"
        + "２０２２-04-12,A001,訪問支援,support_staff,,iPad更新\n"  # row 2 again, full-width
    ).encode()
    client.force_login(leader)
    response = post_log(client, data)
    assert response.status_code == 400
    assert "4行目は2行目と同じ内容です。" in response.content.decode()
    assert not SupportRecord.objects.exists()


@pytest.mark.django_db
def test_identical_rows_in_a_device_events_file_are_refused(school_a):
    model = make_device_model()
    make_device(school=school_a, model=model, serial="DMP0001")
    make_device(school=school_a, model=model, serial="DMP0002")
    data = (
        "日付,シリアル番号,区分,原因\n"
        "2022-09-01,DMP0001,故障,\n"
        "2022-09-02,DMP0002,故障,\n"
        "2022-09-01,DMP0001,故障,\n"
    ).encode()
    with pytest.raises(TabularError) as refused:
        device_services.device_event_import(file=io.BytesIO(data))
    assert "4行目は2行目と同じ内容です。" in " ".join(refused.value.messages())
    assert not DeviceEvent.objects.exists()


# --- The chunked support-log import stays all or nothing ---------------------------------------


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 50 rows, so a small file is written in several."""
    monkeypatch.setattr(support_imports, "CHUNK_ROWS", 50)


@pytest.mark.django_db
@pytest.mark.usefixtures("small_chunks")
def test_a_bad_last_row_after_written_chunks_leaves_nothing(support_staff, leader, school_a):
    data = (HEADER + log_rows(200) + "2022-05-01,Z999,訪問支援,support_staff,,\n").encode()
    with CaptureQueriesContext(connection) as queries, pytest.raises(TabularError) as refused:
        support_imports.record_import(file=io.BytesIO(data), by=leader)
    inserts = [q for q in queries if q["sql"].startswith('INSERT INTO "support_supportrecord"')]
    assert len(inserts) == 4  # the four chunks before the bad row were written
    assert refused.value.messages()[0].startswith("202行目、列「学校コード」：")
    assert not SupportRecord.objects.exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("small_chunks")
def test_chunks_are_checked_against_records_kept_before_the_import_only(
    support_staff, leader, school_a
):
    # Rows 52 onwards repeat rows 2–51's date, school, kind and staff with another note:
    # not records kept before, so they are imported.
    data = (HEADER + log_rows(50) + log_rows(50, start=1000)).encode()
    assert support_imports.record_import(file=io.BytesIO(data), by=leader).created == 100
    # A later file with one row that matches a record now kept, in its third chunk.
    later = (
        HEADER
        + log_rows(120, start=5000).replace("訪問支援", "研修支援")
        + "2022-04-01,A001,訪問支援,support_staff,,別の記録\n"
    ).encode()
    with pytest.raises(TabularError) as refused:
        support_imports.record_import(file=io.BytesIO(later), by=leader)
    assert refused.value.messages() == [
        "122行目、列「日付」：同じ支援(日付・学校・区分・担当)が既に記録されています"
    ]
    assert SupportRecord.objects.count() == 100


@pytest.mark.django_db
def test_the_schools_import_in_chunks_is_all_or_nothing(monkeypatch):
    from gigaportal import services

    monkeypatch.setattr(services, "SCHOOL_CHUNK_ROWS", 10)
    body = "".join(f"E{n:04d},市立第{n}小学校,小学校\n" for n in range(45))
    good = ("学校コード,学校名,校種\n" + body).encode()
    bad = ("学校コード,学校名,校種\n" + body.replace("E", "J") + "J9999,最後,大学\n").encode()
    with pytest.raises(TabularError):
        services.school_import(file=io.BytesIO(bad))
    assert not School.objects.exists()
    assert services.school_import(file=io.BytesIO(good)).created == 45

"""Import batches (gigaportal/imports.py): one ImportBatch behind every imported file.
The same file twice is a no-op; a bad file is a failed batch that wrote nothing; a
large upload is queued for a worker and followed on its page; the sweep cleans up
after dead workers and lost messages; a stored upload never outlives its batch."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation

from gigaportal import imports, tasks
from gigaportal.imports import Importer, ImportResult
from gigaportal.models import ImportBatch, ObjectChange, School, User
from gigaportal.scope import COMMAND_LINE
from gigaportal.tabular import Column
from tests.factories import make_school

pytestmark = pytest.mark.django_db
Status = ImportBatch.Status

SCHOOLS = "学校コード,学校名,校種\nE101,青葉小学校,小学校\nJ101,第一中学校,中学校\n".encode()
USERS = (
    "ユーザー名,氏名,メール,役割,学校コード\n"
    "sato,佐藤 健,sato@center.example.jp,支援員,\n"
    "aoba_ict,田中 一郎,tanaka@e101.example.jp,学校,E101\n"
).encode()
BAD_SCHOOLS = (
    "学校コード,学校名,校種\nE101,青葉小学校,小学校\nE101,旭小学校,小学校\nU1,市立大学,大学\n"
).encode()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Stored uploads go to a directory of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def run(kind: str, data: bytes, by=COMMAND_LINE, name: str = "file.csv") -> ImportBatch:
    # Links to new users go out once the import has committed.
    with TestCase.captureOnCommitCallbacks(execute=True):
        return imports.batch_import(kind=kind, file=io.BytesIO(data), by=by, name=name)


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# --- The same file twice ------------------------------------------------------------------


def test_the_same_schools_file_twice_is_an_unchanged_batch_that_writes_nothing(leader):
    first = run("schools", SCHOOLS, by=leader, name="schools.csv")
    assert (first.status, first.created, first.updated) == (Status.DONE, 2, 0)
    assert len(first.sha256) == 64 and first.size == len(SCHOOLS)
    School.objects.filter(code="E101").update(name="青葉小学校(改称)")

    again = run("schools", SCHOOLS, by=COMMAND_LINE, name="copy-of-schools.csv")
    assert (again.status, again.created, again.updated) == (Status.UNCHANGED, 0, 0)
    assert again.sha256 == first.sha256
    assert again.details["same_as"]["batch"] == first.pk
    assert again.details["same_as"]["by"] == "高橋 美咲"
    assert School.objects.get(code="E101").name == "青葉小学校(改称)"  # not re-applied
    assert ObjectChange.objects.count() == 1  # the first batch only
    with translation.override("en"):
        message = imports.describe(again)
    when = timezone.localtime(first.finished_at)
    assert message == (
        f"This file was already imported on {when:%Y-%m-%d %H:%M} by 高橋 美咲; "
        "nothing was changed."
    )
    again.refresh_from_db()
    assert (
        again.status == Status.UNCHANGED
        and again.is_finished
        and imports.batch_progress(again)["percent"] == 100
    )


def test_the_same_users_file_twice_is_unchanged_too_and_mails_nobody_again(leader, mailoutbox):
    make_school(code="E101")
    first = run("users", USERS, by=leader)
    assert (first.status, first.created, first.details) == (Status.DONE, 2, {"links": 2})
    assert len(mailoutbox) == 2
    User.objects.filter(username="sato").update(full_name="佐藤 健太")
    mailoutbox.clear()

    again = run("users", USERS, by=leader)
    assert again.status == Status.UNCHANGED
    assert mailoutbox == []
    assert User.objects.get(username="sato").full_name == "佐藤 健太"


def test_only_an_applied_file_counts_as_already_imported():
    # Refused first (school E101 does not exist yet), the same file applies later.
    assert run("users", USERS).status == Status.FAILED
    make_school(code="E101")
    assert run("users", USERS).status == Status.DONE
    assert run("users", USERS).status == Status.UNCHANGED


def test_the_same_bytes_are_compared_per_kind_and_a_changed_file_applies():
    assert run("schools", SCHOOLS).status == Status.DONE
    changed = run("schools", SCHOOLS.replace("第一中学校".encode(), "第二中学校".encode()))
    assert (changed.status, changed.created, changed.updated) == (Status.DONE, 0, 2)
    assert School.objects.get(code="J101").name == "第二中学校"


# --- A bad file ---------------------------------------------------------------------------


def test_a_bad_file_is_a_failed_batch_with_row_numbered_errors_and_nothing_written(leader):
    with translation.override("en"):
        batch = run("schools", BAD_SCHOOLS, by=leader, name="bad.csv")
        assert imports.describe(batch) == "The file was refused; nothing was changed."
    assert batch.status == Status.FAILED
    assert batch.errors == [
        "Row 3, column 学校コード: E101 appears again (first on row 2)",
        "Row 4, column 校種: '大学' is not one of: 小学校 / elementary / 中学校 / junior_high "
        "/ 特別支援学校 / special_needs / 分校 / branch / 高等学校 / 高校 / high",
    ]
    assert batch.refused == 2
    assert (batch.created, batch.updated) == (0, 0)
    assert not School.objects.exists()
    assert not ObjectChange.objects.exists()
    stored = ImportBatch.objects.get()
    assert (stored.status, stored.errors, stored.file_name) == (
        Status.FAILED,
        batch.errors,
        "bad.csv",
    )
    assert stored.finished_at is not None


def test_an_importer_that_breaks_halfway_writes_nothing(monkeypatch):
    def breaks(*, file, by, options, progress):
        School.objects.create(code="HALF", name="途中", kind="elementary")
        raise RuntimeError("the disk is full")

    monkeypatch.setitem(
        imports.REGISTRY,
        "breaks",
        Importer(kind="breaks", title="breaks", columns=(Column("x", ()),), run=breaks),
    )
    with translation.override("en"):
        batch = run("breaks", b"x\n1\n")
    assert batch.status == Status.FAILED
    assert batch.errors == [
        "The import stopped with an unexpected error; nothing was imported. "
        "Please try again or ask the administrator."
    ]
    assert not School.objects.exists()
    assert not ObjectChange.objects.exists()


def test_an_importer_gets_the_options_and_reports_progress(monkeypatch):
    seen = {}

    def counts(*, file, by, options, progress):
        seen.update(options=options, by=by, data=file.read())
        progress(7, 70)
        return ImportResult(created=3, details={"lines": 7})

    monkeypatch.setitem(
        imports.REGISTRY,
        "counts",
        Importer(kind="counts", title="counts", columns=(), run=counts),
    )
    batch = imports.batch_import(
        kind="counts", file=io.BytesIO(b"abc"), by=COMMAND_LINE, options={"survey": "s1"}
    )
    assert seen == {"options": {"survey": "s1"}, "by": COMMAND_LINE, "data": b"abc"}
    assert (batch.status, batch.created, batch.details) == (Status.DONE, 3, {"lines": 7})
    with translation.override("en"):
        assert imports.describe(batch) == "Imported: 3 new, 0 updated."
    assert imports.batch_progress(batch)["rows"] == 7


# --- The upload page: small files now, large ones by a worker ---------------------------------


def upload(client, data: bytes, name="schools.csv", url="schools:import"):
    return client.post(
        reverse(url),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
        headers={"accept-language": "en"},
    )


def big_schools_file(rows: int = 25_000, last: str = "X1,最後の学校,小学校\n") -> bytes:
    # Long names: past the size of an import the browser waits for, with few rows.
    body = "".join(f"E{n:06d},{'市立' * 12}学校{n},小学校\n" for n in range(rows))
    data = ("学校コード,学校名,校種\n" + body + last).encode()
    assert len(data) > settings.IMPORT_INLINE_MAX_BYTES
    return data


def test_a_small_upload_is_imported_while_the_browser_waits(client, leader):
    client.force_login(leader)
    response = upload(client, SCHOOLS)
    assert response.status_code == 302
    assert response.url == reverse("schools:list")
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.by, batch.via, batch.file_name) == (
        Status.DONE,
        leader,
        ObjectChange.Via.WEB,
        "schools.csv",
    )
    assert batch.request_id == response["X-Request-ID"]
    # The same file again: the page says so and nothing changes.
    response = upload(client, SCHOOLS)
    assert response.status_code == 302
    page = client.get(response.url, headers={"accept-language": "en"}).content.decode()
    assert "This file was already imported on " in page
    assert ImportBatch.objects.filter(status=Status.UNCHANGED).count() == 1


def test_a_large_upload_is_a_queued_batch_whose_page_shows_it(client, leader, media):
    client.force_login(leader)
    response = upload(client, big_schools_file(), name="all-schools.csv")
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("imports:detail", args=[batch.pk])
    # The worker's message is published only once the upload has committed.
    assert batch.status == Status.QUEUED
    assert (batch.kind, batch.file_name, batch.by) == ("schools", "all-schools.csv", leader)
    assert batch.size > settings.IMPORT_INLINE_MAX_BYTES and not batch.sha256
    assert len(stored_files(media)) == 1
    assert not School.objects.exists()

    response = client.get(response.url, headers={"accept-language": "en"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "all-schools.csv" in page
    assert response.context["progress"]["status"] == Status.QUEUED
    assert response.context["progress"]["finished"] is False
    assert reverse("imports:status", args=[batch.pk]) in page

    status = client.get(reverse("imports:status", args=[batch.pk])).json()
    assert status["status"] == "queued" and status["finished"] is False
    assert status["percent"] == 0 and status["errors"] == []
    # And it is listed with the imports.
    listing = client.get(reverse("imports:list")).content.decode()
    assert "all-schools.csv" in listing


@pytest.mark.usefixtures("eager_tasks")
def test_the_worker_imports_a_queued_upload_and_its_page_reports_it(
    client, leader, media, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = upload(client, big_schools_file())
    assert len(callbacks) == 1  # the worker's message, after commit (run here, eagerly)
    batch = ImportBatch.objects.get()
    assert batch.status == Status.DONE
    assert School.objects.count() == 25_001
    assert len(batch.sha256) == 64
    status = client.get(
        reverse("imports:status", args=[batch.pk]), headers={"accept-language": "en"}
    ).json()
    assert set(status) >= {"status", "percent", "rows", "message", "errors", "finished"}
    assert (status["status"], status["percent"], status["finished"]) == ("done", 100, True)
    assert status["message"] == "25001 schools created, 0 updated."
    page = client.get(response.url, headers={"accept-language": "en"}).content.decode()
    assert status["message"] in page
    # One change-log entry for the whole file, as for a command.
    entry = ObjectChange.objects.get()
    assert (entry.by, entry.object_id) == (leader, str(batch.pk))
    assert stored_files(media) == []


@pytest.mark.usefixtures("eager_tasks")
def test_a_bad_large_upload_is_failed_with_its_errors_on_its_page(
    client, leader, media, django_capture_on_commit_callbacks
):
    client.force_login(leader)
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        response = upload(client, big_schools_file(last="X1,最後の学校,大学\n"))
    batch = ImportBatch.objects.get()
    assert batch.status == Status.FAILED
    assert batch.errors[0].startswith("Row 25002, column 校種:")
    assert not School.objects.exists()
    status = client.get(reverse("imports:status", args=[batch.pk])).json()
    assert status["finished"] is True and status["errors"] == batch.errors
    assert "Row 25002" in client.get(response.url).content.decode()
    assert stored_files(media) == []


def test_the_import_pages_are_the_leaders_and_admins(client, cast):
    batch = ImportBatch.objects.create(kind="schools", file_name="x.csv")
    for who, status in [
        ("support_staff", 403),
        ("school_a_user", 403),
        ("leader", 200),
        ("admin", 200),
    ]:
        client.force_login(cast[who])
        for url in (
            reverse("imports:list"),
            reverse("imports:detail", args=[batch.pk]),
            reverse("imports:status", args=[batch.pk]),
        ):
            assert client.get(url).status_code == status, (who, url)
    client.force_login(cast["leader"])
    assert client.get(reverse("imports:detail", args=[batch.pk + 1])).status_code == 404


# --- The worker's part and the sweep --------------------------------------------------------


def queued_batch(data: bytes = SCHOOLS, *, kind="schools", age=dt.timedelta(0), by=None):
    batch = ImportBatch(kind=kind, file_name="queued.csv", size=len(data), by=by)
    batch.file.save("queued.csv", ContentFile(data), save=False)
    batch.created_at = timezone.now() - age
    batch.save()
    return batch


def test_a_queued_batch_is_run_once_and_its_upload_deleted(media, leader):
    batch = queued_batch(by=leader)
    path = Path(batch.file.path)
    assert path.exists()
    assert imports.batch_run(batch_id=batch.pk) == Status.DONE
    assert imports.batch_run(batch_id=batch.pk) == "skipped"  # a redelivered message
    batch.refresh_from_db()
    assert (batch.status, batch.created, batch.file.name) == (Status.DONE, 2, "")
    assert not path.exists()
    assert stored_files(media) == []
    assert ObjectChange.objects.get().by == leader


@pytest.mark.parametrize(
    ("data", "status"),
    [(SCHOOLS, Status.UNCHANGED), (BAD_SCHOOLS, Status.FAILED)],
)
def test_the_upload_is_deleted_whatever_the_outcome(media, data, status):
    run("schools", SCHOOLS)
    batch = queued_batch(data)
    assert imports.batch_run(batch_id=batch.pk) == status
    batch.refresh_from_db()
    assert batch.status == status and batch.file.name == ""
    assert stored_files(media) == []


@pytest.mark.usefixtures("eager_tasks")
def test_the_sweep_fails_batches_whose_worker_died_and_republishes_lost_ones(settings, media):
    now = timezone.now()
    limit = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    dead = queued_batch()
    ImportBatch.objects.filter(pk=dead.pk).update(
        status=Status.RUNNING, started_at=now - limit - dt.timedelta(minutes=1)
    )
    dead_upload = Path(dead.file.path)
    busy = ImportBatch.objects.create(
        kind="schools", status=Status.RUNNING, started_at=now - dt.timedelta(minutes=1)
    )
    lost = queued_batch(age=imports.QUEUED_GRACE + dt.timedelta(minutes=1))
    fresh = queued_batch(SCHOOLS + "H101,市立高等学校,高校\n".encode())
    done = ImportBatch.objects.create(
        kind="users", status=Status.DONE, created_at=now - dt.timedelta(days=1)
    )

    with translation.override("en"):
        queued, died = imports.batches_sweep(now=now)
    assert (queued, died) == ([lost.pk], 1)
    dead.refresh_from_db()
    assert dead.status == Status.FAILED
    assert dead.finished_at == now
    assert dead.errors == [
        "The import did not finish (the worker stopped); nothing was imported. "
        "Please upload the file again."
    ]
    # Its worker never got to delete the upload: the sweep does.
    assert dead.file.name == "" and not dead_upload.exists()
    for untouched, status in [(busy, Status.RUNNING), (fresh, Status.QUEUED), (done, Status.DONE)]:
        untouched.refresh_from_db()
        assert untouched.status == status

    # The beat's task publishes the lost batch again; the (eager) worker runs it.
    assert tasks.sweep_import_batches() == 1
    lost.refresh_from_db()
    assert lost.status == Status.DONE
    assert School.objects.count() == 2
    fresh.refresh_from_db()
    assert fresh.status == Status.QUEUED  # within its grace: its own message is on its way


def test_the_progress_shows_the_live_figures_while_running():
    from django.core.cache import cache

    batch = ImportBatch.objects.create(kind="schools", status=Status.RUNNING, size=1000)
    cache.set(imports.PROGRESS_KEY.format(id=batch.pk), {"rows": 42, "bytes": 500})
    try:
        progress = imports.batch_progress(batch)
    finally:
        cache.delete(imports.PROGRESS_KEY.format(id=batch.pk))
    assert (progress["rows"], progress["percent"], progress["finished"]) == (42, 50, False)
    assert progress["message"] == ""


def test_the_database_refuses_a_second_applied_batch_of_one_file(require_postgres):
    from django.db import IntegrityError, transaction

    # An additive kind (a log) never applies one file twice; a kind that replaces may
    # (an earlier file again undoes a later one).
    ImportBatch.objects.create(kind="schools", sha256="b" * 64, status=Status.DONE)
    ImportBatch.objects.create(kind="schools", sha256="b" * 64, status=Status.DONE)
    ImportBatch.objects.create(kind="log", additive=True, sha256="a" * 64, status=Status.DONE)
    ImportBatch.objects.create(kind="log", additive=True, sha256="a" * 64, status=Status.UNCHANGED)
    ImportBatch.objects.create(kind="users", additive=True, sha256="a" * 64, status=Status.DONE)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportBatch.objects.create(kind="log", additive=True, sha256="a" * 64, status=Status.DONE)

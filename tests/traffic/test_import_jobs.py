"""Browser imports run by a worker never hang: a batch the broker never received is
published again by the beat sweep, a batch whose worker died is marked failed, and an
unexpected error is recorded as a failure with a message. Large usage uploads are
gigaportal.models.ImportBatch rows (kind "traffic_usage") run by
gigaportal.tasks.run_import_batch. PostgreSQL, the real Redis broker and a real
worker, as in test_reliability."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from gigaportal import imports
from gigaportal import tasks as portal_tasks
from gigaportal.models import ImportBatch
from tests.gigaportal.test_celery_worker import wait_for
from tests.traffic.test_reliability import broker_down
from traffic.models import MonthlyUsage

CSV = b"line_number,month,usage_gb\n070-8888-0001,2022-09,12.5\n070-8888-0002,2022-09,3\n"
KIND = "traffic_usage"


def status(batch: ImportBatch) -> str:
    return ImportBatch.objects.get(pk=batch.pk).status


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload(user, name: str = "usage.csv") -> ImportBatch:
    return imports.batch_start(kind=KIND, upload=SimpleUploadedFile(name, CSV), by=user)


def upload_while_the_broker_is_down(user) -> ImportBatch:
    with broker_down():
        batch = upload(user)
    assert status(batch) == ImportBatch.Status.QUEUED
    return batch


@pytest.mark.celery_worker
def test_a_batch_uploaded_while_the_broker_was_down_is_imported_after_the_sweep(
    celery_worker, media, leader
):
    batch = upload_while_the_broker_is_down(leader)
    # The broker is back. A batch queued for less than a minute may still be on its way.
    portal_tasks.sweep_import_batches.delay()
    assert not wait_for(lambda: status(batch) != ImportBatch.Status.QUEUED, seconds=3)

    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=2)
    )
    portal_tasks.sweep_import_batches.delay()
    assert wait_for(lambda: status(batch) == ImportBatch.Status.DONE, seconds=30)
    assert MonthlyUsage.objects.count() == 2
    # A second sweep, and the batch's original message arriving late, change nothing.
    portal_tasks.sweep_import_batches.delay()
    portal_tasks.run_import_batch.delay(batch.pk)
    assert not wait_for(lambda: MonthlyUsage.objects.count() != 2, seconds=3)
    assert status(batch) == ImportBatch.Status.DONE


@pytest.mark.celery_worker
def test_an_unexpected_error_fails_the_batch_with_a_message_and_imports_nothing(
    celery_worker, media, leader
):
    batch = upload_while_the_broker_is_down(leader)
    # The worker cannot read the stored upload (e.g. media not shared with the worker).
    batch.file.delete(save=False)
    portal_tasks.run_import_batch.delay(batch.pk)
    assert wait_for(lambda: status(batch) == ImportBatch.Status.FAILED, seconds=30)
    batch.refresh_from_db()
    assert batch.finished_at is not None
    [message] = batch.errors
    assert "予期しないエラー" in message
    assert not MonthlyUsage.objects.exists()


@pytest.mark.django_db
def test_an_unreadable_stored_upload_fails_its_batch_at_once(media, leader):
    """The same as above without a worker: what the task runs, called directly."""
    batch = upload(leader)
    batch.file.delete(save=False)
    assert imports.batch_run(batch_id=batch.pk) == ImportBatch.Status.FAILED
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED and batch.finished_at is not None
    [message] = batch.errors
    assert "予期しないエラー" in message
    assert not MonthlyUsage.objects.exists()


@pytest.mark.django_db
def test_a_batch_left_running_by_a_dead_worker_is_marked_failed_after_the_time_limit(
    media, leader, settings
):
    settings.CELERY_TASK_TIME_LIMIT = 600
    dead = upload(leader, "a.csv")
    alive = upload(leader, "b.csv")
    now = timezone.now()
    ImportBatch.objects.filter(pk=dead.pk).update(
        status=ImportBatch.Status.RUNNING, started_at=now - dt.timedelta(seconds=601)
    )
    ImportBatch.objects.filter(pk=alive.pk).update(
        status=ImportBatch.Status.RUNNING, started_at=now - dt.timedelta(seconds=599)
    )
    # The broker redelivers the dead worker's task: the claim is taken, it is skipped.
    assert imports.batch_run(batch_id=dead.pk) == "skipped"

    queued, failed = imports.batches_sweep(now=now)
    assert (queued, failed) == ([], 1)
    dead.refresh_from_db()
    assert dead.status == ImportBatch.Status.FAILED and dead.finished_at == now
    assert "取り込みが完了しませんでした" in dead.errors[0]
    assert status(alive) == ImportBatch.Status.RUNNING
    assert not MonthlyUsage.objects.exists()

"""Browser imports run by a worker never hang: a job the broker never received is
published again by the beat sweep, a job whose worker died is marked failed, and an
unexpected error is recorded as a failure with a message. PostgreSQL, the real Redis
broker and a real worker, as in test_reliability."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.gigaportal.test_celery_worker import wait_for
from tests.traffic.test_reliability import broker_down
from traffic import jobs, tasks
from traffic.models import ImportJob, MonthlyUsage

CSV = b"line_number,month,usage_gb\n070-8888-0001,2022-09,12.5\n070-8888-0002,2022-09,3\n"


def status(job: ImportJob) -> str:
    return ImportJob.objects.get(pk=job.pk).status


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def upload_while_the_broker_is_down(user) -> ImportJob:
    with broker_down():
        job = jobs.import_job_create(upload=SimpleUploadedFile("usage.csv", CSV), user=user)
    assert status(job) == ImportJob.Status.QUEUED
    return job


@pytest.mark.celery_worker
def test_a_job_uploaded_while_the_broker_was_down_is_imported_after_the_sweep(
    celery_worker, media, leader
):
    job = upload_while_the_broker_is_down(leader)
    # The broker is back. A job queued for less than a minute may still be on its way.
    tasks.sweep_undelivered.delay()
    assert not wait_for(lambda: status(job) != ImportJob.Status.QUEUED, seconds=3)

    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(minutes=2))
    tasks.sweep_undelivered.delay()
    assert wait_for(lambda: status(job) == ImportJob.Status.DONE, seconds=30)
    assert MonthlyUsage.objects.count() == 2
    # A second sweep, and the job's original message arriving late, change nothing.
    tasks.sweep_undelivered.delay()
    tasks.import_usage_job.delay(job.pk)
    assert not wait_for(lambda: MonthlyUsage.objects.count() != 2, seconds=3)
    assert status(job) == ImportJob.Status.DONE


@pytest.mark.celery_worker
def test_an_unexpected_error_fails_the_job_with_a_message_and_imports_nothing(
    celery_worker, media, leader
):
    job = upload_while_the_broker_is_down(leader)
    # The worker cannot read the stored upload (e.g. media not shared with the worker).
    job.file.delete(save=False)
    tasks.import_usage_job.delay(job.pk)
    assert wait_for(lambda: status(job) == ImportJob.Status.FAILED, seconds=30)
    job.refresh_from_db()
    assert job.finished_at is not None
    [message] = job.errors
    assert "予期しないエラー" in message
    assert not MonthlyUsage.objects.exists()


@pytest.mark.django_db
def test_a_job_left_running_by_a_dead_worker_is_marked_failed_after_the_time_limit(
    media, leader, settings
):
    settings.CELERY_TASK_TIME_LIMIT = 600
    dead = jobs.import_job_create(upload=SimpleUploadedFile("a.csv", CSV), user=leader)
    alive = jobs.import_job_create(upload=SimpleUploadedFile("b.csv", CSV), user=leader)
    now = timezone.now()
    ImportJob.objects.filter(pk=dead.pk).update(
        status=ImportJob.Status.RUNNING, started_at=now - dt.timedelta(seconds=601)
    )
    ImportJob.objects.filter(pk=alive.pk).update(
        status=ImportJob.Status.RUNNING, started_at=now - dt.timedelta(seconds=599)
    )
    # The broker redelivers the dead worker's task: the claim is taken, it is skipped.
    assert jobs.import_job_run(job_id=dead.pk) == "skipped"

    queued, failed = jobs.import_jobs_sweep(now=now)
    assert (queued, failed) == ([], 1)
    dead.refresh_from_db()
    assert dead.status == ImportJob.Status.FAILED and dead.finished_at == now
    assert "取り込みが完了しませんでした" in dead.errors[0]
    assert status(alive) == ImportJob.Status.RUNNING
    assert not MonthlyUsage.objects.exists()

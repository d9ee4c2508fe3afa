"""Large uploads imported by a worker, with progress the page can poll."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal.tabular import TabularError
from traffic import services
from traffic.models import ImportJob

logger = logging.getLogger(__name__)

PROGRESS_KEY = "traffic:import-job:{id}"
# A job still queued after this was probably never published (broker down at upload):
# the sweep publishes it again. Running it twice is harmless (the claim below).
QUEUED_GRACE = dt.timedelta(minutes=1)


def import_job_create(*, upload, user) -> ImportJob:
    """Stores the upload and queues its import after commit."""
    from traffic import tasks

    with transaction.atomic():
        job = ImportJob(original_name=upload.name[:255], size=upload.size, created_by=user)
        job.file.save(f"{timezone.now():%Y%m%d%H%M%S}.csv", upload, save=False)
        job.save()
        transaction.on_commit(lambda: services.enqueue(tasks.import_usage_job, job.id))
    return job


def job_progress(job: ImportJob) -> dict:
    """What the page shows: the live figure (from the cache, written while the import's
    transaction is still open) or the job row's final state."""
    live = cache.get(PROGRESS_KEY.format(id=job.id)) or {}
    rows = live.get("rows", job.rows)
    bytes_read = live.get("bytes", job.bytes_read)
    if job.status == ImportJob.Status.DONE:
        percent = 100
    elif job.size:
        percent = min(99, int(bytes_read * 100 / job.size))
    else:
        percent = 0
    return {
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "rows": rows,
        "percent": percent,
        "months": job.months,
        "errors": job.errors,
    }


def import_job_run(*, job_id: int) -> str:
    """Claims a queued job, imports its file and records the outcome."""
    claimed = ImportJob.objects.filter(id=job_id, status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    job = ImportJob.objects.get(id=job_id)
    key = PROGRESS_KEY.format(id=job.id)

    def progress(rows: int, bytes_read: int) -> None:
        cache.set(key, {"rows": rows, "bytes": bytes_read}, 60 * 60)

    try:
        with job.file.open("rb") as binary:
            result = services.usage_import_file(file=binary, progress=progress)
    except TabularError as exc:
        ImportJob.objects.filter(id=job.id).update(
            status=ImportJob.Status.FAILED, errors=exc.messages(), finished_at=timezone.now()
        )
        return "failed"
    except Exception:
        # The import is one transaction, already rolled back: nothing was written.
        # Record the failure so the page stops waiting; the traceback goes to the log.
        logger.exception("traffic import job %s failed", job.id)
        ImportJob.objects.filter(id=job.id).update(
            status=ImportJob.Status.FAILED,
            errors=[
                _(
                    "The import stopped with an unexpected error; nothing was imported. "
                    "Please upload the file again or ask the administrator."
                )
            ],
            finished_at=timezone.now(),
        )
        return "failed"
    ImportJob.objects.filter(id=job.id).update(
        status=ImportJob.Status.DONE,
        rows=result.rows,
        bytes_read=job.size,
        months=[str(month) for month in result.months],
        finished_at=timezone.now(),
    )
    job.file.delete(save=False)
    return "done"


def import_jobs_sweep(*, now: dt.datetime | None = None) -> tuple[list[int], int]:
    """For the beat sweep: the queued jobs to publish again (their message was never
    sent, e.g. the broker was down at upload) and the number of running jobs marked
    failed because they outlived the task time limit (their worker died: Celery would
    have stopped the task by then, and its transaction was rolled back)."""
    now = now or timezone.now()
    limit = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    dead = ImportJob.objects.filter(
        status=ImportJob.Status.RUNNING, started_at__lt=now - limit
    ).update(
        status=ImportJob.Status.FAILED,
        errors=[
            _(
                "The import did not finish (the worker stopped); nothing was imported. "
                "Please upload the file again."
            )
        ],
        finished_at=now,
    )
    queued = list(
        ImportJob.objects.filter(
            status=ImportJob.Status.QUEUED, created_at__lt=now - QUEUED_GRACE
        ).values_list("id", flat=True)
    )
    return queued, dead

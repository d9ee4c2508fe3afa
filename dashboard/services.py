"""Report packs: asked for by a person or a command (one change-log entry), made by a
worker that claims the pack, writes both files and reports its progress."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboard import pack as pack_sections
from dashboard.models import ReportPack
from gigaportal import changelog
from gigaportal.calendar import Month
from gigaportal.outbox import enqueue, enqueue_on_commit
from gigaportal.scope import COMMAND_LINE, SYSTEM

logger = logging.getLogger(__name__)

TASK = "dashboard.tasks.make_report_pack"
Status = ReportPack.Status


class PackError(ValueError):
    """A pack that cannot be asked for (a month outside the fiscal year)."""


def pack_request(*, by, fiscal_year: int, end: Month, enqueue: bool = True) -> ReportPack:
    """1. Check the period; 2. save the pack and its log entry in one transaction;
    3. publish the worker's task once that commits (in-process without a broker)."""
    if end.fiscal_year() != fiscal_year:
        raise PackError(
            _("%(month)s is not in fiscal year %(year)s.") % {"month": end, "year": fiscal_year}
        )
    user_id, name, _via = changelog.actor(by)
    with transaction.atomic():
        pack = ReportPack.objects.create(
            requested_by_id=user_id,
            requested_by_name=name,
            fiscal_year=fiscal_year,
            end_month=str(end),
        )
        changelog.record(
            by=by,
            action=changelog.Action.CREATE,
            obj=pack,
            changes={"fiscal_year": [None, fiscal_year], "end_month": [None, str(end)]},
        )
        if enqueue:
            enqueue_on_commit(TASK, [pack.pk])
    return pack


def pack_make(*, pack_id: int, operator=SYSTEM) -> str:
    """Makes the pack's two files; safe to run twice (the pack is claimed first, and a
    second run finds it claimed and does nothing)."""
    now = timezone.now()
    claimed = ReportPack.objects.filter(pk=pack_id, status=Status.QUEUED).update(
        status=Status.RUNNING, started_at=now, progress=1
    )
    if claimed != 1:
        return "not claimed"
    pack = ReportPack.objects.get(pk=pack_id)
    try:
        pdf, xlsx = pack_files(pack=pack, operator=operator)
        pack.pdf.save(f"pack-{pack.pk}-{pack.end_month}.pdf", ContentFile(pdf), save=False)
        pack.xlsx.save(f"pack-{pack.pk}-{pack.end_month}.xlsx", ContentFile(xlsx), save=False)
        ReportPack.objects.filter(pk=pack.pk).update(
            pdf=pack.pdf.name,
            xlsx=pack.xlsx.name,
            status=Status.DONE,
            progress=100,
            step="",
            finished_at=timezone.now(),
        )
    except Exception:
        # The files are written only when both are made: a failed pack has none.
        logger.exception("report pack %s failed", pack_id)
        ReportPack.objects.filter(pk=pack.pk).update(
            status=Status.FAILED,
            finished_at=timezone.now(),
            error=_("The pack could not be made; the error was logged. Please try again."),
        )
        return Status.FAILED
    return Status.DONE


def pack_files(*, pack: ReportPack, operator=COMMAND_LINE) -> tuple[bytes, bytes]:
    """The PDF and the workbook of a pack, progress saved on the pack as it goes."""
    from gigaportal.reports.pdf import pdf_bytes
    from gigaportal.reports.workbook import pack_xlsx_bytes

    def step(heading: str) -> None:
        # Reading the reports is the first half of the work, writing the files the rest.
        _save_progress(pack, min(45, pack.progress + 4), heading)

    sections = pack_sections.sections(
        user=operator, fiscal_year=pack.fiscal_year, end=pack.end, progress=step
    )
    title = _("Committee papers")
    as_of = pack_sections.as_of_date(end=pack.end, today=timezone.localdate())
    made_by = pack.requested_by_name

    def written(done: int, total: int) -> None:
        _save_progress(pack, 50 + int(40 * done / total), _("Writing the PDF"))

    pdf = pdf_bytes(
        sections,
        title=title,
        period_label=pack.period_label,
        as_of=as_of,
        made_by=made_by,
        progress=written,
    )
    _save_progress(pack, 92, _("Writing the Excel workbook"))
    cover = [
        (_("Title"), title),
        (_("Period"), pack.period_label),
        (_("As of"), as_of.isoformat()),
        (_("Made by"), made_by),
    ]
    xlsx = pack_xlsx_bytes(sections, cover=cover)
    return pdf, xlsx


# A pack still queued after this was probably never published (the broker was down
# when it was asked for): the sweep publishes it again. Making it twice is harmless
# (the claim).
QUEUED_GRACE = dt.timedelta(minutes=1)


def packs_sweep(*, now: dt.datetime | None = None) -> tuple[list[int], int]:
    """For the beat: the queued packs to publish again, and how many packs being made
    were marked failed because they outlived the task time limit (their worker died
    before it wrote the files; the leader is told to make the pack again)."""
    now = now or timezone.now()
    limit = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    stopped = ReportPack.objects.filter(status=Status.RUNNING, started_at__lt=now - limit)
    error = _("The pack was not finished (the worker stopped). Please make it again.")
    with transaction.atomic():
        packs = list(stopped.select_for_update(skip_locked=True))
        ReportPack.objects.filter(pk__in=[p.pk for p in packs]).update(
            status=Status.FAILED, finished_at=now, error=error
        )
        changelog.record_many(
            by=SYSTEM,
            action=changelog.Action.UPDATE,
            objs=packs,
            changes_of=lambda pack: {"status": [Status.RUNNING.value, Status.FAILED.value]},
        )
    dead = len(packs)
    queued = list(
        ReportPack.objects.filter(
            status=Status.QUEUED, created_at__lt=now - QUEUED_GRACE
        ).values_list("pk", flat=True)
    )
    return queued, dead


def packs_publish(pack_ids: list[int]) -> None:
    if pack_ids:
        enqueue(TASK, list(pack_ids))


def _save_progress(pack: ReportPack, percent: int, step: str) -> None:
    pack.progress = percent
    if pack.pk:
        ReportPack.objects.filter(pk=pack.pk).update(progress=percent, step=str(step)[:200])

"""Import batches: one ImportBatch behind every import of a file, whatever the kind.

Each app registers what it imports:

    imports.register(imports.Importer(
        kind="devices", title=_("Import devices"), columns=DEVICE_COLUMNS,
        run=device_import, help_text=..., success_url="devices:list"))

where `run(*, file, by, options, progress) -> ImportResult` reads the file through the
shared reader, raises TabularError with row-numbered reasons for a bad one (writing
nothing then), and may call `progress(rows, bytes_read)` as it goes.

A browser upload goes through `batch_upload(…)`: a file up to
settings.IMPORT_INLINE_MAX_BYTES is imported at once (`batch_import`), a larger one is
stored (`batch_start`) and imported by a worker (`batch_run`), in the uploader's
language. A file over its kind's limit (`Importer.max_bytes`, settings.IMPORT_MAX_MB)
is refused by the page's form, and again by the batch (a command's file). Commands call
`batch_import(kind=…, file=…, by=…)`. Both go through `_apply`:

1. The file's SHA-256 is compared with the batches of its kind already applied: the
   same file twice changes nothing (status "already imported"), everywhere alike; a
   unique index keeps two simultaneous uploads of one file from both applying.
2. The importer runs in one transaction with the batch's own row: all or nothing.
3. One change-log entry records the batch (who, the file, its digest, the counts),
   never one entry per row, so the COPY and bulk paths keep their speed.
4. A stored upload is deleted when its batch ends, whatever the outcome.

A *preview* kind (`Importer.preview`, the survey import's check before saving) runs the
same way, by a worker for a large file, with the same progress page, but its run writes
nothing: it returns what the import would do, kept on its batch for its uploader only.
It is never compared with earlier files, has no change-log entry, and its batch keeps
the stored upload (the import that follows reads it) until a day has passed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal import changelog, outbox
from gigaportal.models import ImportBatch
from gigaportal.tabular import Column, TabularError

logger = logging.getLogger(__name__)

HASH_CHUNK = 1 << 20
PROGRESS_KEY = "import-batch:{id}"
# A batch still queued after this was probably never published (broker down at
# upload): the sweep publishes it again. Running it twice is harmless (the claim).
QUEUED_GRACE = dt.timedelta(minutes=1)
RUN_TASK = "gigaportal.tasks.run_import_batch"
# How long a finished preview keeps its stored upload for the import that follows it.
PREVIEW_KEPT = dt.timedelta(days=1)
UNEXPECTED = gettext_lazy(
    "The import stopped with an unexpected error; nothing was imported. "
    "Please try again or ask the administrator."
)


@dataclass(frozen=True)
class ImportResult:
    """What an import did: rows created and updated, and what else its kind reports."""

    created: int = 0
    updated: int = 0
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.created + self.updated


@dataclass(frozen=True)
class Importer:
    kind: str
    title: Any
    columns: Sequence[Column]
    run: Callable[..., ImportResult]
    help_text: Any = ""
    success_url: str = "home"
    # Its rows add to what is there (a log, ledger events): the same file must never be
    # applied twice. Otherwise it replaces, and only a repeat of the last file is a no-op.
    additive: bool = False
    # How the page words a result (a default for "N new, M updated").
    describe: Callable[[ImportResult], str] | None = None
    # What the page must warn about in a result that was applied (each a sentence,
    # in the reader's language): shown apart from the result, as warnings.
    warnings: Callable[[ImportResult], list[str]] | None = None
    # What a file goes into, when the kind has several (a survey's respondent group),
    # from the import's options: a repeat is the same file into the same target.
    target: Callable[[Mapping], str] | None = None
    # A dry run (see the module's docstring): its result is kept on the batch for its
    # uploader, and the browser goes on to `result_url(batch)` once it is done.
    preview: bool = False
    result_url: Callable[[ImportBatch], str] | None = None
    # The kind whose size limit this one shares (a preview has its import's).
    size_kind: str = ""

    @property
    def max_bytes(self) -> int:
        """The largest file this kind accepts (settings.IMPORT_MAX_MB)."""
        return self.max_mb * 1024 * 1024

    @property
    def max_mb(self) -> int:
        kind = self.size_kind or self.kind
        return settings.IMPORT_MAX_MB.get(kind, settings.IMPORT_MAX_MB_DEFAULT)

    def size_problem(self, size: int) -> str | None:
        """The page's and the batch's message for a file over this kind's limit."""
        if size <= self.max_bytes:
            return None
        return _(
            "The file is %(size)s MB; %(title)s accepts files of at most %(limit)s MB. "
            "Split it into smaller files and import them one after another."
        ) % {
            "size": f"{size / (1024 * 1024):,.1f}",
            "title": self.title,
            "limit": self.max_mb,
        }


REGISTRY: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    REGISTRY[importer.kind] = importer
    return importer


def importer(kind: str) -> Importer:
    if kind not in REGISTRY:
        _discover()
    return REGISTRY[kind]


def preview_kinds() -> list[str]:
    """The kinds whose batches are previews (listed apart from what came in)."""
    _discover()
    return [kind for kind, entry in REGISTRY.items() if entry.preview]


def _discover() -> None:
    """Each app registers its importers in its services module."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("services")


def describe(batch: ImportBatch) -> str:
    """The outcome in a sentence, for the page and the command."""
    if batch.status == ImportBatch.Status.UNCHANGED:
        earlier = batch.details.get("same_as") or {}
        return _("This file was already imported on %(date)s by %(user)s; nothing was changed.") % {
            "date": earlier.get("date", ""),
            "user": earlier.get("by", ""),
        }
    if batch.status == ImportBatch.Status.FAILED:
        return _("The file was refused; nothing was changed.")
    if batch.kind not in REGISTRY:
        _discover()
    entry = REGISTRY.get(batch.kind)
    result = ImportResult(batch.created, batch.updated, batch.details)
    if entry and entry.describe:
        return entry.describe(result)
    return _("Imported: %(created)s new, %(updated)s updated.") % {
        "created": batch.created,
        "updated": batch.updated,
    }


def warnings(batch: ImportBatch) -> list[str]:
    """The importer's warnings about an applied batch (none for the others)."""
    if batch.status != ImportBatch.Status.DONE:
        return []
    if batch.kind not in REGISTRY:
        _discover()
    entry = REGISTRY.get(batch.kind)
    if entry is None or entry.warnings is None:
        return []
    return [
        str(w) for w in entry.warnings(ImportResult(batch.created, batch.updated, batch.details))
    ]


# --- Cell checks every importer shares ----------------------------------------------------


def unknown_school(code: str) -> str:
    """The one wording, in every import, for a school code nobody has."""
    return _("no school has the code %(code)s") % {"code": code}


# --- Running a batch --------------------------------------------------------------------


def file_digest(binary: IO[bytes]) -> tuple[str, int]:
    """SHA-256 and size of a seekable file, read in chunks; the file is rewound."""
    digest = hashlib.sha256()
    size = 0
    binary.seek(0)
    while chunk := binary.read(HASH_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    binary.seek(0)
    return digest.hexdigest(), size


def _new_batch(*, kind: str, name: str, by, options: Mapping | None) -> ImportBatch:
    user_id, by_name, via = changelog.actor(by)
    entry = importer(kind)
    return ImportBatch(
        kind=kind,
        target=str(entry.target(options or {}))[:200] if entry.target else "",
        additive=entry.additive,
        file_name=str(name or "")[-255:],
        by_id=user_id,
        by_name=by_name,
        via=via,
        request_id=changelog.current().request_id,
        options=dict(options or {}),
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )


def batch_upload(*, kind: str, upload, by, options: Mapping | None = None) -> ImportBatch:
    """A browser upload: imported now if it is small enough to finish while the browser
    waits (settings.IMPORT_INLINE_MAX_BYTES), else stored and queued for a worker (its
    page follows the progress). The web request never holds a worker for long. A
    preview's upload is stored either way: the import after it reads it again."""
    inline = upload.size <= settings.IMPORT_INLINE_MAX_BYTES
    if importer(kind).preview:
        batch = batch_start(kind=kind, upload=upload, by=by, options=options, enqueue=not inline)
        if inline:
            batch_run(batch_id=batch.pk)
            batch.refresh_from_db()
        return batch
    if not inline:
        return batch_start(kind=kind, upload=upload, by=by, options=options)
    return batch_import(kind=kind, file=upload, by=by, name=upload.name, options=options)


def batch_import(
    *, kind: str, file: IO[bytes], by, name: str = "", options: Mapping | None = None
) -> ImportBatch:
    """Imports a file now (a command, a small upload) and returns its finished batch:
    done, unchanged (the same file as before) or failed with `errors`."""
    batch = _new_batch(kind=kind, name=name or getattr(file, "name", ""), by=by, options=options)
    batch.sha256, batch.size = file_digest(file)
    batch.status = ImportBatch.Status.RUNNING
    batch.started_at = timezone.now()
    batch.save()
    if _refused_for_size(batch):
        return batch
    return _apply(batch, file, by)


def _refused_for_size(batch: ImportBatch) -> bool:
    """A file over its kind's limit (a command's, or one that bypassed the page's form)
    fails its batch at once, before a row is read."""
    problem = importer(batch.kind).size_problem(batch.size)
    if problem is None:
        return False
    if batch.file:
        batch.file.delete(save=False)
    _finish(batch, ImportBatch.Status.FAILED, errors=[problem])
    return True


def batch_start(
    *, kind: str, upload, by, options: Mapping | None = None, enqueue: bool = True
) -> ImportBatch:
    """Stores a browser upload and queues it for a worker, after commit (`enqueue`
    False: the caller runs it at once with batch_run)."""
    with transaction.atomic():
        batch = _new_batch(kind=kind, name=upload.name, by=by, options=options)
        batch.size = upload.size
        batch.file.save(f"{timezone.now():%Y%m%d%H%M%S}-{kind}.csv", upload, save=False)
        batch.save()
        if enqueue:
            # run_import_batch takes one batch id (enqueue_on_commit would pass a list).
            batch_id = batch.pk
            transaction.on_commit(lambda: outbox.enqueue(RUN_TASK, batch_id), robust=True)
    return batch


def batch_run(*, batch_id: int) -> str:
    """The worker's part: claims a queued batch and applies its stored file. A stored
    file that cannot be read fails the batch at once, with the same message as any
    unexpected error (the traceback goes to the log)."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.QUEUED).update(
        status=ImportBatch.Status.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return "skipped"
    batch = ImportBatch.objects.select_related("by").get(pk=batch_id)
    by = batch.by or _operator_of(batch)
    # Row messages in the uploader's language, whichever the worker runs in.
    with (
        translation.override(batch.language or settings.LANGUAGE_CODE),
        changelog.context(via=batch.via, request_id=batch.request_id),
    ):
        try:
            binary = batch.file.open("rb")
        except Exception:
            logger.exception("import batch %s: its stored file cannot be read", batch.pk)
            _finish(batch, ImportBatch.Status.FAILED, errors=[str(UNEXPECTED)], file="")
            return batch.status
        with binary:
            batch.sha256, batch.size = file_digest(binary)
            ImportBatch.objects.filter(pk=batch.pk).update(sha256=batch.sha256, size=batch.size)
            if _refused_for_size(batch):
                return batch.status
            batch = _apply(batch, binary, by)
    return batch.status


def batch_release(batch: ImportBatch, *, followed_by: ImportBatch | None = None) -> None:
    """A finished preview lets go of its stored upload (the batch after it, `followed_by`,
    has its own copy, or nobody will confirm it). What it quoted of the file (column
    samples, cells in errors) goes with the file; the batch that followed is kept, so a
    second click on the same preview is sent to it."""
    if batch.file:
        # Once the caller's transaction commits: rolled back, the preview still names
        # its file and can be confirmed again.
        storage, name = batch.file.storage, batch.file.name
        transaction.on_commit(lambda: storage.delete(name))
    details = {"followed_by": followed_by.pk} if followed_by is not None else {}
    ImportBatch.objects.filter(pk=batch.pk).update(file="", details=details, errors=[])


def _operator_of(batch: ImportBatch):
    from gigaportal.scope import COMMAND_LINE, SYSTEM

    return COMMAND_LINE if batch.via == changelog.Via.COMMAND else SYSTEM


def _progress_callback(batch: ImportBatch) -> Callable[[int, int], None]:
    """Live figures for the waiting page (the import's transaction is still open, so
    they go to the cache); the last ones are kept on the batch when it ends."""
    key = PROGRESS_KEY.format(id=batch.pk)

    def progress(rows: int, bytes_read: int) -> None:
        batch.rows_read = rows
        cache.set(key, {"rows": rows, "bytes": bytes_read}, 60 * 60)

    return progress


def _apply(batch: ImportBatch, file: IO[bytes], by) -> ImportBatch:
    entry = importer(batch.kind)
    # A finished batch no longer names its upload (see _finish); the stored bytes are
    # deleted once it has finished, whatever the outcome, but for a preview that could
    # be made: it keeps them for the import after it.
    stored = batch.file.name if batch.file else ""
    storage = batch.file.storage
    keep = False
    try:
        if entry.preview:
            keep = _preview_done(batch, file, by, entry)
            return batch
        earlier = _earlier(batch)
        if earlier is not None:
            return _finish_unchanged(batch, earlier)
        try:
            with transaction.atomic():
                result = entry.run(
                    file=file, by=by, options=batch.options, progress=_progress_callback(batch)
                )
                _finish_done(batch, result, by)
        except IntegrityError:
            # The same file applied by somebody else a moment ago (import_applied_once).
            earlier = _earlier(batch)
            if earlier is None:
                raise
            return _finish_unchanged(batch, earlier)
    except TabularError as exc:
        _finish(batch, ImportBatch.Status.FAILED, errors=exc.messages(), refused=len(exc.errors))
    except Exception:
        # The import is one transaction, already rolled back: nothing was written.
        # The page and the command say so; the traceback goes to the log.
        logger.exception("import batch %s (%s) failed", batch.pk, batch.kind)
        _finish(batch, ImportBatch.Status.FAILED, errors=[str(UNEXPECTED)])
    finally:
        if stored and not keep:
            storage.delete(stored)
            ImportBatch.objects.filter(pk=batch.pk).exclude(file="").update(file="")
    return batch


def _preview_done(batch: ImportBatch, file: IO[bytes], by, entry: Importer) -> bool:
    """A preview's run: never "already imported", no change-log entry, and its own
    transaction, rolled back (a preview writes nothing but its batch). Once made, it
    keeps its upload for the import after it: returns True. Raises as a run does."""
    with transaction.atomic():
        result = entry.run(
            file=file, by=by, options=batch.options, progress=_progress_callback(batch)
        )
        transaction.set_rollback(True)
    batch.rows_read = batch.rows_read or result.created
    _finish(
        batch,
        ImportBatch.Status.DONE,
        created=result.created,
        details=changelog.readable(result.details),
        file=batch.file.name if batch.file else "",
    )
    return True


def _earlier(batch: ImportBatch) -> ImportBatch | None:
    """The applied batch this file repeats, if applying it again would change nothing:
    any earlier one for an additive kind, the last one applied for the others."""
    if not batch.sha256:
        return None
    applied = ImportBatch.objects.filter(
        kind=batch.kind, target=batch.target, status=ImportBatch.Status.DONE
    ).exclude(pk=batch.pk)
    if batch.additive:
        return applied.filter(sha256=batch.sha256).first()
    last = applied.order_by("-finished_at", "-pk").first()
    return last if last is not None and last.sha256 == batch.sha256 else None


def _finish(batch: ImportBatch, status: str, **values) -> None:
    # The upload is let go in the same write that ends the batch, so nobody sees a
    # finished batch that still names its file.
    values.setdefault("file", "")
    values.update(
        status=status, finished_at=timezone.now(), bytes_read=batch.size, rows_read=batch.rows_read
    )
    for name, value in values.items():
        setattr(batch, name, value)
    ImportBatch.objects.filter(pk=batch.pk).update(**values)


def _finish_unchanged(batch: ImportBatch, earlier: ImportBatch) -> ImportBatch:
    when = timezone.localtime(earlier.finished_at or earlier.created_at)
    _finish(
        batch,
        ImportBatch.Status.UNCHANGED,
        details={
            "same_as": {
                "batch": earlier.pk,
                "date": f"{when:%Y-%m-%d %H:%M}",
                "by": earlier.by_display,
            }
        },
    )
    return batch


def _finish_done(batch: ImportBatch, result: ImportResult, by) -> None:
    """Inside the import's transaction: the batch applied, and its one log entry."""
    batch.rows_read = batch.rows_read or result.created + result.updated
    _finish(
        batch,
        ImportBatch.Status.DONE,
        created=result.created,
        updated=result.updated,
        details=changelog.readable(result.details),
    )
    changelog.record(
        by=by,
        action=changelog.Action.IMPORT,
        obj=batch,
        changes={
            "kind": [None, batch.kind],
            "file_name": [None, batch.file_name],
            "sha256": [None, batch.sha256],
            "created": [None, batch.created],
            "updated": [None, batch.updated],
        },
    )


# --- Progress and the sweep ----------------------------------------------------------------


def batch_progress(batch: ImportBatch) -> dict:
    """What a waiting page shows: the live figures (written to the cache while the
    import's transaction is still open) or the batch's final state."""
    live = cache.get(PROGRESS_KEY.format(id=batch.pk)) or {}
    bytes_read = live.get("bytes", batch.bytes_read)
    if batch.is_finished:
        percent = 100
    elif batch.size:
        percent = min(99, int(bytes_read * 100 / batch.size))
    else:
        percent = 0
    entry = REGISTRY.get(batch.kind)
    preview = entry is not None and entry.preview
    done = batch.status == ImportBatch.Status.DONE
    return {
        "status": batch.status,
        "status_label": str(batch.get_status_display()),
        "finished": batch.is_finished,
        "rows": live.get("rows", batch.rows_read),
        "percent": percent,
        "message": describe(batch) if batch.is_finished else "",
        "warnings": warnings(batch) if batch.is_finished else [],
        "errors": batch.errors,
        # A preview's result is shown on its own page (it may quote free-text answers).
        "details": {} if preview else batch.details,
        # Where the browser goes on once the batch is done (a preview's page).
        "next_url": entry.result_url(batch) if done and entry and entry.result_url else "",
    }


def batches_sweep(*, now: dt.datetime | None = None) -> tuple[list[int], int]:
    """For the beat: the queued batches to publish again (their message never left:
    the broker was down at upload) and how many running batches were marked failed
    because they outlived the task time limit (their worker died; the import's
    transaction was rolled back with it)."""
    now = now or timezone.now()
    limit = dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    # A worker's batch still has its stored upload while it runs; a command's import
    # has none and runs as long as it takes, in its own process.
    stopped = ImportBatch.objects.filter(
        status=ImportBatch.Status.RUNNING, started_at__lt=now - limit
    ).exclude(file="")
    # Their worker never reached _apply's cleanup: the stored upload ends with them.
    for batch in stopped:
        batch.file.delete(save=False)
    dead = stopped.update(
        status=ImportBatch.Status.FAILED,
        errors=[
            _(
                "The import did not finish (the worker stopped); nothing was imported. "
                "Please upload the file again."
            )
        ],
        finished_at=now,
        file="",
    )
    # A preview keeps its upload for the import after it, a day at most.
    kept = ImportBatch.objects.filter(
        status__in=[ImportBatch.Status.DONE, ImportBatch.Status.FAILED],
        finished_at__lt=now - PREVIEW_KEPT,
    ).exclude(file="")
    for batch in kept:
        batch.file.delete(save=False)
    kept.update(file="", details={}, errors=[])
    queued = list(
        ImportBatch.objects.filter(
            status=ImportBatch.Status.QUEUED, created_at__lt=now - QUEUED_GRACE
        ).values_list("pk", flat=True)
    )
    return queued, dead


def uploads_sweep(*, now: dt.datetime | None = None) -> int:
    """Deletes stored uploads that no batch names, once a day old: a request whose
    transaction rolled back after it stored an upload (a failure while its page was
    made) took the batch row with it, not the file. Returns how many went."""
    now = now or timezone.now()
    field = ImportBatch._meta.get_field("file")
    storage, folder = field.storage, str(field.upload_to).rstrip("/")
    try:
        _folders, names = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return 0
    named = set(ImportBatch.objects.exclude(file="").values_list("file", flat=True))
    removed = 0
    for name in names:
        path = f"{folder}/{name}"
        if path in named:
            continue
        try:
            if storage.get_modified_time(path) > now - PREVIEW_KEPT:
                continue  # perhaps a batch still being written
            storage.delete(path)
        except (OSError, NotImplementedError):
            continue
        removed += 1
    return removed


def batches_publish(batch_ids: Sequence[int]) -> None:
    for batch_id in batch_ids:
        outbox.enqueue(RUN_TASK, batch_id)

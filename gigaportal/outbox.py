"""The one outbox: messages written in the transaction that decided them and sent
afterwards by a task, at most once.

A model of outgoing messages (support's e-mails to schools, traffic's actions to
tablets and schools) subclasses `OutboxItem` and names its delivery task:

    class RequestEmail(OutboxItem):
        task_name = "support.tasks.send_request_emails"
        max_attempts = 5

The state machine, the same for every outbox:

    pending ──claim──▶ sending ──sent──▶ sent
       ▲                 │ │
       │   back-off ◀────┘ └──(uncertain, or last attempt)──▶ failed ──resend──▶ pending

- `claim` is a conditional update (pending and due → sending, attempts + 1): a second
  task, a redelivered message or the sweep finds the row taken and does nothing.
- A send that failed before anything went out (`DeliveryError`) returns the row to
  pending with a growing delay; after `max_attempts` it stays failed for a person.
- A send that may have arrived (`DeliveryUncertain`: the request went out, no answer
  came back) is failed at once: it is never resent on a guess.
- A claim older than `stale_after` belongs to a worker that died mid-send: the sweep
  flags it failed, for the same reason.
- `enqueue_on_commit(task_name, ids)` publishes after the transaction commits and
  tolerates a broker that is down: the committed rows wait for the sweep.

Services enqueue by task name and never import their tasks; tasks import services.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

STALE_MESSAGE = _("The worker stopped while sending; check whether it arrived, then send again.")
UNCERTAIN_MESSAGE = _("Sent, but no answer came back; check whether it arrived, then send again.")


def stored_text(message) -> str:
    """A message kept on a row for whoever reads it later (in admin): in the portal's
    language, whatever language the code that writes it runs in."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        return str(message)


class DeliveryError(Exception):
    """Nothing was delivered; trying again later may work."""


class DeliveryUncertain(Exception):
    """The message went out but no answer came back: it may have arrived. Sending it
    again could deliver it twice, so a person decides."""


class State(models.TextChoices):
    PENDING = "pending", _("waiting to be sent")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class OutboxItem(models.Model):
    """An outgoing message: the columns of the state machine above."""

    state = models.CharField(
        _("status"), max_length=10, choices=State.choices, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Set by each outbox model.
    task_name: str = ""
    max_attempts: int = 6
    # The first retry waits this long, then twice as long each time, up to the cap.
    backoff_base_seconds: int = 30
    backoff_cap_seconds: int = 60 * 60
    # A claim older than this belongs to a dead worker: twice the task time limit
    # (Celery stops a task by then), and never less than this floor.
    stale_after = dt.timedelta(minutes=30)

    class Meta:
        abstract = True
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="%(app_label)s_%(class)s_due")
        ]

    @property
    def is_sent(self) -> bool:
        return self.state == State.SENT


Item = TypeVar("Item", bound=OutboxItem)


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # somebody else holds (or held) the claim, or it is not due


def _due(now: dt.datetime) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def claim(model: type[OutboxItem], item_id: int) -> bool:
    """Takes a pending, due row for sending; True only for the one caller that won."""
    now = timezone.now()
    return (
        model.objects.filter(_due(now), pk=item_id, state=State.PENDING).update(
            state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        == 1
    )


def backoff_seconds(model: type[OutboxItem], attempts: int) -> int:
    from django.conf import settings

    base = getattr(settings, "OUTBOX_RETRY_BASE_SECONDS", model.backoff_base_seconds)
    return min(base * 2 ** max(attempts - 1, 0), model.backoff_cap_seconds)


def deliver(
    model: type[Item], item_id: int, *, send: Callable[[Item], dict[str, Any] | None]
) -> tuple[Outcome, int]:
    """Claims, sends and records one message; (outcome, seconds before a retry).

    `send(item)` delivers it and may return fields to save with the sent state (the
    backend it went through); it raises DeliveryError or DeliveryUncertain.
    """
    if not claim(model, item_id):
        return Outcome.SKIPPED, 0
    item = model.objects.get(pk=item_id)
    try:
        extra = send(item) or {}
    except Exception as exc:
        return _record_failure(model, item_id, exc)
    _mine(model, [item_id]).update(state=State.SENT, sent_at=timezone.now(), last_error="", **extra)
    return Outcome.SENT, 0


def _mine(model: type[OutboxItem], item_ids: Sequence[int]):
    return model.objects.filter(pk__in=list(item_ids), state=State.SENDING)


def _record_failure(model: type[OutboxItem], item_id: int, exc: Exception) -> tuple[Outcome, int]:
    """The outcome of a claimed message whose send raised."""
    mine = _mine(model, [item_id])
    if isinstance(exc, DeliveryUncertain):
        mine.update(state=State.FAILED, last_error=f"{stored_text(UNCERTAIN_MESSAGE)} ({exc})")
        return Outcome.FAILED, 0
    # A DeliveryError, or anything unexpected (a mail header with a line break, a
    # bug): nothing is known to have gone out, so the row is retried with back-off
    # and fails visibly after the last attempt, never left "sending" (which would
    # read as a dead worker) and never stopping the other messages of the batch.
    if not isinstance(exc, DeliveryError):
        logger.exception("%s %s: unexpected error while sending", model.__name__, item_id)
    error = str(exc) or type(exc).__name__
    attempts = model.objects.filter(pk=item_id).values_list("attempts", flat=True).first() or 0
    if attempts >= model.max_attempts:
        mine.update(state=State.FAILED, last_error=error)
        return Outcome.FAILED, 0
    delay = backoff_seconds(model, attempts)
    mine.update(
        state=State.PENDING,
        claimed_at=None,
        last_error=error,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
    )
    return Outcome.RETRY, delay


DELIVERY_BATCH = 200


def deliver_all(
    model: type[Item],
    item_ids: Sequence[int],
    *,
    send: Callable[[Item], dict | None],
    load: Callable[[list[int]], Any] | None = None,
) -> dict[str, int]:
    """Delivers each message; one to be retried is published again for its time.

    In batches: one query loads a batch (`load(ids)`, a queryset with what `send`
    reads, e.g. select_related; by default the rows), each message is claimed just
    before it is sent (the conditional update of `claim`, so a message is "sending"
    only once somebody may be sending it, and a dead worker leaves at most the one in
    its hands for a person), and the batch's sent messages are recorded in one update
    per set of saved fields. A worker killed before that update leaves the messages it
    sent "sending": the sweep flags them for a person, as it would one message.
    """
    load = load or (lambda ids: model.objects.filter(pk__in=ids))
    outcomes: dict[str, int] = {}

    def count(outcome: Outcome) -> None:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    ids = list(dict.fromkeys(item_ids))
    for start in range(0, len(ids), DELIVERY_BATCH):
        batch = ids[start : start + DELIVERY_BATCH]
        items = {item.pk: item for item in load(batch)}
        sent: dict[tuple, list[int]] = {}
        for item_id in batch:
            item = items.get(item_id)
            if item is None or not claim(model, item_id):
                count(Outcome.SKIPPED)
                continue
            try:
                extra = send(item) or {}
            except Exception as exc:
                outcome, delay = _record_failure(model, item_id, exc)
                count(outcome)
                if outcome is Outcome.RETRY:
                    enqueue(model.task_name, [item_id], countdown=delay)
                continue
            sent.setdefault(tuple(sorted(extra.items())), []).append(item_id)
            count(Outcome.SENT)
        now = timezone.now()
        for extra, sent_ids in sent.items():
            _mine(model, sent_ids).update(
                state=State.SENT, sent_at=now, last_error="", **dict(extra)
            )
    return outcomes


def due(model: type[OutboxItem], *, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Pending messages whose time has come, fewest attempts first, so messages that
    keep failing never hold back newer ones."""
    now = now or timezone.now()
    return list(
        model.objects.filter(_due(now), state=State.PENDING)
        .order_by("attempts", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def stale_limit(model: type[OutboxItem]) -> dt.timedelta:
    """How old a claim is before the sweep calls its worker dead: the model's
    `stale_after`, but never less than twice the task time limit, so that a slow send
    still running is not flagged."""
    from django.conf import settings

    return max(model.stale_after, dt.timedelta(seconds=2 * settings.CELERY_TASK_TIME_LIMIT))


def sweep(model: type[OutboxItem], *, now: dt.datetime | None = None) -> tuple[list[int], int]:
    """For the beat: flags stale claims failed and returns the ids now due."""

    now = now or timezone.now()
    stale = model.objects.filter(
        state=State.SENDING, claimed_at__lt=now - stale_limit(model)
    ).update(state=State.FAILED, last_error=stored_text(STALE_MESSAGE))
    return due(model, now=now), stale


def outbox_models() -> list[type[OutboxItem]]:
    """Every app's outbox (support's e-mails, traffic's actions, security's reminders)."""
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, OutboxItem)]


def sweep_all(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The beat's one sweep of every outbox: stale claims flagged for a person, and what
    is due (its task lost with a broker restart, its back-off over) published again.
    Returns the number published per outbox."""
    published = {}
    for model in outbox_models():
        ids, _stale = sweep(model, now=now)
        if ids:
            enqueue(model.task_name, ids)
        published[model._meta.label_lower] = len(ids)
    return published


def resend(model: type[OutboxItem], item_ids: Sequence[int], *, by) -> list[int]:
    """A person's decision to send failed messages again (once they checked the first
    did not arrive): back to pending, with fresh attempts, published after commit, one
    change-log entry each. Returns the ids that were failed."""
    from gigaportal import changelog

    with transaction.atomic():
        items = list(model.objects.filter(pk__in=list(item_ids), state=State.FAILED))
        ids = [item.pk for item in items]
        model.objects.filter(pk__in=ids).update(
            state=State.PENDING, claimed_at=None, next_attempt_at=None, attempts=0, last_error=""
        )
        for item in items:
            changelog.record(
                by=by,
                action=changelog.Action.RESEND,
                obj=item,
                changes={"state": [State.FAILED.value, State.PENDING.value]},
            )
        enqueue_on_commit(model.task_name, ids)
    return ids


# --- Publishing tasks ------------------------------------------------------------------


def task(task_name: str):
    """The Celery task of a dotted name ('traffic.tasks.deliver_actions'), its module
    imported on first use: services name tasks and never import them."""
    import importlib

    from gigaportal.celery import app

    if task_name not in app.tasks:
        importlib.import_module(task_name.rsplit(".", 1)[0])
    return app.tasks[task_name]


def enqueue(task_name: str, *args, countdown: int | None = None) -> bool:
    """Publishes a task by name; with the broker down, logs and returns False (the
    committed rows are picked up by the sweep). Without a broker (the embedded
    default) the task runs here, at once; its own failures are logged, never raised
    into the caller's page."""
    try:
        task(task_name).apply_async(args=args, countdown=countdown, retry=False)
    except Exception:  # a down broker, or a failing in-process task, must not undo work
        logger.warning("could not run %s%r now; the sweep will", task_name, args, exc_info=True)
        return False
    return True


def enqueue_on_commit(task_name: str, ids: Sequence[int]) -> None:
    """Publishes `task_name(ids)` once the current transaction commits."""
    ids = list(ids)
    if not ids:
        return
    transaction.on_commit(lambda: enqueue(task_name, ids), robust=True)

"""Delivery of the ladder's outgoing actions (through the one outbox,
gigaportal.outbox) and the schools' acknowledgements of their notices."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone

from gigaportal import changelog, outbox
from traffic import backends
from traffic.models import Action, SchoolNotice


def _send(action: Action) -> dict:
    """Sends one claimed action through its backend (traffic.backends)."""
    return {"backend": backends.send(action)}


def _load(action_ids: list[int]):
    # What the backends read (the line, its school, the notice), in one query a batch.
    return Action.objects.select_related("case__line__school", "notice").filter(pk__in=action_ids)


def actions_deliver(*, action_ids: Sequence[int]) -> dict[str, int]:
    """Sends each action at most once (claim, send, record); a failure before anything
    went out is retried with back-off, one that may have arrived waits for a person."""
    return outbox.deliver_all(Action, action_ids, send=_send, load=_load)


def actions_sweep(*, now: dt.datetime | None = None) -> tuple[list[int], int]:
    """Stale claims flagged for a person; the ids of actions due now."""
    return outbox.sweep(Action, now=now)


def actions_resend(*, by, action_ids: Sequence[int]) -> int:
    """A person's decision (admin) to send failed actions again."""
    return len(outbox.resend(Action, action_ids, by=by))


def notice_acknowledge(*, by, notice: SchoolNotice) -> bool:
    """Records who acknowledged a notice, once; a second click changes nothing."""
    with transaction.atomic():
        now = timezone.now()
        updated = SchoolNotice.objects.filter(pk=notice.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, acknowledged_by=by
        )
        if updated:
            changelog.record(
                by=by,
                action=changelog.Action.ACKNOWLEDGE,
                obj=notice,
                changes={"acknowledged_at": [None, now]},
            )
    return updated == 1


def demo_mark_delivered(*, action_ids: Iterable[int], when: dt.datetime) -> None:
    """For demo history: actions of 2022 went out long ago, and their notices arrived
    in the schools' inboxes then."""
    ids = list(action_ids)
    Action.objects.filter(pk__in=ids).update(
        state=outbox.State.SENT, backend="demo", sent_at=when, attempts=1
    )
    SchoolNotice.objects.filter(action_id__in=ids).update(created_at=when)

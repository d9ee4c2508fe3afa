"""Thin Celery wrappers around support.services; each is safe to run twice (the
outbox claims every e-mail before sending it)."""

from celery import shared_task

from gigaportal import outbox
from support import services
from support.models import RequestEmail


@shared_task(acks_late=True)
def send_request_emails(email_ids: list[int]) -> dict[str, int]:
    """Sends queued e-mails to schools; a refused one is published again for later."""
    return services.emails_send(email_ids=email_ids)


@shared_task
def send_pending_emails() -> int:
    """The sweep: e-mails whose task was lost (a broker restart) or whose back-off is
    over go out here; claims left by a worker that died mid-send are flagged."""
    ids, _stale = services.emails_sweep()
    if ids:
        outbox.enqueue(RequestEmail.task_name, ids)
    return len(ids)

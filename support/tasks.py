"""Thin Celery wrappers around support.services; each is safe to run twice (the
outbox claims every e-mail before sending it). The sweep of every outbox is
gigaportal.tasks.sweep_outboxes."""

from celery import shared_task

from support import services


@shared_task(acks_late=True)
def send_request_emails(email_ids: list[int]) -> dict[str, int]:
    """Sends queued e-mails to schools; a refused one is published again for later."""
    return services.emails_send(email_ids=email_ids)

"""Thin Celery wrappers around security.services; each is safe to run twice (the
outbox claims every reminder before sending it). The sweep of every outbox is
gigaportal.tasks.sweep_outboxes."""

from celery import shared_task

from security import services


@shared_task(acks_late=True)
def send_reminders(reminder_ids: list[int]) -> dict[str, int]:
    """Sends queued acknowledgement reminders; a refused one is published again later."""
    return services.reminders_send(reminder_ids=reminder_ids)

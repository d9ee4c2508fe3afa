"""Thin Celery wrappers around traffic.services. Each is safe to run twice: the
services claim rows with conditional updates and unique constraints forbid duplicates."""

from __future__ import annotations

from celery import shared_task

from gigaportal import outbox
from traffic import services
from traffic.models import Action


@shared_task(acks_late=True)
def evaluate_pending_months() -> list[str]:
    """After an import: evaluate the months now due, in month order."""
    return [str(result.month) for result in services.evaluate_pending_months()]


@shared_task(acks_late=True)
def deliver_actions(action_ids: list[int]) -> dict[str, int]:
    return services.actions_deliver(action_ids=action_ids)


@shared_task
def sweep_undelivered() -> int:
    """Beat: anything pending whose time has come (after a broker outage, a lost
    message, a back-off) is sent now; stale claims are flagged; months due whose
    post-import task was lost are evaluated."""
    due, _stale = services.actions_sweep()
    if due:
        outbox.enqueue(Action.task_name, due)
    services.evaluate_pending_months()
    return len(due)

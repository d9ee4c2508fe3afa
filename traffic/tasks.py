"""Thin Celery wrappers around traffic.services. Each is safe to run twice: the
services claim rows with conditional updates and unique constraints forbid duplicates."""

from __future__ import annotations

from celery import shared_task

from traffic import services


@shared_task(acks_late=True)
def evaluate_pending_months() -> list[str]:
    """After an import: evaluate the months now due, in month order."""
    return [str(result.month) for result in services.evaluate_pending_months()]


@shared_task(acks_late=True)
def deliver_actions(action_ids: list[int]) -> dict[str, int]:
    return services.actions_deliver(action_ids=action_ids)


@shared_task
def sweep_undelivered() -> int:
    """Beat: months due whose post-import task was lost are evaluated (their actions
    are published as the evaluation commits); actions left pending go out with every
    other outbox's in gigaportal.tasks.sweep_outboxes."""
    return len(services.evaluate_pending_months())

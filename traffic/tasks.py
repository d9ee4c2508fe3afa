"""Thin Celery wrappers around traffic.services. Each is safe to run twice: the
services claim rows with conditional updates and unique constraints forbid duplicates."""

from __future__ import annotations

from celery import shared_task

from traffic import services


@shared_task(acks_late=True)
def evaluate_pending_months() -> list[str]:
    """After an import: evaluate the months now due, in month order."""
    return [str(result.month) for result in services.evaluate_pending_months(by="import")]


@shared_task(acks_late=True)
def deliver_actions(action_ids: list[int]) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    for action_id in action_ids:
        outcome, delay = services.action_deliver(action_id=action_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if outcome == services.DeliveryOutcome.RETRY:
            deliver_actions.apply_async(args=([action_id],), countdown=delay)
    return outcomes


@shared_task
def sweep_undelivered() -> int:
    """Beat: anything pending whose time has come (after a broker outage, a lost
    message, a back-off) is sent now; stale claims are flagged; months due are
    evaluated; import jobs lost or left running by a dead worker are handled."""
    due, _stale = services.actions_sweep()
    if due:
        deliver_actions.delay(due)
    # Evaluations whose post-import task was lost (broker down) catch up here too.
    services.evaluate_pending_months(by="sweep")
    # Browser imports: jobs never published are published again; jobs whose worker
    # died are marked failed.
    from traffic.jobs import import_jobs_sweep

    queued, _dead = import_jobs_sweep()
    for job_id in queued:
        services.enqueue(import_usage_job, job_id)
    return len(due)


@shared_task(acks_late=True)
def import_usage_job(job_id: int) -> str:
    from traffic.jobs import import_job_run

    return import_job_run(job_id=job_id)

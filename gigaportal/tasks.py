from celery import shared_task
from django.utils import timezone

from gigaportal import imports, outbox, submits
from gigaportal.models import Heartbeat


@shared_task
def heartbeat(name: str = "beat") -> str:
    """Beat's proof of life: records when the scheduler last reached a worker."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": now})
    return now.isoformat()


@shared_task(acks_late=True)
def run_import_batch(batch_id: int) -> str:
    """A browser upload imported by a worker; safe to run twice (the batch is claimed)."""
    return imports.batch_run(batch_id=batch_id)


@shared_task
def sweep_outboxes() -> dict[str, int]:
    """Beat: every outbox swept (gigaportal.outbox.sweep_all)."""
    return outbox.sweep_all()


@shared_task
def sweep_import_batches() -> int:
    """Beat: batches never published are published again; batches whose worker died
    are marked failed; stored uploads no batch names (a rolled-back request's) go."""
    queued, _dead = imports.batches_sweep()
    imports.batches_publish(queued)
    imports.uploads_sweep()
    return len(queued)


@shared_task
def sweep_submit_tokens() -> int:
    """Beat: spent form tokens older than a week forgotten (gigaportal.submits)."""
    return submits.tokens_sweep()

from celery import shared_task

from dashboard import services


@shared_task(acks_late=True)
def make_report_pack(pack_ids: list[int]) -> list[str]:
    """A worker makes the packs; safe to run twice (each pack is claimed)."""
    return [services.pack_make(pack_id=pack_id) for pack_id in pack_ids]


@shared_task
def sweep_report_packs() -> int:
    """Beat: packs never published are published again; packs whose worker died are
    marked failed."""
    queued, _dead = services.packs_sweep()
    services.packs_publish(queued)
    return len(queued)

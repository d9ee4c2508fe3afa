from celery import shared_task

from dashboard import services


@shared_task(acks_late=True)
def make_report_pack(pack_ids: list[int]) -> list[str]:
    """A worker makes the packs; safe to run twice (each pack is claimed)."""
    return [services.pack_make(pack_id=pack_id) for pack_id in pack_ids]

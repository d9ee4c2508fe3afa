from celery import shared_task
from django.utils import timezone

from gigaportal.models import Heartbeat


@shared_task
def heartbeat(name: str = "beat") -> str:
    """Beat's proof of life: records when the scheduler last reached a worker."""
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": now})
    return now.isoformat()

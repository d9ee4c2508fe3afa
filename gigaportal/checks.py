from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def tasks_need_a_broker_in_production(app_configs, **kwargs):
    """Without REDIS_URL, Celery tasks run inside web requests: fine for a first run on a
    laptop, wrong for the city's server (slow pages, no retries, no beat)."""
    if settings.DEBUG or not settings.CELERY_TASK_ALWAYS_EAGER:
        return []
    return [
        Warning(
            "REDIS_URL is not set: background tasks run in-process inside web requests.",
            hint="Set REDIS_URL to the Redis broker (docker-compose.yml does).",
            id="gigaportal.W001",
        )
    ]

"""The Celery app, configured once from Django settings (namespace CELERY).

Every periodic task is listed in BEAT_SCHEDULE below, so there is one place to read
what runs on its own.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gigaportal.settings")

app = Celery("gigaportal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

BEAT_SCHEDULE: dict[str, dict] = {
    # Later issues add entries here, e.g. the sweep of undelivered escalation actions.
    "heartbeat": {"task": "gigaportal.tasks.heartbeat", "schedule": crontab(minute="*/5")},
    # E-mails to schools whose send task was lost (a broker restart) go out here.
    "support-pending-notices": {
        "task": "support.tasks.send_pending_notices",
        "schedule": crontab(minute="*/10"),
    },
}
app.conf.beat_schedule = BEAT_SCHEDULE

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
    # Beat's proof of life, read by /healthz and beat's container health check.
    "heartbeat": {"task": "gigaportal.tasks.heartbeat", "schedule": crontab(minute="*/5")},
    # E-mails to schools whose send task was lost (a broker restart) go out here.
    "support-pending-emails": {
        "task": "support.tasks.send_pending_emails",
        "schedule": crontab(minute="*/10"),
    },
    # Traffic: outgoing actions left pending (broker outage, back-off) and months due.
    "traffic-sweep": {"task": "traffic.tasks.sweep_undelivered", "schedule": crontab(minute="*/2")},
    # Import batches never published (broker down at upload) or left by a dead worker.
    "import-sweep": {
        "task": "gigaportal.tasks.sweep_import_batches",
        "schedule": crontab(minute="*/2"),
    },
}
app.conf.beat_schedule = BEAT_SCHEDULE

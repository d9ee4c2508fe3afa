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
    # Every outbox (e-mails to schools, traffic's actions, policy reminders): what was
    # left pending (a broker outage, a back-off) goes out; dead workers' claims flagged.
    "outbox-sweep": {"task": "gigaportal.tasks.sweep_outboxes", "schedule": crontab(minute="*/2")},
    # Traffic: months due whose evaluation task was lost.
    "traffic-sweep": {"task": "traffic.tasks.sweep_undelivered", "schedule": crontab(minute="*/5")},
    # Import batches never published (broker down at upload) or left by a dead worker.
    "import-sweep": {
        "task": "gigaportal.tasks.sweep_import_batches",
        "schedule": crontab(minute="*/2"),
    },
    # Report packs never published (broker down at the button) or left by a dead worker.
    "report-pack-sweep": {
        "task": "dashboard.tasks.sweep_report_packs",
        "schedule": crontab(minute="*/2"),
    },
    # Survey uploads an earlier version kept for its preview page (now import batches).
    "survey-legacy-preview-sweep": {
        "task": "surveys.tasks.sweep_legacy_previews",
        "schedule": crontab(minute=41, hour=3),
    },
    # Spent one-time form tokens (gigaportal.submits) past their week.
    "submit-token-sweep": {
        "task": "gigaportal.tasks.sweep_submit_tokens",
        "schedule": crontab(minute=17, hour=3),
    },
}
app.conf.beat_schedule = BEAT_SCHEDULE

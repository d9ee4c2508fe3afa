"""A real worker consumes a task from the real Redis broker and writes to PostgreSQL."""

import time

import pytest

from gigaportal.models import Heartbeat
from gigaportal.tasks import heartbeat


def wait_for(predicate, *, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.celery_worker
def test_a_real_worker_consumes_the_heartbeat_from_redis_and_writes_it(celery_worker):
    assert not Heartbeat.objects.exists()
    heartbeat.delay("worker-test")
    assert wait_for(lambda: Heartbeat.objects.filter(name="worker-test").exists())


@pytest.mark.django_db
def test_healthz_reports_the_last_heartbeat(client):
    heartbeat("beat")  # run in-process: the task body itself
    body = client.get("/healthz").json()
    assert body["database"] == "ok"
    assert body["beat_last_seen"] is not None

"""Reminders through a real Celery worker and the real Redis broker: queued on
commit, delivered once by the worker (needs REDIS_URL; run by CI)."""

import time

import pytest
from django.core import mail

from gigaportal.outbox import State
from security import selectors, services
from security.models import AcknowledgementReminder
from tests.security.factories import make_policy_history


@pytest.mark.celery_worker
def test_the_worker_sends_each_reminder_once(celery_worker, cast, school_a, school_b):
    _document, _old, new = make_policy_history()
    leader = cast["leader"]
    schools = list(selectors.schools_not_acknowledged(user=leader, version=new))
    ids = services.reminders_queue(by=leader, version=new, schools=schools)
    assert len(ids) == 2
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = set(AcknowledgementReminder.objects.values_list("state", flat=True))
        if states == {State.SENT}:
            break
        time.sleep(0.2)
    assert set(AcknowledgementReminder.objects.values_list("state", flat=True)) == {State.SENT}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([school_a.email, school_b.email])
    # The sweep finds nothing left to send.
    assert services.reminders_sweep()[0] == []

"""The school's e-mail goes out through a real Celery worker on real Redis."""

import datetime as dt
import time

import pytest
from django.core import mail

from gigaportal.outbox import State
from support import services
from support.models import RequestEmail
from tests.support.factories import make_request


@pytest.mark.celery_worker
def test_scheduling_sends_the_school_an_email_through_the_worker(
    celery_worker, school_a, school_a_user, leader, support_staff
):
    request = make_request(school=school_a, requested_by=school_a_user)
    services.request_schedule(
        by=leader, request=request, staff=[support_staff], date=dt.date(2030, 6, 3)
    )
    email = RequestEmail.objects.get(request=request)
    for _ in range(100):  # wait for the worker (bounded), not a timed assertion
        email.refresh_from_db()
        if email.sent_at:
            break
        time.sleep(0.1)
    assert email.sent_at is not None
    assert (email.state, email.attempts) == (State.SENT, 1)
    assert [m.to for m in mail.outbox] == [[school_a.email]]
    assert "2030年6月3日" in mail.outbox[0].body

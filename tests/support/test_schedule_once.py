"""Issue 13, finding 8: the leader scheduling a request twice (a second tab, two
leaders at once, admin) sends the school one e-mail: the same schedule again is a
no-op under the request's row lock."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse

from gigaportal.models import ObjectChange
from support import services
from support.models import RequestEmail, RequestEvent, Status
from tests.factories import make_user, submit_token
from tests.support.factories import make_request

DAY = dt.date(dt.date.today().year + 1, 6, 3)  # inside the date window
TEN = dt.time(10, 30)


def _schedule(by, request, staff, *, date=DAY, time=TEN):
    return services.request_schedule(by=by, request=request, staff=staff, date=date, time=time)


@pytest.mark.django_db
def test_the_same_schedule_twice_is_one_event_one_entry_and_one_email(
    leader, support_staff, school_a, school_a_user
):
    request = make_request(school=school_a, requested_by=school_a_user)
    _schedule(leader, request, [support_staff])
    with pytest.raises(services.AlreadyScheduled):
        _schedule(leader, request, [support_staff])
    assert RequestEmail.objects.filter(request=request).count() == 1
    assert RequestEvent.objects.filter(request=request, to_status=Status.SCHEDULED).count() == 1
    assert ObjectChange.objects.filter(action=ObjectChange.Action.SCHEDULE).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("change", ["date", "time", "staff"])
def test_a_real_reschedule_still_tells_the_school(
    leader, support_staff, school_a, school_a_user, change
):
    request = make_request(school=school_a, requested_by=school_a_user)
    _schedule(leader, request, [support_staff])
    colleague = make_user(role="support", username="colleague")
    kwargs = {
        "date": DAY + dt.timedelta(days=1) if change == "date" else DAY,
        "time": dt.time(13, 0) if change == "time" else TEN,
    }
    staff = [support_staff, colleague] if change == "staff" else [support_staff]
    _schedule(leader, request, staff, **kwargs)
    assert RequestEmail.objects.filter(request=request).count() == 2


@pytest.mark.django_db
def test_the_schedule_sent_again_from_a_second_tab_says_so_and_sends_nothing(
    client, leader, support_staff, school_a, school_a_user
):
    """Two pages, two tokens, the same date and staff: the second is a message."""
    request = make_request(school=school_a, requested_by=school_a_user)
    client.force_login(leader)
    url = reverse("support:request_schedule", args=[request.pk])
    data = {"staff": [support_staff.pk], "date": DAY.isoformat(), "time": "10:30"}
    assert client.post(url, {**data, "submit_token": submit_token(leader)}).status_code == 302
    again = client.post(
        url, {**data, "submit_token": submit_token(leader)}, follow=True, HTTP_ACCEPT_LANGUAGE="ja"
    )
    messages = [str(m) for m in again.context["messages"]]
    assert any("すでに日程が決まっています" in m for m in messages)
    assert RequestEmail.objects.filter(request=request).count() == 1
    assert RequestEvent.objects.filter(request=request, to_status=Status.SCHEDULED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_leaders_scheduling_the_same_visit_at_once_send_one_email(
    require_postgres, leader, admin, support_staff, school_a, school_a_user
):
    """Two threads, two connections: the row lock orders them, the second sees the
    first's schedule and does nothing."""
    request = make_request(school=school_a, requested_by=school_a_user)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def schedule(by):
        try:
            barrier.wait(timeout=10)
            _schedule(by, request, [support_staff])
            outcomes.append("scheduled")
        except services.AlreadyScheduled:
            outcomes.append("already")
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=schedule, args=(by,)) for by in (leader, admin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["already", "scheduled"]
    assert RequestEmail.objects.filter(request=request).count() == 1
    assert RequestEvent.objects.filter(request=request, to_status=Status.SCHEDULED).count() == 1

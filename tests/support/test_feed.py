"""The private iCalendar feed: valid iCalendar, secret, revocable."""

import datetime as dt

import pytest
from django.urls import reverse
from icalendar import Calendar

from support import services
from support.models import CalendarFeedToken, Status, feed_token_digest
from tests.factories import make_user
from tests.support.factories import make_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def visits(school_a, school_b, school_a_user, support_staff):
    colleague = make_user(role="support", full_name="鈴木 大輔")
    soon = dt.date.today() + dt.timedelta(days=2)
    mine = make_request(
        school=school_a,
        requested_by=school_a_user,
        status=Status.SCHEDULED,
        staff=[support_staff],
        scheduled_date=soon,
        scheduled_time=dt.time(10, 30),
    )
    all_day = make_request(
        school=school_b,
        requested_by=support_staff,
        status=Status.SCHEDULED,
        staff=[support_staff],
        scheduled_date=soon + dt.timedelta(days=1),
    )
    theirs = make_request(
        school=school_b,
        requested_by=support_staff,
        status=Status.SCHEDULED,
        staff=[colleague],
        scheduled_date=soon,
        details="他の人の訪問",
    )
    return mine, all_day, theirs


def test_the_feed_parses_and_lists_only_my_visits(client, visits, support_staff):
    mine, all_day, theirs = visits
    token = services.feed_token_create(user=support_staff)
    response = client.get(reverse("support:feed", kwargs={"token": token}))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert set(events) == {
        f"support-request-{mine.pk}@testserver",
        f"support-request-{all_day.pk}@testserver",
    }
    timed = events[f"support-request-{mine.pk}@testserver"]
    start = timed.decoded("dtstart")
    assert (start.date(), start.hour, start.minute) == (mine.scheduled_date, 10, 30)
    assert str(start.tzinfo) == "Asia/Tokyo"
    assert "青葉小学校" in str(timed["summary"])
    whole_day = events[f"support-request-{all_day.pk}@testserver"].decoded("dtstart")
    assert whole_day == all_day.scheduled_date


def test_a_wrong_token_is_rejected(client, visits, support_staff):
    services.feed_token_create(user=support_staff)
    response = client.get(reverse("support:feed", kwargs={"token": "guessed-token"}))
    assert response.status_code == 404


def test_a_revoked_token_is_rejected_and_a_new_one_replaces_it(client, visits, support_staff):
    old = services.feed_token_create(user=support_staff)
    new = services.feed_token_create(user=support_staff)
    assert client.get(reverse("support:feed", kwargs={"token": old})).status_code == 404
    assert client.get(reverse("support:feed", kwargs={"token": new})).status_code == 200
    services.feed_token_revoke(user=support_staff)
    assert client.get(reverse("support:feed", kwargs={"token": new})).status_code == 404


def test_only_a_digest_of_the_secret_is_stored(visits, support_staff):
    token = services.feed_token_create(user=support_staff)
    row = CalendarFeedToken.objects.get(user=support_staff, revoked_at=None)
    assert token not in row.digest


def test_a_staff_member_who_left_loses_the_feed(client, visits, support_staff):
    token = services.feed_token_create(user=support_staff)
    support_staff.is_active = False
    support_staff.save()
    assert client.get(reverse("support:feed", kwargs={"token": token})).status_code == 404


def test_the_settings_page_shows_the_address_once_and_revokes_it(client, support_staff):
    client.force_login(support_staff)
    response = client.post(reverse("support:feed_settings"), {"action": "create"})
    assert response.status_code == 302  # a reload of the next page re-posts nothing
    url = client.get(response.url).context["feed_url"]
    assert url.startswith("http://testserver/support/calendar/feed/")
    assert client.get(url).status_code == 200
    again = client.get(reverse("support:feed_settings"))
    assert url not in again.content.decode()
    client.post(reverse("support:feed_settings"), {"action": "revoke"})
    client.logout()
    assert client.get(url).status_code == 404


def test_the_feed_reads_in_a_fixed_number_of_queries(
    client, visits, support_staff, school_a, school_a_user, django_assert_num_queries
):
    token = services.feed_token_create(user=support_staff)
    url = reverse("support:feed", kwargs={"token": token})
    with django_assert_num_queries(4):
        client.get(url)
    for day in range(5):
        make_request(
            school=school_a,
            requested_by=school_a_user,
            status=Status.SCHEDULED,
            staff=[support_staff],
            scheduled_date=dt.date.today() + dt.timedelta(days=day + 3),
        )
    with django_assert_num_queries(4):
        client.get(url)


def test_reloading_the_page_after_making_an_address_keeps_that_address_working(
    client, support_staff
):
    client.force_login(support_staff)
    made = client.post(reverse("support:feed_settings"), {"action": "create"}, follow=True)
    assert made.redirect_chain == [(reverse("support:feed_settings"), 302)]
    url = made.context["feed_url"]
    assert url in made.content.decode()
    reloaded = client.get(reverse("support:feed_settings"))
    assert reloaded.context["feed_url"] is None
    assert url not in reloaded.content.decode()
    assert CalendarFeedToken.objects.filter(user=support_staff).count() == 1
    assert client.get(url).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_two_clicks_at_once_on_make_a_new_address_both_succeed(require_postgres, support_staff):
    """The first click's transaction is still open when the second arrives: the second
    waits for it and then replaces its address, instead of a unique-constraint 500."""
    import threading

    from django.db import connection, transaction

    services.feed_token_create(user=support_staff)
    first_done = threading.Event()
    release = threading.Event()
    outcome = {}

    def first_click():
        try:
            with transaction.atomic():
                services.feed_token_create(user=support_staff)
                first_done.set()
                release.wait(30)
        finally:
            connection.close()

    def second_click():
        try:
            outcome["token"] = services.feed_token_create(user=support_staff)
        except Exception as exc:  # the bug: IntegrityError on one_live_feed_token
            outcome["error"] = repr(exc)
        finally:
            connection.close()

    first = threading.Thread(target=first_click)
    first.start()
    assert first_done.wait(30)
    second = threading.Thread(target=second_click)
    second.start()
    # Wait (bounded) until the second click is blocked on a lock, then commit the first.
    with connection.cursor() as cursor:
        for _ in range(300):
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                break
            threading.Event().wait(0.05)
    release.set()
    first.join(30)
    second.join(30)
    assert "error" not in outcome, outcome
    live = CalendarFeedToken.objects.filter(user=support_staff, revoked_at__isnull=True)
    assert [t.digest for t in live] == [feed_token_digest(outcome["token"])]
    assert CalendarFeedToken.objects.filter(user=support_staff).count() == 3

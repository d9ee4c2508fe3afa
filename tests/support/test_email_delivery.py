"""The school's "visit scheduled" e-mail is never lost and never sent on a guess:
claimed before sending, marked sent only after the mail server took it, a sender
that died mid-send flagged for a person, retried with a growing back-off and given up
after the last attempt with a visible failed state, and sent again from admin.

Everything goes through the one outbox (gigaportal.outbox): support.services'
emails_send / emails_sweep / emails_resend over RequestEmail rows."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from gigaportal import outbox
from gigaportal.models import ObjectChange, User
from gigaportal.outbox import State
from gigaportal.tasks import sweep_outboxes
from support import services
from support.models import RequestEmail
from tests.factories import submit_token
from tests.support.factories import make_request

# A day to schedule visits on: next year is always inside the date window.
FUTURE_YEAR = dt.date.today().year + 1

pytestmark = pytest.mark.django_db

REFUSING = "tests.support.mail_backends.RefusingBackend"
KILLED = "tests.support.mail_backends.WorkerKilledBackend"
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


def scheduled_email(school_a_user, leader, support_staff, day=dt.date(FUTURE_YEAR, 6, 3)):
    request = make_request(school=school_a_user.school, requested_by=school_a_user)
    services.request_schedule(by=leader, request=request, staff=[support_staff], date=day)
    return RequestEmail.objects.get(request=request)


def test_a_sender_killed_mid_send_leaves_the_email_unsent_and_flagged_for_a_person(
    school_a_user, leader, support_staff, settings
):
    email = scheduled_email(school_a_user, leader, support_staff)
    settings.EMAIL_BACKEND = KILLED
    with pytest.raises(SystemExit):
        services.emails_send(email_ids=[email.pk])
    email.refresh_from_db()
    assert email.sent_at is None, "the row must not say sent before the server took it"
    assert (email.state, email.attempts) == (State.SENDING, 1)
    # A redelivered task finds the claim taken and does not send on a guess.
    settings.EMAIL_BACKEND = LOCMEM
    assert services.emails_send(email_ids=[email.pk]) == {"skipped": 1}
    # Within the stale window the sweep leaves it alone; after it, it flags it.
    assert services.emails_sweep() == ([], 0)
    later = timezone.now() + outbox.stale_limit(RequestEmail) + dt.timedelta(minutes=1)
    assert services.emails_sweep(now=later) == ([], 1)
    email.refresh_from_db()
    assert email.state == State.FAILED
    assert email.sent_at is None
    assert "届いたか確認" in email.last_error
    # Flagged for a person: neither the beat's sweep nor a late task sends it.
    assert sweep_outboxes()["support.requestemail"] == 0
    assert services.emails_send(email_ids=[email.pk]) == {"skipped": 1}
    assert mail.outbox == []


def test_an_email_the_server_keeps_refusing_fails_visibly_after_the_last_attempt(
    school_a_user, leader, support_staff, settings
):
    email = scheduled_email(school_a_user, leader, support_staff)
    settings.EMAIL_BACKEND = REFUSING
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    delays = []
    for attempt in range(1, RequestEmail.max_attempts):
        started = timezone.now()
        assert services.emails_send(email_ids=[email.pk]) == {"retry": 1}
        email.refresh_from_db()
        assert (email.state, email.attempts, email.sent_at) == (State.PENDING, attempt, None)
        assert email.claimed_at is None
        assert "SMTPServerDisconnected" in email.last_error
        assert email.next_attempt_at > started
        delays.append(round((email.next_attempt_at - started).total_seconds() / 60))
        # Before its time it is not due: neither the sweep nor a task sends it again.
        assert services.emails_sweep()[0] == []
        assert services.emails_send(email_ids=[email.pk]) == {"skipped": 1}
        email.refresh_from_db()
        assert email.attempts == attempt
        # Its time comes: the sweep lists it.
        assert services.emails_sweep(now=email.next_attempt_at)[0] == [email.pk]
        RequestEmail.objects.filter(pk=email.pk).update(next_attempt_at=timezone.now())
    assert delays == [1, 2, 4, 8]  # minutes: the back-off doubles
    assert services.emails_send(email_ids=[email.pk]) == {"failed": 1}
    email.refresh_from_db()
    assert email.state == State.FAILED
    assert email.attempts == RequestEmail.max_attempts == 5
    assert email.sent_at is None
    assert "SMTPServerDisconnected" in email.last_error
    # No more attempts: it waits for a person, whatever the clock says.
    assert services.emails_send(email_ids=[email.pk]) == {"skipped": 1}
    assert services.emails_sweep(now=timezone.now() + dt.timedelta(days=1))[0] == []
    email.refresh_from_db()
    assert (email.state, email.attempts) == (State.FAILED, RequestEmail.max_attempts)
    assert mail.outbox == []


@pytest.mark.usefixtures("eager_tasks")
def test_failing_emails_do_not_hold_back_newer_ones_in_the_sweep(
    school_a_user, leader, support_staff, settings
):
    settings.EMAIL_BACKEND = LOCMEM
    failed = scheduled_email(school_a_user, leader, support_staff, dt.date(FUTURE_YEAR, 6, 3))
    retried = scheduled_email(school_a_user, leader, support_staff, dt.date(FUTURE_YEAR, 6, 4))
    fresh = scheduled_email(school_a_user, leader, support_staff, dt.date(FUTURE_YEAR, 6, 5))
    waiting = scheduled_email(school_a_user, leader, support_staff, dt.date(FUTURE_YEAR, 6, 6))
    now = timezone.now()
    RequestEmail.objects.filter(pk=failed.pk).update(state=State.FAILED, attempts=5)
    # Failed three times; its back-off is over.
    RequestEmail.objects.filter(pk=retried.pk).update(
        attempts=3, next_attempt_at=now - dt.timedelta(seconds=1)
    )
    # Failed once; its back-off is not over yet.
    RequestEmail.objects.filter(pk=waiting.pk).update(
        attempts=1, next_attempt_at=now + dt.timedelta(minutes=5)
    )
    assert outbox.due(RequestEmail, limit=1) == [fresh.pk]
    ids, stale = services.emails_sweep()
    assert (ids, stale) == ([fresh.pk, retried.pk], 0)
    # The beat's sweep sends those two, and only those.
    assert sweep_outboxes()["support.requestemail"] == 2
    states = dict(RequestEmail.objects.values_list("pk", "state"))
    assert states == {
        failed.pk: State.FAILED,
        retried.pk: State.SENT,
        fresh.pk: State.SENT,
        waiting.pk: State.PENDING,
    }
    assert len(mail.outbox) == 2


def test_admin_lists_failed_emails_and_sends_them_again(
    client, school_a_user, leader, support_staff, admin, django_capture_on_commit_callbacks
):
    email = scheduled_email(school_a_user, leader, support_staff)
    sent = scheduled_email(school_a_user, leader, support_staff, dt.date(FUTURE_YEAR, 6, 4))
    RequestEmail.objects.filter(pk=email.pk).update(
        state=State.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected",
        next_attempt_at=timezone.now() + dt.timedelta(minutes=10),
    )
    assert services.emails_send(email_ids=[sent.pk]) == {"sent": 1}
    mail.outbox.clear()
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:support_requestemail_changelist")
    page = client.get(url, {"state__exact": "failed"})
    assert page.status_code == 200
    assert school_a_user.school.email in page.content.decode()
    assert list(page.context["cl"].result_list) == [email]
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            url, {"action": "send_again", "_selected_action": [email.pk, sent.pk]}, follow=True
        )
    assert response.status_code == 200
    email.refresh_from_db()
    assert (email.state, email.attempts, email.last_error) == (State.PENDING, 0, "")
    assert email.next_attempt_at is None and email.claimed_at is None
    # Only a failed e-mail is sent again: the one that went out stays sent.
    sent.refresh_from_db()
    assert sent.state == State.SENT
    # The decision is in the change log, by the administrator, through admin.
    entry = ObjectChange.objects.get(action=ObjectChange.Action.RESEND)
    assert (entry.by, entry.via, entry.object_id) == (admin, ObjectChange.Via.ADMIN, str(email.pk))
    assert len(callbacks) == 1  # the task is enqueued after commit; here it runs:
    assert services.emails_send(email_ids=[email.pk]) == {"sent": 1}
    email.refresh_from_db()
    assert email.state == State.SENT
    assert email.sent_at is not None
    assert [m.to for m in mail.outbox] == [[school_a_user.school.email]]


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_refusing_mail_server_does_not_break_the_schedule_page(
    client, school_a_user, leader, support_staff, settings
):
    """No Redis: the task runs in the request after commit. The visit is already
    scheduled then, so the page must succeed and the e-mail wait, with its back-off,
    for the sweep."""
    from gigaportal.celery import app

    settings.EMAIL_BACKEND = REFUSING
    request = make_request(school=school_a_user.school, requested_by=school_a_user)
    client.force_login(leader)
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        started = timezone.now()
        response = client.post(
            reverse("support:request_schedule", args=[request.pk]),
            {
                "staff": [support_staff.pk],
                "date": f"{FUTURE_YEAR}-06-03",
                "submit_token": submit_token(leader),
            },
        )
    finally:
        app.conf.task_always_eager = saved
    assert response.status_code == 302
    assert response.url == reverse("support:request_detail", args=[request.pk])
    request.refresh_from_db()
    assert request.status == "scheduled"
    email = RequestEmail.objects.get(request=request)
    assert (email.state, email.attempts, email.sent_at) == (State.PENDING, 1, None)
    assert "SMTPServerDisconnected" in email.last_error
    assert email.next_attempt_at > started
    assert services.emails_sweep()[0] == []  # not before its back-off is over
    assert services.emails_sweep(now=email.next_attempt_at)[0] == [email.pk]

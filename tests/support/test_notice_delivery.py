"""The school's "visit scheduled" e-mail is never lost and never sent on a guess:
claimed before sending, marked sent only after the mail server took it, a sender
that died mid-send flagged for a person, given up after a number of attempts with a
visible failed state, and sent again from admin."""

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from gigaportal.models import User
from support import services
from support.models import RequestNotice
from tests.support.factories import make_request

pytestmark = pytest.mark.django_db

REFUSING = "tests.support.mail_backends.RefusingBackend"
KILLED = "tests.support.mail_backends.WorkerKilledBackend"


def scheduled_notice(school_a_user, leader, support_staff, day=dt.date(2030, 6, 3)):
    request = make_request(school=school_a_user.school, requested_by=school_a_user)
    services.request_schedule(actor=leader, request=request, staff=[support_staff], date=day)
    return RequestNotice.objects.get(request=request)


def test_a_sender_killed_mid_send_leaves_the_notice_unsent_and_flagged_for_a_person(
    school_a_user, leader, support_staff, settings
):
    notice = scheduled_notice(school_a_user, leader, support_staff)
    settings.EMAIL_BACKEND = KILLED
    with pytest.raises(SystemExit):
        services.notice_send(notice_id=notice.pk)
    notice.refresh_from_db()
    assert notice.sent_at is None, "the row must not say sent before the server took it"
    assert notice.state == RequestNotice.State.SENDING
    # A redelivered task finds the claim taken and does not send on a guess.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert services.notice_send(notice_id=notice.pk) is False
    # Within the stale window the sweep leaves it alone; after it, it flags it.
    assert services.notice_sweep(older_than=dt.timedelta(0)) == ([], 0)
    later = timezone.now() + services.NOTICE_STALE_CLAIM + dt.timedelta(minutes=1)
    ids, stale = services.notice_sweep(older_than=dt.timedelta(0), now=later)
    assert (ids, stale) == ([], 1)
    notice.refresh_from_db()
    assert notice.state == RequestNotice.State.FAILED
    assert "届いたか確認" in notice.last_error
    assert mail.outbox == []


def test_a_notice_the_server_keeps_refusing_fails_visibly_after_the_last_attempt(
    school_a_user, leader, support_staff, settings
):
    notice = scheduled_notice(school_a_user, leader, support_staff)
    settings.EMAIL_BACKEND = REFUSING
    for _ in range(services.NOTICE_MAX_ATTEMPTS - 1):
        with pytest.raises(services.NoticeNotSent):
            services.notice_send(notice_id=notice.pk)
        notice.refresh_from_db()
        assert notice.state == RequestNotice.State.PENDING
        assert "SMTPServerDisconnected" in notice.last_error
    assert services.notice_send(notice_id=notice.pk) is False
    notice.refresh_from_db()
    assert notice.state == RequestNotice.State.FAILED
    assert notice.attempts == services.NOTICE_MAX_ATTEMPTS
    assert services.notice_send(notice_id=notice.pk) is False  # no more attempts
    assert services.notice_sweep(older_than=dt.timedelta(0))[0] == []


def test_failing_notices_do_not_hold_back_newer_ones_in_the_sweep(
    school_a_user, leader, support_staff
):
    failed = scheduled_notice(school_a_user, leader, support_staff, dt.date(2030, 6, 3))
    retried = scheduled_notice(school_a_user, leader, support_staff, dt.date(2030, 6, 4))
    fresh = scheduled_notice(school_a_user, leader, support_staff, dt.date(2030, 6, 5))
    RequestNotice.objects.filter(pk=failed.pk).update(state=RequestNotice.State.FAILED, attempts=5)
    RequestNotice.objects.filter(pk=retried.pk).update(attempts=3)
    ids, _ = services.notice_sweep(older_than=dt.timedelta(0), limit=1)
    assert ids == [fresh.pk]
    ids, _ = services.notice_sweep(older_than=dt.timedelta(0))
    assert ids == [fresh.pk, retried.pk]


def test_admin_lists_failed_notices_and_sends_them_again(
    client, school_a_user, leader, support_staff, admin, django_capture_on_commit_callbacks
):
    notice = scheduled_notice(school_a_user, leader, support_staff)
    RequestNotice.objects.filter(pk=notice.pk).update(
        state=RequestNotice.State.FAILED, attempts=5, last_error="SMTPServerDisconnected"
    )
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:support_requestnotice_changelist")
    page = client.get(url, {"state__exact": "failed"})
    assert page.status_code == 200
    assert school_a_user.school.email in page.content.decode()
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(
            url, {"action": "send_again", "_selected_action": [notice.pk]}, follow=True
        )
    assert response.status_code == 200
    notice.refresh_from_db()
    assert (notice.state, notice.attempts, notice.last_error) == ("pending", 0, "")
    assert len(callbacks) == 1  # the task is enqueued after commit; here it runs:
    assert services.notice_send(notice_id=notice.pk) is True
    notice.refresh_from_db()
    assert notice.state == RequestNotice.State.SENT
    assert notice.sent_at is not None
    assert [m.to for m in mail.outbox] == [[school_a_user.school.email]]


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_a_refusing_mail_server_does_not_break_the_schedule_page(
    client, school_a_user, leader, support_staff, settings
):
    """No Redis: the task runs in the request after commit. The visit is already
    scheduled then, so the page must succeed and the notice wait for the sweep."""
    from gigaportal.celery import app

    settings.EMAIL_BACKEND = REFUSING
    request = make_request(school=school_a_user.school, requested_by=school_a_user)
    client.force_login(leader)
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        response = client.post(
            reverse("support:request_schedule", args=[request.pk]),
            {"staff": [support_staff.pk], "date": "2030-06-03"},
        )
    finally:
        app.conf.task_always_eager = saved
    assert response.status_code == 302
    assert response.url == reverse("support:request_detail", args=[request.pk])
    request.refresh_from_db()
    assert request.status == "scheduled"
    notice = RequestNotice.objects.get(request=request)
    assert (notice.state, notice.attempts, notice.sent_at) == ("pending", 1, None)
    assert "SMTPServerDisconnected" in notice.last_error
    assert services.notice_sweep(older_than=dt.timedelta(0))[0] == [notice.pk]

"""Services against PostgreSQL: the request flow, campaigns, records and e-mails."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.utils import timezone

from gigaportal.outbox import State
from support import services
from support.models import (
    Campaign,
    RequestEmail,
    RequestEvent,
    Status,
    SupportRecord,
    SupportRequest,
)
from support.services import RecordInput, SupportError
from tests.factories import make_school, make_user
from tests.support.factories import make_request, topic

pytestmark = pytest.mark.django_db


def ask(school_user, **extra):
    return services.request_create(
        by=school_user,
        school=school_user.school,
        kind=extra.get("kind", "visit"),
        topic=topic("classroom"),
        preferred_dates=[timezone.localdate() + dt.timedelta(days=5)],
        details="Classroomのクラス作成",
    )


def visit(school, staff, **extra):
    return RecordInput(
        date=timezone.localdate(), school=school, kind="visit", staff=[staff], **extra
    )


def test_the_whole_request_flow_is_logged_event_by_event(
    school_a_user, leader, support_staff, django_capture_on_commit_callbacks
):
    request = ask(school_a_user)
    day = timezone.localdate() + dt.timedelta(days=6)
    with django_capture_on_commit_callbacks() as callbacks:
        services.request_schedule(
            by=leader, request=request, staff=[support_staff], date=day, time=dt.time(10)
        )
    assert len(callbacks) == 1  # the e-mail's task is enqueued only after commit
    record = services.record_create(
        by=support_staff, data=visit(school_a_user.school, support_staff), request=request
    )
    request.refresh_from_db()
    assert request.status == Status.DONE
    assert request.closed_at is not None
    assert record.request == request
    events = list(
        RequestEvent.objects.filter(request=request).values_list(
            "by__username", "from_status", "to_status"
        )
    )
    assert events == [
        ("school_a_user", "", "requested"),
        ("leader", "requested", "scheduled"),
        ("support_staff", "scheduled", "done"),
    ]


def test_scheduling_queues_an_email_to_the_school_in_japanese(school_a_user, leader, support_staff):
    request = ask(school_a_user)
    services.request_schedule(
        by=leader, request=request, staff=[support_staff], date=dt.date(2030, 5, 7)
    )
    email = RequestEmail.objects.get(request=request)
    assert email.recipient == school_a_user.school.email
    assert "2030-05-07" in email.subject
    assert "2030年5月7日" in email.body
    assert "佐藤 健" in email.body
    assert (email.state, email.attempts, email.sent_at) == (State.PENDING, 0, None)


def test_an_email_is_sent_once_even_if_the_task_runs_twice(school_a_user, leader, support_staff):
    request = ask(school_a_user)
    services.request_schedule(
        by=leader, request=request, staff=[support_staff], date=dt.date(2030, 5, 7)
    )
    email = RequestEmail.objects.get(request=request)
    assert services.emails_send(email_ids=[email.pk]) == {"sent": 1}
    assert services.emails_send(email_ids=[email.pk]) == {"skipped": 1}
    email.refresh_from_db()
    assert (email.state, email.attempts) == (State.SENT, 1)
    assert email.sent_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [school_a_user.school.email]


def test_staff_cannot_schedule_and_nothing_changes(school_a_user, support_staff):
    request = ask(school_a_user)
    with pytest.raises(SupportError):
        services.request_schedule(
            by=support_staff, request=request, staff=[support_staff], date=dt.date(2030, 1, 7)
        )
    request.refresh_from_db()
    assert request.status == Status.REQUESTED
    assert request.events.count() == 1
    assert not RequestEmail.objects.exists()


def test_logging_against_another_schools_request_is_refused_whole(
    school_a_user, school_b, support_staff
):
    request = ask(school_a_user)
    with pytest.raises(SupportError):
        services.record_create(
            by=support_staff, data=visit(school_b, support_staff), request=request
        )
    assert not SupportRecord.objects.exists()
    request.refresh_from_db()
    assert request.status == Status.REQUESTED


def test_a_scheduled_visit_of_another_staff_member_cannot_be_closed_by_me(
    school_a, school_a_user, leader, support_staff
):
    colleague = make_user(role="support", full_name="鈴木 大輔")
    request = make_request(
        school=school_a, requested_by=school_a_user, status=Status.SCHEDULED, staff=[colleague]
    )
    with pytest.raises(SupportError):
        services.record_create(
            by=support_staff, data=visit(school_a, support_staff), request=request
        )
    assert not SupportRecord.objects.exists()


def test_a_school_may_not_ask_for_another_school(school_a_user, school_b):
    with pytest.raises(SupportError):
        services.request_create(
            by=school_a_user,
            school=school_b,
            kind="visit",
            topic=None,
            preferred_dates=[],
            details="x",
        )
    assert not SupportRequest.objects.exists()


def test_the_asking_school_cancels_its_request(school_a_user):
    request = ask(school_a_user)
    services.request_cancel(by=school_a_user, request=request, note="解決しました")
    request.refresh_from_db()
    assert request.status == Status.CANCELLED
    with pytest.raises(SupportError):
        services.request_cancel(by=school_a_user, request=request)


def test_staff_edit_their_record_the_same_day_only(school_a, support_staff, leader):
    record = services.record_create(by=support_staff, data=visit(school_a, support_staff))
    services.record_update(
        by=support_staff,
        record=record,
        data=visit(school_a, support_staff, what_was_done="追記"),
    )
    SupportRecord.objects.filter(pk=record.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )
    record.refresh_from_db()
    with pytest.raises(SupportError):
        services.record_update(by=support_staff, record=record, data=visit(school_a, support_staff))
    services.record_update(
        by=leader, record=record, data=visit(school_a, support_staff, what_was_done="修正")
    )
    record.refresh_from_db()
    assert record.what_was_done == "修正"


def test_a_campaign_schedules_one_visit_per_school_in_a_fixed_number_of_queries(
    leader, support_staff, django_assert_max_num_queries
):
    colleague = make_user(role="support")

    updates = topic("updates")
    # The content type of the change-log entry is cached for the process after its
    # first use; warm it so that both plans count the same queries.
    ContentType.objects.get_for_model(Campaign)
    counts = []

    def plan(count, name):
        schools = [make_school() for _ in range(count)]
        with django_assert_max_num_queries(15) as queries:
            campaign = services.campaign_create(
                by=leader,
                name=name,
                start=dt.date(2030, 8, 1),
                end=dt.date(2030, 8, 9),
                kind="visit",
                topic=updates,
                schools=schools,
                staff=[support_staff, colleague],
                visits_per_staff_per_day=2,
            )
        counts.append(len(queries))
        return campaign

    plan(3, "small")
    campaign = plan(20, "iPadOS更新")
    assert counts[0] == counts[1], counts  # the same for 3 schools and for 20
    visits = SupportRequest.objects.filter(campaign=campaign)
    assert visits.count() == 20
    assert set(visits.values_list("status", flat=True)) == {Status.SCHEDULED}
    assert RequestEvent.objects.filter(request__campaign=campaign).count() == 20
    assert RequestEmail.objects.filter(request__campaign=campaign).count() == 20
    per_staff = [visits.filter(assigned_staff=u).count() for u in (support_staff, colleague)]
    assert per_staff == [10, 10]
    assert all(d.weekday() < 5 for d in visits.values_list("scheduled_date", flat=True))


def test_a_campaign_the_staff_cannot_carry_is_refused_and_writes_nothing(leader, support_staff):
    schools = [make_school() for _ in range(5)]
    with pytest.raises(SupportError):
        services.campaign_create(
            by=leader,
            name="x",
            start=dt.date(2030, 8, 1),
            end=dt.date(2030, 8, 1),
            kind="visit",
            topic=None,
            schools=schools,
            staff=[support_staff],
            visits_per_staff_per_day=2,
        )
    assert not SupportRequest.objects.exists()

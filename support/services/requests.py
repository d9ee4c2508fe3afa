"""Schools' requests: asked for, scheduled (the school is e-mailed), cancelled. Every
move is checked by support.rules, recorded on the request's timeline and in the change
log, in one transaction; the e-mail goes through the outbox after commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal import changelog
from gigaportal.models import School, User
from gigaportal.roles import Role
from support import rules
from support.models import RequestComment, Status, SupportRequest, Topic
from support.services.common import SupportError, check_staff, locked, log_event, move
from support.services.emails import email_queue_for_schedule

SCHEDULE_FIELDS = ["school", "status", "scheduled_date", "scheduled_time", "assigned_staff"]
REQUEST_FIELDS = [
    "school",
    "kind",
    "topic",
    "preferred_date_1",
    "preferred_date_2",
    "preferred_date_3",
    "details",
    "status",
]


def request_create(
    *,
    by,
    school: School,
    kind: str,
    topic: Topic | None,
    preferred_dates: Sequence[dt.date],
    details: str,
) -> SupportRequest:
    """A school asks for a visit or online help (the leader may enter one for a school
    that phoned). Preferred dates are from today on."""
    if by.role == Role.SCHOOL:
        if by.school_id != school.pk:
            raise SupportError(_("You can ask only for your own school."))
    elif by.role not in (Role.LEADER, Role.ADMIN):
        raise SupportError(_("Requests come from schools or the leader."))
    dates = list(preferred_dates)[:3]
    today = timezone.localdate()
    for index, day in enumerate(dates, start=1):
        if day < today:
            raise SupportError(_("Choose a date from today on."), field=f"preferred_date_{index}")
    dates += [None] * (3 - len(dates))
    with transaction.atomic():
        request = SupportRequest.objects.create(
            school=school,
            requested_by=by,
            kind=kind,
            topic=topic,
            preferred_date_1=dates[0],
            preferred_date_2=dates[1],
            preferred_date_3=dates[2],
            details=details,
        )
        log_event(request, by=by, from_status="")
        changelog.record(by=by, action=changelog.Action.CREATE, obj=request, fields=REQUEST_FIELDS)
    return request


class AlreadyScheduled(SupportError):
    """The request is already scheduled for this date, time and staff (a double click,
    a second tab, two leaders at once): nothing changes and the school is not e-mailed
    again."""

    def __init__(self, request: SupportRequest) -> None:
        self.request = request
        super().__init__(
            _(
                "This visit is already scheduled for that date and staff; the school was not e-mailed again."
            )
        )


def _same_schedule(request: SupportRequest, *, staff, date, time, school) -> bool:
    return (
        request.status == Status.SCHEDULED
        and request.scheduled_date == date
        and request.scheduled_time == time
        and (school is None or school.pk == request.school_id)
        and set(request.assigned_staff.values_list("pk", flat=True)) == {u.pk for u in staff}
    )


def request_schedule(
    *,
    by,
    request: SupportRequest,
    staff: Sequence[User],
    date: dt.date,
    time: dt.time | None = None,
    note: str = "",
    school: School | None = None,
) -> SupportRequest:
    """The leader assigns staff and a date (again, to reschedule); the school is told
    by e-mail. Django admin comes here too, also to move a request entered for the
    wrong school (`school`).

    1. Check the move (requested or scheduled → scheduled, leader only) and the staff,
       under the request's row lock; the same schedule again is AlreadyScheduled, so
       two posts of it (even at once) make one event and one e-mail.
    2. Save the assignment, log it on the request's timeline and in the change log.
    3. Queue the school's e-mail in the outbox; it is published on commit.
    """
    check_staff(staff)
    with transaction.atomic():
        request = locked(request)
        new_status = move(request, rules.Action.SCHEDULE, by)
        if _same_schedule(request, staff=staff, date=date, time=time, school=school):
            raise AlreadyScheduled(request)
        before = changelog.values(request, SCHEDULE_FIELDS)
        previous = request.status
        request.status = new_status
        request.scheduled_date = date
        request.scheduled_time = time
        if school is not None:
            request.school = school
        request.save(update_fields=["status", "scheduled_date", "scheduled_time", "school"])
        request.assigned_staff.set(staff)
        log_event(request, by=by, from_status=previous, note=note)
        changelog.record(
            by=by,
            action=changelog.Action.SCHEDULE,
            obj=request,
            before=before,
            after=changelog.values(request, SCHEDULE_FIELDS) | {"note": note or None},
        )
        email_queue_for_schedule(request)
    return request


def request_move(*, by, request: SupportRequest, school: School, note: str = "") -> SupportRequest:
    """A request entered for the wrong school is moved to the right one (admin); the
    visit, if any, is not touched, so nobody is e-mailed."""
    if by.role not in (Role.LEADER, Role.ADMIN):
        raise SupportError(_("Only the leader moves a request to another school."))
    with transaction.atomic():
        request = locked(request)
        if request.status not in (Status.REQUESTED, Status.SCHEDULED):
            raise SupportError(_("A closed request cannot be changed."))
        previous = request.school
        if previous.pk == school.pk:
            return request
        request.school = school
        request.save(update_fields=["school"])
        log_event(
            request,
            by=by,
            from_status=request.status,
            note=(note or _("Moved from %(school)s") % {"school": previous.name})[:300],
        )
        changelog.record(
            by=by,
            action=changelog.Action.UPDATE,
            obj=request,
            changes={"school": [previous.name, school.name]},
        )
    return request


def request_cancel(*, by, request: SupportRequest, note: str = "") -> SupportRequest:
    """The school that asked, or the leader, withdraws an open request (with a reason)."""
    with transaction.atomic():
        request = locked(request)
        new_status = move(request, rules.Action.CANCEL, by)
        previous = request.status
        request.status = new_status
        request.closed_at = timezone.now()
        request.save(update_fields=["status", "closed_at"])
        log_event(request, by=by, from_status=previous, note=note)
        changelog.record(
            by=by,
            action=changelog.Action.CANCEL,
            obj=request,
            changes={"status": [previous, new_status], "reason": [None, note or None]},
        )
    return request


COMMENT_MAX = 2000


def request_comment(*, by, request: SupportRequest, text: str) -> RequestComment:
    """A note from the school that asked or from the center, on the request's page.
    A school user comments only on their own school's requests."""
    text = (text or "").strip()
    if not text:
        raise SupportError(_("Write a comment first."), field="text")
    if len(text) > COMMENT_MAX:
        raise SupportError(
            _("A comment may be at most %(n)s characters.") % {"n": COMMENT_MAX}, field="text"
        )
    if by.role == Role.SCHOOL and by.school_id != request.school_id:
        raise SupportError(_("You can comment only on your own school's requests."))
    with transaction.atomic():
        comment = RequestComment.objects.create(request=request, by=by, text=text)
        changelog.record(
            by=by,
            action=changelog.Action.CREATE,
            obj=comment,
            changes={"text": [None, text]},
        )
    return comment

"""Support records: logging support given (closing the request it answers), editing
within the rules, and importing an existing log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal import changelog
from gigaportal.models import School, User
from gigaportal.roles import STAFF_ROLES
from support import rules
from support.models import SupportRecord, SupportRequest, Topic
from support.services.common import SupportError, actor_of, check_staff, locked, log_event, move

RECORD_FIELDS = [
    "date",
    "start_time",
    "school",
    "kind",
    "staff",
    "topics",
    "duration_minutes",
    "what_was_done",
    "follow_up_needed",
    "request",
]


@dataclass(frozen=True)
class RecordInput:
    date: dt.date
    school: School
    kind: str
    staff: Sequence[User]
    topics: Sequence[Topic] = ()
    start_time: dt.time | None = None
    duration_minutes: int | None = None
    what_was_done: str = ""
    follow_up_needed: bool = False


def record_create(*, by, data: RecordInput, request: SupportRequest | None = None) -> SupportRecord:
    """Logs support given; logging against an open request closes it.

    1. Check the actor is center staff and the request (if any) is the same school's.
    2. Save the record with its staff and topics.
    3. Move the request to done and log the change, in the same transaction.
    """
    if by.role not in STAFF_ROLES:
        raise SupportError(_("Only center staff log support."))
    check_staff(data.staff)
    with transaction.atomic():
        if request is not None:
            request = locked(request)
            if request.school_id != data.school.pk:
                raise SupportError(_("The request is from another school."), field="school")
            new_status = move(request, rules.Action.COMPLETE, by)
        record = SupportRecord.objects.create(
            date=data.date,
            start_time=data.start_time,
            school=data.school,
            kind=data.kind,
            duration_minutes=data.duration_minutes,
            what_was_done=data.what_was_done,
            follow_up_needed=data.follow_up_needed,
            request=request,
            created_by_id=getattr(by, "pk", None),
        )
        record.staff.set(data.staff)
        record.topics.set(data.topics)
        changelog.record(by=by, action=changelog.Action.CREATE, obj=record, fields=RECORD_FIELDS)
        if request is not None:
            previous = request.status
            request.status = new_status
            request.closed_at = timezone.now()
            request.save(update_fields=["status", "closed_at"])
            log_event(request, by=by, from_status=previous, note=_("Support logged"))
            changelog.record(
                by=by,
                action=changelog.Action.COMPLETE,
                obj=request,
                changes={"status": [previous, new_status], "record": [None, str(record)]},
            )
    return record


def record_may_edit(*, record: SupportRecord, user, today: dt.date | None = None) -> bool:
    facts = rules.RecordFacts(
        created_by_id=record.created_by_id,
        staff_ids=frozenset(s.pk for s in record.staff.all()),
        logged_on=timezone.localdate(record.created_at),
    )
    return rules.may_edit_record(
        record=facts, actor=actor_of(user), today=today or timezone.localdate()
    )


def record_check(*, by, record: SupportRecord, data: RecordInput) -> None:
    """Raises SupportError when `by` may not make this edit: the page, Django admin's
    form and record_update all ask here."""
    if not record_may_edit(record=record, user=by):
        raise SupportError(
            _("You may edit your own records on the day you logged them; ask the leader.")
        )
    check_staff(data.staff)
    if record.request_id and record.request.school_id != data.school.pk:
        raise SupportError(_("The request is from another school."), field="school")


def record_update(*, by, record: SupportRecord, data: RecordInput) -> SupportRecord:
    """Edits a record within the rules (record_check), under the record's row lock so
    that two edits at once see each other."""
    with transaction.atomic():
        record = (
            SupportRecord.objects.select_for_update(of=("self",))
            .select_related("request")
            .prefetch_related("staff", "topics")
            .get(pk=record.pk)
        )
        record_check(by=by, record=record, data=data)
        before = changelog.values(record, RECORD_FIELDS)
        for attr in (
            "date",
            "start_time",
            "school",
            "kind",
            "duration_minutes",
            "what_was_done",
            "follow_up_needed",
        ):
            setattr(record, attr, getattr(data, attr))
        record.save()
        record.staff.set(data.staff)
        record.topics.set(data.topics)
        changelog.record(
            by=by, action=changelog.Action.UPDATE, obj=record, before=before, fields=RECORD_FIELDS
        )
    return record

"""Writes for the support center. Each service runs in one transaction, asks
support.rules whether the move is allowed, logs every request state change as a
RequestEvent, and queues e-mails in the RequestNotice outbox, sent after commit."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal.models import School, User
from gigaportal.roles import STAFF_ROLES, Role
from gigaportal.tabular import Column, TableReader, TabularError, parse_choice, parse_date
from support import rules
from support.models import (
    CalendarFeedToken,
    Campaign,
    Kind,
    RequestEvent,
    RequestNotice,
    Status,
    SupportLogImport,
    SupportRecord,
    SupportRequest,
    Topic,
    feed_token_digest,
)

logger = logging.getLogger(__name__)


class SupportError(Exception):
    """A refused action, with a message for the user (already translated)."""


# The rules speak English; these are the same sentences for makemessages to collect.
REFUSALS = {
    "only the leader assigns staff and a date": gettext_lazy(
        "only the leader assigns staff and a date"
    ),
    "only center staff log support": gettext_lazy("only center staff log support"),
    "the visit is assigned to other staff": gettext_lazy("the visit is assigned to other staff"),
    "only the leader or the school that asked may cancel": gettext_lazy(
        "only the leader or the school that asked may cancel"
    ),
}


def actor_of(user: User) -> rules.Actor:
    return rules.Actor(user_id=user.pk, role=user.role, school_id=user.school_id)


def _request_facts(request: SupportRequest) -> rules.RequestFacts:
    return rules.RequestFacts(
        status=rules.Status(request.status),
        school_id=request.school_id,
        assigned_staff_ids=frozenset(request.assigned_staff.values_list("pk", flat=True)),
    )


def _move(request: SupportRequest, action: rules.Action, actor: User) -> rules.Status:
    try:
        return rules.request_transition(
            request=_request_facts(request), action=action, actor=actor_of(actor)
        )
    except rules.TransitionRefused as exc:
        reason = str(exc)
        if reason.startswith("the request is already"):
            raise SupportError(
                _("This request is already %(status)s.") % {"status": request.get_status_display()}
            ) from None
        raise SupportError(str(REFUSALS.get(reason, reason))) from None


def _log_event(request: SupportRequest, *, actor: User, from_status: str, note: str = "") -> None:
    RequestEvent.objects.create(
        request=request,
        actor=actor,
        from_status=from_status,
        to_status=request.status,
        note=note[:300],
    )


def _locked(request: SupportRequest) -> SupportRequest:
    # Two people acting on one request at once (the leader rescheduling while staff
    # log the visit) must see each other's result, not overwrite it.
    return SupportRequest.objects.select_for_update().get(pk=request.pk)


def _check_staff(staff: Sequence[User]) -> None:
    """Only center staff (support staff and the leader) are named on records, visits
    and campaigns; rules.CENTER_STAFF_ROLES, the same list the forms offer."""
    if not staff:
        raise SupportError(_("Choose at least one staff member."))
    if any(user.role == Role.ADMIN for user in staff):
        raise SupportError(
            _("An administrator is not center staff; choose support staff or the leader.")
        )
    if any(user.role not in rules.CENTER_STAFF_ROLES for user in staff):
        raise SupportError(_("Only center staff can be assigned."))


# --- Records -------------------------------------------------------------------------


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


def record_create(
    *, actor: User, data: RecordInput, request: SupportRequest | None = None
) -> SupportRecord:
    """Logs support given; logging against an open request closes it.

    1. Check the actor is center staff and the request (if any) is the same school's.
    2. Save the record with its staff and topics.
    3. Move the request to done and log the change, in the same transaction.
    """
    if actor.role not in STAFF_ROLES:
        raise SupportError(_("Only center staff log support."))
    _check_staff(data.staff)
    with transaction.atomic():
        if request is not None:
            request = _locked(request)
            if request.school_id != data.school.pk:
                raise SupportError(_("The request is from another school."))
            new_status = _move(request, rules.Action.COMPLETE, actor)
        record = SupportRecord.objects.create(
            date=data.date,
            start_time=data.start_time,
            school=data.school,
            kind=data.kind,
            duration_minutes=data.duration_minutes,
            what_was_done=data.what_was_done,
            follow_up_needed=data.follow_up_needed,
            request=request,
            created_by=actor,
        )
        record.staff.set(data.staff)
        record.topics.set(data.topics)
        if request is not None:
            previous = request.status
            request.status = new_status
            request.closed_at = timezone.now()
            request.save(update_fields=["status", "closed_at"])
            _log_event(request, actor=actor, from_status=previous, note=_("Support logged"))
    return record


def record_may_edit(*, record: SupportRecord, user: User, today: dt.date | None = None) -> bool:
    facts = rules.RecordFacts(
        created_by_id=record.created_by_id,
        staff_ids=frozenset(s.pk for s in record.staff.all()),
        logged_on=timezone.localdate(record.created_at),
    )
    return rules.may_edit_record(
        record=facts, actor=actor_of(user), today=today or timezone.localdate()
    )


def record_update(*, actor: User, record: SupportRecord, data: RecordInput) -> SupportRecord:
    if not record_may_edit(record=record, user=actor):
        raise SupportError(
            _("You may edit your own records on the day you logged them; ask the leader.")
        )
    _check_staff(data.staff)
    if record.request_id and record.request.school_id != data.school.pk:
        raise SupportError(_("The request is from another school."))
    with transaction.atomic():
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
    return record


# --- Requests -------------------------------------------------------------------------


def request_create(
    *,
    actor: User,
    school: School,
    kind: str,
    topic: Topic | None,
    preferred_dates: Sequence[dt.date],
    details: str,
) -> SupportRequest:
    """A school asks for a visit or online help (the leader may enter one for a school
    that phoned)."""
    if actor.role == Role.SCHOOL:
        if actor.school_id != school.pk:
            raise SupportError(_("You can ask only for your own school."))
    elif actor.role not in (Role.LEADER, Role.ADMIN):
        raise SupportError(_("Requests come from schools or the leader."))
    dates = list(preferred_dates)[:3] + [None] * (3 - len(list(preferred_dates)[:3]))
    with transaction.atomic():
        request = SupportRequest.objects.create(
            school=school,
            requested_by=actor,
            kind=kind,
            topic=topic,
            preferred_date_1=dates[0],
            preferred_date_2=dates[1],
            preferred_date_3=dates[2],
            details=details,
        )
        _log_event(request, actor=actor, from_status="")
    return request


def _queue_notice(request: SupportRequest) -> RequestNotice | None:
    """Writes the school's e-mail to the outbox; sent by a task after commit."""
    if not request.school.email:
        return None
    staff = ", ".join(u.display_name for u in request.assigned_staff.all())
    url = settings.PORTAL_BASE_URL + reverse("support:request_detail", args=[request.pk])
    # Schools read Japanese whatever language the leader's browser is in.
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[GIGA support] Your support visit is scheduled for %(date)s") % {
            "date": f"{request.scheduled_date:%Y-%m-%d}"
        }
        body = render_to_string(
            "emails/support_request_scheduled.txt",
            {"request": request, "staff": staff, "url": url},
        )
    return RequestNotice(
        request=request, recipient=request.school.email, subject=subject, body=body
    )


def _send_notices_on_commit(notice_ids: list[int]) -> None:
    if not notice_ids:
        return
    from support.tasks import send_request_notice

    def enqueue():
        for notice_id in notice_ids:
            try:
                send_request_notice.delay(notice_id)
            except Exception:
                # The visit is committed whatever happens to its e-mail: without a
                # broker the task runs here, and a mail server that refuses must not
                # turn the leader's page into an error. The notice stays pending for
                # the sweep (or failed for a person after too many attempts).
                logger.exception("support notice %s was not sent", notice_id)

    transaction.on_commit(enqueue, robust=True)


def request_schedule(
    *,
    actor: User,
    request: SupportRequest,
    staff: Sequence[User],
    date: dt.date,
    time: dt.time | None = None,
    note: str = "",
) -> SupportRequest:
    """The leader assigns staff and a date; the school is told by e-mail.

    1. Check the move (requested or scheduled → scheduled, leader only) and the staff.
    2. Save the assignment and log the change.
    3. Queue the school's e-mail in the outbox; the task is enqueued on commit.
    """
    _check_staff(staff)
    with transaction.atomic():
        request = _locked(request)
        new_status = _move(request, rules.Action.SCHEDULE, actor)
        previous = request.status
        request.status = new_status
        request.scheduled_date = date
        request.scheduled_time = time
        request.save(update_fields=["status", "scheduled_date", "scheduled_time"])
        request.assigned_staff.set(staff)
        _log_event(request, actor=actor, from_status=previous, note=note)
        notice = _queue_notice(request)
        if notice:
            notice.save()
            _send_notices_on_commit([notice.pk])
    return request


def request_cancel(*, actor: User, request: SupportRequest, note: str = "") -> SupportRequest:
    with transaction.atomic():
        request = _locked(request)
        new_status = _move(request, rules.Action.CANCEL, actor)
        previous = request.status
        request.status = new_status
        request.closed_at = timezone.now()
        request.save(update_fields=["status", "closed_at"])
        _log_event(request, actor=actor, from_status=previous, note=note)
    return request


# --- Campaigns --------------------------------------------------------------------------


def campaign_create(
    *,
    actor: User,
    name: str,
    start: dt.date,
    end: dt.date,
    kind: str,
    topic: Topic | None,
    schools: Sequence[School],
    staff: Sequence[User],
    details: str = "",
    visits_per_staff_per_day: int = 2,
) -> Campaign:
    """Plans one visit to each chosen school in the period, spread over the staff.

    1. Plan with support.rules.plan_campaign (weekdays of the period).
    2. Save the campaign and its visits as scheduled requests, in bulk.
    3. Log each visit's creation and queue each school's e-mail, in bulk.
    """
    if actor.role not in (Role.LEADER, Role.ADMIN):
        raise SupportError(_("Only the leader plans campaigns."))
    if start > end:
        raise SupportError(_("The period ends before it starts."))
    if staff:
        _check_staff(staff)
    schools = sorted(schools, key=lambda s: s.code)
    try:
        plan = rules.plan_campaign(
            school_ids=[s.pk for s in schools],
            staff_ids=[u.pk for u in staff],
            days=rules.campaign_days(start, end),
            visits_per_staff_per_day=visits_per_staff_per_day,
        )
    except rules.PlanningError as exc:
        raise SupportError(
            _("The visits cannot be planned: %(reason)s") % {"reason": exc}
        ) from None
    by_id = {s.pk: s for s in schools}
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name,
            start=start,
            end=end,
            kind=kind,
            topic=topic,
            details=details,
            created_by=actor,
        )
        campaign.schools.set(schools)
        campaign.staff.set(staff)
        visits = SupportRequest.objects.bulk_create(
            [
                SupportRequest(
                    school=by_id[visit.school_id],
                    requested_by=actor,
                    kind=kind,
                    topic=topic,
                    details=details or name,
                    status=Status.SCHEDULED,
                    scheduled_date=visit.day,
                    campaign=campaign,
                )
                for visit in plan
            ]
        )
        Through = SupportRequest.assigned_staff.through
        Through.objects.bulk_create(
            [
                Through(supportrequest_id=request.pk, user_id=visit.staff_id)
                for request, visit in zip(visits, plan, strict=True)
            ]
        )
        RequestEvent.objects.bulk_create(
            [
                RequestEvent(
                    request=request,
                    actor=actor,
                    from_status="",
                    to_status=Status.SCHEDULED,
                    note=name[:300],
                )
                for request in visits
            ]
        )
        staff_by_id = {u.pk: u for u in staff}
        notices = []
        for request, visit in zip(visits, plan, strict=True):
            # The prefetch cache spares one query per visit in _queue_notice.
            request._prefetched_objects_cache = {"assigned_staff": [staff_by_id[visit.staff_id]]}
            notice = _queue_notice(request)
            if notice:
                notices.append(notice)
        notices = RequestNotice.objects.bulk_create(notices)
        _send_notices_on_commit([n.pk for n in notices])
    return campaign


# --- Notices -------------------------------------------------------------------------------


# A notice that failed this many times stays failed for a person to look at.
NOTICE_MAX_ATTEMPTS = 5
# A claim older than this means the worker died while sending: the mail may or may
# not have gone out.
NOTICE_STALE_CLAIM = dt.timedelta(minutes=30)


class NoticeNotSent(Exception):
    """The mail server refused or could not be reached; the notice is pending again."""


def notice_claim(*, notice_id: int) -> bool:
    """Takes a pending notice for sending (a conditional update: a second task, a
    retry or the sweep finds it taken)."""
    return (
        RequestNotice.objects.filter(pk=notice_id, state=RequestNotice.State.PENDING).update(
            state=RequestNotice.State.SENDING,
            claimed_at=timezone.now(),
            attempts=F("attempts") + 1,
        )
        == 1
    )


def notice_send(*, notice_id: int) -> bool:
    """Sends one outbox e-mail once.

    1. Claim the row (pending → sending); if it is taken, do nothing.
    2. Send; only once the mail server accepted it is the row marked sent.
    3. On an error the row goes back to pending (NoticeNotSent is raised so the task
       retries later), or, after NOTICE_MAX_ATTEMPTS, stays failed for a person.
    A worker killed between 1 and 2 leaves the row `sending`; notice_sweep flags it.
    """
    if not notice_claim(notice_id=notice_id):
        return False
    notice = RequestNotice.objects.get(pk=notice_id)
    try:
        send_mail(notice.subject, notice.body, None, [notice.recipient])
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:300]
        mine = RequestNotice.objects.filter(pk=notice_id, state=RequestNotice.State.SENDING)
        if notice.attempts >= NOTICE_MAX_ATTEMPTS:
            mine.update(state=RequestNotice.State.FAILED, last_error=error)
            return False
        mine.update(state=RequestNotice.State.PENDING, claimed_at=None, last_error=error)
        raise NoticeNotSent(error) from exc
    RequestNotice.objects.filter(pk=notice_id).update(
        state=RequestNotice.State.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def notice_sweep(
    *,
    older_than: dt.timedelta = dt.timedelta(minutes=5),
    now: dt.datetime | None = None,
    limit: int = 500,
) -> tuple[list[int], int]:
    """What the beat sweep sends again, and how many stale claims it flagged.

    Pending notices only (failed ones wait for a person), fewest attempts first, so
    notices that keep failing never hold back newer ones. A claim older than
    NOTICE_STALE_CLAIM is marked failed with a message, never resent on a guess.
    """
    now = now or timezone.now()
    stale = RequestNotice.objects.filter(
        state=RequestNotice.State.SENDING, claimed_at__lt=now - NOTICE_STALE_CLAIM
    ).update(
        state=RequestNotice.State.FAILED,
        last_error=_(
            "The worker stopped while sending; check whether it arrived, then send again."
        )[:300],
    )
    ids = list(
        RequestNotice.objects.filter(
            state=RequestNotice.State.PENDING, created_at__lt=now - older_than
        )
        .order_by("attempts", "id")
        .values_list("id", flat=True)[:limit]
    )
    return ids, stale


def notice_requeue(*, notice_ids: Sequence[int]) -> int:
    """A person's decision to send again (admin): failed notices go back to pending
    and are sent after commit."""
    with transaction.atomic():
        ids = list(
            RequestNotice.objects.filter(
                id__in=list(notice_ids), state=RequestNotice.State.FAILED
            ).values_list("id", flat=True)
        )
        RequestNotice.objects.filter(id__in=ids).update(
            state=RequestNotice.State.PENDING, claimed_at=None, attempts=0, last_error=""
        )
        _send_notices_on_commit(ids)
    return len(ids)


# --- Calendar feed ------------------------------------------------------------------------


def feed_token_create(*, user: User) -> str:
    """Revokes the staff member's current address and returns a new secret; only its
    digest is stored."""
    if user.role not in STAFF_ROLES:
        raise SupportError(_("Only center staff have a visit calendar."))
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        # Two clicks at once: the second waits for the first to commit, then replaces
        # its address, instead of both inserting a live one (one_live_feed_token).
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
        CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        CalendarFeedToken.objects.create(user=user, digest=feed_token_digest(token))
    return token


def feed_token_revoke(*, user: User) -> int:
    # Takes the live address's row lock; a concurrent create holds the user's lock
    # and is simply replaced or revoked in turn.
    return CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def feed_token_user(*, token: str) -> User | None:
    """The staff member a live token belongs to, or None (wrong, revoked, or no longer
    staff)."""
    if not token or len(token) > 100:
        return None
    row = (
        CalendarFeedToken.objects.select_related("user")
        .filter(digest=feed_token_digest(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not row.user.is_active or row.user.role not in STAFF_ROLES:
        return None
    CalendarFeedToken.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
    return row.user


# --- Import ------------------------------------------------------------------------------

IMPORT_COLUMNS = (
    Column("date", ("日付",)),
    Column("school_code", ("学校コード",)),
    Column("kind", ("区分",)),
    Column("staff", ("担当",)),
    Column("topic", ("内容",), required=False),
    Column("note", ("備考",), required=False),
)

KIND_WORDS = {
    "オンライン支援": Kind.ONLINE,
    "online": Kind.ONLINE,
    "訪問支援": Kind.VISIT,
    "visit": Kind.VISIT,
    "研修支援": Kind.TRAINING,
    "training": Kind.TRAINING,
}

STAFF_SEPARATORS = ("、", "/", ";", "・")


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int = 0


def _split_staff(text: str) -> list[str]:
    for sep in STAFF_SEPARATORS:
        text = text.replace(sep, ",")
    return [part.strip() for part in text.split(",") if part.strip()]


def _name_key(text: str) -> str:
    return "".join(text.split())


def record_import(*, file: IO[bytes], actor: User) -> ImportResult:
    """Imports an existing log (one row per piece of support).

    1. Refuse a file imported before (the SHA-256 of its bytes), which would count
       its support twice.
    2. Read every row; schools by code, staff by username or full name (spaces
       ignored), topics by name or code; several staff may share a cell ("佐藤、鈴木").
       A row identical to a record already kept (date, school, kind, the same staff)
       is an error too: the log was (partly) imported before.
    3. Refuse the whole file if any row is wrong.
    4. Write the batch, the records and their staff and topic links in bulk, in one
       transaction.
    """
    content = file.read()
    digest = hashlib.sha256(content).hexdigest()
    _refuse_repeated_file(digest)
    reader = TableReader(io.BytesIO(content), IMPORT_COLUMNS)
    schools = dict(School.objects.values_list("code", "id"))
    # Center staff are named; an administrator's name gets its own clear message.
    people = list(User.objects.filter(role__in=STAFF_ROLES, is_active=True))
    staff_lookup: dict[str, int] = {}
    admin_names: set[str] = set()
    for user in people:
        keys = [user.username.lower()] + ([_name_key(user.full_name)] if user.full_name else [])
        for key in keys:
            if user.role in rules.CENTER_STAFF_ROLES:
                staff_lookup[key] = user.pk
            else:
                admin_names.add(key)
    topic_lookup: dict[str, int] = {}
    for topic in Topic.objects.all():
        topic_lookup[_name_key(topic.name)] = topic.pk
        topic_lookup[topic.code.lower()] = topic.pk
    parse_kind = parse_choice(KIND_WORDS)

    parsed: list[tuple[SupportRecord, list[int], list[int]]] = []
    parsed_rows = []
    for row in reader:
        day = row.parse("date", parse_date)
        code = row.require("school_code")
        school_id = schools.get(code) if code else None
        if code and school_id is None:
            row.error("school_code", _("no school has the code %(code)s") % {"code": code})
        kind = row.parse("kind", parse_kind)
        staff_ids: list[int] = []
        staff_text = row.require("staff")
        for name in _split_staff(staff_text or ""):
            user_id = staff_lookup.get(name.lower()) or staff_lookup.get(_name_key(name))
            if user_id is None and (name.lower() in admin_names or _name_key(name) in admin_names):
                row.error(
                    "staff",
                    _("%(name)s is an administrator, not center staff") % {"name": name},
                )
            elif user_id is None:
                row.error("staff", _("no staff member is called %(name)s") % {"name": name})
            elif user_id not in staff_ids:
                staff_ids.append(user_id)
        topic_ids: list[int] = []
        for name in _split_staff(row.get("topic")):
            topic_id = topic_lookup.get(_name_key(name)) or topic_lookup.get(name.lower())
            if topic_id is None:
                row.error("topic", _("%(name)s is not a support topic") % {"name": name})
            else:
                topic_ids.append(topic_id)
        if day and school_id and kind and staff_ids:
            record = SupportRecord(
                date=day,
                school_id=school_id,
                kind=kind,
                what_was_done=row.get("note"),
                created_by=actor,
            )
            parsed.append((record, staff_ids, topic_ids))
            parsed_rows.append(row)
    _report_rows_already_kept(parsed, parsed_rows)
    reader.raise_if_errors()

    try:
        with transaction.atomic():
            SupportLogImport.objects.create(
                sha256=digest,
                file_name=str(getattr(file, "name", "") or "")[-255:],
                rows=len(parsed),
                created_by=actor,
            )
            records = _write_import(parsed)
    except IntegrityError:
        # The same file, imported at the same moment by someone else.
        _refuse_repeated_file(digest)
        raise
    return ImportResult(created=len(records))


def _refuse_repeated_file(digest: str) -> None:
    earlier = SupportLogImport.objects.filter(sha256=digest).select_related("created_by").first()
    if earlier is not None:
        raise TabularError.single(
            _(
                "This file was already imported on %(date)s by %(user)s. Importing it "
                "again would count its support twice."
            )
            % {
                "date": f"{timezone.localtime(earlier.created_at):%Y-%m-%d %H:%M}",
                "user": earlier.created_by.display_name,
            }
        )


def _report_rows_already_kept(parsed, rows) -> None:
    """Marks each row identical to a record already kept (date, school, kind, the same
    staff) as an error; two queries whatever the number of rows."""
    if not parsed:
        return
    days = [record.date for record, _s, _t in parsed]
    candidates = SupportRecord.objects.filter(
        date__gte=min(days),
        date__lte=max(days),
        school_id__in={record.school_id for record, _s, _t in parsed},
    ).values_list("pk", "date", "school_id", "kind")
    if not candidates:
        return
    key_of = {pk: (date, school_id, kind) for pk, date, school_id, kind in candidates}
    staff_of: dict[int, set[int]] = {pk: set() for pk in key_of}
    StaffLink = SupportRecord.staff.through
    for record_id, user_id in StaffLink.objects.filter(
        supportrecord_id__in=list(key_of)
    ).values_list("supportrecord_id", "user_id"):
        staff_of[record_id].add(user_id)
    kept = {(*key_of[pk], frozenset(staff)) for pk, staff in staff_of.items()}
    for (record, staff_ids, _t), row in zip(parsed, rows, strict=True):
        key = (record.date, record.school_id, str(record.kind), frozenset(staff_ids))
        if key in kept:
            row.error(
                "date",
                _("the same support (date, school, kind and staff) is already recorded"),
            )


def _write_import(parsed) -> list[SupportRecord]:
    records = SupportRecord.objects.bulk_create([p[0] for p in parsed], batch_size=1000)
    StaffLink = SupportRecord.staff.through
    TopicLink = SupportRecord.topics.through
    StaffLink.objects.bulk_create(
        [
            StaffLink(supportrecord_id=record.pk, user_id=user_id)
            for record, (_r, staff_ids, _t) in zip(records, parsed, strict=True)
            for user_id in staff_ids
        ],
        batch_size=2000,
    )
    TopicLink.objects.bulk_create(
        [
            TopicLink(supportrecord_id=record.pk, topic_id=topic_id)
            for record, (_r, _s, topic_ids) in zip(records, parsed, strict=True)
            for topic_id in dict.fromkeys(topic_ids)
        ],
        batch_size=2000,
    )
    return records

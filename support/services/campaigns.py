"""Campaigns: visits the leader plans for a period (an update, a distribution), one
to each chosen school, spread over the chosen staff (support.rules.plan_campaign)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext as _

from gigaportal import changelog
from gigaportal.models import School, User
from gigaportal.roles import Role
from support import rules
from support.models import Campaign, RequestEvent, Status, SupportRequest, Topic
from support.services.common import SupportError, check_staff
from support.services.emails import email_for_schedule, emails_queue

CAMPAIGN_FIELDS = ["name", "start", "end", "kind", "topic", "schools", "staff", "details"]


def campaign_create(
    *,
    by,
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
    3. Log each visit's creation on its timeline, queue each school's e-mail, in bulk,
       and record the campaign (one change-log entry, with its number of visits).
    """
    if by.role not in (Role.LEADER, Role.ADMIN):
        raise SupportError(_("Only the leader plans campaigns."))
    if start > end:
        raise SupportError(_("The period ends before it starts."), field="end")
    if (end - start).days + 1 > rules.MAX_CAMPAIGN_DAYS:
        raise SupportError(
            _("A campaign period may be at most %(days)d days.")
            % {"days": rules.MAX_CAMPAIGN_DAYS},
            field="end",
        )
    if staff:
        check_staff(staff)
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
            created_by_id=getattr(by, "pk", None),
        )
        campaign.schools.set(schools)
        campaign.staff.set(staff)
        visits = SupportRequest.objects.bulk_create(
            [
                SupportRequest(
                    school=by_id[visit.school_id],
                    requested_by_id=getattr(by, "pk", None),
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
                    by_id=getattr(by, "pk", None),
                    from_status="",
                    to_status=Status.SCHEDULED,
                    note=name[:300],
                )
                for request in visits
            ]
        )
        staff_by_id = {u.pk: u for u in staff}
        emails = []
        for request, visit in zip(visits, plan, strict=True):
            # The prefetch cache spares one query per visit in email_for_schedule.
            request._prefetched_objects_cache = {"assigned_staff": [staff_by_id[visit.staff_id]]}
            email = email_for_schedule(request)
            if email:
                emails.append(email)
        emails_queue(emails)
        # Each visit is a school's scheduled request: one entry each (in one INSERT), so
        # that a school's own change log shows its visit.
        changelog.record_many(
            by=by,
            action=changelog.Action.SCHEDULE,
            objs=visits,
            changes_of=lambda request: {
                "status": [None, Status.SCHEDULED.value],
                "scheduled_date": [None, request.scheduled_date],
                "campaign": [None, name],
            },
        )
        changelog.record(
            by=by,
            action=changelog.Action.CREATE,
            obj=campaign,
            fields=CAMPAIGN_FIELDS,
            after=changelog.values(campaign, CAMPAIGN_FIELDS) | {"visits": len(visits)},
        )
    return campaign

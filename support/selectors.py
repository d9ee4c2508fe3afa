"""Reads for the support center. Every selector returning rows a user sees takes the
user and starts from the model's scope (`Model.objects.for_user(user)`); report
selectors return plain rows in a fixed number of queries, whatever the number of
records."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404

from gigaportal.calendar import Month, Term, fiscal_year_bounds
from gigaportal.dates import months_in_window
from gigaportal.models import User
from gigaportal.roles import CENTER_STAFF_ROLES, STAFF_ROLES
from gigaportal.scope import sees_all_schools
from gigaportal.selectors import terms_for_fiscal_year
from support import rules
from support.models import (
    Campaign,
    RequestComment,
    RequestEvent,
    Status,
    SupportRecord,
    SupportRequest,
)


def staff_list() -> QuerySet[User]:
    """Center staff who can be assigned and named on records, leader first."""
    return User.objects.filter(is_active=True, role__in=CENTER_STAFF_ROLES).order_by(
        "-role", "username"
    )


# --- Records ----------------------------------------------------------------------------


def _records(user) -> QuerySet[SupportRecord]:
    return (
        SupportRecord.objects.for_user(user)
        .select_related("school", "created_by", "request")
        .prefetch_related("staff", "topics")
    )


def record_list(
    *,
    user,
    school_id: int | None = None,
    staff_id: int | None = None,
    kind: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    query: str = "",
) -> QuerySet[SupportRecord]:
    """The user's records; `query` finds text in what was done or the school's name or
    code."""
    records = _records(user)
    if query:
        records = records.filter(
            Q(what_was_done__icontains=query)
            | Q(school__name__icontains=query)
            | Q(school__code__iexact=query)
        )
    if school_id:
        records = records.filter(school_id=school_id)
    if staff_id:
        # One record may have several staff: filter by an existence test, not a join
        # that would repeat the record.
        records = records.filter(
            pk__in=SupportRecord.staff.through.objects.filter(user_id=staff_id).values(
                "supportrecord_id"
            )
        )
    if kind:
        records = records.filter(kind=kind)
    if start:
        records = records.filter(date__gte=start)
    if end:
        records = records.filter(date__lte=end)
    return records


def record_get(*, user, pk: int) -> SupportRecord:
    return _records(user).get_or_404(pk=pk)


# --- Requests -----------------------------------------------------------------------------


def _requests(user) -> QuerySet[SupportRequest]:
    return (
        SupportRequest.objects.for_user(user)
        .select_related("school", "topic", "requested_by", "campaign")
        .prefetch_related("assigned_staff")
    )


def request_list(
    *, user, status: str | None = None, query: str = "", school_id: int | None = None
) -> QuerySet[SupportRequest]:
    """The user's requests; `query` finds text in the details or the school's name."""
    requests = _requests(user)
    if query:
        requests = requests.filter(
            Q(details__icontains=query)
            | Q(school__name__icontains=query)
            | Q(school__code__iexact=query)
        )
    if school_id:
        requests = requests.filter(school_id=school_id)
    if status == "open":
        requests = requests.filter(status__in=[Status.REQUESTED, Status.SCHEDULED])
    elif status in Status.values:
        requests = requests.filter(status=status)
    return requests


def request_get(*, user, pk: int) -> SupportRequest:
    return (
        _requests(user)
        .prefetch_related(
            Prefetch("events", queryset=RequestEvent.objects.select_related("by")),
            Prefetch("comments", queryset=RequestComment.objects.select_related("by")),
            Prefetch("records", queryset=SupportRecord.objects.prefetch_related("staff")),
        )
        .get_or_404(pk=pk)
    )


def request_open_for_logging(*, user, pk: int) -> SupportRequest | None:
    """An open request staff may log against (a forged or closed id gives None)."""
    if user.role not in STAFF_ROLES:
        return None
    return (
        SupportRequest.objects.for_user(user)
        .select_related("school", "topic")
        .filter(pk=pk, status__in=[Status.REQUESTED, Status.SCHEDULED])
        .first()
    )


def schedule(
    *, user, start: dt.date, end: dt.date, staff_id: int | None = None
) -> QuerySet[SupportRequest]:
    """Scheduled visits in a period (one staff member's, or everybody's)."""
    visits = _requests(user).filter(
        status__in=[Status.SCHEDULED, Status.DONE],
        scheduled_date__gte=start,
        scheduled_date__lte=end,
    )
    if staff_id:
        visits = visits.filter(assigned_staff__id=staff_id)
    return visits.order_by("scheduled_date", "scheduled_time", "school__code")


def visits_of_the_day(*, user, day: dt.date) -> list[SupportRequest]:
    """The signed-in staff member's open visits of the day, suggested first when they
    log support."""
    return list(
        schedule(user=user, start=day, end=day, staff_id=user.pk).filter(status=Status.SCHEDULED)
    )


def feed_visits(*, staff: User, since: dt.date) -> QuerySet[SupportRequest]:
    return (
        SupportRequest.objects.filter(
            assigned_staff=staff,
            status__in=[Status.SCHEDULED, Status.DONE],
            scheduled_date__gte=since,
        )
        .select_related("school", "topic")
        .prefetch_related("assigned_staff")
        .order_by("scheduled_date", "scheduled_time")
    )


def campaign_list(*, user) -> QuerySet[Campaign]:
    """Campaigns are the center's plans: its staff see them, schools do not."""
    if not sees_all_schools(user):
        return Campaign.objects.none()
    return (
        Campaign.objects.annotate(
            visit_count=Count("visits", distinct=True),
            done_count=Count("visits", filter=Q(visits__status=Status.DONE), distinct=True),
        )
        .select_related("topic")
        .order_by("-start", "id")
    )


def campaign_get(*, user, pk: int) -> Campaign:
    campaign = campaign_list(user=user).select_related("created_by").filter(pk=pk).first()
    if campaign is None:
        raise Http404
    return campaign


def campaign_visits(*, user, campaign: Campaign) -> QuerySet[SupportRequest]:
    return _requests(user).filter(campaign=campaign).order_by("scheduled_date", "school__code")


# --- Reports --------------------------------------------------------------------------------


def term_day_counts(*, user, fiscal_year: int) -> tuple[list[Term], list[rules.DayCount]]:
    """The fiscal year's terms and its records counted by day and kind: one query."""
    terms = terms_for_fiscal_year(fiscal_year)
    first = min(t.start for t in terms)
    last = max(t.end for t in terms)
    rows = (
        SupportRecord.objects.for_user(user)
        .filter(date__gte=first, date__lte=last)
        .values("date", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return terms, [rules.DayCount(r["date"], rules.Kind(r["kind"]), r["n"]) for r in rows]


def month_kind_counts(*, user, start: dt.date, end: dt.date) -> list[rules.DayCount]:
    """Records counted by month (the first day) and kind between two days: one query."""
    from django.db.models.functions import TruncMonth

    rows = (
        SupportRecord.objects.for_user(user)
        .filter(date__gte=start, date__lte=end)
        .annotate(month=TruncMonth("date"))
        .values("month", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [rules.DayCount(r["month"], rules.Kind(r["kind"]), r["n"]) for r in rows]


def _fiscal_records(user, fiscal_year: int) -> QuerySet[SupportRecord]:
    first, last = fiscal_year_bounds(fiscal_year)
    return SupportRecord.objects.for_user(user).filter(date__gte=first, date__lte=last)


def counts_by_school(*, user, fiscal_year: int) -> list[dict]:
    """Rows of school code, name and counts by kind, one query."""
    return list(
        _fiscal_records(user, fiscal_year)
        .values("school__code", "school__name", "school_id")
        .annotate(**_kind_counts())
        .order_by("school__code")
    )


def counts_by_staff(*, user, fiscal_year: int) -> list[dict]:
    """Each record counts once for every staff member who took part."""
    return list(
        _fiscal_records(user, fiscal_year)
        .values("staff__id", "staff__username", "staff__full_name")
        .annotate(**_kind_counts())
        .order_by("staff__username")
    )


def counts_by_topic(*, user, fiscal_year: int) -> list[dict]:
    """Each record counts once for every topic it had; records without a topic are
    counted under an empty topic."""
    return list(
        _fiscal_records(user, fiscal_year)
        .values("topics__id", "topics__name", "topics__sort_order")
        .annotate(**_kind_counts())
        .order_by("topics__sort_order", "topics__id")
    )


def _kind_counts() -> dict:
    return {
        kind.value: Count("id", filter=Q(kind=kind.value), distinct=True) for kind in rules.KINDS
    } | {"total": Count("id", distinct=True)}


def school_history(*, user, school_id: int) -> QuerySet[SupportRecord]:
    return record_list(user=user, school_id=school_id)


def open_requests(*, user) -> QuerySet[SupportRequest]:
    return request_list(user=user, status="open").order_by("created_at", "id")


def record_months(*, user) -> list[Month]:
    """The months with records the user may see, oldest first (the reports' periods)."""
    days = SupportRecord.objects.for_user(user).dates("date", "month")
    return months_in_window(days)


def school_support_counts(*, user, school) -> dict:
    """A school's support this fiscal year and its requests (two queries)."""
    from gigaportal.selectors import current_fiscal_year

    year = current_fiscal_year()
    first, last = fiscal_year_bounds(year)
    records = SupportRecord.objects.for_user(user).filter(school=school)
    counts = records.aggregate(
        records=Count("id"), this_year=Count("id", filter=Q(date__gte=first, date__lte=last))
    )
    requests = SupportRequest.objects.for_user(user).filter(school=school)
    counts |= requests.aggregate(
        requests=Count("id"),
        open_requests=Count("id", filter=Q(status__in=[Status.REQUESTED, Status.SCHEDULED])),
    )
    return counts | {"fiscal_year": year}

"""Reads of the security app. What every signed-in user reads (the policy in force,
the charts) is the same for all; drafts are for the center's side only; rows that
belong to a school (acknowledgements, software requests) start from the model's
scope (`Model.objects.for_user(user)`)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.http import Http404

from gigaportal import versions
from gigaportal.calendar import Month
from gigaportal.dates import months_in_window
from gigaportal.models import School
from gigaportal.scope import school_of, sees_all_schools
from security import rules
from security.models import (
    Acknowledgement,
    AcknowledgementReminder,
    OrgChart,
    OrgLink,
    OrgNode,
    PolicyDocument,
    PolicyVersion,
    RequestStatus,
    SoftwareRequest,
    VersionStatus,
    WorkingGroupTopic,
)

# The day "the newest approved version" is in force on: after every real date.
END_OF_TIME = dt.date.max


def sees_drafts(user) -> bool:
    """Center staff and administrators read drafts and diffs; schools what is approved."""
    return sees_all_schools(user)


# --- Policy ------------------------------------------------------------------------------------


def _versions(user) -> QuerySet[PolicyVersion]:
    found = PolicyVersion.objects.select_related("document")
    if not sees_drafts(user):
        found = found.filter(status=VersionStatus.APPROVED)
    return found


def approved_versions() -> QuerySet[PolicyVersion]:
    return PolicyVersion.objects.filter(status=VersionStatus.APPROVED).select_related("document")


def documents(*, user) -> list[PolicyDocument]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(PolicyDocument.objects.all())


def document_get(*, user, pk: int) -> PolicyDocument:
    if not getattr(user, "is_authenticated", False):
        raise Http404
    try:
        return PolicyDocument.objects.get(pk=pk)
    except (PolicyDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def versions_in_force(*, day: dt.date) -> list[PolicyVersion]:
    """The approved version of each document in force on `day`, in document order."""
    return list(
        approved_versions()
        .in_force_each("document", day)
        .order_by("document__order", "document_id")
    )


def versions_upcoming(*, day: dt.date) -> dict[int, PolicyVersion]:
    """Per document, the approved version to take effect after `day` (施行予定)."""
    return {v.document_id: v for v in approved_versions().upcoming_each("document", day)}


def version_in_force(*, document: PolicyDocument, day: dt.date) -> PolicyVersion | None:
    return approved_versions().filter(document=document).in_force(day)


def version_upcoming(*, document: PolicyDocument, day: dt.date) -> PolicyVersion | None:
    return approved_versions().filter(document=document).upcoming(day)


def version_get(*, user, pk: int) -> PolicyVersion:
    """One version with its articles and reasons; a draft is a 404 for a school."""
    try:
        return _versions(user).prefetch_related("sections", "reasons").get(pk=pk)
    except (PolicyVersion.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def version_history(*, user, document: PolicyDocument) -> list[PolicyVersion]:
    """The document's versions, newest first: approved ones with the days they were in
    force, then (for the center) drafts."""
    found = list(_versions(user).filter(document=document).order_by("effective_from", "pk"))
    approved = [v for v in found if v.is_approved]
    spans = {span.version.pk: span for span in versions.spans(approved)}
    for version in found:
        version.span = spans.get(version.pk)
    return sorted(
        found,
        key=lambda v: (v.is_approved, v.effective_from or dt.date.min, v.pk),
        reverse=True,
    )


def section_texts(version: PolicyVersion) -> list[rules.SectionText]:
    return [
        rules.SectionText(
            article=s.article,
            heading=s.heading,
            paragraphs=tuple(s.paragraphs()),
            chapter=s.chapter,
        )
        for s in version.sections.all()
    ]


def previous_version(*, version: PolicyVersion) -> PolicyVersion | None:
    """The approved version before `version` (for a draft: the newest approved)."""
    found = approved_versions().filter(document_id=version.document_id).exclude(pk=version.pk)
    if version.effective_from and version.is_approved:
        found = found.filter(effective_from__lt=version.effective_from)
    return found.order_by("-effective_from", "-pk").first()


# --- Acknowledgements --------------------------------------------------------------------------


def acknowledgement_targets() -> list[PolicyVersion]:
    """The versions schools are asked to acknowledge: of each document, the newest
    approved one (in force, or still to come). An older version needs no more reading."""
    return list(
        approved_versions()
        .in_force_each("document", END_OF_TIME)
        .order_by("document__order", "document_id")
    )


def pending_for_school(*, user) -> list[PolicyVersion]:
    """The versions the user's school has still to acknowledge (its home shows them)."""
    school_id = school_of(user)
    if school_id is None:
        return []
    targets = acknowledgement_targets()
    done = set(
        Acknowledgement.objects.filter(
            school_id=school_id, version__in=[v.pk for v in targets]
        ).values_list("version_id", flat=True)
    )
    return [v for v in targets if v.pk not in done]


def acknowledgement_of(*, user, version: PolicyVersion) -> Acknowledgement | None:
    school_id = school_of(user)
    if school_id is None:
        return None
    return (
        Acknowledgement.objects.for_user(user)
        .filter(version=version)
        .select_related("acknowledged_by")
        .first()
    )


def schools_not_acknowledged(*, user, version: PolicyVersion) -> QuerySet[School]:
    """Active schools (of the user's scope) that have not acknowledged `version`, with
    the day each was last reminded."""
    done = Acknowledgement.objects.filter(version=version, school=OuterRef("pk"))
    last_reminder = (
        AcknowledgementReminder.objects.filter(version=version, school=OuterRef("pk"))
        .order_by("-reminded_on")
        .values("reminded_on")[:1]
    )
    return (
        School.objects.for_user(user)
        .filter(is_active=True)
        .exclude(Exists(done))
        .annotate(last_reminded=Subquery(last_reminder))
        .order_by("code")
    )


def acknowledgement_counts(*, user, targets: list[PolicyVersion]) -> dict[int, tuple[int, int]]:
    """Per version: (schools that acknowledged, active schools), within the user's scope."""
    schools = School.objects.for_user(user).filter(is_active=True)
    total = schools.count()
    counts = dict(
        Acknowledgement.objects.for_user(user)
        .filter(version__in=[v.pk for v in targets], school__in=schools)
        .values_list("version")
        .annotate(n=Count("id"))
        .values_list("version", "n")
    )
    return {v.pk: (counts.get(v.pk, 0), total) for v in targets}


# --- Charts ------------------------------------------------------------------------------------


def chart_slugs() -> list[str]:
    return list(OrgChart.objects.order_by("slug").values_list("slug", flat=True).distinct())


def charts_in_force(*, day: dt.date) -> list[OrgChart]:
    return list(OrgChart.objects.in_force_each("slug", day).order_by("kind", "slug"))


def chart_versions(*, slug: str) -> list[versions.Span]:
    return versions.spans(OrgChart.objects.filter(slug=slug).order_by("effective_from"))


def chart_in_force(*, slug: str, day: dt.date) -> OrgChart | None:
    return OrgChart.objects.filter(slug=slug).in_force(day)


def chart_upcoming(*, slug: str, day: dt.date) -> OrgChart | None:
    return OrgChart.objects.filter(slug=slug).upcoming(day)


def chart_nodes(*, chart: OrgChart) -> list[OrgNode]:
    """The chart's boxes with their links (and the charts those point into): a fixed
    number of queries whatever the size of the chart."""
    links = OrgLink.objects.select_related("target__chart").order_by("kind", "order", "id")
    return list(
        OrgNode.objects.filter(chart=chart).prefetch_related(
            Prefetch("links", queryset=links),
            Prefetch(
                "topics", queryset=WorkingGroupTopic.objects.order_by("-meeting_date", "order")
            ),
        )
    )


def chart_rows(*, chart: OrgChart) -> list[rules.TreeRow]:
    return rules.tree_rows(chart_nodes(chart=chart))


# --- Topics ------------------------------------------------------------------------------------


def topic_months(*, user) -> list[Month]:
    days = WorkingGroupTopic.objects.order_by("meeting_date").values_list("meeting_date", flat=True)
    return months_in_window(days)


def topics(*, start: dt.date, end: dt.date) -> list[WorkingGroupTopic]:
    return list(
        WorkingGroupTopic.objects.filter(meeting_date__gte=start, meeting_date__lte=end)
        .select_related("group__chart")
        .order_by("group__order", "group__position", "group_id", "order", "meeting_date", "id")
    )


# --- Software requests -------------------------------------------------------------------------


def software_requests(*, user, status: str | None = None) -> QuerySet[SoftwareRequest]:
    found = SoftwareRequest.objects.for_user(user).select_related(
        "school", "requested_by", "decided_by"
    )
    if status:
        found = found.filter(status=status)
    return found


def software_request_get(*, user, pk: int) -> SoftwareRequest:
    return software_requests(user=user).get_or_404(pk=pk)


def software_register(*, user) -> QuerySet[SoftwareRequest]:
    """What is approved for which school (a school sees its own)."""
    return software_requests(user=user, status=RequestStatus.APPROVED).order_by(
        "name", "school__code"
    )


def open_software_requests_count(*, user) -> int:
    return software_requests(user=user, status=RequestStatus.UNDER_REVIEW).count()

"""The register of learning software schools asked to add: a school's request, the
center's checklist and decision (security.rules.review decides what may be)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal import changelog
from gigaportal.models import School
from gigaportal.roles import Role
from security import rules
from security.models import RequestStatus, SoftwareRequest
from security.services.common import SecurityError, is_leader, refusal

REQUEST_FIELDS = [
    "school",
    "name",
    "url",
    "purpose",
    "cost",
    "needs_google_sign_in",
    "pupil_data",
    "terms_url",
    "terms_notes",
]
REVIEW_FIELDS = [
    "check_sign_on",
    "check_personal_data",
    "check_security_terms",
    "review_notes",
    "conditions",
    "status",
    "decided_on",
]


@dataclass(frozen=True)
class SoftwareInput:
    name: str
    url: str
    purpose: str
    cost: str
    needs_google_sign_in: bool = False
    pupil_data: str = ""
    terms_url: str = ""
    terms_notes: str = ""


class AlreadyRequested(SecurityError):
    """The school's same request is already waiting for review (a double click, a
    re-sent form): nothing new is made; `existing` is the request it already sent."""

    def __init__(self, existing: SoftwareRequest) -> None:
        self.existing = existing
        super().__init__(_("This request was already sent; it is waiting for review."))


def software_request_create(*, by, school: School, data: SoftwareInput) -> SoftwareRequest:
    """A school asks to add a browser-based learning software (for its own school).
    The same software asked again while the first request waits for review is refused
    with AlreadyRequested (two clicks make one request, even at the same moment: the
    school's row is locked while checking)."""
    if getattr(by, "role", None) != Role.SCHOOL or by.school_id != school.pk:
        raise SecurityError(_("A school asks for its own school only."))
    with transaction.atomic():
        School.objects.select_for_update().filter(pk=school.pk).first()
        existing = (
            SoftwareRequest.objects.filter(
                school=school,
                status=RequestStatus.UNDER_REVIEW,
                name=data.name.strip(),
                url=data.url.strip(),
            )
            .order_by("pk")
            .first()
        )
        if existing is not None:
            raise AlreadyRequested(existing)
        request = SoftwareRequest.objects.create(
            school=school,
            requested_by=by,
            name=data.name.strip(),
            url=data.url.strip(),
            purpose=data.purpose.strip(),
            cost=data.cost,
            needs_google_sign_in=data.needs_google_sign_in,
            pupil_data=data.pupil_data.strip(),
            terms_url=data.terms_url.strip(),
            terms_notes=data.terms_notes.strip(),
        )
        changelog.record(by=by, action=changelog.Action.CREATE, obj=request, fields=REQUEST_FIELDS)
    return request


def software_request_review(
    *,
    by,
    request: SoftwareRequest,
    checks: rules.Checklist,
    decision: rules.Decision | None = None,
    conditions: str = "",
    notes: str = "",
) -> SoftwareRequest:
    """The center records its checklist and, when it decides, the decision with its
    conditions (approval) or its reason (refusal). A decided request is final."""
    if not is_leader(by):
        raise SecurityError(_("Only the leader reviews software requests."))
    with transaction.atomic():
        stored = SoftwareRequest.objects.select_for_update().get(pk=request.pk)
        try:
            status = rules.review(
                status=rules.RequestStatus(stored.status),
                checks=checks,
                decision=decision,
                conditions=conditions,
                notes=notes,
            )
        except rules.Refused as exc:
            raise refusal(exc) from None
        before = changelog.values(stored, REVIEW_FIELDS)
        stored.check_sign_on = checks.sign_on.value
        stored.check_personal_data = checks.personal_data.value
        stored.check_security_terms = checks.security_terms.value
        stored.review_notes = notes.strip()
        stored.conditions = conditions.strip()
        stored.status = status.value
        if decision is not None:
            stored.decided_by_id = getattr(by, "pk", None)
            stored.decided_on = timezone.localdate()
        stored.save()
        changelog.record(
            by=by,
            action=changelog.Action.UPDATE,
            obj=stored,
            before=before,
            fields=REVIEW_FIELDS,
        )
    return stored

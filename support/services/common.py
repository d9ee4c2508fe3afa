"""What the support services share: the refusal they raise, the request state
machine's glue (support.rules decides), the event log of a request and the staff check."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal.models import User
from gigaportal.roles import CENTER_STAFF_ROLES, Role
from support import rules
from support.models import RequestEvent, SupportRequest


class SupportError(Exception):
    """A refused action, with a message for the user (already translated) and the
    form field it is about, if one."""

    def __init__(self, message, *, field: str | None = None) -> None:
        self.message = message
        self.field = field
        super().__init__(str(message))


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


def actor_of(user) -> rules.Actor:
    return rules.Actor(user_id=user.pk, role=user.role, school_id=user.school_id)


def request_facts(request: SupportRequest) -> rules.RequestFacts:
    return rules.RequestFacts(
        status=rules.Status(request.status),
        school_id=request.school_id,
        assigned_staff_ids=frozenset(request.assigned_staff.values_list("pk", flat=True)),
    )


def request_allowed_actions(*, request: SupportRequest, user) -> frozenset[rules.Action]:
    """What `user` may do with the request now (the page offers these buttons)."""
    return frozenset(rules.allowed_actions(request=request_facts(request), actor=actor_of(user)))


def move(request: SupportRequest, action: rules.Action, by) -> rules.Status:
    try:
        return rules.request_transition(
            request=request_facts(request), action=action, actor=actor_of(by)
        )
    except rules.TransitionRefused as exc:
        reason = str(exc)
        if reason.startswith("the request is already"):
            raise SupportError(
                _("This request is already %(status)s.") % {"status": request.get_status_display()}
            ) from None
        raise SupportError(str(REFUSALS.get(reason, reason))) from None


def log_event(request: SupportRequest, *, by, from_status: str, note: str = "") -> RequestEvent:
    """The request's own timeline (shown on its page); the change log has the fields."""
    return RequestEvent.objects.create(
        request=request,
        by_id=getattr(by, "pk", None),
        from_status=from_status,
        to_status=request.status,
        note=note[:300],
    )


def locked(request: SupportRequest) -> SupportRequest:
    # Two people acting on one request at once (the leader rescheduling while staff
    # log the visit) must see each other's result, not overwrite it.
    return SupportRequest.objects.select_for_update().get(pk=request.pk)


def check_staff(staff: Sequence[User]) -> None:
    """Only center staff (support staff and the leader) are named on records, visits
    and campaigns: gigaportal.roles.CENTER_STAFF_ROLES, the same list the forms offer."""
    if not staff:
        raise SupportError(_("Choose at least one staff member."), field="staff")
    if any(user.role == Role.ADMIN for user in staff):
        raise SupportError(
            _("An administrator is not center staff; choose support staff or the leader."),
            field="staff",
        )
    if any(user.role not in CENTER_STAFF_ROLES for user in staff):
        raise SupportError(_("Only center staff can be assigned."), field="staff")

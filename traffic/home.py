"""The traffic app's part of the shared pages (see gigaportal.views.portal)."""

from gigaportal.roles import LEADER_ROLES
from traffic import selectors
from traffic.models import UsageMonth


def context(*, user) -> dict:
    """A school's home counts the notices it has not acknowledged yet; the leader's,
    the imported months waiting for confirmation (traffic.services.months)."""
    if user.is_school_user:
        return {"unacknowledged": selectors.notice_list(user=user, unacknowledged=True).count()}
    if user.role in LEADER_ROLES:
        return {
            "months_waiting": UsageMonth.objects.filter(status=UsageMonth.Status.IMPORTED).count()
        }
    return {}


def school_context(*, user, school) -> dict:
    return selectors.school_traffic_counts(user=user, school=school)

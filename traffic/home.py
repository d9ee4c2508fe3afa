"""The traffic app's part of the shared pages (see gigaportal.views.portal)."""

from traffic import selectors


def context(*, user) -> dict:
    """A school's home counts the notices it has not acknowledged yet."""
    if not user.is_school_user:
        return {}
    return {"unacknowledged": selectors.notice_list(user=user, unacknowledged=True).count()}


def school_context(*, user, school) -> dict:
    return selectors.school_traffic_counts(user=user, school=school)

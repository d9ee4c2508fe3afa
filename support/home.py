"""The support app's part of the shared pages (see gigaportal.views.portal)."""

from support import selectors


def context(*, user) -> dict:
    """A school's home counts its open requests; the center's pages need nothing here."""
    if not user.is_school_user:
        return {}
    return {"open_requests": selectors.request_list(user=user, status="open").count()}


def school_context(*, user, school) -> dict:
    return selectors.school_support_counts(user=user, school=school)

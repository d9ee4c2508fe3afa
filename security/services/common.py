"""What the security services share: the refusal they raise, in the reader's words."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from gigaportal.roles import LEADER_ROLES, Role
from security import rules


class SecurityError(Exception):
    """A refused action, with a message for the user (translated) and the form field
    it is about, if one."""

    def __init__(self, message, *, field: str = "") -> None:
        self.message = message
        self.field = field
        super().__init__(str(message))


# The rules speak in codes; these are their sentences, for makemessages to collect.
REFUSALS = {
    rules.REFUSAL_FROZEN: gettext_lazy(
        "This version is approved and in force, so it can no longer be changed. "
        "Make a new version instead."
    ),
    rules.REFUSAL_NOT_DRAFT: gettext_lazy("Only a draft can be approved."),
    rules.REFUSAL_NO_DATE: gettext_lazy("Give the date the version takes effect."),
    rules.REFUSAL_BEFORE_APPROVAL: gettext_lazy(
        "A version cannot take effect before the day it is approved."
    ),
    rules.REFUSAL_SAME_DAY: gettext_lazy(
        "Another approved version of this document takes effect on that day."
    ),
    rules.REFUSAL_APPROVED_DELETE: gettext_lazy(
        "An approved version is part of the record and cannot be deleted."
    ),
    rules.REFUSAL_PAST_DATE: gettext_lazy(
        "An approved version can be moved only to a day still to come."
    ),
    rules.REFUSAL_DECIDED: gettext_lazy(
        "This request is already decided; the school can send a new request."
    ),
    rules.REFUSAL_UNCHECKED: gettext_lazy("Finish every check before approving."),
    rules.REFUSAL_PROBLEM: gettext_lazy(
        "A check found a problem: the request cannot be approved as it is."
    ),
    rules.REFUSAL_NO_CONDITIONS: gettext_lazy(
        "A check passed only with conditions: write the conditions."
    ),
    rules.REFUSAL_NO_REASON: gettext_lazy("Write why the request is not approved."),
}


def refusal(exc: rules.Refused) -> SecurityError:
    return SecurityError(REFUSALS.get(exc.code, exc.code), field=exc.field)


def is_admin(by) -> bool:
    """Administrators edit the policy and the charts (the command line acts as one)."""
    return bool(getattr(by, "is_active", False) and getattr(by, "role", None) == Role.ADMIN)


def is_leader(by) -> bool:
    return bool(getattr(by, "is_active", False) and getattr(by, "role", None) in LEADER_ROLES)

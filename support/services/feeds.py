"""Staff members' private calendar addresses (iCalendar feeds of their visits)."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal import changelog
from gigaportal.models import User
from gigaportal.roles import STAFF_ROLES
from support.models import CalendarFeedToken, feed_token_digest
from support.services.common import SupportError


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
        _revoke(user)
        created = CalendarFeedToken.objects.create(user=user, digest=feed_token_digest(token))
        changelog.record(
            by=user,
            action=changelog.Action.CREATE,
            obj=created,
            changes={"user": [None, user.display_name]},
        )
    return token


def _revoke(user: User) -> int:
    now = timezone.now()
    live = list(CalendarFeedToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in live:
        changelog.record(
            by=user,
            action=changelog.Action.UPDATE,
            obj=token,
            changes={"revoked_at": [None, now]},
        )
    return CalendarFeedToken.objects.filter(pk__in=[t.pk for t in live]).update(revoked_at=now)


def feed_token_revoke(*, user: User) -> int:
    # Under the user's row lock, like a create: two clicks revoke once.
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").get()
        return _revoke(user)


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

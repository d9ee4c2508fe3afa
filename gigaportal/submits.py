"""One post of a form makes one thing, however often it arrives.

Every form that creates something carries a one-time token (gigaportal.forms.
SubmitTokenMixin): issued when the page is shown, signed with the site's secret and
bound to the person it was shown to, so nothing is written on GET. The first post that
spends it records the token with what it made (SubmitToken), in the same transaction as
the creation; a double click, a re-sent form or a second tab posting the same page finds
that row and is sent to the first result (AlreadySubmitted). Two posts at the same
moment meet at the token's unique index: the second waits for the first to commit and
then finds its row, so they make one object. A creation that is refused rolls the token
back with it, so the person corrects the form and sends the same page again.

A token older than MAX_AGE is refused as stale, and rows are swept after KEEP (longer),
so a swept token can never be spent a second time.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal.models import SubmitToken

T = TypeVar("T")

SALT = "gigaportal.submits"
MAX_AGE = dt.timedelta(days=2)
KEEP = dt.timedelta(days=7)


class SubmitRefused(Exception):
    """The token was not issued here, was issued to someone else, or is stale."""

    def __init__(self, message) -> None:
        self.message = message
        super().__init__(str(message))


class AlreadySubmitted(Exception):
    """This form was sent before; `submit` is the row of the first post (`url` is
    where that post went)."""

    def __init__(self, submit: SubmitToken) -> None:
        self.submit = submit
        self.url = submit.url or "/"
        self.message = _("This was already sent.")
        super().__init__(str(self.message))


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def token_issue(*, user) -> str:
    """A fresh token for one form shown to `user` (nothing is stored until it is spent)."""
    return _signer().sign(f"{user.pk}:{secrets.token_urlsafe(18)}")


def token_check(*, token: str, user) -> str:
    """The token's key if it is ours, `user`'s and fresh; SubmitRefused otherwise."""
    try:
        value = _signer().unsign(token or "", max_age=MAX_AGE)
    except signing.SignatureExpired:
        raise SubmitRefused(
            _("This form was open for too long. Check what you entered and send it again.")
        ) from None
    except signing.BadSignature:
        value = ""
    owner, _sep, key = value.partition(":")
    if not key or owner != str(getattr(user, "pk", "")):
        raise SubmitRefused(
            _(
                "This form could not be confirmed as the one the portal gave you. "
                "Check what you entered and send it again."
            )
        )
    return key


def submit_once(*, token: str, user, create: Callable[[], T], url: str | Callable[[T], str]) -> T:
    """Runs `create` once for `token`: returns what it made, or raises AlreadySubmitted
    when the token was spent before (by a post that committed), SubmitRefused for a
    token that is not `user`'s. `url` (or `url(obj)`) is where a repeat is sent."""
    key = token_check(token=token, user=user)
    with transaction.atomic():
        try:
            with transaction.atomic():
                submit = SubmitToken.objects.create(user=user, token=key)
        except IntegrityError:
            # PostgreSQL made this insert wait for the first post's transaction; it
            # committed, so its row (and what it made) is there to read now.
            raise AlreadySubmitted(SubmitToken.objects.get(token=key)) from None
        obj = create()
        submit.content_type = ContentType.objects.get_for_model(obj)
        submit.object_id = str(obj.pk)
        submit.url = (url(obj) if callable(url) else url)[:500]
        submit.save(update_fields=["content_type", "object_id", "url"])
    return obj


def redirect_to_first(request, exc: AlreadySubmitted):
    """The answer to a repeated post: the page of what the first one made, with a note."""
    messages.info(request, exc.message)
    return redirect(exc.url)


def tokens_sweep(*, now: dt.datetime | None = None) -> int:
    """Forgets spent tokens older than KEEP (they are refused as stale long before)."""
    cutoff = (now or timezone.now()) - KEEP
    deleted, _by_model = SubmitToken.objects.filter(created_at__lt=cutoff).delete()
    return deleted

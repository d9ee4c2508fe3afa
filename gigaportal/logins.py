"""Logins in the change log: Django's own signals, fired by the login form and Django
admin's alike, each write one entry through gigaportal.changelog."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from gigaportal import changelog
from gigaportal.clientip import client_ip
from gigaportal.middleware import IdleSessionTimeoutMiddleware

USERNAME_LIMIT = 150


def _over_http(request) -> bool:
    """A login made by a person over HTTP; a shell's or a test's login() or
    authenticate() (a bare HttpRequest, no address) is not an attempt to record."""
    return request is not None and bool(request.META.get("REMOTE_ADDR"))


@receiver(user_logged_in, dispatch_uid="gigaportal.login_recorded")
def login_recorded(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        # The idle timeout counts from the login (gigaportal.middleware).
        request.session[IdleSessionTimeoutMiddleware.KEY] = int(time.time())
    if not _over_http(request):
        return
    changelog.record_login(
        user=user, username=user.get_username(), succeeded=True, address=client_ip(request)
    )


@receiver(user_login_failed, dispatch_uid="gigaportal.login_failure_recorded")
def login_failure_recorded(sender, credentials, request=None, **kwargs) -> None:
    if not _over_http(request):
        return
    username = str(credentials.get("username") or "")[:USERNAME_LIMIT]
    user = get_user_model().objects.filter(username=username).first() if username else None
    changelog.record_login(
        user=user, username=username, succeeded=False, address=client_ip(request)
    )

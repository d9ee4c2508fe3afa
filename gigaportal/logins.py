"""Logins in the change log: Django's own signals, fired by the login form and Django
admin's alike, each write one entry through gigaportal.changelog."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from gigaportal import changelog
from gigaportal.clientip import client_ip

USERNAME_LIMIT = 150


@receiver(user_logged_in, dispatch_uid="gigaportal.login_recorded")
def login_recorded(sender, request, user, **kwargs) -> None:
    changelog.record_login(
        user=user,
        username=user.get_username(),
        succeeded=True,
        address=client_ip(request) if request is not None else None,
    )


@receiver(user_login_failed, dispatch_uid="gigaportal.login_failure_recorded")
def login_failure_recorded(sender, credentials, request=None, **kwargs) -> None:
    # A test's or a command's authenticate() without a request is not a login attempt.
    if request is None:
        return
    username = str(credentials.get("username") or "")[:USERNAME_LIMIT]
    user = get_user_model().objects.filter(username=username).first() if username else None
    changelog.record_login(
        user=user, username=username, succeeded=False, address=client_ip(request)
    )

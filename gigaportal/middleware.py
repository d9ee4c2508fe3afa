"""Request-wide middleware: the change log's context (an id per request, sent back as
X-Request-ID so a person reporting a problem can quote it, and the channel, Django
admin or a portal page), and the headers and session rules of every response."""

from __future__ import annotations

import re
import time
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gigaportal import changelog

_REQUEST_ID = re.compile(r"^[0-9A-Za-z-]{8,64}$")


class ChangeContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = None

    def __call__(self, request):
        if self.admin_prefix is None:
            self.admin_prefix = reverse("admin:index")
        # A reverse proxy's id is kept when it is a plain token; anything else is ours.
        given = request.headers.get("X-Request-ID", "")
        request_id = given.replace("-", "")[:32] if _REQUEST_ID.match(given) else uuid.uuid4().hex
        via = (
            changelog.Via.ADMIN if request.path.startswith(self.admin_prefix) else changelog.Via.WEB
        )
        with changelog.context(via=via, request_id=request_id):
            request.request_id = request_id
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class PermissionsPolicyMiddleware:
    """The browser features no page of the portal uses are off for every page (and for
    anything a page might embed): camera, microphone, location, payment, USB."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class SignedInNoStoreMiddleware:
    """A signed-in page or download (per-pupil usage, a school's history) is never
    kept by the browser or a proxy: a shared school PC's back button or cache must not
    show it to the next person."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            response.headers.pop("Expires", None)
            response["Cache-Control"] = "no-store, private"
        return response


class IdleSessionTimeoutMiddleware:
    """Signs a person out after SESSION_IDLE_TIMEOUT without a request (administrators
    after SESSION_IDLE_TIMEOUT_ADMIN), and says so on the login page.

    The last request's time is kept in the session, written at most once a minute so a
    busy page does not write the session on every request.
    """

    KEY = "last_seen"
    WRITE_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            limit = idle_timeout_for(user)
            if isinstance(last, int) and now - last > limit:
                logout(request)
                messages.info(
                    request,
                    _(
                        "You were signed out after %(hours)s without using the portal. "
                        "Please log in again."
                    )
                    % {"hours": _duration_text(limit)},
                )
                return redirect_to_login(request.get_full_path())
            if not isinstance(last, int) or now - last >= self.WRITE_EVERY:
                request.session[self.KEY] = now
        return self.get_response(request)


def idle_timeout_for(user) -> int:
    """Seconds of inactivity a person's session survives."""
    from gigaportal.roles import Role

    if user.is_superuser or getattr(user, "role", None) == Role.ADMIN:
        return settings.SESSION_IDLE_TIMEOUT_ADMIN
    return settings.SESSION_IDLE_TIMEOUT


def _duration_text(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    if hours and not rest:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    minutes = max(seconds // 60, 1)
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}

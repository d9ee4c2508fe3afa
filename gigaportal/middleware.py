"""Request-wide context for the change log: an id per request (sent back as
X-Request-ID, so a person reporting a problem can quote it) and the channel, Django
admin or a portal page."""

from __future__ import annotations

import re
import uuid

from django.urls import reverse

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

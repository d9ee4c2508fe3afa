"""No query parameter of any page gives a server error (issue 13, finding 5).

Every GET view declared for the access harness is opened once as each of a staff and a
school user to learn which query parameters it reads (a middleware records the names
it asks `request.GET` for), then once per parameter and hostile value: a superscript
digit that `str.isdigit()` accepts and `int()` refuses, a NUL byte that PostgreSQL
refuses, a negative number, a number past every integer column, and dates, months and
years outside the date window (0001-01-01, 9999-12, 99999).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.test import override_settings
from django.urls import reverse

from gigaportal.roles import Role
from tests.test_access import DECLARED, world  # noqa: F401 (the harness's fixture)

HOSTILE = ("²", "\x00", "-1", "99999999999999999999", "１２", "a\r\nb")
# Dates, months and years outside the date window (issue 13, finding 9): a page falls
# back to its default or says so, never a 500, and no year 1 or 9999 reaches a query
# (a date, a month, a year: the walk is long, so one value of each).
OUT_OF_WINDOW = ("0001-01-01", "9999-12", "99999")
# Names every page reads (the list tools', the period's) tried even where the first
# visit did not ask for them, so a page that reads a parameter only in a branch the
# plain visit misses is still covered.
COMMON = ("q", "page", "sort", "fy", "month", "from", "to", "download", "school", "staff")
READ: set[str] = set()


class RecordingQueryDict(QueryDict):
    def __getitem__(self, key):
        READ.add(key)
        return super().__getitem__(key)

    def get(self, key, default=None):
        READ.add(key)
        return super().get(key, default)

    def getlist(self, key, default=None):
        READ.add(key)
        return super().getlist(key, default)

    def __contains__(self, key):
        READ.add(key)
        return super().__contains__(key)


class RecordParametersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.GET = RecordingQueryDict(request.META.get("QUERY_STRING", ""))
        return self.get_response(request)


GET_VIEWS = [
    view
    for view in DECLARED
    if view.method == "get" and not view.public and view.roles & {Role.SCHOOL, Role.LEADER}
]


def _recording_middleware(settings_middleware):
    return [*settings_middleware, "tests.test_parameters.RecordParametersMiddleware"]


@pytest.mark.django_db
@pytest.mark.parametrize("view", GET_VIEWS, ids=lambda v: v.test_id)
def test_no_parameter_value_gives_a_server_error(view, world, client, settings):  # noqa: F811
    users = [world.leader] if Role.LEADER in view.roles else []
    users += [world.school_a_user] if Role.SCHOOL in view.roles else []
    url = reverse(view.url_name, kwargs=view.kwargs(world) if view.kwargs else None)
    base = QueryDict(view.query.lstrip("?"), mutable=True)
    # A 500 is a status to report with every other one, not an exception that stops here.
    client.raise_request_exception = False
    with override_settings(MIDDLEWARE=_recording_middleware(settings.MIDDLEWARE)):
        for user in users:
            client.force_login(user)
            READ.clear()
            response = client.get(url + view.query)
            assert response.status_code < 500
            names = sorted(READ | set(COMMON))
            failures = []
            for name in names:
                for value in HOSTILE + OUT_OF_WINDOW:
                    params = base.copy()
                    params[name] = value
                    response = client.get(f"{url}?{urlencode(params)}")
                    if response.status_code >= 500:
                        failures.append(f"{name}={value!r}: {response.status_code}")
            assert not failures, f"{user.username} at {url}: {failures}"
            client.logout()

"""Walks every URL pattern of the portal and checks who may open it.

Declarations live in tests/<app>/access.py (see tests/access.py for the format).
"""

from __future__ import annotations

import importlib
import pkgutil
import traceback
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests
from gigaportal.roles import Role
from tests.access import IGNORED_NAMES, IGNORED_PREFIXES, View, World

ROLE_USERS = {
    Role.SUPPORT: "support_staff",
    Role.LEADER: "leader",
    Role.SCHOOL: "school_a_user",
    Role.ADMIN: "admin",
}


def _access_modules():
    """Every app's declarations. One app's access.py that does not import (its code
    mid-change) fails `test_every_access_module_imports` with its traceback instead of
    stopping the collection of this file, so every other app's views are still walked."""
    root = Path(tests.__file__).parent
    modules, broken = [], {}
    for info in pkgutil.iter_modules([str(root)]):
        if not info.ispkg:
            continue
        name = f"tests.{info.name}.access"
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                broken[name] = traceback.format_exc()
        except Exception:
            broken[name] = traceback.format_exc()
    return modules, broken


MODULES, BROKEN = _access_modules()
DECLARED: list[View] = [view for module in MODULES for view in module.VIEWS]


def test_every_access_module_imports():
    assert not BROKEN, "\n".join(f"{name}:\n{error}" for name, error in BROKEN.items())


def _named_patterns(resolver=None, namespace="") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _named_patterns(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(namespace + entry.name)
    return names


def test_every_url_pattern_is_declared():
    declared = {view.url_name for view in DECLARED}
    missing = sorted(
        name
        for name in _named_patterns()
        if name not in declared
        and name not in IGNORED_NAMES
        and not name.startswith(IGNORED_PREFIXES)
    )
    assert not missing, f"declare these views in tests/<app>/access.py: {missing}"


@pytest.fixture
def world(cast, school_a, school_b):
    world = World(school_a=school_a, school_b=school_b, **cast)
    for module in MODULES:
        build = getattr(module, "build", None)
        if build:
            build(world)
    return world


def _request(client, view: View, world: World, kwargs_fn, query: str = ""):
    url = reverse(view.url_name, kwargs=kwargs_fn(world) if kwargs_fn else None) + query
    data = view.data(world) if view.data else {}
    return (
        getattr(client, view.method)(url, data) if data or view.method != "get" else client.get(url)
    )


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8-sig", errors="replace")
    return response.content.decode("utf-8-sig", errors="replace")


@pytest.mark.django_db
@pytest.mark.parametrize("view", DECLARED, ids=lambda v: v.test_id)
def test_view_access(view: View, world: World, client):
    query = view.query

    # 1. Anonymous: the login page, never the content.
    response = _request(client, view, world, view.kwargs, query)
    if not view.public:
        assert response.status_code == 302, f"anonymous got {response.status_code}"
        assert "login" in response["Location"], response["Location"]

    # 2. Each role: allowed ones get the page, the others are refused.
    for role, fixture_name in ROLE_USERS.items():
        user = getattr(world, fixture_name)
        client.force_login(user)
        response = _request(client, view, world, view.kwargs, query)
        if role in view.roles:
            assert response.status_code in view.ok_status, (
                f"{role} got {response.status_code}, expected {view.ok_status}"
            )
        elif not view.public:
            assert response.status_code in view.denied_status, (
                f"{role} got {response.status_code}, expected {view.denied_status}"
            )
        client.logout()

    # 3. Another school's object: school A's user cannot open it; staff can.
    if view.other_school_kwargs:
        client.force_login(world.school_a_user)
        response = _request(client, view, world, view.other_school_kwargs, query)
        assert response.status_code in (403, 404), (
            f"school A user got {response.status_code} for school B's object"
        )
        client.logout()
        staff_role = next(iter(sorted(view.roles & {Role.LEADER, Role.SUPPORT, Role.ADMIN})), None)
        if staff_role:
            client.force_login(getattr(world, ROLE_USERS[staff_role]))
            response = _request(client, view, world, view.other_school_kwargs, query)
            assert response.status_code in view.ok_status
            client.logout()

    # 4. Lists and downloads: school B's rows are invisible to school A's user.
    if view.hidden:
        marker = view.hidden(world)
        for extra in (query, *view.also_check):
            staff_role = next(
                iter(sorted(view.roles & {Role.LEADER, Role.SUPPORT, Role.ADMIN})), None
            )
            if staff_role:
                client.force_login(getattr(world, ROLE_USERS[staff_role]))
                response = _request(client, view, world, view.kwargs, extra)
                assert marker in _text(response), (
                    f"marker {marker!r} missing for staff at {extra!r}: a useless check"
                )
                client.logout()
            if Role.SCHOOL in view.roles:
                client.force_login(world.school_a_user)
                response = _request(client, view, world, view.kwargs, extra)
                assert marker not in _text(response), (
                    f"school A's user sees {marker!r} at {extra!r}"
                )
                client.logout()

"""The permission harness: one declaration per URL pattern, one walker for all.

Each app declares its views in `tests/<app>/access.py`:

    def build(world):                      # optional: rows at school A and school B
        world.device_a = make_device(school=world.school_a)
        world.device_b = make_device(school=world.school_b)

    VIEWS = [
        View("devices:list", roles=STAFF | SCHOOL, hidden=lambda w: w.device_b.serial),
        View("devices:detail", roles=STAFF | SCHOOL,
             kwargs=lambda w: {"pk": w.device_a.pk},
             other_school_kwargs=lambda w: {"pk": w.device_b.pk}),
        View("devices:report_fault", roles=SCHOOL, method="post", ...),
    ]

tests/test_access.py then checks, for every declared view:
- anonymous users are sent to the login page (never a 2xx);
- each role in `roles` gets an OK status; every other role gets 403;
- with `other_school_kwargs`, school A's user gets 403/404 for school B's object
  while staff open it;
- with `hidden`, the text (a marker of school B's rows) appears for staff and never
  for school A's user, in the page and in its downloads (`query`);
and that every named URL pattern of the portal has a declaration.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gigaportal.roles import Role

STAFF = frozenset({Role.SUPPORT, Role.LEADER, Role.ADMIN})
LEADERS = frozenset({Role.LEADER, Role.ADMIN})
SCHOOL = frozenset({Role.SCHOOL})
EVERYONE = STAFF | SCHOOL
NOBODY: frozenset[str] = frozenset()


class World:
    """The objects a harness run works on: the fixed cast plus each app's rows."""

    def __init__(self, **kwargs: Any) -> None:
        self.__dict__.update(kwargs)


@dataclass(frozen=True)
class View:
    url_name: str
    roles: frozenset[str]
    kwargs: Callable[[World], dict] | None = None
    other_school_kwargs: Callable[[World], dict] | None = None
    hidden: Callable[[World], str] | None = None
    method: str = "get"
    data: Callable[[World], dict] | None = None
    query: str = ""
    ok_status: tuple[int, ...] = (200,)
    # Pages anyone may open (login, health check, token-protected feeds).
    public: bool = False
    # What a signed-in user outside `roles` gets; Django admin redirects to its login.
    denied_status: tuple[int, ...] = (403,)
    # Extra query strings whose responses must hide `hidden` too (downloads).
    also_check: tuple[str, ...] = field(default_factory=tuple)
    id: str = ""

    @property
    def test_id(self) -> str:
        return self.id or (self.url_name + (f"[{self.query}]" if self.query else ""))


# Named URL patterns that are Django's own machinery, not portal pages.
IGNORED_PREFIXES = ("admin:",)
IGNORED_NAMES = frozenset({"set_language", "javascript-catalog"})

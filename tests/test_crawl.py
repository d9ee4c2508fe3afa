"""Every page each demo role can reach, in Japanese, from the demo's full data: no
server error, no English word outside product names and data, and a bounded number of
queries per page.

Speed is reported, not asserted (machines are noisy): the slowest pages of each role
are printed (pytest -s, or in the report of a failure), and `benchmarks/pages.py`
measures them against a baseline. The query bound is what keeps a page from growing
with the rows, and that is asserted.
"""

from __future__ import annotations

import io
import re

import pytest
from django.apps import apps
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client

from gigaportal import demo as portal_demo
from gigaportal.models import ObjectChange, User
from security.models import OrgChart
from support.models import Topic
from surveys.models import Survey
from tests.crawl import crawl

pytestmark = pytest.mark.django_db

ROLES = ("support", "leader", "school_a", "school_b", "admin")
# A page (its own queries, the session's and the user's) stays within this many
# queries whatever the number of rows behind it.
MAX_QUERIES = 40
# Pages that read several areas' registered reports at once: a fixed number all the
# same (tests/dashboard asserts it does not grow with the rows), only more than one
# report page's.
QUERY_ALLOWANCE = {"/dashboard/": 60}


@pytest.fixture
def demo_data():
    call_command("load_demo", "--allow-production", stdout=io.StringIO())


def data_words() -> frozenset[str]:
    """Latin words that are records, not interface: login names, the short names of
    topics, and the login of whoever ran the demo's commands (kept with its changes)."""
    words = set(User.objects.values_list("username", flat=True))
    words |= set(Topic.objects.values_list("code", flat=True))
    words |= set(Survey.objects.values_list("slug", flat=True))
    words |= set(OrgChart.objects.values_list("slug", flat=True))
    words |= set(ObjectChange.objects.exclude(by_name="").values_list("by_name", flat=True))
    # Django names the rows of a many-to-many field after the two models, in English
    # ("Supportrecord-topic relationships" on a delete confirmation).
    words |= {
        re.match(r"[A-Za-z-]*", str(model._meta.verbose_name)).group(0).capitalize()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.auto_created
    }
    return frozenset(
        {w for text in words for w in re.split(r"[^A-Za-z]+", text) if w}
        | {p.strip("-") for text in words for p in re.split(r"[^A-Za-z-]+", text) if p.strip("-")}
    )


def test_every_page_of_every_demo_role_is_japanese_and_answers(demo_data, capsys):
    problems: list[str] = []
    allowed = data_words()
    for username in ROLES:
        client = Client(HTTP_ACCEPT_LANGUAGE="ja")
        assert client.login(
            request=HttpRequest(), username=username, password=portal_demo.DEMO_PASSWORD
        )
        result = crawl(
            client, start="/admin/" if username == "admin" else "/", allowed_words=allowed
        )
        assert len(result.visits) > 20, f"{username}: only {len(result.visits)} pages reached"
        for visit in result.failures():
            problems.append(f"{username}: {visit.status} at {visit.url} (from {visit.came_from})")
        for visit in result.english():
            problems.append(f"{username}: English {sorted(visit.english)} at {visit.url}")
        for visit in result.visits:
            # Django admin's delete confirmation walks every related row, by design.
            path = visit.url.split("?")[0]
            limit = QUERY_ALLOWANCE.get(path, MAX_QUERIES)
            if visit.queries > limit and not path.endswith("/delete/"):
                problems.append(f"{username}: {visit.queries} queries at {visit.url}")
        with capsys.disabled():
            slowest = ", ".join(f"{v.url} {v.seconds:.2f}s" for v in result.slowest(3))
            busiest = max(result.visits, key=lambda v: v.queries)
            print(
                f"\n{username}: {len(result.visits)} pages; slowest {slowest}; "
                f"most queries {busiest.queries} at {busiest.url}"
            )
    assert not problems, "\n".join(problems)

"""No page runs a query per row: the query count stays the same as the chart, the
version, the schools and the requests grow."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from security import rules, services
from security.services import LinkSpec, NodeSpec, ReasonInput, SectionInput
from tests.factories import make_school, make_user
from tests.security.factories import (
    REVISION,
    make_chart,
    make_document,
    make_software_request,
    make_version,
)

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _groups(n):
    return [
        NodeSpec(
            f"部会{i}",
            members=["学校教育課長", "情報政策課長"],
            duties=["分掌"],
            links=[LinkSpec("meeting", f"会議{i}"), LinkSpec("system", f"システム{i}")],
            children=[NodeSpec(f"会議体{i}")],
        )
        for i in range(n)
    ]


def test_a_charts_page_and_image_cost_the_same_queries_whatever_its_size(client, leader):
    make_chart(slug="small", nodes=[NodeSpec("委員会", children=_groups(2))])
    make_chart(slug="large", nodes=[NodeSpec("委員会", children=_groups(12))])
    client.force_login(leader)
    assert queries(client, "/security/charts/small/") == queries(client, "/security/charts/large/")
    assert queries(client, "/security/charts/small/chart.svg") == queries(
        client, "/security/charts/large/chart.svg"
    )


def test_a_versions_page_costs_the_same_queries_whatever_its_length(client, support_staff):
    document = make_document()
    short = make_version(
        document=document,
        label="短い",
        sections=[SectionInput(1, "本文")],
        reasons=[ReasonInput("other", "理由")],
    )
    long = make_version(
        document=document,
        label="長い",
        effective_from=None,
        sections=[SectionInput(n, f"第{n}条の本文\n第2項") for n in range(1, 30)],
        reasons=[ReasonInput("other", f"理由{n}", "（ア）項目\n・詳細") for n in range(8)],
    )
    client.force_login(support_staff)
    assert queries(client, f"/security/versions/{short.pk}/") == queries(
        client, f"/security/versions/{long.pk}/"
    )


def test_the_leaders_lists_cost_the_same_queries_as_schools_and_requests_grow(client, leader):
    version = make_version(document=make_document(), approved_on=REVISION)
    ok = rules.Checklist(rules.Check.OK, rules.Check.OK, rules.Check.OK)

    def grow(n):
        for _ in range(n):
            school = make_school()
            user = make_user(role="school", school=school)
            software = make_software_request(by=user)
            services.software_request_review(
                by=leader, request=software, checks=ok, decision=rules.Decision.APPROVE
            )

    client.force_login(leader)
    urls = [
        f"/security/versions/{version.pk}/not-acknowledged/",
        "/security/acknowledgements/",
        "/security/software/",
        "/security/software/register/",
        "/",
    ]
    grow(2)
    before = [queries(client, url) for url in urls]
    grow(10)
    assert [queries(client, url) for url in urls] == before

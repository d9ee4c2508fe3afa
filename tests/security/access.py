"""Who may open each security page (see tests/access.py for the format)."""

import datetime as dt

from gigaportal.scope import COMMAND_LINE
from security import rules, services
from security.models import ChartKind
from security.services import NodeSpec
from tests.access import EVERYONE, LEADERS, SCHOOL, STAFF, View
from tests.security.factories import make_chart, make_policy_history, make_software_request

# Only in school B's rows (a software request, its acknowledgement): school A's user must
# never read them, in a page or a download.
SOFTWARE_B = "B校専用ソフト"


def build(world):
    world.document, world.old_version, world.version = make_policy_history()
    world.draft = services.policy_version_new(by=COMMAND_LINE, source=world.version)
    world.chart = make_chart()
    committee = make_chart(
        slug="committee",
        title="委員会",
        kind=ChartKind.COMMITTEE,
        nodes=[NodeSpec("委員会", children=[NodeSpec("ＩＣＴ基盤整備部会")])],
    )
    services.topic_create(
        by=COMMAND_LINE,
        group=committee.nodes.get(position="ＩＣＴ基盤整備部会"),
        title="シングルサインオン",
        status="decided",
        meeting_date=dt.date(2023, 1, 19),
    )
    world.software_a = make_software_request(by=world.school_a_user, name="A校のソフト")
    world.software_b = make_software_request(by=world.school_b_user, name=SOFTWARE_B)
    for software in (world.software_a, world.software_b):
        services.software_request_review(
            by=world.leader,
            request=software,
            checks=rules.Checklist(
                sign_on=rules.Check.OK,
                personal_data=rules.Check.OK,
                security_terms=rules.Check.OK,
            ),
            decision=rules.Decision.APPROVE,
        )
    world.software_b_open = make_software_request(by=world.school_b_user, name="B校の審査中")
    services.acknowledgement_record(by=world.school_b_user, version=world.version)


def _version(w):
    return {"pk": w.version.pk}


VIEWS = [
    View(
        "security:policy",
        roles=EVERYONE,
        query="?on=2023-04-01",
        also_check=("?on=2023-04-01&download=csv", "?on=2023-13-01", "?on=%C2%B2"),
    ),
    View(
        "security:revision",
        roles=EVERYONE,
        query="?on=2023-04-01",
        also_check=("?on=2023-04-01&download=xlsx", "?on=2023-13-01"),
    ),
    View(
        "security:document_detail",
        roles=EVERYONE,
        kwargs=lambda w: {"pk": w.document.pk},
        query="?on=2023-03-31",
    ),
    View("security:document_history", roles=EVERYONE, kwargs=lambda w: {"pk": w.document.pk}),
    View("security:document_diff", roles=STAFF, kwargs=lambda w: {"pk": w.document.pk}),
    # A draft is the center's: a school is told it does not exist.
    View(
        "security:version_detail",
        roles=EVERYONE,
        kwargs=_version,
        other_school_kwargs=lambda w: {"pk": w.draft.pk},
    ),
    View(
        "security:version_acknowledge",
        roles=SCHOOL,
        method="post",
        kwargs=_version,
        ok_status=(302,),
    ),
    View(
        "security:unacknowledged",
        roles=LEADERS,
        kwargs=_version,
        also_check=("?download=csv",),
    ),
    View(
        "security:version_remind",
        roles=LEADERS,
        method="post",
        kwargs=_version,
        ok_status=(302,),
    ),
    View("security:acknowledgements", roles=LEADERS, also_check=("?download=xlsx",)),
    View("security:chart_list", roles=EVERYONE, query="?on=2023-04-01"),
    View(
        "security:chart_detail",
        roles=EVERYONE,
        kwargs=lambda w: {"slug": w.chart.slug},
        also_check=("?download=csv", "?on=2023-13-01"),
    ),
    View("security:chart_svg", roles=EVERYONE, kwargs=lambda w: {"slug": w.chart.slug}),
    View("security:topics", roles=STAFF, query="?fy=2022", also_check=("?fy=2022&download=csv",)),
    View("security:software_list", roles=EVERYONE, hidden=lambda w: SOFTWARE_B),
    View("security:software_create", roles=SCHOOL),
    View(
        "security:software_detail",
        roles=EVERYONE,
        kwargs=lambda w: {"pk": w.software_a.pk},
        other_school_kwargs=lambda w: {"pk": w.software_b.pk},
    ),
    # A POST with no data: the form again with its errors (400), never a change.
    View(
        "security:software_review",
        roles=LEADERS,
        method="post",
        kwargs=lambda w: {"pk": w.software_b_open.pk},
        ok_status=(400,),
    ),
    View(
        "security:software_register",
        roles=EVERYONE,
        hidden=lambda w: SOFTWARE_B,
        also_check=("?download=csv",),
    ),
]

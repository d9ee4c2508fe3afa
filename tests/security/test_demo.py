"""The demo reproduces sections 5–7 of the papers, and `security_report` prints them:
the policy before and after 2023-04-01, the six levels of the security organisation,
the CSIRT's four members, the FY2023 committee, the four topics."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gigaportal import demo as portal_demo
from security import demo, selectors
from security.models import (
    Acknowledgement,
    OrgChart,
    PolicyVersion,
    RequestStatus,
    SoftwareRequest,
    WorkingGroupTopic,
)

SIX_LEVELS = """\
depth,position,holders,parent
1,最高情報セキュリティ責任者,副市長,
2,統括教育情報セキュリティ責任者,教育長,最高情報セキュリティ責任者
3,教育情報セキュリティ責任者,教育次長、指導担当次長、デジタル政策担当部長,統括教育情報セキュリティ責任者
4,教育情報システム管理者,総務課長、学校教育課長、青少年課長、総合教育プラザ館長、学務管理課長、教育支援課長、情報政策課長,教育情報セキュリティ責任者
5,教育情報セキュリティ管理者,各学校（園）長等,教育情報システム管理者
6,教育情報システム担当者,,教育情報セキュリティ管理者
"""

CSIRT = """\
depth,position,holders,parent
1,CSIRT責任者,デジタル政策担当部長,
2,CSIRT構成員,指導担当次長,CSIRT責任者
2,CSIRT構成員,情報政策課長,CSIRT責任者
2,CSIRT構成員,学校教育課長,CSIRT責任者
"""


@pytest.fixture
def loaded(db):
    out = io.StringIO()
    portal_demo.load(stdout=out)
    demo.load(stdout=out)
    return out


def report(*args) -> str:
    out = io.StringIO()
    with translation.override("ja"):
        call_command("security_report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_the_policy_before_and_after_the_revision(loaded):
    before = report("policy", "--on", "2023-03-31", "--format", "csv").splitlines()
    after = report("policy", "--on", "2023-04-01", "--format", "csv").splitlines()
    assert before[0] == after[0] == "document,version,effective_from,status"
    assert len(before) == len(after) == 2
    assert before[1].startswith(
        "情報セキュリティポリシー（教育情報系）,令和2年4月1日施行,2020-04-01,"
    )
    assert after[1].startswith(
        "情報セキュリティポリシー（教育情報系）,令和5年4月1日改定,2023-04-01,"
    )


def test_the_table_format_prints_the_same_version(loaded):
    table = report("policy", "--on", "2023-04-01")
    lines = table.splitlines()
    assert lines[0].split() == ["document", "version", "effective_from", "status"]
    assert "令和5年4月1日改定" in lines[2] and "2023-04-01" in lines[2]


def test_the_security_chart_prints_its_six_levels(loaded):
    assert report("orgchart", "--chart", "security", "--format", "csv") == SIX_LEVELS
    table = report("orgchart", "--chart", "security").splitlines()
    assert len(table) == 2 + 6
    assert table[2].split()[:3] == ["1", "最高情報セキュリティ責任者", "副市長"]
    assert table[-1].split()[:2] == ["6", "教育情報システム担当者"]


def test_the_chart_before_the_reorganisation_has_the_earlier_holders(loaded):
    before = report("orgchart", "--chart", "security", "--on", "2023-03-31", "--format", "csv")
    assert "未来創造部長" in before and "教育支援課長" not in before
    assert before.count("\n") == 7


def test_the_csirt_prints_its_four_members(loaded):
    assert report("orgchart", "--chart", "csirt", "--format", "csv") == CSIRT


def test_the_committee_has_three_working_groups_with_members_duties_meetings_and_systems(loaded):
    chart = selectors.chart_in_force(slug="committee", day=demo.REVISION)
    rows = selectors.chart_rows(chart=chart)
    groups = {r.node.position: r.node for r in rows if r.node.position.endswith("部会")}
    assert set(groups) == {"ＩＣＴ基盤整備部会", "授業支援部会", "校務支援部会"}
    for node in groups.values():
        kinds = {link.kind for link in node.links.all()}
        assert node.member_list() and node.duty_list() and "meeting" in kinds and "system" in kinds
    assert "システム全体の統括" in groups["ＩＣＴ基盤整備部会"].duty_list()
    systems = {link.label for link in groups["校務支援部会"].links.filter(kind="system")}
    assert {
        "財務会計システム",
        "給与・旅費システム",
        "校務支援システム",
        "スポ振システム",
        "緊急メールシステム",
    } <= systems
    fy2022 = selectors.chart_in_force(slug="committee", day=demo.REVISION.replace(day=1, month=3))
    assert fy2022.effective_from == demo.FY2022


def test_the_csirt_members_are_positions_of_the_security_chart(loaded):
    csirt = selectors.chart_in_force(slug="csirt", day=demo.REVISION)
    targets = {
        link.target.position
        for row in selectors.chart_rows(chart=csirt)
        for link in row.node.links.all()
        if link.target_id
    }
    assert targets == {"教育情報セキュリティ責任者", "教育情報システム管理者"}


def test_the_revision_has_the_papers_three_reasons_with_their_items(loaded):
    version = PolicyVersion.objects.get(effective_from=demo.REVISION)
    reasons = list(version.reasons.all())
    assert [r.category for r in reasons] == ["national_guideline", "platform", "organisation"]
    items = reasons[0].item_list()
    assert [i.text for i in items] == [
        "（ア）教職員等の利用する端末や電磁的記録媒体等の管理",
        "（イ）１人１台端末におけるセキュリティ",
        "（ウ）組織体制",
    ]
    assert "ふるまい検知" in items[0].details[0]
    assert "指導者系" in reasons[1].items and "教育支援課" in reasons[2].items
    assert PolicyVersion.objects.get(effective_from=demo.BEFORE).reasons.count() == 0


def test_the_four_topics_with_their_statuses(loaded):
    topics = list(WorkingGroupTopic.objects.order_by("order"))
    assert [t.title for t in topics] == [t for t, _s, _x in demo.TOPICS]
    assert {t.status for t in topics} == {"decided", "continuing", "discussing"}
    assert all(t.group.position == "ＩＣＴ基盤整備部会" for t in topics)
    out = report("topics", "--fiscal-year", "2022", "--format", "csv")
    assert out.count("ＩＣＴ基盤整備部会") == 4


def test_two_software_requests_and_acknowledgements_from_some_schools(loaded):
    statuses = sorted(SoftwareRequest.objects.values_list("status", flat=True))
    assert statuses == [RequestStatus.APPROVED, RequestStatus.UNDER_REVIEW]
    assert SoftwareRequest.objects.get(status="approved").conditions
    codes = set(Acknowledgement.objects.values_list("school__code", flat=True))
    assert codes and not codes & {"E001", "J001"}


def test_a_second_run_adds_nothing(loaded):
    counts = (
        OrgChart.objects.count(),
        PolicyVersion.objects.count(),
        Acknowledgement.objects.count(),
    )
    demo.load(stdout=io.StringIO())
    assert (
        OrgChart.objects.count(),
        PolicyVersion.objects.count(),
        Acknowledgement.objects.count(),
    ) == counts


def test_an_unknown_chart_is_an_error(loaded):
    with pytest.raises(CommandError):
        report("orgchart", "--chart", "nope")


def test_the_page_shows_the_same_rows_as_the_command(loaded, client):
    from gigaportal.models import User

    client.force_login(User.objects.get(username="school_a"))
    csv = client.get("/security/charts/csirt/?download=csv").content.decode("utf-8-sig")
    lines = [line.split(",") for line in csv.strip().splitlines()[1:]]
    command = [line.split(",") for line in CSIRT.strip().splitlines()[1:]]
    assert lines == command

"""The demo data reproduces section 3 of the seed, through the real import and evaluation."""

import io

import pytest
from django.core.management import call_command

from gigaportal import demo as gigaportal_demo
from gigaportal.outbox import State
from traffic import demo
from traffic.models import Action, Case, CaseStep, Line, MonthlyUsage, SchoolNotice

pytestmark = pytest.mark.django_db

SEED_USAGE = """month,total_gb,lines,capacity_gb,usage_rate_pct
2022-01,57563,24933,124665,46
2022-02,62360,24933,124665,50
2022-03,55760,24933,124665,45
2022-04,53018,24933,124665,43
2022-05,60931,24888,124440,49
2022-06,64119,24888,124440,52
2022-07,62209,24888,124440,50
2022-08,45761,24888,124440,37
2022-09,68216,24888,124440,55
2022-10,66144,24888,124440,53
2022-11,64107,24888,124440,52
2022-12,65752,24888,124440,53
"""

SEED_FLOW = """cohort_month,month,status,count
2022-09,2022-09,stage1,16
2022-09,2022-10,stage2,11
2022-09,2022-10,improved,5
2022-09,2022-11,stage3,3
2022-09,2022-11,improved,8
2022-09,2022-12,stage4,2
2022-09,2022-12,improved,1
2022-10,2022-10,stage1,5
2022-10,2022-11,stage2,4
2022-10,2022-11,improved,1
2022-10,2022-12,stage3,2
2022-10,2022-12,improved,2
2022-11,2022-11,stage1,18
2022-11,2022-12,stage2,5
2022-11,2022-12,improved,13
2022-12,2022-12,stage1,14
"""


def counts():
    return tuple(
        (model.objects.count(), max(model.objects.values_list("id", flat=True), default=0))
        for model in (Line, MonthlyUsage, Case, CaseStep, Action, SchoolNotice)
    )


def report(*args) -> str:
    out = io.StringIO()
    call_command("traffic_report", *args, "--format", "csv", stdout=out)
    return out.getvalue()


def test_the_demo_prints_the_seeds_tables_and_a_second_load_changes_nothing():
    gigaportal_demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    assert report("usage", "--from", "2022-01", "--to", "2022-12") == SEED_USAGE
    assert report("escalation-flow", "--from", "2022-09", "--to", "2022-12") == SEED_FLOW
    # Lines belong to the elementary, junior-high and special-needs schools only.
    assert not Line.objects.filter(school__code="H001").exists()
    assert not Line.objects.filter(school__isnull=True).exists()
    # The history went out in 2022: nothing is waiting to be sent.
    assert not Action.objects.exclude(state=State.SENT).exists()
    before = counts()
    demo.load(stdout=io.StringIO())
    assert counts() == before


SEED_FLOW_PAGE = """対象となった月,2022年9月,2022年10月,2022年11月,2022年12月
2022年9月,① 16,"② 11, 改善 5","③ 3, 改善 8","④ 2, 改善 1"
2022年10月,,① 5,"② 4, 改善 1","③ 2, 改善 2"
2022年11月,,,① 18,"② 5, 改善 13"
2022年12月,,,,① 14
"""


def test_the_pages_downloads_are_the_tables_people_read(client):
    """Issue 9, bugs 1 and 2: the flow download is the cohort × month table the committee
    pastes (not internal codes), cases name their step, and the MDM page shows states,
    steps and the message in Japanese."""
    gigaportal_demo.load(stdout=io.StringIO())
    demo.load(stdout=io.StringIO())
    from gigaportal.models import User

    client.force_login(User.objects.get(username="leader"))
    flow = client.get("/traffic/flow/", {"from": "2022-09", "to": "2022-12", "download": "csv"})
    assert flow.content.decode("utf-8-sig").replace("\r\n", "\n") == SEED_FLOW_PAGE
    page = client.get("/traffic/flow/", {"from": "2022-09", "to": "2022-12"}).content.decode()
    assert '<th scope="row">2022年9月</th>' in page and ">2022-09<" not in page

    cases = client.get("/traffic/cases/", {"download": "csv"}).content.decode("utf-8-sig")
    header, first = cases.splitlines()[:2]
    assert header == "回線番号,学校,対象となった月,段階,改善した月"
    assert ",2022年12月,① 注意メッセージ," in first

    page = client.get("/traffic/mdm/").content.decode()
    assert "送信済み" in page and "① 注意メッセージ" in page
    assert "【注意】iPadの通信量が多くなっています" in page  # the text the operator pastes
    assert ">sent<" not in page and "outbox-only" not in page
    mdm = client.get("/traffic/mdm/", {"download": "csv"}).content.decode("utf-8-sig")
    assert mdm.splitlines()[0] == "シリアル番号,回線番号,学校コード,学校,段階,状態,メッセージ"

"""The demo reproduces the committee papers' support table from generated records."""

import io

import pytest
from django.core.management import call_command

from gigaportal import demo as portal_demo
from gigaportal.models import User
from support import demo
from support.models import SupportRecord, SupportRequest

SEED_TABLE = """\
term  kind      count
----  --------  -----
   1  online        5
   1  visit       248
   1  training     15
   2  online       10
   2  visit       366
   2  training     12
   3  online        4
   3  visit        62
   3  training      4
"""


@pytest.fixture
def loaded(db):
    out = io.StringIO()
    portal_demo.load(stdout=out)
    demo.load(stdout=out)
    return out


def test_support_report_prints_the_seed_table_from_the_demo(loaded):
    out = io.StringIO()
    call_command("support_report", "terms", "--fiscal-year", "2022", stdout=out)
    assert out.getvalue() == SEED_TABLE


def test_the_csv_format_has_term_kind_count_columns(loaded):
    out = io.StringIO()
    call_command("support_report", "terms", "--fiscal-year", "2022", "--format", "csv", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "term,kind,count"
    assert lines[1:4] == ["1,online,5", "1,visit,248", "1,training,15"]
    assert len(lines) == 10


def test_the_demo_has_ten_support_staff_and_a_leader(loaded):
    assert User.objects.filter(role="support").count() == 10
    assert User.objects.filter(username="support", role="support").exists()
    assert User.objects.filter(username="leader", role="leader").exists()
    assert User.objects.get(username="suzuki").check_password("giga-demo-2022")


def test_records_are_spread_over_schools_staff_topics_and_weekdays(loaded):
    records = SupportRecord.objects.all()
    assert records.values("school").distinct().count() > 50
    assert records.values("staff").distinct().count() >= 10
    assert records.values("topics").distinct().count() >= 8
    assert not records.filter(date__week_day__in=[1, 7]).exists()  # no Sundays/Saturdays
    assert not records.filter(date__gt="2023-01-15").exists()


def test_a_second_run_changes_nothing(loaded):
    counts = (SupportRecord.objects.count(), SupportRequest.objects.count(), User.objects.count())
    demo.load(stdout=io.StringIO())
    assert (
        SupportRecord.objects.count(),
        SupportRequest.objects.count(),
        User.objects.count(),
    ) == counts


def test_school_a_has_open_requests(loaded):
    open_a = SupportRequest.objects.filter(
        school__code="E001", status__in=["requested", "scheduled"]
    )
    assert open_a.count() >= 2

"""The evaluation service on PostgreSQL: what it writes, once, in a fixed number of queries."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gigaportal.calendar import Month
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services
from traffic.models import Action, Case, CaseStep, Evaluation, MessageText, SchoolNotice

pytestmark = pytest.mark.django_db
SEP, OCT, NOV = Month(2022, 9), Month(2022, 10), Month(2022, 11)


def snapshot():
    return (
        list(Case.objects.order_by("id").values_list("id", "stage", "closed_month")),
        list(CaseStep.objects.order_by("id").values_list("id", "transition")),
        list(Action.objects.order_by("id").values_list("id", "kind", "state")),
        list(SchoolNotice.objects.order_by("id").values_list("id", "subject")),
    )


def test_it_opens_escalates_and_writes_one_action_per_step(school_a):
    make_policy()
    heavy, steady, quiet = (
        make_line(school=school_a),
        make_line(school=school_a),
        make_line(school=school_a),
    )
    for month, values in ((SEP, (250, 150, 1)), (OCT, (100, 150, 1))):
        for line, gb in zip((heavy, steady, quiet), values, strict=True):
            set_usage(line, month, gb)
    sep = services.evaluation_run(month=SEP)
    assert (sep.opened, sep.escalated) == (1, 0)  # steady: 150 alone is not enough yet
    oct_ = services.evaluation_run(month=OCT)
    assert (oct_.opened, oct_.escalated, oct_.improved) == (1, 1, 0)
    case = Case.objects.get(line=heavy)
    assert case.stage == 2 and case.cohort.isoformat() == "2022-09-01"
    assert list(case.actions.values_list("kind", flat=True).order_by("stage")) == [
        "tablet_caution",
        "school_notice",
    ]
    notice = SchoolNotice.objects.get()
    assert notice.school == school_a
    assert heavy.number in notice.body and "2022年10月" in notice.body


def test_the_school_notice_uses_the_text_edited_in_admin(school_a):
    MessageText.objects.filter(kind="school_notice").update(
        subject="お知らせ {line_number}", body="{school} 様: {usage_gb} GB"
    )
    make_policy()
    line = make_line(school=school_a)
    set_usage(line, SEP, 300)
    set_usage(line, OCT, 250)
    services.evaluation_run(month=SEP)
    services.evaluation_run(month=OCT)
    notice = SchoolNotice.objects.get()
    assert notice.subject == f"お知らせ {line.number}"
    assert notice.body == f"{school_a.name} 様: 250.00 GB"


def test_evaluating_a_month_twice_changes_nothing_the_second_time(school_a):
    make_policy()
    line = make_line(school=school_a)
    set_usage(line, SEP, 300)
    first = services.evaluation_run(month=SEP)
    before = snapshot()
    second = services.evaluation_run(month=SEP)
    assert first.created and not second.created
    assert snapshot() == before


def test_months_are_evaluated_in_order_and_not_before_the_policy(school_a):
    make_policy()
    line = make_line(school=school_a)
    for month in (Month(2022, 8), SEP, OCT):
        set_usage(line, month, 10)
    with pytest.raises(services.EvaluationRefused):
        services.evaluation_run(month=Month(2022, 8))
    with pytest.raises(services.EvaluationRefused):
        services.evaluation_run(month=OCT)
    with pytest.raises(services.EvaluationRefused):
        services.evaluation_run(month=NOV)  # no data
    assert [r.month for r in services.evaluate_pending_months()] == [SEP, OCT]
    assert not Evaluation.objects.filter(month=Month(2022, 8).first_day()).exists()


def _world(school, size: int):
    """`size` lines in each situation: new at ①, escalating, improving, quiet."""
    for _ in range(size):
        opening, climbing, improving, quiet = (make_line(school=school) for _ in range(4))
        set_usage(climbing, SEP, 300)
        set_usage(improving, SEP, 300)
        set_usage(opening, OCT, 200)
        set_usage(climbing, OCT, 120)
        set_usage(improving, OCT, 5)
        set_usage(quiet, OCT, 50)


def _count_october_queries(school, size: int) -> int:
    Evaluation.objects.all().delete()
    make_policy()
    _world(school, size)
    services.evaluation_run(month=SEP)
    with CaptureQueriesContext(connection) as queries:
        result = services.evaluation_run(month=OCT)
    assert (result.opened, result.escalated, result.improved) == (size, size, size)
    # The month's one change-log entry, whatever the number of cases and actions.
    logged = [q for q in queries.captured_queries if "gigaportal_objectchange" in q["sql"]]
    assert len(logged) == 1 and logged[0]["sql"].startswith("INSERT"), logged
    return len(queries)


def test_a_months_evaluation_takes_the_same_number_of_queries_for_10_or_200_lines(
    require_postgres, school_a, school_b, django_assert_max_num_queries
):
    small = _count_october_queries(school_a, 10)
    # A second, larger world (the first stays, all its cases are closed or open at ②).
    from traffic.models import Line, MonthlyUsage, Policy

    SchoolNotice.objects.all().delete()
    Action.objects.all().delete()
    CaseStep.objects.all().delete()
    Case.objects.all().delete()
    Evaluation.objects.all().delete()
    MonthlyUsage.objects.all().delete()
    Line.objects.all().delete()
    Policy.objects.all().delete()
    large = _count_october_queries(school_b, 200)
    assert small == large
    # 21 before the evaluation locked the two months' states (so that a reopen of the
    # month before cannot slip in between its check and its writes): 22.
    assert large <= 22


def test_run_escalation_command_reports_and_is_idempotent(school_a):
    make_policy()
    set_usage(make_line(school=school_a), SEP, 300)
    out = io.StringIO()
    call_command("run_escalation", "--month", "2022-09", stdout=out)
    call_command("run_escalation", "--month", "2022-09", stdout=out)
    assert "2022-09: opened 1" in out.getvalue()
    assert "already evaluated" in out.getvalue()
    assert Action.objects.count() == 1


def test_the_policy_command_records_a_version(db):
    out = io.StringIO()
    call_command("traffic_policy", "--effective-from", "2022-09", "--single-gb", "180", stdout=out)
    assert "2022-09  single 180.00 GB, consecutive 100.00 GB, 5.00 GB per line" in out.getvalue()

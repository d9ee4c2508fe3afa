"""The two-month rule needs the month before: evaluation waits for it, and once a month
is evaluated neither it nor the month before it can be replaced by an import."""

import io

import pytest
from django.db import connection, transaction
from django.utils import translation

from gigaportal.calendar import Month
from gigaportal.scope import SYSTEM
from gigaportal.tabular import TabularError
from tests.traffic.factories import make_line, make_policy, set_usage
from traffic import services
from traffic.models import Case, Evaluation, MonthlyUsage
from traffic.services.usage import usage_import

pytestmark = pytest.mark.django_db
JUL, AUG, SEP, OCT = Month(2022, 7), Month(2022, 8), Month(2022, 9), Month(2022, 10)


def test_a_month_whose_previous_month_has_no_data_waits_for_it(school_a):
    make_policy()  # from 2022-09
    line = make_line(school=school_a)
    set_usage(line, JUL, 10)
    set_usage(line, SEP, 150)  # August (150 GB too) arrives late
    with pytest.raises(services.EvaluationRefused) as refused:
        services.evaluation_run(month=SEP)
    assert "2022-08" in str(refused.value)
    assert services.evaluate_pending_months(by=SYSTEM) == []
    assert not Evaluation.objects.exists()

    set_usage(line, AUG, 150)
    [result] = services.evaluate_pending_months(by=SYSTEM)
    assert (result.month, result.opened) == (SEP, 1)  # 150 after 150: the two-month rule
    assert Case.objects.get().line == line


def test_the_first_month_with_any_data_counts_the_unknown_month_before_as_zero(school_a):
    make_policy()
    line = make_line(school=school_a)
    set_usage(line, SEP, 150)
    [result] = services.evaluate_pending_months()
    assert (result.month, result.opened) == (SEP, 0)


def test_the_refusal_is_in_japanese(school_a):
    make_policy()
    line = make_line(school=school_a)
    set_usage(line, JUL, 10)
    set_usage(line, SEP, 150)
    with translation.override("ja"), pytest.raises(services.EvaluationRefused) as refused:
        services.evaluation_run(month=SEP)
    assert "先に取り込んで" in str(refused.value)


def _import(text: str, *, python_parsing: bool = False):
    return usage_import(file=io.BytesIO(text.encode()), python_parsing=python_parsing)


PATHS = [False, True] if connection.vendor == "postgresql" else [False]


@pytest.mark.parametrize("python_parsing", PATHS, ids=lambda p: "python" if p else "default")
@pytest.mark.parametrize("month", ["2022-09", "2022-08"], ids=["evaluated", "month-before"])
def test_an_evaluated_month_or_the_month_before_it_cannot_be_replaced(
    school_a, month, python_parsing
):
    make_policy()
    _import("line_number,month,usage_gb\n070-1111-2222,2022-08,150\n070-1111-2222,2022-09,150\n")
    services.evaluation_run(month=SEP)
    before = sorted(MonthlyUsage.objects.values_list("month", "usage_mb"))
    body = (
        "line_number,month,usage_gb\n"
        "070-1111-2222,2022-10,1\n"
        f"070-1111-2222,{month},999\n"
        f"070-3333-4444,{month},999\n"
    )
    with (
        translation.override("ja"),
        pytest.raises(TabularError) as refused,
        transaction.atomic(),
    ):
        _import(body, python_parsing=python_parsing)
    [message] = refused.value.messages()
    assert "3行目" in message and "置き換えられません" in message, message
    assert sorted(MonthlyUsage.objects.values_list("month", "usage_mb")) == before


def test_the_month_after_the_last_evaluated_month_is_still_imported_and_replaced(school_a):
    make_policy()
    _import("line_number,month,usage_gb\n070-1111-2222,2022-08,1\n070-1111-2222,2022-09,1\n")
    services.evaluation_run(month=SEP)
    _import("line_number,month,usage_gb\n070-1111-2222,2022-10,5\n")
    result = _import("line_number,month,usage_gb\n070-1111-2222,2022-10,7\n")
    assert result.details["months"] == [OCT]
    assert MonthlyUsage.objects.get(month=OCT.first_day()).usage_mb == 7 * 1024

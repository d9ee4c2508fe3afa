"""The ladder as pure functions: no database, plain values in and out."""

from decimal import Decimal

import pytest

from gigaportal.calendar import Month
from tests.traffic.ladder import evaluate_months, step_counts
from traffic.escalation import (
    ActionKind,
    NotEvaluable,
    OpenCase,
    Policy,
    Stage,
    StepCount,
    Transition,
    evaluate_month,
    flow_counts,
    is_triggered,
    status_of,
)

SEP, OCT, NOV, DEC = Month(2022, 9), Month(2022, 10), Month(2022, 11), Month(2022, 12)
AUG = Month(2022, 8)
POLICY = Policy(effective_from=SEP)


def gb(value) -> Decimal:
    return Decimal(str(value))


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        ("200", "0", True),  # the single-month bound is inclusive
        ("199.99", "0", False),
        ("199.99", "99.99", False),
        ("100", "100", True),  # both consecutive bounds are inclusive
        ("100", "99.99", False),
        ("99.99", "100", False),
        ("150", "250", True),
        ("0", "500", False),  # last month alone never triggers this month
    ],
)
def test_it_applies_both_bounds_inclusively(current, previous, expected):
    assert is_triggered(current=gb(current), previous=gb(previous), policy=POLICY) is expected


def test_it_uses_the_thresholds_of_the_policy_it_is_given():
    strict = Policy(effective_from=SEP, single_gb=gb(50), consecutive_gb=gb(30))
    assert is_triggered(current=gb(50), previous=gb(0), policy=strict)
    assert is_triggered(current=gb(30), previous=gb(30), policy=strict)
    assert not is_triggered(current=gb(49), previous=gb(29), policy=strict)


def test_it_opens_a_case_at_step_one_with_the_month_as_cohort():
    outcome = evaluate_month(
        month=SEP,
        usage={"070-0000-0001": gb(210), "070-0000-0002": gb(20)},
        previous={},
        open_cases={},
        policy=POLICY,
    )
    [step] = outcome.steps
    assert (step.line, step.cohort, step.transition, step.stage) == (
        "070-0000-0001",
        SEP,
        Transition.OPENED,
        Stage.CAUTION,
    )
    assert step.action is ActionKind.TABLET_CAUTION
    assert step.status == "stage1"


def test_the_two_month_rule_reads_the_month_before_the_policy_took_effect():
    outcome = evaluate_month(
        month=SEP,
        usage={"L1": gb(100), "L2": gb(100)},
        previous={"L1": gb(100), "L2": gb("99.99")},
        open_cases={},
        policy=POLICY,
    )
    assert [step.line for step in outcome.by_transition(Transition.OPENED)] == ["L1"]


def test_an_open_case_climbs_one_step_a_month_and_each_step_has_its_action():
    case = OpenCase("L1", SEP, Stage.CAUTION)
    outcome = evaluate_month(
        month=OCT,
        usage={"L1": gb(120)},
        previous={"L1": gb(130)},
        open_cases={"L1": case},
        policy=POLICY,
    )
    [step] = outcome.steps
    assert step.transition is Transition.ESCALATED
    assert step.stage is Stage.SCHOOL_NOTICE
    assert step.cohort == SEP  # the cohort stays the month of entry
    assert step.action is ActionKind.SCHOOL_NOTICE


def test_it_continues_at_step_four_without_a_new_action():
    case = OpenCase("L1", SEP, Stage.PARENT_LETTER)
    outcome = evaluate_month(
        month=Month(2023, 1),
        usage={"L1": gb(300)},
        previous={},
        open_cases={"L1": case},
        policy=POLICY,
    )
    [step] = outcome.steps
    assert step.transition is Transition.CONTINUED
    assert step.stage is Stage.PARENT_LETTER
    assert step.status == "stage4"
    assert step.action is None
    assert outcome.open_cases == {"L1": OpenCase("L1", SEP, Stage.PARENT_LETTER)}


def test_an_open_case_whose_line_has_no_row_this_month_counts_zero_and_improves():
    case = OpenCase("L1", SEP, Stage.SCHOOL_NOTICE)
    outcome = evaluate_month(
        month=NOV,
        usage={"L2": gb(1)},
        previous={"L1": gb(250)},
        open_cases={"L1": case},
        policy=POLICY,
    )
    [step] = outcome.steps
    assert step.transition is Transition.IMPROVED
    assert step.status == "improved"
    assert step.stage is Stage.SCHOOL_NOTICE  # the step it had reached
    assert step.action is None
    assert outcome.open_cases == {}


def test_a_missing_previous_month_counts_zero_for_the_two_month_rule():
    outcome = evaluate_month(
        month=SEP, usage={"L1": gb(150)}, previous={}, open_cases={}, policy=POLICY
    )
    assert outcome.steps == ()


def test_it_opens_a_new_case_when_an_improved_line_relapses():
    usage = {
        SEP: {"L1": gb(250)},
        OCT: {"L1": gb(10)},  # improved
        NOV: {"L1": gb(10)},  # nothing open, nothing happens
        DEC: {"L1": gb(205)},  # relapse: a new case, cohort December
    }
    outcomes = evaluate_months(months=[SEP, OCT, NOV, DEC], usage_by_month=usage, policy=POLICY)
    assert [(o.month, [(s.cohort, s.status) for s in o.steps]) for o in outcomes] == [
        (SEP, [(SEP, "stage1")]),
        (OCT, [(SEP, "improved")]),
        (NOV, []),
        (DEC, [(DEC, "stage1")]),
    ]


def test_months_before_the_effective_month_are_not_evaluated():
    with pytest.raises(NotEvaluable):
        evaluate_month(month=AUG, usage={"L1": gb(500)}, previous={}, open_cases={}, policy=POLICY)
    outcomes = evaluate_months(
        months=[AUG, SEP], usage_by_month={AUG: {"L1": gb(500)}}, policy=POLICY
    )
    assert [o.month for o in outcomes] == [SEP]
    assert outcomes[0].steps == ()  # August's 500 GB alone does not open a case in September


def test_the_full_ladder_runs_one_two_three_four_then_continues():
    usage = {m: {"L1": gb(200)} for m in (SEP, OCT, NOV, DEC, Month(2023, 1))}
    outcomes = evaluate_months(months=sorted(usage), usage_by_month=usage, policy=POLICY)
    statuses = [o.steps[0].status for o in outcomes]
    transitions = [o.steps[0].transition for o in outcomes]
    actions = [o.steps[0].action for o in outcomes]
    assert statuses == ["stage1", "stage2", "stage3", "stage4", "stage4"]
    assert transitions[-1] is Transition.CONTINUED
    assert actions == [
        ActionKind.TABLET_CAUTION,
        ActionKind.SCHOOL_NOTICE,
        ActionKind.TABLET_WARNING,
        ActionKind.PARENT_LETTER,
        None,
    ]


def test_flow_counts_groups_steps_by_cohort_month_and_status():
    usage = {
        SEP: {"A": gb(200), "B": gb(200)},
        OCT: {"A": gb(200), "C": gb(300)},
    }
    outcomes = evaluate_months(months=[SEP, OCT], usage_by_month=usage, policy=POLICY)
    # Sorted by cohort, month and the ladder's order (the steps before "improved").
    assert flow_counts(step_counts(outcomes)) == [
        (SEP, SEP, "stage1", 2),
        (SEP, OCT, "stage2", 1),
        (SEP, OCT, "improved", 1),
        (OCT, OCT, "stage1", 1),
    ]


def test_flow_counts_adds_up_counted_rows_and_leaves_out_zero_counts():
    # As the selector reads them: one row per (cohort, month, transition, stage) with
    # its count; opened and escalated to the same stage are the same status.
    rows = [
        StepCount(SEP, OCT, Transition.IMPROVED, Stage.CAUTION, 3),
        StepCount(SEP, OCT, Transition.ESCALATED, Stage.SCHOOL_NOTICE, 2),
        StepCount(SEP, OCT, Transition.IMPROVED, Stage.SCHOOL_NOTICE, 4),
        StepCount(OCT, OCT, Transition.OPENED, Stage.CAUTION, 5),
        StepCount(SEP, DEC, Transition.CONTINUED, Stage.PARENT_LETTER, 1),
        StepCount(SEP, DEC, Transition.ESCALATED, Stage.PARENT_LETTER, 2),
        StepCount(SEP, NOV, Transition.ESCALATED, Stage.WARNING, 0),
    ]
    assert flow_counts(rows) == [
        (SEP, OCT, "stage2", 2),
        (SEP, OCT, "improved", 7),
        (SEP, DEC, "stage4", 3),
        (OCT, OCT, "stage1", 5),
    ]
    assert flow_counts([]) == []


def test_status_of_names_the_stage_reached_or_improved():
    assert status_of(Transition.OPENED, Stage.CAUTION) == "stage1"
    assert status_of(Transition.ESCALATED, Stage.WARNING) == "stage3"
    assert status_of(Transition.CONTINUED, Stage.PARENT_LETTER) == "stage4"
    assert status_of(Transition.IMPROVED, Stage.SCHOOL_NOTICE) == "improved"

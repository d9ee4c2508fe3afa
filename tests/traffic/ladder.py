"""Test helpers over the pure ladder (traffic.escalation): no database here.

`evaluate_months` runs the ladder over consecutive months, as the service does month
by month (it used to live in traffic.escalation, where only the tests used it);
`step_counts` turns the outcomes into the StepCount rows that
`escalation.flow_counts` takes, as `traffic.selectors.step_counts` reads them from
the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from gigaportal.calendar import Month
from traffic.escalation import MonthOutcome, OpenCase, Policy, StepCount, evaluate_month


def evaluate_months(
    *,
    months: Sequence[Month],
    usage_by_month: Mapping[Month, Mapping[str, Decimal]],
    policy: Policy,
    open_cases: Mapping[str, OpenCase] | None = None,
) -> list[MonthOutcome]:
    """Runs the ladder over consecutive months, skipping those before the policy.

    Months before the effective month still supply `previous` for the two-month
    rule: August's usage counts towards a case opened in September.
    """
    outcomes: list[MonthOutcome] = []
    cases = dict(open_cases or {})
    for month in months:
        if month < policy.effective_from:
            continue
        outcome = evaluate_month(
            month=month,
            usage=usage_by_month.get(month, {}),
            previous=usage_by_month.get(month.previous(), {}),
            open_cases=cases,
            policy=policy,
        )
        outcomes.append(outcome)
        cases = outcome.open_cases
    return outcomes


def step_counts(outcomes: Iterable[MonthOutcome]) -> list[StepCount]:
    """One StepCount (count 1) per step of each outcome, as the case steps stored by
    the evaluation would be counted."""
    return [
        StepCount(
            cohort=step.cohort, month=outcome.month, transition=step.transition, stage=step.stage
        )
        for outcome in outcomes
        for step in outcome.steps
    ]

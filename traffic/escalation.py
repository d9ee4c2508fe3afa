"""The heavy-usage ladder, as pure functions over plain values (no ORM here).

The rule, from the committee papers (section 3 of the seed):

- `U(line, m)` is a line's usage in month m in GB; a line without a row counts 0.
- `triggered(line, m)` = `U(m) >= single` or (`U(m) >= consecutive` and
  `U(m-1) >= consecutive`). Both bounds are inclusive.
- Evaluating month m (only from the policy's effective month on, in order):
  1. every open case: triggered → one step up (① → ② → ③ → ④; at ④ it stays,
     shown as continuing); not triggered → closed as improved in m;
  2. every line without an open case that is triggered opens a new case at ① with
     cohort m. A line that improved earlier opens a new case: it counts as new.

The service (traffic/services.py) loads a month, calls `evaluate_month`, and saves
what it returns; this module never learns where the numbers come from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum

from gigaportal.calendar import Month

TOP_STAGE = 4


class Stage(IntEnum):
    """The four steps of the response; each has one outgoing action (see ACTIONS)."""

    CAUTION = 1  # ① a caution message to the pupil's tablet
    SCHOOL_NOTICE = 2  # ② a notice to the school
    WARNING = 3  # ③ a warning message to the pupil's tablet
    PARENT_LETTER = 4  # ④ a letter for the parents: Screen Time guidance


class ActionKind(StrEnum):
    TABLET_CAUTION = "tablet_caution"
    SCHOOL_NOTICE = "school_notice"
    TABLET_WARNING = "tablet_warning"
    PARENT_LETTER = "parent_letter"


ACTIONS: Mapping[Stage, ActionKind] = {
    Stage.CAUTION: ActionKind.TABLET_CAUTION,
    Stage.SCHOOL_NOTICE: ActionKind.SCHOOL_NOTICE,
    Stage.WARNING: ActionKind.TABLET_WARNING,
    Stage.PARENT_LETTER: ActionKind.PARENT_LETTER,
}
TABLET_ACTIONS = frozenset({ActionKind.TABLET_CAUTION, ActionKind.TABLET_WARNING})
SCHOOL_ACTIONS = frozenset({ActionKind.SCHOOL_NOTICE, ActionKind.PARENT_LETTER})


class Transition(StrEnum):
    OPENED = "opened"  # a new case at ①
    ESCALATED = "escalated"  # one step up
    CONTINUED = "continued"  # still triggered at ④: stays at ④
    IMPROVED = "improved"  # not triggered: the case closes


STATUS_ORDER = ("stage1", "stage2", "stage3", "stage4", "improved")


def status_of(transition: Transition, stage: Stage) -> str:
    """The flow report's word for a step: stage1..stage4, or improved."""
    if transition is Transition.IMPROVED:
        return "improved"
    return f"stage{int(stage)}"


@dataclass(frozen=True)
class Policy:
    """The thresholds in force from `effective_from` on (GB; both bounds inclusive)."""

    effective_from: Month
    single_gb: Decimal = Decimal(200)
    consecutive_gb: Decimal = Decimal(100)
    gb_per_line: Decimal = Decimal(5)

    @property
    def lowest_trigger_gb(self) -> Decimal:
        """No line below this in a month can be triggered that month, whatever its
        past: the service loads only lines at or above it."""
        return min(self.single_gb, self.consecutive_gb)


@dataclass(frozen=True)
class OpenCase:
    line: str
    cohort: Month
    stage: Stage


@dataclass(frozen=True)
class Step:
    """What happened to one case in the evaluated month."""

    line: str
    cohort: Month
    transition: Transition
    # The stage after the month; for an improved case, the stage it had reached.
    stage: Stage

    @property
    def status(self) -> str:
        """The flow report's word: stage1..stage4 or improved."""
        return status_of(self.transition, self.stage)

    @property
    def action(self) -> ActionKind | None:
        """The action this step sends: one per stage reached, none when continuing at
        ④ (the parents already have the letter) or when improved."""
        if self.transition in (Transition.OPENED, Transition.ESCALATED):
            return ACTIONS[self.stage]
        return None


@dataclass(frozen=True)
class MonthOutcome:
    month: Month
    steps: tuple[Step, ...]

    def by_transition(self, transition: Transition) -> list[Step]:
        return [step for step in self.steps if step.transition is transition]

    @property
    def open_cases(self) -> dict[str, OpenCase]:
        """The cases still open after this month: the next month's input."""
        return {
            step.line: OpenCase(step.line, step.cohort, step.stage)
            for step in self.steps
            if step.transition is not Transition.IMPROVED
        }


class NotEvaluable(ValueError):
    """A month before the policy takes effect is never evaluated."""


def is_triggered(*, current: Decimal, previous: Decimal, policy: Policy) -> bool:
    if current >= policy.single_gb:
        return True
    return current >= policy.consecutive_gb and previous >= policy.consecutive_gb


def evaluate_month(
    *,
    month: Month,
    usage: Mapping[str, Decimal],
    previous: Mapping[str, Decimal],
    open_cases: Mapping[str, OpenCase],
    policy: Policy,
) -> MonthOutcome:
    """Applies the ladder to one month.

    `usage` and `previous` map line numbers to GB for months m and m-1; a missing
    line counts 0. `open_cases` are the cases open before m. The result lists one
    step per case touched in m, ordered by line number so output is stable.
    """
    if month < policy.effective_from:
        raise NotEvaluable(
            f"{month} is before the policy's effective month {policy.effective_from}"
        )
    zero = Decimal(0)

    def triggered(line: str) -> bool:
        return is_triggered(
            current=usage.get(line, zero), previous=previous.get(line, zero), policy=policy
        )

    steps: list[Step] = []
    for line, case in open_cases.items():
        if not triggered(line):
            steps.append(Step(line, case.cohort, Transition.IMPROVED, case.stage))
        elif case.stage >= TOP_STAGE:
            steps.append(Step(line, case.cohort, Transition.CONTINUED, Stage(TOP_STAGE)))
        else:
            steps.append(Step(line, case.cohort, Transition.ESCALATED, Stage(case.stage + 1)))
    for line in usage:
        if line not in open_cases and triggered(line):
            steps.append(Step(line, month, Transition.OPENED, Stage.CAUTION))
    steps.sort(key=lambda step: step.line)
    return MonthOutcome(month, tuple(steps))


@dataclass(frozen=True)
class StepCount:
    """How many cases of one cohort took one transition to one stage in one month."""

    cohort: Month
    month: Month
    transition: Transition
    stage: Stage
    count: int = 1


def flow_counts(steps: Iterable[StepCount]) -> list[tuple[Month, Month, str, int]]:
    """The seed's cohort table as numbers: (cohort, month, status, count) for every
    non-zero count, ordered by cohort, month and the ladder's order."""
    counts: dict[tuple[Month, Month, str], int] = {}
    for step in steps:
        key = (step.cohort, step.month, status_of(step.transition, step.stage))
        counts[key] = counts.get(key, 0) + step.count
    return sorted(
        ((c, m, s, n) for (c, m, s), n in counts.items() if n),
        key=lambda row: (row[0], row[1], STATUS_ORDER.index(row[2])),
    )

"""The monthly evaluation of the heavy-usage ladder, with its outbox.

A month is evaluated once, in order, when its data and the month before it are in;
the pure ladder (traffic.escalation) decides, this module loads and saves in a fixed
number of queries whatever the number of lines, and writes the outgoing actions in
the same transaction (gigaportal.outbox), published after commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gigaportal import changelog, outbox
from gigaportal.bulk import update_rows
from gigaportal.calendar import Month
from gigaportal.scope import SYSTEM
from traffic import escalation, selectors, texts
from traffic.escalation import OpenCase, Stage, Transition
from traffic.models import (
    MB_PER_GB,
    Action,
    Case,
    CaseStep,
    Evaluation,
    MonthlyTotal,
    MonthlyUsage,
    Policy,
    SchoolNotice,
    UsageMonth,
)
from traffic.services.policy import policy_in_force

logger = logging.getLogger(__name__)

EVALUATE_TASK = "traffic.tasks.evaluate_pending_months"


class EvaluationRefused(Exception):
    """A month that cannot be evaluated yet, with the reason in the user's language."""


@dataclass(frozen=True)
class EvaluationResult:
    month: Month
    created: bool  # False when the month had already been evaluated
    opened: int = 0
    escalated: int = 0
    continued: int = 0
    improved: int = 0
    action_ids: tuple[int, ...] = ()


def months_with_usage(since: Month | None = None) -> list[Month]:
    months = MonthlyTotal.objects.order_by("month").values_list("month", flat=True).distinct()
    if since:
        months = months.filter(month__gte=since.first_day())
    return [Month.of(day) for day in months]


def evaluation_check(month: Month) -> Policy:
    """The policy to evaluate `month` with, or EvaluationRefused saying why not."""
    policy = policy_in_force(month)
    if policy is None:
        raise EvaluationRefused(
            _(
                "No usage policy is in force in %(month)s; months before the policy are not evaluated."
            )
            % {"month": month}
        )
    first = Policy.objects.order_by("effective_from").values_list("effective_from", flat=True)[0]
    previous = month.previous()
    if (
        previous.first_day() >= first
        and not Evaluation.objects.filter(month=previous.first_day()).exists()
    ):
        raise EvaluationRefused(
            _("Evaluate %(previous)s first: months are evaluated in order.")
            % {"previous": previous}
        )
    # Whether a month and the month before have data, and their states, in one query:
    # every month with data has its state row (written with its rows, in the import's
    # transaction; traffic.services.months), so no EXISTS on the usage table, which can
    # scan a whole month's rows.
    states = dict(
        UsageMonth.objects.filter(month__in=[month.first_day(), previous.first_day()]).values_list(
            "month", "status"
        )
    )
    if month.first_day() not in states:
        raise EvaluationRefused(_("There is no usage data for %(month)s.") % {"month": month})
    # The two-month rule needs the month before. Only when nothing at all was imported
    # before `month` is that month unknown and counted 0 (the first month of data);
    # otherwise a missing previous month is still to come: wait for it.
    if (
        previous.first_day() not in states
        and MonthlyTotal.objects.filter(month__lt=month.first_day()).exists()
    ):
        raise EvaluationRefused(
            _(
                "There is no usage data for %(previous)s, the month before %(month)s: "
                "import it first (the two-month rule needs it)."
            )
            % {"previous": previous, "month": month}
        )
    # Only a confirmed month is evaluated, and only on a confirmed month before it: a
    # partial file never decides cases.
    if states[month.first_day()] == UsageMonth.Status.IMPORTED:
        raise EvaluationRefused(_not_confirmed(month))
    if states.get(previous.first_day()) == UsageMonth.Status.IMPORTED:
        raise EvaluationRefused(
            _(
                "%(previous)s, the month before %(month)s, is not confirmed: confirm it (or "
                "import its complete file) first."
            )
            % {"previous": previous, "month": month}
        )
    return policy


def _not_confirmed(month: Month) -> str:
    return _(
        "%(month)s is not confirmed: its file may not cover every line. Confirm it "
        "on the months page, or import the complete file."
    ) % {"month": month}


def evaluation_run(*, month: Month, by=SYSTEM) -> EvaluationResult:
    """Evaluates one month and writes its cases, steps and outbox actions.

    1. Check the month may be evaluated (a policy in force, the month before done, data).
    2. Claim the month: insert its Evaluation row. A second run, even a concurrent one
       blocked on the same unique month, finds it taken and changes nothing.
    3. Load, in a fixed number of queries, the lines at or above the lowest threshold,
       their previous month, and the open cases.
    4. Apply the pure ladder (traffic.escalation).
    5. Save cases, steps, actions and school notices in bulk, and one change-log entry
       for the evaluation; publish delivery on commit.
    """
    policy = evaluation_check(month)
    day = month.first_day()
    with transaction.atomic():
        # The month's state, marked evaluated if it is still confirmed, which locks its
        # row: an import replacing the month, or a reopen, waits for this evaluation
        # (or this one waited for them, and finds the month no longer confirmed).
        marked = UsageMonth.objects.filter(
            month=day, status__in=[UsageMonth.Status.CONFIRMED, UsageMonth.Status.EVALUATED]
        ).update(status=UsageMonth.Status.EVALUATED)
        if not marked:
            raise EvaluationRefused(_not_confirmed(month))
        try:
            with transaction.atomic():
                evaluation = Evaluation.objects.create(
                    month=day, policy=policy, evaluated_by=changelog.actor(by)[1]
                )
        except IntegrityError:
            return EvaluationResult(month=month, created=False)
        result = _evaluate(evaluation, policy.as_rule(), month)
        changelog.record(
            by=by,
            action=changelog.Action.EVALUATE,
            obj=evaluation,
            changes={
                name: [None, getattr(result, name)]
                for name in ("opened", "escalated", "continued", "improved")
            }
            | {"actions": [None, len(result.action_ids)]},
        )
        outbox.enqueue_on_commit(Action.task_name, result.action_ids)
    return result


def _gb(mb: Decimal) -> Decimal:
    return mb / MB_PER_GB


def _evaluate(evaluation: Evaluation, rule: escalation.Policy, month: Month) -> EvaluationResult:
    day = month.first_day()
    lowest_mb = rule.lowest_trigger_gb * MB_PER_GB
    open_cases = {
        row["line__number"]: row
        for row in Case.objects.filter(closed_month__isnull=True).values(
            "id", "line_id", "line__number", "cohort", "stage"
        )
    }
    open_line_ids = Case.objects.filter(closed_month__isnull=True).values("line_id")
    # This month: every line that could be triggered, plus the lines with an open case
    # (their usage goes on the timeline even when it fell). Written as a UNION, each
    # half reads one index (month and usage; line and month) and costs what its
    # candidates cost; the same filter with OR scanned the whole month (36 ms against
    # 470-880 ms at 1M lines, see benchmarks/evaluation.py).
    columns = ("line_id", "line__number", "line__school_id", "line__school__name", "usage_mb")
    this_month = MonthlyUsage.objects.filter(month=day).order_by()
    current = {
        row["line__number"]: row
        for row in this_month.filter(usage_mb__gte=lowest_mb)
        .values(*columns)
        .union(this_month.filter(line_id__in=open_line_ids).values(*columns))
    }
    candidates = MonthlyUsage.objects.filter(month=day, usage_mb__gte=lowest_mb).values("line_id")
    previous = dict(
        MonthlyUsage.objects.filter(
            month=month.previous().first_day(),
            usage_mb__gte=rule.consecutive_gb * MB_PER_GB,
            line_id__in=candidates,
        ).values_list("line__number", "usage_mb")
    )
    outcome = escalation.evaluate_month(
        month=month,
        usage={line: _gb(row["usage_mb"]) for line, row in current.items()},
        previous={line: _gb(mb) for line, mb in previous.items()},
        open_cases={
            line: OpenCase(line, Month.of(row["cohort"]), Stage(row["stage"]))
            for line, row in open_cases.items()
        },
        policy=rule,
    )

    # Existing cases move; new ones are created (one INSERT … RETURNING).
    changed: list[Case] = []
    new_cases: list[Case] = []
    for step in outcome.steps:
        if step.transition is Transition.OPENED:
            new_cases.append(
                Case(line_id=current[step.line]["line_id"], cohort=day, stage=step.stage)
            )
        else:
            row = open_cases[step.line]
            changed.append(
                Case(
                    id=row["id"],
                    line_id=row["line_id"],
                    cohort=row["cohort"],
                    stage=int(step.stage),
                    closed_month=day if step.transition is Transition.IMPROVED else None,
                )
            )
    update_rows(Case, ["stage", "closed_month"], [(c.id, c.stage, c.closed_month) for c in changed])
    Case.objects.bulk_create(new_cases)
    case_by_line = {line: row["id"] for line, row in open_cases.items()}
    line_numbers = {row["line_id"]: line for line, row in current.items()}
    for case in new_cases:
        case_by_line[line_numbers[case.line_id]] = case.id

    zero = Decimal(0)
    CaseStep.objects.bulk_create(
        CaseStep(
            case_id=case_by_line[step.line],
            month=day,
            transition=step.transition.value,
            stage=int(step.stage),
            usage_mb=current[step.line]["usage_mb"] if step.line in current else zero,
        )
        for step in outcome.steps
    )

    message_texts = selectors.message_texts()
    actions: list[Action] = []
    notices: list[tuple[Action, int, texts.Text]] = []
    for step in outcome.steps:
        kind = step.action
        if kind is None:
            continue
        info = current[step.line]
        values = texts.values(
            line_number=step.line,
            month=month,
            usage_mb=info["usage_mb"],
            school=info["line__school__name"] or "",
        )
        action = Action(
            case_id=case_by_line[step.line], stage=int(step.stage), kind=kind.value, month=day
        )
        actions.append(action)
        if kind in escalation.SCHOOL_ACTIONS and info["line__school_id"]:
            rendered = texts.compose(message_texts[kind], values)
            notices.append((action, info["line__school_id"], rendered))
    Action.objects.bulk_create(actions)
    SchoolNotice.objects.bulk_create(
        SchoolNotice(action_id=action.id, school_id=school_id, subject=text.subject, body=text.body)
        for action, school_id, text in notices
    )

    counts = {t: len(outcome.by_transition(t)) for t in Transition}
    evaluation.opened = counts[Transition.OPENED]
    evaluation.escalated = counts[Transition.ESCALATED]
    evaluation.continued = counts[Transition.CONTINUED]
    evaluation.improved = counts[Transition.IMPROVED]
    evaluation.save(update_fields=["opened", "escalated", "continued", "improved"])
    return EvaluationResult(
        month=month,
        created=True,
        opened=evaluation.opened,
        escalated=evaluation.escalated,
        continued=evaluation.continued,
        improved=evaluation.improved,
        action_ids=tuple(action.id for action in actions),
    )


def evaluate_pending_months(*, by=SYSTEM) -> list[EvaluationResult]:
    """Evaluates, in month order, every month from the first policy on that has data
    and is not yet evaluated, stopping at the first month without data."""
    first = (
        Policy.objects.order_by("effective_from").values_list("effective_from", flat=True).first()
    )
    if first is None:
        return []
    done = set(Evaluation.objects.values_list("month", flat=True))
    results = []
    for month in months_with_usage(Month.of(first)):
        if month.first_day() in done:
            continue
        try:
            results.append(evaluation_run(month=month, by=by))
        except EvaluationRefused as exc:
            logger.info("stopped evaluating at %s: %s", month, exc)
            break
    return results


def evaluations_enqueue_on_commit() -> None:
    """After an import: evaluate the months now due, once the import has committed."""
    transaction.on_commit(lambda: outbox.enqueue(EVALUATE_TASK), robust=True)

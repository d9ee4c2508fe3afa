"""The monthly evaluation of the heavy-usage ladder, with its outbox.

A month is evaluated once, in order, when its data and the month before it are in;
the pure ladder (traffic.escalation) decides, this module loads and saves in a fixed
number of queries whatever the number of lines, and writes the outgoing actions in
the same transaction (gigaportal.outbox), published after commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal import changelog, outbox
from gigaportal.bulk import insert_returning, insert_rows, update_rows
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
    Line,
    MonthlyTotal,
    MonthlyUsage,
    Policy,
    SchoolNotice,
    UsageMonth,
)
from traffic.services.months import lock_months
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
    day = month.first_day()
    with transaction.atomic():
        # The states of the month and of the month before, locked in month order (as
        # a reopen and an import lock them): a reopen of the month before cannot slip
        # between the check and this evaluation, and the check is made again under
        # the locks.
        lock_months([month.previous().first_day(), day])
        policy = evaluation_check(month)
        # The month's state, marked evaluated if it is still confirmed: an import
        # replacing the month, or a reopen, waits for this evaluation (or this one
        # waited for them, and finds the month no longer confirmed).
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


def _usage_in(month: Month) -> Subquery:
    """A line's usage (MB) in `month`, for a query of lines: NULL without a row."""
    return Subquery(
        MonthlyUsage.objects.filter(line_id=OuterRef("pk"), month=month.first_day())
        .order_by()
        .values("usage_mb")
    )


@dataclass(frozen=True)
class _Candidates:
    open_cases: list[tuple[int, int, dt.date, int]]  # id, line id, cohort, stage
    # line id: number, school id, school name, usage (MB) this month and the month
    # before (None without a row).
    lines: dict[int, tuple[str, int | None, str | None, Decimal | None, Decimal | None]]


def _candidates(rule: escalation.Policy, month: Month) -> _Candidates:
    """What the ladder needs for `month`, in three queries that read the candidates
    only, never the month's other rows: the open cases; this month's rows at or above
    the lowest threshold (one range of the usage index in the month's partition); then those lines
    and the open cases' lines by primary key, each with its usage this month and the
    month before (one lookup each in the line and month index). A line below the
    lowest threshold cannot be triggered, whatever its month before.

    The lines' ids go in as a list: given a subquery instead, PostgreSQL estimated its
    rows high and hashed the whole of traffic_line to join it (0.1 s of the 0.3 s at
    1M lines, benchmarks/evaluation.py)."""
    open_cases = list(
        Case.objects.filter(closed_month__isnull=True)
        .order_by()
        .values_list("id", "line_id", "cohort", "stage")
    )
    heavy = MonthlyUsage.objects.filter(
        month=month.first_day(), usage_mb__gte=rule.lowest_trigger_gb * MB_PER_GB
    ).order_by()
    line_ids = {*heavy.values_list("line_id", flat=True), *(row[1] for row in open_cases)}
    rows = (
        Line.objects.filter(id__in=line_ids)
        .order_by()
        .annotate(current_mb=_usage_in(month), previous_mb=_usage_in(month.previous()))
        .values_list("id", "number", "school_id", "school__name", "current_mb", "previous_mb")
    )
    return _Candidates(open_cases, {row[0]: row[1:] for row in rows})


def _evaluate(evaluation: Evaluation, rule: escalation.Policy, month: Month) -> EvaluationResult:
    """Loads the month's candidates (three queries), applies the ladder, and writes
    its cases, steps, actions and notices in one statement each."""
    day = month.first_day()
    candidates = _candidates(rule, month)
    open_rows, lines = candidates.open_cases, candidates.lines
    usage_mb = {line_id: row[3] for line_id, row in lines.items() if row[3] is not None}
    number_of = {line_id: row[0] for line_id, row in lines.items()}
    open_cases = {number_of[line_id]: (case_id, line_id) for case_id, line_id, _c, _s in open_rows}
    outcome = escalation.evaluate_month(
        month=month,
        usage={number_of[line_id]: _gb(mb) for line_id, mb in usage_mb.items()},
        previous={row[0]: _gb(row[4]) for row in lines.values() if row[4] is not None},
        open_cases={
            number_of[line_id]: OpenCase(number_of[line_id], Month.of(cohort), Stage(stage))
            for _case, line_id, cohort, stage in open_rows
        },
        policy=rule,
    )
    line_id_of = {number: line_id for line_id, number in number_of.items()}

    # Existing cases move (one UPDATE … FROM); new ones are created (one INSERT …
    # RETURNING, matched back by their line: a line has one open case).
    update_rows(
        Case,
        ["stage", "closed_month"],
        [
            (
                open_cases[step.line][0],
                int(step.stage),
                day if step.transition is Transition.IMPROVED else None,
            )
            for step in outcome.steps
            if step.transition is not Transition.OPENED
        ],
    )
    case_by_line = {line: case_id for line, (case_id, _line_id) in open_cases.items()}
    created = insert_returning(
        Case,
        ["line", "stage"],
        [
            (line_id_of[step.line], int(step.stage))
            for step in outcome.steps
            if step.transition is Transition.OPENED
        ],
        constants={"cohort": day},
        returning=("pk", "line"),
    )
    for case_id, line_id in created:
        case_by_line[number_of[line_id]] = case_id

    zero = Decimal(0)
    insert_rows(
        CaseStep,
        ["case", "month", "transition", "stage", "usage_mb"],
        (
            (
                case_by_line[step.line],
                day,
                step.transition.value,
                int(step.stage),
                usage_mb.get(line_id_of[step.line], zero),
            )
            for step in outcome.steps
        ),
    )

    message_texts = selectors.message_texts()
    now = timezone.now()
    action_steps = [step for step in outcome.steps if step.action is not None]
    # One action per case this month (a case climbs one step a month): the case
    # matches each new action back to its step.
    created = insert_returning(
        Action,
        ["case", "stage", "kind"],
        [(case_by_line[step.line], int(step.stage), step.action.value) for step in action_steps],
        constants={
            "month": day,
            "state": outbox.State.PENDING.value,
            "attempts": 0,
            "last_error": "",
            "backend": "",
            "created_at": now,
        },
        returning=("pk", "case"),
    )
    action_of_case = {case_id: action_id for action_id, case_id in created}
    action_ids = tuple(action_of_case[case_by_line[step.line]] for step in action_steps)
    notices = []
    for step in action_steps:
        if step.action not in escalation.SCHOOL_ACTIONS:
            continue
        line_id = line_id_of[step.line]
        _number, school_id, school_name, _current, _previous = lines[line_id]
        if not school_id:
            continue
        text = texts.compose(
            message_texts[step.action],
            texts.values(
                line_number=step.line,
                month=month,
                usage_mb=usage_mb[line_id],
                school=school_name or "",
            ),
        )
        notices.append(
            (action_of_case[case_by_line[step.line]], school_id, text.subject, text.body, now)
        )
    insert_rows(SchoolNotice, ["action", "school", "subject", "body", "created_at"], notices)

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
        action_ids=action_ids,
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

"""Writes of the traffic app: policies, the monthly evaluation with its outbox, the
delivery of outgoing actions, and acknowledgements. Each runs in one transaction;
tasks are enqueued only after it commits."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal.calendar import Month, month_label
from traffic import delivery, escalation, texts
from traffic.escalation import ActionKind, OpenCase, Stage, Transition
from traffic.importing import UsageImportResult, usage_import
from traffic.models import (
    MB_PER_GB,
    Action,
    Case,
    CaseStep,
    Evaluation,
    MessageText,
    MonthlyUsage,
    Policy,
    SchoolNotice,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# The first retry waits this long, then twice as long each time (settings may shorten
# it: TRAFFIC_RETRY_BASE_SECONDS).
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 60 * 60
# A claim older than this belongs to a worker that died mid-send (the task time
# limit is far shorter); the sweep flags it for a person instead of resending.
STALE_CLAIM = dt.timedelta(minutes=30)


class EvaluationRefused(Exception):
    """A month that cannot be evaluated yet, with the reason in the user's language."""


# --- Policy ----------------------------------------------------------------------------


def policy_set(
    *,
    effective_from: Month,
    single_gb: Decimal = Decimal(200),
    consecutive_gb: Decimal = Decimal(100),
    gb_per_line: Decimal = Decimal(5),
    note: str = "",
) -> Policy:
    """Records the policy version that takes effect in `effective_from`.

    A month already evaluated keeps the thresholds it was evaluated with: a new
    version may only start after the last evaluated month.
    """
    start = effective_from.first_day()
    if Evaluation.objects.filter(month__gte=start).exists():
        raise EvaluationRefused(
            _("Months from %(month)s on are already evaluated; a new policy must start later.")
            % {"month": effective_from}
        )
    policy, _created = Policy.objects.update_or_create(
        effective_from=start,
        defaults={
            "single_gb": single_gb,
            "consecutive_gb": consecutive_gb,
            "gb_per_line": gb_per_line,
            "note": note,
        },
    )
    return policy


def policy_in_force(month: Month) -> Policy | None:
    return (
        Policy.objects.filter(effective_from__lte=month.first_day())
        .order_by("-effective_from")
        .first()
    )


# --- Import ----------------------------------------------------------------------------


def usage_import_file(*, file, progress=None) -> UsageImportResult:
    """Imports a carrier file, then (after commit) evaluates the months now due, in order."""
    with transaction.atomic():
        result = usage_import(file=file, progress=progress)
        transaction.on_commit(_enqueue_pending_evaluations)
    return result


def _enqueue_pending_evaluations() -> None:
    from traffic import tasks

    enqueue(tasks.evaluate_pending_months)


def enqueue(task, *args) -> bool:
    """Publishes a task; with the broker down the commit stands, and the beat sweep
    (or the next import) picks the work up later."""
    try:
        task.apply_async(args=args, retry=False)
    except Exception:  # a down broker must never undo committed work
        logger.warning(
            "could not enqueue %s%r; the sweep will retry", task.name, args, exc_info=True
        )
        return False
    return True


# --- Evaluation ------------------------------------------------------------------------


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
    months = MonthlyUsage.objects.order_by("month").values_list("month", flat=True).distinct()
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
    if not MonthlyUsage.objects.filter(month=month.first_day()).exists():
        raise EvaluationRefused(_("There is no usage data for %(month)s.") % {"month": month})
    # The two-month rule needs the month before. Only when nothing at all was imported
    # before `month` is that month unknown and counted 0 (the first month of data);
    # otherwise a missing previous month is still to come: wait for it.
    if (
        not MonthlyUsage.objects.filter(month=previous.first_day()).exists()
        and MonthlyUsage.objects.filter(month__lt=month.first_day()).exists()
    ):
        raise EvaluationRefused(
            _(
                "There is no usage data for %(previous)s, the month before %(month)s: "
                "import it first (the two-month rule needs it)."
            )
            % {"previous": previous, "month": month}
        )
    return policy


def evaluation_run(*, month: Month, by: str = "") -> EvaluationResult:
    """Evaluates one month and writes its cases, steps and outbox actions.

    1. Check the month may be evaluated (a policy in force, the month before done, data).
    2. Claim the month: insert its Evaluation row. A second run, even a concurrent one
       blocked on the same unique month, finds it taken and changes nothing.
    3. Load, in a fixed number of queries, the lines at or above the lowest threshold,
       their previous month, and the open cases.
    4. Apply the pure ladder (traffic.escalation).
    5. Save cases, steps, actions and school notices in bulk; enqueue delivery on commit.
    """
    policy = evaluation_check(month)
    day = month.first_day()
    with transaction.atomic():
        try:
            with transaction.atomic():
                evaluation = Evaluation.objects.create(month=day, policy=policy, evaluated_by=by)
        except IntegrityError:
            return EvaluationResult(month=month, created=False)
        result = _evaluate(evaluation, policy.as_rule(), month)
        if result.action_ids:
            ids = list(result.action_ids)
            transaction.on_commit(lambda: _enqueue_delivery(ids))
    return result


def _enqueue_delivery(action_ids: list[int]) -> None:
    from traffic import tasks

    enqueue(tasks.deliver_actions, action_ids)


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
    # (their usage goes on the timeline even when it fell).
    current = {
        row["line__number"]: row
        for row in MonthlyUsage.objects.filter(month=day)
        .filter(Q(usage_mb__gte=lowest_mb) | Q(line_id__in=open_line_ids))
        .values("line_id", "line__number", "line__school_id", "line__school__name", "usage_mb")
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
    Case.objects.bulk_update(changed, ["stage", "closed_month"])
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

    message_texts = _message_texts()
    actions: list[Action] = []
    notices: list[tuple[Action, int, texts.Text]] = []
    for step in outcome.steps:
        kind = step.action
        if kind is None:
            continue
        info = current[step.line]
        values = {
            "line_number": step.line,
            "month": month_label(month, with_year=True),
            "usage_gb": f"{_gb(info['usage_mb']):.2f}",
            "school": info["line__school__name"] or "",
        }
        action = Action(
            case_id=case_by_line[step.line], stage=int(step.stage), kind=kind.value, month=day
        )
        actions.append(action)
        if kind in escalation.SCHOOL_ACTIONS and info["line__school_id"]:
            template = message_texts[kind]
            rendered = texts.Text(
                texts.render(template.subject, values), texts.render(template.body, values)
            )
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


def _message_texts() -> dict[ActionKind, texts.Text]:
    stored = {row.kind: texts.Text(row.subject, row.body) for row in MessageText.objects.all()}
    return {kind: stored.get(kind.value, texts.DEFAULT_TEXTS[kind]) for kind in ActionKind}


def evaluate_pending_months(*, by: str = "") -> list[EvaluationResult]:
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


# --- Delivery --------------------------------------------------------------------------


class DeliveryOutcome:
    SENT = "sent"
    RETRY = "retry"
    FAILED = "failed"
    SKIPPED = "skipped"  # somebody else holds (or held) the claim


def action_claim(*, action_id: int) -> bool:
    """The conditional update that makes delivery safe to run twice: only the worker
    that moves the row from pending to sending may send it."""
    now = timezone.now()
    claimed = Action.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        id=action_id,
        status=Action.Status.PENDING,
    ).update(status=Action.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    return claimed == 1


def action_deliver(*, action_id: int) -> tuple[str, int]:
    """Claims, sends and records one action. Returns (outcome, seconds to wait before a
    retry). A failure before anything went out returns the action to pending with a
    growing delay; after MAX_ATTEMPTS it stays failed for a person to look at."""
    if not action_claim(action_id=action_id):
        return DeliveryOutcome.SKIPPED, 0
    action = Action.objects.select_related("case__line__school", "notice").get(id=action_id)
    try:
        backend = delivery.send(action)
    except delivery.DeliveryError as exc:
        return _delivery_failed(action, str(exc))
    except delivery.DeliveryUncertain as exc:
        # Like a worker that died mid-send: never resent on a guess.
        Action.objects.filter(id=action.id, status=Action.Status.SENDING).update(
            status=Action.Status.FAILED,
            last_error=_(
                "Sent, but no answer came back; check whether it arrived, then send again."
            )
            + f" ({exc})",
        )
        return DeliveryOutcome.FAILED, 0
    Action.objects.filter(id=action.id, status=Action.Status.SENDING).update(
        status=Action.Status.SENT, backend=backend, sent_at=timezone.now(), last_error=""
    )
    return DeliveryOutcome.SENT, 0


def _delivery_failed(action: Action, error: str) -> tuple[str, int]:
    if action.attempts >= MAX_ATTEMPTS:
        Action.objects.filter(id=action.id).update(status=Action.Status.FAILED, last_error=error)
        return DeliveryOutcome.FAILED, 0
    base = getattr(settings, "TRAFFIC_RETRY_BASE_SECONDS", BACKOFF_BASE_SECONDS)
    delay = min(base * 2 ** (action.attempts - 1), BACKOFF_CAP_SECONDS)
    Action.objects.filter(id=action.id, status=Action.Status.SENDING).update(
        status=Action.Status.PENDING,
        last_error=error,
        next_attempt_at=timezone.now() + dt.timedelta(seconds=delay),
    )
    return DeliveryOutcome.RETRY, delay


def actions_due(*, now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Action.objects.filter(status=Action.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("id")
        .values_list("id", flat=True)
    )


def actions_sweep(*, now: dt.datetime | None = None) -> tuple[list[int], int]:
    """Finds what is due (pending, its back-off over) and flags stale claims.

    A claim that never finished means a worker died while sending: the message may
    or may not have gone out, so it is marked failed for a person to check and
    resend from admin, never resent on a guess.
    """
    now = now or timezone.now()
    stale = Action.objects.filter(
        status=Action.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(
        status=Action.Status.FAILED,
        last_error=_(
            "The worker stopped while sending; check whether it arrived, then send again."
        ),
    )
    return actions_due(now=now), stale


def actions_requeue(*, action_ids: Sequence[int]) -> int:
    """A person's decision to send again (admin): failed actions go back to pending."""
    with transaction.atomic():
        count = Action.objects.filter(id__in=action_ids, status=Action.Status.FAILED).update(
            status=Action.Status.PENDING, next_attempt_at=None, attempts=0, last_error=""
        )
        ids = list(action_ids)
        transaction.on_commit(lambda: _enqueue_delivery(ids))
    return count


# --- School inbox ----------------------------------------------------------------------


def notice_acknowledge(*, notice: SchoolNotice, user) -> bool:
    """Records who acknowledged a notice, once; a second click changes nothing."""
    updated = SchoolNotice.objects.filter(id=notice.id, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=user
    )
    return updated == 1


def demo_mark_delivered(*, action_ids: Iterable[int], when: dt.datetime) -> None:
    """For demo history: actions of 2022 went out long ago, and their notices arrived
    in the schools' inboxes then."""
    ids = list(action_ids)
    Action.objects.filter(id__in=ids).update(
        status=Action.Status.SENT, backend="demo", sent_at=when, attempts=1
    )
    SchoolNotice.objects.filter(action_id__in=ids).update(created_at=when)

"""The state of each imported month (traffic.models.UsageMonth): what its file covered,
and whether it may be evaluated.

A month is evaluated only once it is confirmed: by the leader on /traffic/months/, or
on its own when its file covers at least TRAFFIC_AUTO_CONFIRM_COVERAGE percent of the
lines under contract. The lines under contract are those of the latest earlier month
with data, a confirmed (or evaluated) one first; the first month of all has nothing
to compare with and is counted against every known line. A two-row file for a new
month, or a file of other lines, stays "imported" with a warning, and a full file
afterwards replaces it.

A confirmed or evaluated month can be reopened (back to imported: its evaluation,
its cases, steps, actions and school notices are undone) as long as none of its
actions has gone out and no school has acknowledged its notices, and no later month
is evaluated; then a new file may replace it. Every write here records its change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from gigaportal import changelog
from gigaportal.bulk import update_rows
from gigaportal.calendar import Month
from gigaportal.outbox import State
from traffic.models import (
    Action,
    Case,
    CaseStep,
    Evaluation,
    Line,
    MonthlyTotal,
    MonthlyUsage,
    SchoolNotice,
    UsageMonth,
)

Status = UsageMonth.Status
STATE_FIELDS = ["status", "confirmed_automatically", "confirmed_by", "confirmed_at"]
HUNDREDTH = Decimal("0.01")


class MonthRefused(Exception):
    """A confirm or reopen that may not be done, with the reason in the user's language."""


# --- The import's part --------------------------------------------------------------------


def _figures(day: dt.date) -> dict:
    """The month's coverage, set-based: its rows from the monthly totals, the lines
    under contract from the month it is compared with, and the lines of the file that
    are among them by one join of the two months' rows (the unique (line, month) index)."""
    here = MonthlyTotal.objects.filter(month=day).aggregate(lines=Sum("lines"), mb=Sum("total_mb"))
    lines, total_mb = here["lines"] or 0, here["mb"] or Decimal(0)
    earlier = UsageMonth.objects.filter(month__lt=day).order_by("-month")
    compared_with = (
        earlier.filter(status__in=[Status.CONFIRMED, Status.EVALUATED])
        .values_list("month", flat=True)
        .first()
    )
    if compared_with is None:
        compared_with = (
            MonthlyTotal.objects.filter(month__lt=day)
            .order_by("-month")
            .values_list("month", flat=True)
            .first()
        )
    if compared_with is None:
        # The first month of all: every line known is under contract, and each of the
        # file's lines is one of them.
        contracted, covered, previous_mb = Line.objects.count(), lines, None
    else:
        there = MonthlyTotal.objects.filter(month=compared_with).aggregate(
            lines=Sum("lines"), mb=Sum("total_mb")
        )
        contracted, previous_mb = there["lines"] or 0, there["mb"] or Decimal(0)
        usage = MonthlyUsage._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM {usage} c JOIN {usage} p"
                " ON p.line_id = c.line_id AND p.month = %s WHERE c.month = %s",
                [compared_with, day],
            )
            covered = cursor.fetchone()[0]
    coverage = None
    if contracted:
        coverage = (Decimal(covered) * 100 / contracted).quantize(HUNDREDTH, rounding=ROUND_DOWN)
    return {
        "lines": lines,
        "contracted_lines": contracted,
        "covered_lines": covered,
        "coverage_pct": coverage,
        "total_mb": total_mb,
        "compared_with": compared_with,
        "previous_mb": previous_mb,
    }


def auto_confirms(coverage: Decimal | None) -> bool:
    return coverage is not None and coverage >= settings.TRAFFIC_AUTO_CONFIRM_COVERAGE


def lock_months(days) -> dict[dt.date, UsageMonth]:
    """The state rows of `days`, locked until the transaction ends (an evaluation of
    one of them waits, and sees what the import left)."""
    return {
        state.month: state
        for state in UsageMonth.objects.select_for_update()
        .filter(month__in=list(days))
        .order_by("month")  # always in month order, so two lockers never deadlock
    }


@transaction.atomic
def usage_months_record(*, days) -> list[UsageMonth]:
    """In the import's transaction, after its rows are in: each month of the file, in
    order, gets its figures and its state: confirmed when the coverage reaches the
    setting, imported otherwise (a month confirmed before is confirmed again only on
    the new file's figures). Like the rows, this is part of the import batch, whose one
    change-log entry (gigaportal.imports) records the import, and whose details keep
    each month's coverage and state."""
    now = timezone.now()
    states = []
    days = sorted(set(days))
    existing = lock_months(days)
    for day in days:
        state = existing.get(day) or UsageMonth(month=day)
        if state.status == Status.EVALUATED:
            # The import's checks refuse such a file first (under the same lock).
            raise MonthRefused(_("%(month)s is already evaluated.") % {"month": Month.of(day)})
        for name, value in _figures(day).items():
            setattr(state, name, value)
        state.imported_at = now
        confirmed = auto_confirms(state.coverage_pct)
        state.status = Status.CONFIRMED if confirmed else Status.IMPORTED
        state.confirmed_automatically = confirmed
        state.confirmed_by = ""
        state.confirmed_at = now if confirmed else None
        state.save()
        states.append(state)
    return states


def replace_problem(day: dt.date) -> str | None:
    """Why an import may not replace the month `day` now, or None. An evaluated month,
    or the month before one (its figures are the two-month rule's previous month),
    must be reopened first; once its actions have gone out, never."""
    month = Month.of(day)
    evaluated = set(
        Evaluation.objects.filter(month__in=[day, month.next().first_day()]).values_list(
            "month", flat=True
        )
    )
    if not evaluated:
        return None
    target = month if day in evaluated else month.next()
    sent = _sent_problem(target.first_day())
    if sent:
        return _("%(month)s cannot be replaced: %(evaluated)s is evaluated and %(why)s.") % {
            "month": month,
            "evaluated": target,
            "why": sent,
        }
    if target == month:
        return _(
            "%(month)s is evaluated and cannot be replaced (its cases and actions were "
            "decided on its figures): reopen it on the months page first, then import the "
            "file again."
        ) % {"month": month}
    return _(
        "%(month)s cannot be replaced while %(evaluated)s is evaluated (its two-month rule "
        "used these figures): reopen %(evaluated)s on the months page first, then import "
        "the file again."
    ) % {"month": month, "evaluated": target}


# --- The leader's part -------------------------------------------------------------------


def _sent_problem(day: dt.date) -> str | None:
    """Why the evaluation of `day` can no longer be undone: some of its actions have
    left (or may have: being sent, or failed after an attempt), or a school has
    acknowledged one of its notices."""
    actions = Action.objects.filter(month=day).exclude(state=State.PENDING, attempts=0)
    gone = actions.aggregate(count=Count("pk"), first=Min("sent_at"))
    if gone["count"]:
        if gone["first"]:
            when = timezone.localtime(gone["first"])
            return _("%(count)s of its actions have already been sent (the first on %(date)s)") % {
                "count": gone["count"],
                "date": f"{when:%Y-%m-%d}",
            }
        return _("%(count)s of its actions are being sent or were tried") % {"count": gone["count"]}
    if SchoolNotice.objects.filter(action__month=day, acknowledged_at__isnull=False).exists():
        return _("schools have already acknowledged its notices")
    return None


def reopen_problem(state: UsageMonth) -> str | None:
    """Why `state`'s month may not be reopened, or None."""
    month = Month.of(state.month)
    if state.status == Status.IMPORTED:
        return _("%(month)s is not confirmed: there is nothing to reopen.") % {"month": month}
    later = (
        Evaluation.objects.filter(month__gt=state.month)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if later is not None:
        return _(
            "%(later)s is evaluated after it: months are reopened from the latest, "
            "reopen %(later)s first."
        ) % {"later": Month.of(later)}
    sent = _sent_problem(state.month)
    if sent:
        return _(
            "%(month)s can no longer be reopened or replaced: %(why)s. Once a month's "
            "actions have gone out, its evaluation stands."
        ) % {"month": month, "why": sent}
    return None


@dataclass(frozen=True)
class Undo:
    """What a reopen takes back (for the confirmation page and the change log)."""

    cases_opened: int
    cases_moved: int
    actions: int
    notices: int


def undo_preview(day: dt.date) -> Undo:
    return Undo(
        cases_opened=Case.objects.filter(cohort=day).count(),
        cases_moved=CaseStep.objects.filter(month=day).exclude(case__cohort=day).count(),
        actions=Action.objects.filter(month=day).count(),
        notices=SchoolNotice.objects.filter(action__month=day).count(),
    )


def month_get(day: dt.date) -> UsageMonth:
    state = UsageMonth.objects.filter(month=day).first()
    if state is None:
        raise MonthRefused(_("There is no usage data for %(month)s.") % {"month": Month.of(day)})
    return state


def month_confirm(*, by, month: Month) -> UsageMonth:
    """The leader confirms an imported month (having seen its coverage): it is then
    evaluated, in order, by the task published after commit."""
    from traffic.services.evaluation import evaluations_enqueue_on_commit

    day = month.first_day()
    with transaction.atomic():
        state = lock_months([day]).get(day)
        if state is None:
            raise MonthRefused(_("There is no usage data for %(month)s.") % {"month": month})
        if state.status != Status.IMPORTED:
            raise MonthRefused(_("%(month)s is already confirmed.") % {"month": month})
        before = changelog.values(state, STATE_FIELDS)
        state.status = Status.CONFIRMED
        state.confirmed_automatically = False
        state.confirmed_by = changelog.actor(by)[1]
        state.confirmed_at = timezone.now()
        state.save(update_fields=STATE_FIELDS)
        changelog.record(
            by=by, action=changelog.Action.CONFIRM, obj=state, before=before, fields=STATE_FIELDS
        )
        evaluations_enqueue_on_commit()
    return state


def month_reopen(*, by, month: Month) -> tuple[UsageMonth, Undo]:
    """Takes a month back to imported: its evaluation, the cases it opened, the steps
    it wrote (moved cases go back to their earlier step, improved ones are open again),
    its actions and notices are deleted, in one transaction. Refused (MonthRefused)
    when its actions have gone out, a school acknowledged a notice, or a later month is
    evaluated."""
    day = month.first_day()
    with transaction.atomic():
        # The month and the month after, in month order as an evaluation locks them:
        # the next month's evaluation cannot start on a month being reopened.
        state = lock_months([day, month.next().first_day()]).get(day)
        if state is None:
            raise MonthRefused(_("There is no usage data for %(month)s.") % {"month": month})
        # Lock its actions: a delivery claims only pending rows, so it waits for this
        # transaction and then finds them gone. Lock its notices too: a school's
        # acknowledgment waits, then finds its notice gone, instead of being lost.
        list(Action.objects.select_for_update().filter(month=day).values_list("pk", flat=True))
        list(
            SchoolNotice.objects.select_for_update()
            .filter(action__month=day)
            .values_list("pk", flat=True)
        )
        problem = reopen_problem(state)
        if problem:
            raise MonthRefused(problem)
        undone = Undo(0, 0, 0, 0)
        evaluation = Evaluation.objects.filter(month=day).first()
        if evaluation is not None:
            undone = _undo_evaluation(day)
            changelog.record(
                by=by,
                action=changelog.Action.DELETE,
                obj=evaluation,
                changes={
                    "cases_opened": [undone.cases_opened, None],
                    "cases_moved": [undone.cases_moved, None],
                    "actions": [undone.actions, None],
                    "notices": [undone.notices, None],
                },
            )
            evaluation.delete()
        before = changelog.values(state, STATE_FIELDS)
        state.status = Status.IMPORTED
        state.confirmed_automatically = False
        state.confirmed_by = ""
        state.confirmed_at = None
        state.save(update_fields=STATE_FIELDS)
        changelog.record(
            by=by, action=changelog.Action.UPDATE, obj=state, before=before, fields=STATE_FIELDS
        )
    return state, undone


def _undo_evaluation(day: dt.date) -> Undo:
    notices = SchoolNotice.objects.filter(action__month=day)
    notice_count = notices.count()
    notices.delete()
    actions = Action.objects.filter(month=day)
    action_count = actions.count()
    actions.delete()
    # Cases that were open before the month go back to their step of the month before.
    moved = list(
        CaseStep.objects.filter(month=day)
        .exclude(case__cohort=day)
        .values_list("case_id", flat=True)
    )
    earlier: dict[int, int] = {}
    for case_id, stage in (
        CaseStep.objects.filter(case_id__in=moved, month__lt=day)
        .order_by("case_id", "-month")
        .values_list("case_id", "stage")
    ):
        earlier.setdefault(case_id, stage)
    CaseStep.objects.filter(month=day).delete()
    opened = Case.objects.filter(cohort=day)
    opened_count = opened.count()
    opened.delete()
    update_rows(Case, ["stage", "closed_month"], [(pk, earlier[pk], None) for pk in moved])
    return Undo(
        cases_opened=opened_count,
        cases_moved=len(moved),
        actions=action_count,
        notices=notice_count,
    )


def months_overview() -> list[UsageMonth]:
    """Every month's state, newest first, each with `reopen_refused`: why it may not
    be reopened (None when it may). Only months after the last evaluated one, and that
    one, need their actions read; every earlier month waits for a later one."""
    states = list(UsageMonth.objects.order_by("-month"))
    latest_evaluated: UsageMonth | None = None
    for state in states:  # newest first
        if state.status == Status.IMPORTED:
            state.reopen_refused = None
        elif latest_evaluated is not None:
            state.reopen_refused = _(
                "%(later)s is evaluated after it: months are reopened from the latest, "
                "reopen %(later)s first."
            ) % {"later": Month.of(latest_evaluated.month)}
        else:
            state.reopen_refused = reopen_problem(state)
        if state.status == Status.EVALUATED and latest_evaluated is None:
            latest_evaluated = state
    return states


__all__ = [
    "MonthRefused",
    "Undo",
    "auto_confirms",
    "lock_months",
    "month_confirm",
    "month_get",
    "month_reopen",
    "months_overview",
    "reopen_problem",
    "replace_problem",
    "undo_preview",
    "usage_months_record",
]

"""Reads of the traffic app. Every function returning rows a person sees takes `user`
and starts from `Model.objects.for_user(user)` (gigaportal.scope); management commands
pass gigaportal.scope.COMMAND_LINE."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from gigaportal import versions
from gigaportal.calendar import Month
from gigaportal.dates import months_in_window
from gigaportal.models import School
from traffic import texts
from traffic.escalation import ActionKind, Stage, StepCount, Transition
from traffic.models import (
    Action,
    Case,
    CaseStep,
    Line,
    MessageText,
    MonthlyTotal,
    MonthlyUsage,
    Policy,
    SchoolNotice,
)

DEFAULT_GB_PER_LINE = Decimal(5)


@dataclass(frozen=True)
class UsageMonth:
    month: Month
    total_mb: Decimal
    lines: int


def usage_by_month(*, user, start: Month, end: Month) -> list[UsageMonth]:
    """Total usage and the number of lines with a row, per month (the user's schools),
    from the monthly totals: a few rows a month, whatever the number of lines."""
    rows = (
        MonthlyTotal.objects.for_user(user)
        .filter(month__gte=start.first_day(), month__lte=end.first_day())
        .values("month")
        .annotate(total=Sum("total_mb"), lines=Sum("lines"))
        .order_by("month")
    )
    return [
        UsageMonth(Month.of(r["month"]), r["total"] or Decimal(0), r["lines"] or 0) for r in rows
    ]


def usage_version() -> tuple:
    """What the usage report depends on, cheaply: the totals (rebuilt rows get new,
    higher ids, so the newest id and the count change with every refresh) and the
    policies (their GB per line is the contract). Two small reads."""
    from django.db.models import Max

    totals = MonthlyTotal.objects.aggregate(newest=Max("id"), rows=Count("id"))
    policies = list(
        Policy.objects.order_by("pk").values_list("pk", "effective_from", "gb_per_line")
    )
    return (totals["newest"], totals["rows"], policies)


def gb_per_line_by_month(months: Iterable[Month]) -> dict[Month, Decimal]:
    """The pooled allowance per line in force each month. Months before the first
    policy use the first policy's figure (the contract predates the heavy-usage rule)."""
    policies = list(
        Policy.objects.order_by("effective_from").values_list("effective_from", "gb_per_line")
    )
    result = {}
    for month in months:
        policy = versions.in_force(policies, month.first_day(), date_of=itemgetter(0))
        policy = policy or (policies[0] if policies else None)
        result[month] = policy[1] if policy else DEFAULT_GB_PER_LINE
    return result


def usage_months(*, user) -> list[Month]:
    """The months with usage rows (the same for every user: a month is imported for
    the whole city at once), oldest first."""
    days = MonthlyTotal.objects.order_by("month").values_list("month", flat=True).distinct()
    return months_in_window(days)


def evaluated_months(*, user) -> list[Month]:
    days = CaseStep.objects.order_by("month").values_list("month", flat=True).distinct()
    return months_in_window(days)


def step_counts(*, user, start: Month, end: Month) -> list[StepCount]:
    """How many of the user's cases took each transition, by cohort and month."""
    rows = (
        CaseStep.objects.for_user(user)
        .filter(month__gte=start.first_day(), month__lte=end.first_day())
        .values("case__cohort", "month", "transition", "stage")
        .annotate(count=Count("id"))
        .order_by()
    )
    return [
        StepCount(
            cohort=Month.of(r["case__cohort"]),
            month=Month.of(r["month"]),
            transition=Transition(r["transition"]),
            stage=Stage(r["stage"]),
            count=r["count"],
        )
        for r in rows
    ]


def case_steps_in_month(*, user, month: Month) -> QuerySet[CaseStep]:
    return (
        CaseStep.objects.for_user(user)
        .filter(month=month.first_day())
        .select_related("case__line__school")
        .order_by("case__line__number", "case__cohort")
    )


def case_list(
    *,
    user,
    school_id: int | None = None,
    stage: int | None = None,
    month: Month | None = None,
    query: str = "",
) -> QuerySet[Case]:
    """Cases, newest cohort first. `month` keeps the cases evaluated in that month;
    `stage` the step reached (with month: the step that month); `query` a line number
    by any part of it."""
    cases = Case.objects.for_user(user)
    if query:
        cases = cases.filter(line__number__contains=query)
    if school_id:
        cases = cases.filter(line__school_id=school_id)
    if month:
        # One condition on one step row: that month's step, at that stage and not the
        # closing one. Filtering and excluding across the multi-valued `steps` relation
        # separately would test different rows (a case improved in a later month dropped
        # out of every earlier month's step filter).
        steps = CaseStep.objects.filter(case=OuterRef("pk"), month=month.first_day())
        if stage:
            steps = steps.filter(stage=stage).exclude(transition="improved")
        cases = cases.filter(Exists(steps))
    elif stage:
        cases = cases.filter(stage=stage)
    return cases.select_related("line__school").order_by("-cohort", "line__number")


def case_get(*, user, pk: int) -> Case:
    return Case.objects.for_user(user).select_related("line__school").get_or_404(pk=pk)


def case_timeline(*, user, case: Case) -> dict:
    return {
        "steps": list(CaseStep.objects.for_user(user).filter(case=case).order_by("month")),
        "actions": list(
            Action.objects.for_user(user)
            .filter(case=case)
            .select_related("notice")
            .order_by("stage")
        ),
    }


def schools_with_lines(*, user) -> QuerySet[School]:
    """The schools of the case list's filter: those with lines, within the scope."""
    # From the small table: a semi-join probing the lines' school index per school,
    # not a DISTINCT over every line.
    return (
        School.objects.for_user(user)
        .filter(Exists(Line.objects.filter(school=OuterRef("pk"))))
        .order_by("code")
    )


def line_list(*, user, query: str = "", school_id: int | None = None) -> QuerySet[Line]:
    """The user's lines; `query` finds a number by any part of it, or a school."""
    lines = Line.objects.for_user(user)
    if school_id:
        lines = lines.filter(school_id=school_id)
    if query:
        lines = lines.filter(Q(number__contains=query) | Q(school__name__contains=query))
    return lines.select_related("school").order_by("number")


def open_case_counts(*, user, lines) -> dict[int, int]:
    """Open cases of the lines of one page (counted after paging, not over every line)."""
    ids = [line.pk for line in lines]
    rows = (
        Case.objects.for_user(user)
        .filter(line_id__in=ids, closed_month__isnull=True)
        .values("line_id")
        .annotate(n=Count("id"))
        .values_list("line_id", "n")
    )
    return dict(rows)


def school_traffic_counts(*, user, school) -> dict:
    """A school's lines, open cases and notices waiting for it (three queries)."""
    return {
        "lines": Line.objects.for_user(user).filter(school=school).count(),
        "open_cases": Case.objects.for_user(user)
        .filter(line__school=school, closed_month__isnull=True)
        .count(),
        "unacknowledged": SchoolNotice.objects.for_user(user)
        .filter(school=school, acknowledged_at__isnull=True)
        .count(),
    }


def line_get(*, user, pk: int) -> Line:
    return Line.objects.for_user(user).select_related("school").get_or_404(pk=pk)


def line_usage(*, user, line: Line) -> list[tuple]:
    return list(
        MonthlyUsage.objects.for_user(user)
        .filter(line=line)
        .order_by("month")
        .values_list("month", "usage_mb")
    )


def line_cases(*, user, line: Line) -> QuerySet[Case]:
    return Case.objects.for_user(user).filter(line=line).order_by("-cohort")


def notice_list(
    *, user, unacknowledged: bool = False, school_id: int | None = None
) -> QuerySet[SchoolNotice]:
    notices = SchoolNotice.objects.for_user(user)
    if school_id:
        notices = notices.filter(school_id=school_id)
    if unacknowledged:
        notices = notices.filter(acknowledged_at__isnull=True)
    return notices.select_related("school", "acknowledged_by", "action__case__line")


def notice_get(*, user, pk: int) -> SchoolNotice:
    return (
        SchoolNotice.objects.for_user(user)
        .select_related("school", "acknowledged_by", "action__case__line")
        .get_or_404(pk=pk)
    )


def tablet_actions(*, user, month: Month, kind: str) -> QuerySet[Action]:
    """The lines of one tablet message (for the MDM console), the user's schools only."""
    return (
        Action.objects.for_user(user)
        .filter(month=month.first_day(), kind=kind)
        .select_related("case__line__school")
        .order_by("case__line__number")
    )


def action_months(*, user) -> list[Month]:
    """Months with outgoing actions, oldest first."""
    days = Action.objects.for_user(user).order_by("month").values_list("month", flat=True)
    return months_in_window(days.distinct())


def message_texts() -> dict[ActionKind, texts.Text]:
    """The words of each action: admin's (MessageText), else the defaults (one query)."""
    stored = {row.kind: texts.Text(row.subject, row.body) for row in MessageText.objects.all()}
    return {kind: stored.get(kind.value, texts.DEFAULT_TEXTS[kind]) for kind in ActionKind}


def step_usage(*, user, month: Month, case_ids) -> dict[int, Decimal]:
    """Each case's usage (MB) in the month of its step, in one query."""
    return dict(
        CaseStep.objects.for_user(user)
        .filter(month=month.first_day(), case_id__in=list(case_ids))
        .values_list("case_id", "usage_mb")
    )

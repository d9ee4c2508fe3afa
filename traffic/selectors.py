"""Reads of the traffic app. Every function returning rows a person sees takes `user`
and narrows through gigaportal.scope; management commands pass
gigaportal.scope.COMMAND_LINE."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum

from gigaportal.calendar import Month, month_range
from gigaportal.scope import scope_queryset, scoped_get_or_404
from traffic.models import Action, Case, CaseStep, Line, MonthlyUsage, Policy, SchoolNotice

DEFAULT_GB_PER_LINE = Decimal(5)


@dataclass(frozen=True)
class UsageMonth:
    month: Month
    total_mb: Decimal
    lines: int


def usage_by_month(*, user, start: Month, end: Month) -> list[UsageMonth]:
    """Total usage and the number of lines with a row, per month (the user's schools)."""
    usage = scope_queryset(MonthlyUsage.objects.all(), user, school_field="line__school")
    rows = (
        usage.filter(month__gte=start.first_day(), month__lte=end.first_day())
        .values("month")
        .annotate(total=Sum("usage_mb"), lines=Count("id"))
        .order_by("month")
    )
    return [UsageMonth(Month.of(r["month"]), r["total"] or Decimal(0), r["lines"]) for r in rows]


def gb_per_line_by_month(months: Iterable[Month]) -> dict[Month, Decimal]:
    """The pooled allowance per line in force each month. Months before the first
    policy use the first policy's figure (the contract predates the heavy-usage rule)."""
    policies = list(
        Policy.objects.order_by("effective_from").values_list("effective_from", "gb_per_line")
    )
    result = {}
    for month in months:
        value = policies[0][1] if policies else DEFAULT_GB_PER_LINE
        for start, gb in policies:
            if start <= month.first_day():
                value = gb
        result[month] = value
    return result


def usage_month_span() -> tuple[Month, Month] | None:
    days = MonthlyUsage.objects.order_by("month").values_list("month", flat=True)
    first, last = days.first(), days.order_by("-month").first()
    if first is None:
        return None
    return Month.of(first), Month.of(last)


def flow_counts(*, user, start: Month, end: Month) -> list[tuple[Month, Month, str, int]]:
    """(cohort, month, status, count) for every non-zero count, in order."""
    steps = scope_queryset(CaseStep.objects.all(), user, school_field="case__line__school")
    rows = (
        steps.filter(month__gte=start.first_day(), month__lte=end.first_day())
        .values("case__cohort", "month", "transition", "stage")
        .annotate(count=Count("id"))
    )
    counts: dict[tuple[Month, Month, str], int] = {}
    for row in rows:
        status = "improved" if row["transition"] == "improved" else f"stage{row['stage']}"
        key = (Month.of(row["case__cohort"]), Month.of(row["month"]), status)
        counts[key] = counts.get(key, 0) + row["count"]
    order = {"stage1": 1, "stage2": 2, "stage3": 3, "stage4": 4, "improved": 5}
    return sorted(
        ((c, m, s, n) for (c, m, s), n in counts.items()),
        key=lambda r: (r[0], r[1], order[r[2]]),
    )


def case_steps_in_month(*, user, month: Month):
    steps = scope_queryset(CaseStep.objects.all(), user, school_field="case__line__school")
    return (
        steps.filter(month=month.first_day())
        .select_related("case__line__school")
        .order_by("case__line__number", "case__cohort")
    )


def case_list(
    *, user, school_id: int | None = None, stage: int | None = None, month: Month | None = None
):
    """Cases, newest cohort first. `month` keeps the cases evaluated in that month;
    `stage` the step reached (with month: the step that month)."""
    cases = scope_queryset(Case.objects.all(), user, school_field="line__school")
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
    return scoped_get_or_404(
        Case.objects.select_related("line__school"), user, school_field="line__school", pk=pk
    )


def case_timeline(case: Case):
    return {
        "steps": list(case.steps.order_by("month")),
        "actions": list(case.actions.select_related("notice").order_by("stage")),
    }


def line_list(*, user, query: str = ""):
    lines = scope_queryset(Line.objects.all(), user, school_field="school")
    if query:
        lines = lines.filter(Q(number__contains=query) | Q(school__name__contains=query))
    return (
        lines.select_related("school")
        .annotate(open_cases=Count("cases", filter=Q(cases__closed_month__isnull=True)))
        .order_by("number")
    )


def line_get(*, user, pk: int) -> Line:
    return scoped_get_or_404(
        Line.objects.select_related("school"), user, school_field="school", pk=pk
    )


def line_usage(line: Line):
    return list(line.usages.order_by("month").values_list("month", "usage_mb"))


def notice_list(*, user, unacknowledged: bool = False):
    notices = scope_queryset(SchoolNotice.objects.all(), user, school_field="school")
    if unacknowledged:
        notices = notices.filter(acknowledged_at__isnull=True)
    return notices.select_related("school", "acknowledged_by", "action__case__line")


def notice_get(*, user, pk: int) -> SchoolNotice:
    return scoped_get_or_404(
        SchoolNotice.objects.select_related("school", "acknowledged_by", "action__case__line"),
        user,
        school_field="school",
        pk=pk,
    )


def unacknowledged_count(*, user) -> int:
    return (
        scope_queryset(SchoolNotice.objects.all(), user)
        .filter(acknowledged_at__isnull=True)
        .count()
    )


def tablet_actions(*, user, month: Month, kind: str):
    """The lines of one tablet message (for the MDM console), the user's schools only."""
    actions = scope_queryset(Action.objects.all(), user, school_field="case__line__school")
    return (
        actions.filter(month=month.first_day(), kind=kind)
        .select_related("case__line__school")
        .order_by("case__line__number")
    )


def action_months() -> list[Month]:
    return [
        Month.of(d)
        for d in Action.objects.order_by("-month").values_list("month", flat=True).distinct()
    ]


def evaluated_months_span() -> tuple[Month, Month] | None:
    days = CaseStep.objects.order_by("month").values_list("month", flat=True)
    first = days.first()
    if first is None:
        return None
    return Month.of(first), Month.of(days.order_by("-month").first())


def months_between(start: Month, end: Month) -> list[Month]:
    return list(month_range(start, end))

"""The traffic reports. The first part shapes tables from plain rows (pure functions);
the second registers the reports (gigaportal.reports), whose builders take the user
and the period and read through traffic.selectors. The page, its chart, the CSV/Excel
downloads, `manage.py traffic_report` and the committee pack all use these, so they
show the same numbers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from devices import selectors as device_selectors
from gigaportal.calendar import Month
from gigaportal.dates import month_text
from gigaportal.params import choice_param, int_param, month_param
from gigaportal.reports import Period, PeriodKind, Report, ReportColumn, ReportSpec, register
from gigaportal.roles import ALL_ROLES, STAFF_ROLES
from gigaportal.scope import sees_all_schools
from traffic import escalation, selectors, texts
from traffic.escalation import TABLET_ACTIONS, ActionKind
from traffic.models import ACTION_KIND_CHOICES
from traffic.parsing import MB_PER_GB

STAGE_MARKS = {"stage1": "①", "stage2": "②", "stage3": "③", "stage4": "④"}


def round_half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class UsageLine:
    month: Month
    total_gb: int
    lines: int
    capacity_gb: int
    usage_rate_pct: int


def usage_lines(rows: Iterable, gb_per_line: Mapping[Month, Decimal]) -> list[UsageLine]:
    """rows: objects with month, total_mb, lines (traffic.selectors.UsageMonth).

    Total in whole GB and the rate in whole percent, both rounded half up; the rate
    is computed from the exact total, not the rounded one.
    """
    result = []
    for row in rows:
        total_gb = Decimal(row.total_mb) / MB_PER_GB
        capacity = Decimal(row.lines) * gb_per_line[row.month]
        rate = total_gb * 100 / capacity if capacity else Decimal(0)
        result.append(
            UsageLine(
                month=row.month,
                total_gb=round_half_up(total_gb),
                lines=row.lines,
                capacity_gb=round_half_up(capacity),
                usage_rate_pct=round_half_up(rate),
            )
        )
    return result


def usage_report(lines: Sequence[UsageLine]) -> Report:
    return Report(
        title=_("Monthly data usage"),
        columns=[
            ReportColumn("month", _("month")),
            ReportColumn("total_gb", _("usage (GB)"), numeric=True),
            ReportColumn("lines", _("lines"), numeric=True),
            ReportColumn("capacity_gb", _("pooled capacity (GB)"), numeric=True),
            ReportColumn("usage_rate_pct", _("usage rate (%)"), numeric=True),
        ],
        rows=[(u.month, u.total_gb, u.lines, u.capacity_gb, u.usage_rate_pct) for u in lines],
    )


def flow_report(rows: Iterable[tuple[Month, Month, str, int]]) -> Report:
    return Report(
        title=_("Heavy-usage response by cohort"),
        columns=[
            ReportColumn("cohort_month", _("cohort (month of entry)")),
            ReportColumn("month", _("month")),
            ReportColumn("status", _("status")),
            ReportColumn("count", _("count"), numeric=True),
        ],
        rows=[(c, m, s, n) for c, m, s, n in rows if n],
    )


def flow_cell_text(counts: Mapping[str, int], improved_word: str) -> str:
    """'② 11, improved 5' as the seed writes a cell (the words are translated)."""
    parts = [
        f"{STAGE_MARKS[s]} {counts[s]}"
        for s in ("stage1", "stage2", "stage3", "stage4")
        if counts.get(s)
    ]
    if counts.get("improved"):
        parts.append(f"{improved_word} {counts['improved']}")
    return ", ".join(parts)


def flow_matrix(
    rows: Iterable[tuple[Month, Month, str, int]], improved_word: str
) -> tuple[list[Month], list[tuple[Month, list[str]]]]:
    """The seed's layout: one row per cohort, one column per month, cells as text."""
    cells: dict[tuple[Month, Month], dict[str, int]] = {}
    months: set[Month] = set()
    cohorts: set[Month] = set()
    for cohort, month, status, count in rows:
        cells.setdefault((cohort, month), {})[status] = count
        months.add(month)
        cohorts.add(cohort)
    ordered = sorted(months)
    return ordered, [
        (cohort, [flow_cell_text(cells.get((cohort, m), {}), improved_word) for m in ordered])
        for cohort in sorted(cohorts)
    ]


def flow_matrix_report(rows: Iterable[tuple[Month, Month, str, int]], improved_word: str) -> Report:
    months, matrix = flow_matrix(rows, improved_word)
    return Report(
        title=_("Heavy-usage response by cohort"),
        columns=[ReportColumn("cohort", _("cohort"))]
        + [ReportColumn(str(m), month_text(m)) for m in months],
        rows=[(c, *cells) for c, cells in matrix],
    )


def cases_report(steps: Iterable) -> Report:
    """steps: CaseStep rows (with case and line) of one month."""
    return Report(
        title=_("Cases evaluated in the month"),
        columns=[
            ReportColumn("line_number", _("line number")),
            ReportColumn("cohort_month", _("cohort (month of entry)")),
            ReportColumn("status", _("status")),
        ],
        rows=[(s.case.line.number, Month.of(s.case.cohort), s.status) for s in steps],
    )


def mdm_csv_report(
    actions: Iterable,
    serials: Mapping[str, str] | None = None,
    messages: Mapping[int, str] | None = None,
) -> Report:
    """One tablet message's recipients, to paste into the MDM console, each with the
    message its tablet gets.

    The serial column is filled from `serials` (line number → device serial) when the
    devices app provides it, the message from `messages` (action id → text); this
    function is the one place that shapes the file.
    """
    serials = serials or {}
    messages = messages or {}
    return Report(
        title=_("Tablet message recipients"),
        columns=[
            ReportColumn("serial_number", _("serial number")),
            ReportColumn("line_number", _("line number")),
            ReportColumn("school_code", _("school code")),
            ReportColumn("school", _("school")),
            ReportColumn("step", _("step")),
            ReportColumn("status", _("status")),
            ReportColumn("message", _("message"), on_page=False),
        ],
        rows=[
            (
                serials.get(a.case.line.number, ""),
                a.case.line.number,
                a.case.line.school.code if a.case.line.school else "",
                a.case.line.school.name if a.case.line.school else "",
                a.get_stage_display(),
                a.get_state_display(),
                messages.get(a.pk, ""),
            )
            for a in actions
        ],
    )


def line_list_report(lines: Iterable) -> Report:
    return Report(
        title=_("Lines"),
        columns=[
            ReportColumn("line_number", _("line number")),
            ReportColumn("school_code", _("school code")),
            ReportColumn("school", _("school")),
        ],
        rows=[
            (
                line.number,
                line.school.code if line.school else "",
                line.school.name if line.school else "",
            )
            for line in lines
        ],
    )


def case_list_report(cases: Iterable) -> Report:
    """cases: Case rows with line and school."""
    return Report(
        title=_("Heavy-usage cases"),
        columns=[
            ReportColumn("line_number", _("line number")),
            ReportColumn("school", _("school")),
            ReportColumn("cohort_month", _("cohort (month of entry)")),
            ReportColumn("step", _("step")),
            ReportColumn("improved_in", _("improved in")),
        ],
        rows=[
            (
                c.line.number,
                c.line.school.name if c.line.school else "",
                Month.of(c.cohort),
                c.get_stage_display(),
                Month.of(c.closed_month) if c.closed_month else None,
            )
            for c in cases
        ],
    )


# --- Registered reports ---------------------------------------------------------------


def usage(*, user, period: Period) -> Report:
    rows = selectors.usage_by_month(user=user, start=period.start, end=period.end)
    capacity = selectors.gb_per_line_by_month(r.month for r in rows)
    report = usage_report(usage_lines(rows, capacity))
    notes = [
        gettext(
            "Usage against the pooled contract: lines × GB per line a month. Lines are "
            "those with a row that month; rates are rounded half up."
        )
    ]
    if not sees_all_schools(user):
        notes.append(gettext("Only your school's lines are counted."))
    return report.with_context(notes=notes)


def usage_chart(report: Report):
    from gigaportal import charts

    rows = report.dicts()
    return charts.bar_line_chart(
        title=gettext("Monthly data usage"),
        labels=[month_text(r["month"], with_year=False) for r in rows],
        bars=[r["total_gb"] for r in rows],
        bar_label=gettext("usage (GB)"),
        line=[r["usage_rate_pct"] for r in rows],
        line_label=gettext("usage rate (%)"),
        line_is_percent=True,
    )


def flow_long(*, user, period: Period) -> Report:
    """`cohort_month,month,status,count`, as the command prints it."""
    steps = selectors.step_counts(user=user, start=period.start, end=period.end)
    return flow_report(escalation.flow_counts(steps))


def flow(*, user, period: Period) -> Report:
    """The committee's diagram as a table: cohorts down, months across."""
    steps = selectors.step_counts(user=user, start=period.start, end=period.end)
    return flow_matrix_report(escalation.flow_counts(steps), gettext("improved"))


def cases_of_month(*, user, period: Period) -> Report:
    return cases_report(selectors.case_steps_in_month(user=user, month=period.end))


def case_list(*, user, school_id=None, stage=None, month=None) -> Report:
    return case_list_report(
        selectors.case_list(user=user, school_id=school_id, stage=stage, month=month)
    )


TABLET_KINDS = [(k, label) for k, label in ACTION_KIND_CHOICES if k in TABLET_ACTIONS]


def mdm(*, user, period: Period, kind: str | None = None) -> Report:
    """One tablet message's recipients, with each device's serial from the devices
    inventory (the MDM console finds a tablet by its serial)."""
    kind = kind or TABLET_KINDS[0][0]
    actions = list(selectors.tablet_actions(user=user, month=period.end, kind=kind))
    serials = device_selectors.serials_for_lines(
        user=user, line_numbers=[a.case.line.number for a in actions]
    )
    template = selectors.message_texts()[ActionKind(kind)]
    usage = selectors.step_usage(user=user, month=period.end, case_ids=[a.case_id for a in actions])
    texts_by_action = {
        a.pk: texts.compose(
            template,
            texts.values(
                line_number=a.case.line.number,
                month=period.end,
                usage_mb=usage.get(a.case_id),
                school=a.case.line.school.name if a.case.line.school else "",
            ),
        )
        for a in actions
    }
    report = mdm_csv_report(
        actions, serials, {pk: f"{t.subject}\n{t.body}" for pk, t in texts_by_action.items()}
    )
    example = next(iter(texts_by_action.values()), texts.compose(template, {}))
    return report.with_context(
        extra={
            "message": example,
            "kind_label": dict(TABLET_KINDS)[kind],
            "download_name": f"mdm-{kind}-{period.end}",
        }
    )


def _case_filters():
    return {
        "school_id": lambda params: int_param(params, "school"),
        "stage": lambda params: choice_param(params, "stage", {1, 2, 3, 4}, int),
        "month": lambda params: month_param(params, "month"),
    }


USAGE = register(
    ReportSpec(
        slug="traffic.usage",
        title=_("Monthly data usage"),
        build=usage,
        period=PeriodKind.RANGE,
        months=selectors.usage_months,
        roles=ALL_ROLES,
        chart=usage_chart,
        chart_url="traffic:usage_chart",
        filename="traffic-usage",
        version=selectors.usage_version,
    )
)
FLOW = register(
    ReportSpec(
        slug="traffic.flow",
        title=_("Heavy-usage response by cohort"),
        build=flow,
        period=PeriodKind.RANGE,
        months=selectors.evaluated_months,
        roles=ALL_ROLES,
        template="traffic/flow.html",
        filename="traffic-escalation-flow",
    )
)
FLOW_LONG = register(
    ReportSpec(
        slug="traffic.flow_long",
        title=_("Heavy-usage response by cohort"),
        build=flow_long,
        period=PeriodKind.RANGE,
        months=selectors.evaluated_months,
        roles=ALL_ROLES,
    )
)
CASES_OF_MONTH = register(
    ReportSpec(
        slug="traffic.cases_of_month",
        title=_("Cases evaluated in the month"),
        build=cases_of_month,
        period=PeriodKind.MONTH,
        months=selectors.evaluated_months,
        roles=ALL_ROLES,
    )
)
CASE_LIST = register(
    ReportSpec(
        slug="traffic.cases",
        title=_("Heavy-usage cases"),
        build=case_list,
        roles=ALL_ROLES,
        filters=_case_filters(),
        filename="traffic-cases",
    )
)
MDM = register(
    ReportSpec(
        slug="traffic.mdm",
        title=_("Tablet messages for the MDM"),
        build=mdm,
        period=PeriodKind.MONTH,
        months=selectors.action_months,
        roles=STAFF_ROLES,
        filters={"kind": lambda params: choice_param(params, "kind", dict(TABLET_KINDS))},
        controls="traffic/_mdm_controls.html",
        template="traffic/mdm.html",
        options={"kinds": TABLET_KINDS},
        description=_(
            "Recipients of one tablet message, to paste into the MDM console when messages "
            "are sent from there."
        ),
        filename="mdm",
    )
)

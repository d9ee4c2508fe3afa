"""Support reports. The first part shapes tables from tallies and selector rows (pure
functions); the second registers the reports (gigaportal.reports), whose builders take
the user and the period and read through support.selectors. The page, its chart, the
CSV/Excel downloads, `manage.py support_report` and the committee pack all use these,
so the numbers are the same everywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import partial

from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from gigaportal import selectors as portal_selectors
from gigaportal.dates import fiscal_year_text, term_text
from gigaportal.reports import Period, PeriodKind, Report, ReportColumn, ReportSpec, register
from gigaportal.roles import ALL_ROLES
from support import selectors
from support.models import Kind
from support.rules import KINDS, TermTally, tally_by_term

KIND_LABELS = dict(Kind.choices)


def terms_long(tally: TermTally) -> Report:
    """`term,kind,count`: one row per term and kind, as the command prints it."""
    return Report(
        title=_("Support by term"),
        columns=[
            ReportColumn("term", _("term"), numeric=True),
            ReportColumn("kind", _("support kind")),
            ReportColumn("count", _("count"), numeric=True),
        ],
        rows=[
            (term.number, kind.value, tally.count(term.number, kind))
            for term in tally.terms
            for kind in KINDS
        ],
    )


def terms_table(tally: TermTally, *, fiscal_year: int) -> Report:
    """The committee papers' table: kinds down, terms across, with totals."""
    columns = [ReportColumn("kind", _("support kind"))]
    columns += [
        ReportColumn(f"term{term.number}", term_text(term.number), numeric=True)
        for term in tally.terms
    ]
    columns.append(ReportColumn("total", _("total"), numeric=True))
    rows = [
        (
            KIND_LABELS[kind.value],
            *(tally.count(term.number, kind) for term in tally.terms),
            tally.kind_total(kind),
        )
        for kind in KINDS
    ]
    footer = [
        (
            _("total"),
            *(tally.term_total(term.number) for term in tally.terms),
            sum(tally.term_total(term.number) for term in tally.terms),
        )
    ]
    return Report(
        title=_("Support by term, %(year)s") % {"year": fiscal_year_text(fiscal_year)},
        columns=columns,
        rows=rows,
        footer=footer,
    )


def _kind_columns() -> list[ReportColumn]:
    return [
        *(ReportColumn(kind.value, KIND_LABELS[kind.value], numeric=True) for kind in KINDS),
        ReportColumn("total", _("total"), numeric=True),
    ]


def _kind_values(row: dict) -> tuple[int, ...]:
    return (*(row[kind.value] for kind in KINDS), row["total"])


def _totals(rows: Sequence[dict]) -> tuple[int, ...]:
    return tuple(sum(row[kind.value] for row in rows) for kind in KINDS)


def by_school(rows: Sequence[dict], *, fiscal_year: int) -> Report:
    return Report(
        title=_("Support by school, %(year)s") % {"year": fiscal_year_text(fiscal_year)},
        columns=[
            ReportColumn("school_code", _("school code")),
            ReportColumn("school", _("school")),
            *_kind_columns(),
        ],
        rows=[(r["school__code"], r["school__name"], *_kind_values(r)) for r in rows],
        footer=[("", _("total"), *_totals(rows), sum(r["total"] for r in rows))],
    )


def by_staff(rows: Sequence[dict], *, fiscal_year: int) -> Report:
    # A visit made by two staff members counts for both, so the column totals are
    # deliberately not shown: they would exceed the number of visits.
    return Report(
        title=_("Support by staff member, %(year)s") % {"year": fiscal_year_text(fiscal_year)},
        columns=[ReportColumn("staff", _("staff member")), *_kind_columns()],
        rows=[
            (r["staff__full_name"] or r["staff__username"], *_kind_values(r))
            for r in rows
            if r["staff__id"] is not None
        ],
    )


def by_topic(rows: Sequence[dict], *, fiscal_year: int) -> Report:
    return Report(
        title=_("Support by topic, %(year)s") % {"year": fiscal_year_text(fiscal_year)},
        columns=[ReportColumn("topic", _("topic")), *_kind_columns()],
        rows=[(r["topics__name"] or _("(no topic)"), *_kind_values(r)) for r in rows],
    )


def school_history(records: Sequence, *, school_name: str) -> Report:
    """`records` are SupportRecord objects with staff and topics prefetched."""
    return Report(
        title=_("Support history of %(school)s") % {"school": school_name},
        columns=[
            ReportColumn("date", _("date")),
            ReportColumn("kind", _("support kind")),
            ReportColumn("staff", _("staff")),
            ReportColumn("topics", _("topics")),
            ReportColumn("minutes", _("minutes"), numeric=True),
            ReportColumn("what_was_done", _("what was done")),
        ],
        rows=[
            (
                record.date,
                KIND_LABELS[record.kind],
                "、".join(u.display_name for u in record.staff.all()),
                "、".join(t.name for t in record.topics.all()),
                record.duration_minutes,
                record.what_was_done,
            )
            for record in records
        ],
    )


def record_list_report(records) -> Report:
    """The records as the list filters them (every row, not only the page)."""
    return Report(
        title=_("Support records"),
        columns=[
            ReportColumn("date", _("date")),
            ReportColumn("school_code", _("school code")),
            ReportColumn("school", _("school")),
            ReportColumn("kind", _("support kind")),
            ReportColumn("staff", _("staff")),
            ReportColumn("topics", _("topics")),
            ReportColumn("minutes", _("minutes"), numeric=True),
            ReportColumn("what_was_done", _("what was done")),
            ReportColumn("follow_up", _("follow-up needed")),
        ],
        rows=[
            (
                r.date,
                r.school.code,
                r.school.name,
                KIND_LABELS[r.kind],
                "、".join(u.display_name for u in r.staff.all()),
                "、".join(t.name for t in r.topics.all()),
                r.duration_minutes,
                r.what_was_done,
                r.follow_up_needed,
            )
            for r in records
        ],
    )


def request_list_report(requests) -> Report:
    """The requests as the list filters them (every row, not only the page)."""
    return Report(
        title=_("Support requests"),
        columns=[
            ReportColumn("id", _("No."), numeric=True),
            ReportColumn("asked_on", _("asked on")),
            ReportColumn("school_code", _("school code")),
            ReportColumn("school", _("school")),
            ReportColumn("kind", _("support kind")),
            ReportColumn("topic", _("topic")),
            ReportColumn("status", _("status")),
            ReportColumn("scheduled_date", _("scheduled date")),
            ReportColumn("staff", _("assigned staff")),
            ReportColumn("details", _("details")),
        ],
        rows=[
            (
                r.pk,
                timezone.localdate(r.created_at),
                r.school.code,
                r.school.name,
                KIND_LABELS[r.kind],
                r.topic.name if r.topic else "",
                r.get_status_display(),
                r.scheduled_date,
                "、".join(u.display_name for u in r.assigned_staff.all()),
                r.details,
            )
            for r in requests
        ],
    )


def open_requests(requests: Sequence, *, today: dt.date) -> Report:
    return Report(
        title=_("Open requests"),
        columns=[
            ReportColumn("id", _("No."), numeric=True),
            ReportColumn("asked_on", _("asked on")),
            ReportColumn("school", _("school")),
            ReportColumn("kind", _("support kind")),
            ReportColumn("status", _("status")),
            ReportColumn("scheduled_date", _("scheduled date")),
            ReportColumn("staff", _("assigned staff")),
            ReportColumn("days_waiting", _("days waiting"), numeric=True),
        ],
        rows=[
            (
                r.pk,
                timezone.localdate(r.created_at),
                r.school.name,
                KIND_LABELS[r.kind],
                r.get_status_display(),
                r.scheduled_date,
                "、".join(u.display_name for u in r.assigned_staff.all()),
                (today - timezone.localdate(r.created_at)).days,
            )
            for r in requests
        ],
    )


# --- Registered reports ---------------------------------------------------------------


def term_tally(*, user, fiscal_year: int) -> TermTally:
    terms, day_counts = selectors.term_day_counts(user=user, fiscal_year=fiscal_year)
    return tally_by_term(day_counts, terms)


def _outside_terms_note(tally: TermTally) -> list[str]:
    if not tally.outside_terms:
        return []
    return [
        ngettext(
            "%(n)s record falls between terms and is not counted above.",
            "%(n)s records fall between terms and are not counted above.",
            tally.outside_terms,
        )
        % {"n": tally.outside_terms}
    ]


def terms(*, user, period: Period) -> Report:
    """The committee's table: kinds down, terms across, with totals."""
    tally = term_tally(user=user, fiscal_year=period.fiscal_year)
    report = terms_table(tally, fiscal_year=period.fiscal_year)
    return report.with_context(notes=_outside_terms_note(tally))


def terms_long_report(*, user, period: Period) -> Report:
    """`term,kind,count`, as the command prints it."""
    return terms_long(term_tally(user=user, fiscal_year=period.fiscal_year))


def months_table(counts: Sequence, months: Sequence) -> Report:
    """Kinds across, one row per month of the period, a month without records as zeros
    (a dashboard's sparkline must not skip it)."""
    from gigaportal.calendar import Month

    cells: dict[tuple, int] = {}
    for count in counts:
        key = (Month.of(count.day), count.kind)
        cells[key] = cells.get(key, 0) + count.count
    return Report(
        title=_("Support by month"),
        columns=[
            ReportColumn("month", _("month")),
            *(ReportColumn(kind.value, KIND_LABELS[kind], numeric=True) for kind in KINDS),
            ReportColumn("total", _("total"), numeric=True),
        ],
        rows=[
            (
                month,
                *(cells.get((month, kind), 0) for kind in KINDS),
                sum(cells.get((month, kind), 0) for kind in KINDS),
            )
            for month in months
        ],
    )


def months(*, user, period: Period) -> Report:
    counts = selectors.month_kind_counts(user=user, start=period.first_day, end=period.last_day)
    return months_table(counts, period.months())


def terms_chart(report: Report):
    """Terms as groups, kinds as series: from the table's own rows."""
    from gigaportal import charts

    term_keys = [c for c in report.columns if c.key.startswith("term")]
    groups = [str(c.label) for c in term_keys]
    indexes = [report.keys.index(c.key) for c in term_keys]
    series = {str(row[0]): [row[i] for i in indexes] for row in report.rows}
    return charts.grouped_bar_chart(
        title=str(report.title), groups=groups, series=series, ylabel=gettext("count")
    )


def schools(*, user, period: Period) -> Report:
    rows = selectors.counts_by_school(user=user, fiscal_year=period.fiscal_year)
    return by_school(rows, fiscal_year=period.fiscal_year)


def staff(*, user, period: Period) -> Report:
    rows = selectors.counts_by_staff(user=user, fiscal_year=period.fiscal_year)
    return by_staff(rows, fiscal_year=period.fiscal_year)


def topics(*, user, period: Period) -> Report:
    rows = selectors.counts_by_topic(user=user, fiscal_year=period.fiscal_year)
    return by_topic(rows, fiscal_year=period.fiscal_year)


def waiting(*, user) -> Report:
    report = open_requests(selectors.open_requests(user=user), today=timezone.localdate())
    return report.with_context(
        notes=[gettext("Days waiting are counted from the day the school asked until today.")]
    )


def history(*, user, school_pk: int) -> Report:
    school = portal_selectors.school_get(user=user, pk=school_pk)
    records = selectors.school_history(user=user, school_id=school.pk)
    return school_history(records, school_name=school.name).with_context(
        scope=school.name, extra={"download_name": f"support-history-{school.code}"}
    )


NAV = "support/_report_nav.html"
# The reports of the support log's tabs: a fiscal year of records.
fiscal_year_spec = partial(
    ReportSpec, period=PeriodKind.FISCAL_YEAR, months=selectors.record_months, nav=NAV
)
TERMS = register(
    fiscal_year_spec(
        slug="support.terms",
        title=_("Support by term"),
        build=terms,
        chart=terms_chart,
        chart_url="support:report_terms_chart",
        filename="support-terms",
    )
)
TERMS_LONG = register(
    fiscal_year_spec(
        slug="support.terms_long", title=_("Support by term"), build=terms_long_report, nav=""
    )
)
BY_SCHOOL = register(
    fiscal_year_spec(
        slug="support.schools",
        title=_("Support by school"),
        build=schools,
        filename="support-by-school",
    )
)
BY_STAFF = register(
    fiscal_year_spec(
        slug="support.staff",
        title=_("Support by staff member"),
        build=staff,
        filename="support-by-staff",
    )
)
BY_TOPIC = register(
    fiscal_year_spec(
        slug="support.topics",
        title=_("Support by topic"),
        build=topics,
        filename="support-by-topic",
    )
)
MONTHS = register(
    ReportSpec(
        slug="support.months",
        title=_("Support by month"),
        build=months,
        period=PeriodKind.RANGE,
        months=selectors.record_months,
        nav=NAV,
        filename="support-by-month",
    )
)
OPEN_REQUESTS = register(
    ReportSpec(
        slug="support.open_requests",
        title=_("Open requests"),
        build=waiting,
        nav=NAV,
        filename="support-open-requests",
    )
)
SCHOOL_HISTORY = register(
    ReportSpec(
        slug="support.school_history",
        title=_("Support history"),
        build=history,
        roles=ALL_ROLES,
        filename="support-history",
    )
)

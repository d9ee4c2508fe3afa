"""Support reports as pure functions: tallies and selector rows in, Reports out. The
page, its chart, the CSV/Excel downloads and `manage.py support_report` all use
these, so the numbers are the same everywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils.translation import gettext_lazy as _

from gigaportal.calendar import fiscal_year_label
from gigaportal.reports import Report, ReportColumn
from support.models import Kind
from support.rules import KINDS, TermTally

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
        ReportColumn(f"term{term.number}", term.label, numeric=True) for term in tally.terms
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
        title=_("Support by term, %(year)s") % {"year": fiscal_year_label(fiscal_year)},
        columns=columns,
        rows=rows,
        footer=footer,
    )


def terms_chart_series(tally: TermTally) -> tuple[list[str], dict[str, list[int]]]:
    groups = [term.label for term in tally.terms]
    series = {
        str(KIND_LABELS[kind.value]): [tally.count(term.number, kind) for term in tally.terms]
        for kind in KINDS
    }
    return groups, series


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
        title=_("Support by school, %(year)s") % {"year": fiscal_year_label(fiscal_year)},
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
        title=_("Support by staff member, %(year)s") % {"year": fiscal_year_label(fiscal_year)},
        columns=[
            ReportColumn("username", _("username")),
            ReportColumn("staff", _("staff member")),
            *_kind_columns(),
        ],
        rows=[
            (r["staff__username"], r["staff__full_name"] or r["staff__username"], *_kind_values(r))
            for r in rows
            if r["staff__id"] is not None
        ],
    )


def by_topic(rows: Sequence[dict], *, fiscal_year: int) -> Report:
    return Report(
        title=_("Support by topic, %(year)s") % {"year": fiscal_year_label(fiscal_year)},
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


def open_requests(requests: Sequence, *, today: dt.date) -> Report:
    from django.utils import timezone

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

"""The committee's report pack: which registered reports it holds, in the papers'
order, for a fiscal year up to a month. Every section is a registered report read with
`ReportSpec.snapshot` (as its page shows it), so the pack prints the pages' numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.http import Http404
from django.utils.translation import gettext as _

from gigaportal import reports
from gigaportal.calendar import Month
from gigaportal.reports import Period
from gigaportal.reports.pack import Chart, Section


def sections(
    *, user, fiscal_year: int, end: Month, progress: Callable[[str], None] | None = None
) -> list[Section]:
    """Every section of the pack for fiscal year `fiscal_year` up to `end`."""
    fiscal = Period.fiscal(fiscal_year)
    end = min(max(end, fiscal.start), fiscal.end)
    to_date = Period.range(fiscal.start, end)
    day = end.last_day()
    found: list[Section] = []

    def add(heading, slug: str, period=None, *, if_empty=True, **options) -> Section | None:
        """Adds the report as the next paper (not when it is empty and `if_empty` is
        False: a survey without answer scales has no paper for them); a heading of
        None is the report's own title."""
        if progress:
            progress(heading or reports.get(slug).title)
        filters = options.pop("filters", {})
        try:
            report = reports.get(slug).snapshot(user=user, period=period, **filters)
        except Http404:
            return None
        if not (report.rows or if_empty):
            return None
        section = Section(
            number=_("Paper %(n)s") % {"n": len(found) + 1},
            heading=heading or report.title,
            report=report,
            **options,
        )
        found.append(section)
        return section

    add(
        _("Support centre: support by term"),
        "support.terms",
        fiscal,
        chart=Chart("column", category="kind", series=("term1", "term2", "term3")),
    )
    breakage = reports.get("devices.breakage").snapshot(user=user, period=fiscal)
    add(
        _("Device breakages and spares by model"),
        "devices.breakage",
        fiscal,
        chart=Chart(
            "column",
            category="month",
            series=tuple(k for k in breakage.keys if k.startswith("incidents_")),
        ),
    )
    add(
        _("Monthly data usage and usage rate"),
        "traffic.usage",
        Period.range(end.add(-11), end),
        chart=Chart("column", category="month", series=("total_gb",), secondary="usage_rate_pct"),
        formats={"usage_rate_pct": "{}%"},
    )
    add(_("Response to heavy usage by cohort"), "traffic.flow", to_date)
    _surveys(add, user=user, fiscal_year=fiscal_year)
    add(_("Working groups' topics"), "security.topics", fiscal)
    add(
        _("Security policy revision and its reasons"),
        "security.revision",
        filters={"on": day},
    )
    charts = reports.get("security.charts").snapshot(user=user, on=day)
    for row in charts.rows:
        add(
            _("Organisation chart: %(name)s") % {"name": row[1]},
            "security.orgchart",
            filters={"slug": row[0], "on": day},
            tree=True,
        )
    return found


def _surveys(add, *, user, fiscal_year: int) -> None:
    """Each survey of the year: its answer scales charted by group, or (a survey without
    scales) its choice questions' tables, and the most frequent coded requests."""
    from surveys import selectors

    for survey in selectors.surveys_for(user).filter(fiscal_year=fiscal_year).order_by("-pk"):
        likert = add(
            _("%(survey)s: answers by group") % {"survey": survey.title},
            "surveys.likert",
            filters={"survey": survey.slug},
            chart=Chart(
                "stacked",
                category="group",
                series=("positive", "neutral", "negative"),
                split_by="question",
            ),
            formats={"positive": "{}%", "neutral": "{}%", "negative": "{}%"},
            if_empty=False,
        )
        if likert is not None:
            continue
        add(
            _("%(survey)s: tables") % {"survey": survey.title},
            "surveys.tally",
            filters={"survey": survey.slug},
            chart=Chart("column", category="option", series=("count",), split_by="question"),
            formats={"percent": "{}%"},
        )
        # The report's own choice of question: the one with the most answers beyond
        # ten (the papers' requests), named in its title.
        add(
            None,
            "surveys.top",
            filters={"survey": survey.slug, "n": 10},
            formats={"percent": "{}%"},
            plain=("rank",),
            if_empty=False,
        )


def as_of_date(*, end: Month, today: dt.date) -> dt.date:
    """The day the pack's figures stand at: the end of its last month, or today."""
    return min(end.last_day(), today)

"""Security reports, registered with gigaportal.reports: the policy in force on a day,
an organisation chart as rows (depth, position, holders, parent), the charts in force,
the working groups' topics, the software register and the schools' acknowledgements.
The pages, their CSV/Excel downloads, `manage.py security_report` and the committee
pack all build their tables here, so the numbers are the same everywhere."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from gigaportal.calendar import fiscal_year_label
from gigaportal.params import date_param
from gigaportal.reports import Period, PeriodKind, Report, ReportColumn, ReportSpec, register
from gigaportal.roles import ALL_ROLES, LEADER_ROLES, STAFF_ROLES
from security import rules, selectors
from security.drawing import Box

HOLDER_SEPARATOR = "、"


def on_param(params: Mapping[str, str]) -> dt.date | None:
    """`?on=2023-04-01`; anything else (2023-13-01, ², a word) is no date."""
    return date_param(params, "on")


def on_text_param(params: Mapping[str, str]) -> str:
    """What was typed in `?on=`, to say it was not understood."""
    return (params.get("on") or "").strip()[:40]


DAY_FILTERS = {"on": on_param, "on_text": on_text_param}


def _day(on: dt.date | None, on_text: str) -> tuple[dt.date, list[str]]:
    """The day asked for (today by default) and the note when the asked one was not a
    date."""
    day = on or timezone.localdate()
    notes = []
    if on is None and on_text:
        notes.append(
            gettext("“%(text)s” is not a date (YYYY-MM-DD); showing today, %(today)s.")
            % {"text": on_text, "today": day.isoformat()}
        )
    return day, notes


# --- The policy in force ------------------------------------------------------------------------


def policy_rows(versions) -> list[tuple]:
    return [(v.document.title, v.label, v.effective_from, v.get_status_display()) for v in versions]


def policy(*, user, on: dt.date | None = None, on_text: str = "") -> Report:
    """`document,version,effective_from,status`: each document's version in force."""
    day, notes = _day(on, on_text)
    in_force = selectors.versions_in_force(day=day)
    upcoming = selectors.versions_upcoming(day=day)
    if not in_force:
        notes.append(gettext("No version of the policy was in force on %(day)s.") % {"day": day})
    return Report(
        title=_("Security policy in force"),
        columns=[
            ReportColumn("document", _("document")),
            ReportColumn("version", _("version")),
            ReportColumn("effective_from", _("effective date")),
            ReportColumn("status", _("status")),
        ],
        rows=policy_rows(in_force),
        notes=notes,
        extra={
            "day": day,
            "in_force": in_force,
            "upcoming": upcoming,
            "documents": selectors.documents(user=user),
        },
    )


def revision_versions(*, day: dt.date) -> list:
    """Per document, the revision the committee is told about on `day`: the one to take
    effect next, else the one in force; with its reasons (two queries)."""
    from django.db.models import prefetch_related_objects

    upcoming = selectors.versions_upcoming(day=day)
    chosen = [upcoming.pop(v.document_id, v) for v in selectors.versions_in_force(day=day)]
    chosen += list(upcoming.values())
    prefetch_related_objects(chosen, "reasons")
    return chosen


def revision(*, user, on: dt.date | None = None, on_text: str = "") -> Report:
    """`document,version,effective_from,category,reason,items`: why the policy was
    revised, a row per reason (its items one a line, details after ・)."""
    day, notes = _day(on, on_text)
    rows = []
    for version in revision_versions(day=day):
        for reason in version.reasons.all():
            items = []
            for item in reason.item_list():
                items.append(item.text)
                items.extend(f"・{detail}" for detail in item.details)
            rows.append(
                (
                    version.document.title,
                    version.label,
                    version.effective_from,
                    reason.get_category_display(),
                    reason.title,
                    "\n".join(items),
                )
            )
    return Report(
        title=_("Policy revision and its reasons"),
        columns=[
            ReportColumn("document", _("document")),
            ReportColumn("version", _("version")),
            ReportColumn("effective_from", _("effective date")),
            ReportColumn("category", _("category")),
            ReportColumn("reason", _("reason")),
            ReportColumn("items", _("items")),
        ],
        rows=rows,
        notes=notes,
    )


# --- Organisation charts -------------------------------------------------------------------------


def chart_report_rows(rows: list[rules.TreeRow]) -> list[tuple]:
    return [
        (
            row.depth,
            row.node.position,
            HOLDER_SEPARATOR.join(row.node.holder_list()),
            row.parent.position if row.parent is not None else "",
        )
        for row in rows
    ]


def orgchart(*, user, slug: str, on: dt.date | None = None, on_text: str = "") -> Report:
    """`depth,position,holders,parent` of the chart in force on the day (depth 1 at the
    top, holders joined with 、)."""
    day, notes = _day(on, on_text)
    spans = selectors.chart_versions(slug=slug)
    if not spans:
        raise Http404
    chart = next((s.version for s in spans if s.contains(day)), None)
    upcoming = next((s.version for s in spans if s.first > day), None)
    rows = selectors.chart_rows(chart=chart) if chart else []
    if chart is None:
        notes.append(
            gettext(
                "This chart had no version in force on %(day)s; its first took effect on %(first)s."
            )
            % {"day": day, "first": spans[0].first}
        )
    title = chart.title if chart else spans[-1].version.title
    return Report(
        title=title,
        columns=[
            ReportColumn("depth", _("level in the chart"), numeric=True),
            ReportColumn("position", _("position in the chart")),
            ReportColumn("holders", _("holders")),
            ReportColumn("parent", _("box above")),
        ],
        rows=chart_report_rows(rows),
        notes=notes,
        extra={
            "day": day,
            "chart": chart,
            "slug": slug,
            "tree": rules.nest(rows),
            "spans": spans,
            "upcoming": upcoming,
        },
    )


def chart_boxes(report: Report) -> list[Box]:
    """The vector image's boxes, from the report's own rows."""
    return [
        Box(depth=depth, title=position, lines=(holders,) if holders else ())
        for depth, position, holders, _parent in report.rows
    ]


def charts(*, user, on: dt.date | None = None, on_text: str = "") -> Report:
    day, notes = _day(on, on_text)
    found = selectors.charts_in_force(day=day)
    return Report(
        title=_("Organisation charts"),
        columns=[
            ReportColumn("slug", _("slug")),
            ReportColumn("title", _("chart title")),
            ReportColumn("kind", _("type of chart")),
            ReportColumn("effective_from", _("effective date")),
        ],
        rows=[(c.slug, c.title, c.get_kind_display(), c.effective_from) for c in found],
        notes=notes,
        extra={"day": day, "charts": found},
    )


# --- Working-group topics ---------------------------------------------------------------------------


def topics(*, user, period: Period) -> Report:
    """各部会の取組状況: each group's topics of the fiscal year, with status and date."""
    found = selectors.topics(start=period.first_day, end=period.last_day)
    return Report(
        title=_("Working groups' progress, %(year)s")
        % {"year": fiscal_year_label(period.fiscal_year)},
        columns=[
            ReportColumn("group", _("working group")),
            ReportColumn("theme", _("theme of the year")),
            ReportColumn("topic", _("discussion topic")),
            ReportColumn("status", _("status")),
            ReportColumn("meeting_date", _("meeting date")),
            ReportColumn("summary", _("discussion and decision")),
        ],
        rows=[
            (
                t.group.position,
                t.theme,
                t.title,
                t.get_status_display(),
                t.meeting_date,
                t.summary,
            )
            for t in found
        ],
        extra={"topics": found},
    )


# --- Software register --------------------------------------------------------------------------------


def software_register(*, user) -> Report:
    found = list(selectors.software_register(user=user))
    return Report(
        title=_("Register of approved learning software"),
        columns=[
            ReportColumn("school_code", _("school code")),
            ReportColumn("school", _("school")),
            ReportColumn("software", _("software")),
            ReportColumn("url", _("URL")),
            ReportColumn("google_sign_in", _("Google sign-in")),
            ReportColumn("conditions", _("conditions")),
            ReportColumn("decided_on", _("decided on")),
        ],
        rows=[
            (
                r.school.code,
                r.school.name,
                r.name,
                r.url,
                r.needs_google_sign_in,
                r.conditions,
                r.decided_on,
            )
            for r in found
        ],
        extra={"requests": found},
    )


# --- Acknowledgements ----------------------------------------------------------------------------------


def acknowledgements(*, user) -> Report:
    """How many schools have acknowledged each version they are asked to read."""
    targets = selectors.acknowledgement_targets()
    counts = selectors.acknowledgement_counts(user=user, targets=targets)
    return Report(
        title=_("Acknowledgements of the policy"),
        columns=[
            ReportColumn("document", _("document")),
            ReportColumn("version", _("version")),
            ReportColumn("effective_from", _("effective date")),
            ReportColumn("acknowledged", _("acknowledged"), numeric=True),
            ReportColumn("not_yet", _("not yet"), numeric=True),
            ReportColumn("schools", _("schools"), numeric=True),
        ],
        rows=[
            (
                v.document.title,
                v.label,
                v.effective_from,
                counts[v.pk][0],
                counts[v.pk][1] - counts[v.pk][0],
                counts[v.pk][1],
            )
            for v in targets
        ],
        extra={
            "lines": [
                (v, counts[v.pk][0], counts[v.pk][1] - counts[v.pk][0], counts[v.pk][1])
                for v in targets
            ]
        },
    )


def unacknowledged(*, user, pk: int) -> Report:
    """The schools that have not acknowledged a version yet (the leader reminds them)."""
    version = selectors.version_get(user=user, pk=pk)
    if not version.is_approved:
        raise Http404
    schools = list(selectors.schools_not_acknowledged(user=user, version=version))
    counts = selectors.acknowledgement_counts(user=user, targets=[version])[version.pk]
    return Report(
        title=_("Schools that have not acknowledged %(version)s") % {"version": version},
        columns=[
            ReportColumn("school_code", _("school code")),
            ReportColumn("school", _("school")),
            ReportColumn("email", _("contact e-mail")),
            ReportColumn("last_reminded", _("last reminded")),
        ],
        rows=[(s.code, s.name, s.email, s.last_reminded) for s in schools],
        extra={
            "version": version,
            "acknowledged": counts[0],
            "total": counts[1],
            "without_email": sum(1 for s in schools if not s.email),
        },
    )


# --- Registered --------------------------------------------------------------------------------------

POLICY = register(
    ReportSpec(
        slug="security.policy",
        title=_("Security policy in force"),
        build=policy,
        roles=ALL_ROLES,
        filters=DAY_FILTERS,
        template="security/policy_index.html",
        controls="security/_on_control.html",
        filename="security-policy",
    )
)
REVISION = register(
    ReportSpec(
        slug="security.revision",
        title=_("Policy revision and its reasons"),
        build=revision,
        roles=ALL_ROLES,
        filters=DAY_FILTERS,
        controls="security/_on_control.html",
        filename="security-policy-revision",
    )
)
ORGCHART = register(
    ReportSpec(
        slug="security.orgchart",
        title=_("Organisation chart"),
        build=orgchart,
        roles=ALL_ROLES,
        filters=DAY_FILTERS,
        template="security/orgchart.html",
        controls="security/_on_control.html",
        filename="security-orgchart",
    )
)
CHARTS = register(
    ReportSpec(
        slug="security.charts",
        title=_("Organisation charts"),
        build=charts,
        roles=ALL_ROLES,
        filters=DAY_FILTERS,
        template="security/chart_list.html",
        controls="security/_on_control.html",
        filename="security-charts",
    )
)
TOPICS = register(
    ReportSpec(
        slug="security.topics",
        title=_("Working groups' progress"),
        build=topics,
        period=PeriodKind.FISCAL_YEAR,
        months=selectors.topic_months,
        roles=STAFF_ROLES,
        template="security/topic_report.html",
        filename="security-topics",
    )
)
SOFTWARE_REGISTER = register(
    ReportSpec(
        slug="security.software_register",
        title=_("Register of approved learning software"),
        build=software_register,
        roles=ALL_ROLES,
        template="security/software_register.html",
        filename="security-software-register",
    )
)
ACKNOWLEDGEMENTS = register(
    ReportSpec(
        slug="security.acknowledgements",
        title=_("Acknowledgements of the policy"),
        build=acknowledgements,
        roles=LEADER_ROLES,
        template="security/acknowledgement_status.html",
        filename="security-acknowledgements",
    )
)
UNACKNOWLEDGED = register(
    ReportSpec(
        slug="security.unacknowledged",
        title=_("Schools that have not acknowledged"),
        build=unacknowledged,
        roles=LEADER_ROLES,
        template="security/unacknowledged.html",
        filename="security-unacknowledged",
    )
)

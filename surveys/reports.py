"""Survey reports: tallies by question and group, Likert shares, cross-tabulations,
top N, response rates and (for staff) the free-text answers. Each is a registered
ReportSpec: its page, chart, CSV/Excel downloads and `manage.py survey_report` print
the same rows, which the pure rules in surveys.tallies compute from the counts the
selectors read (a fixed number of queries whatever the number of responses).

The survey is named by `?survey=<short name>` (the newest the user may read when
absent); a school user reads only surveys with a school column, and sees their own
school's suppressed tallies beside the city's, never free text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from gigaportal import selectors as portal_selectors
from gigaportal.params import int_param
from gigaportal.reports import Period, PeriodKind, Report, ReportColumn, ReportSpec, register
from gigaportal.roles import ALL_ROLES
from gigaportal.scope import school_of
from surveys import recognize, selectors, tallies
from surveys.models import Kind, Question, RespondentGroup, Survey
from surveys.recognize import OTHER_OPTION

NAV = "surveys/_report_nav.html"
CONTROLS = "surveys/_report_controls.html"
TOP_MAX = 100


def survey_param(params: Mapping[str, str]) -> str | None:
    """A survey's short name, or None (anything else is a typing error, not a query:
    PostgreSQL refuses a NUL in a string)."""
    from surveys.services.imports import SLUG

    text = (params.get("survey") or "").strip()
    return text if SLUG.fullmatch(text) else None


def top_param(params: Mapping[str, str]) -> int | None:
    value = int_param(params, "top")
    return value if value and 1 <= value <= TOP_MAX else None


def n_param(params: Mapping[str, str]) -> int | None:
    value = int_param(params, "n")
    return value if value and 1 <= value <= TOP_MAX else None


def text_param(params: Mapping[str, str]) -> str:
    """A search's words: NFKC, no control characters, at most 100 characters."""
    import unicodedata

    text = unicodedata.normalize("NFKC", params.get("q") or "")
    text = "".join(ch for ch in text if ch.isprintable() or ch == " ")
    return text[:100].strip()


def _int(name: str):
    return lambda params: int_param(params, name)


SURVEY_FILTERS = {"survey": survey_param, "school": _int("school")}


# --- Shaping ---------------------------------------------------------------------------------------


def hidden_reason(reason: tallies.Reason, threshold: int) -> str:
    if reason is tallies.Reason.SMALL:
        return gettext("Not shown: fewer than %(n)s answers.") % {"n": threshold}
    return gettext("Not shown, so that a small group cannot be worked out from the others.")


def total_label() -> str:
    return gettext("All groups")


def city_label() -> str:
    return gettext("Whole city")


@dataclass
class Block:
    """One question's tally as a page shows it."""

    question: Question
    options: list  # Option objects in order (or codebook categories)
    tally: tallies.QuestionTally
    school_tally: tallies.QuestionTally | None = None
    polarity: dict = field(default_factory=dict)

    def option_text(self, key) -> str:
        if key == tallies.OTHER:
            return OTHER_OPTION
        return next((o.text for o in self.options if o.pk == key), "")

    def option_label(self, key) -> str:
        if key == tallies.OTHER:
            return OTHER_OPTION
        return next((o.display for o in self.options if o.pk == key), "")

    @property
    def is_scale(self) -> bool:
        return self.question.is_scale and bool(self.polarity)

    @property
    def stamp(self) -> str:
        """Changes with the question's kind, labels, order or polarity: the chart's
        cache key (its URL) changes with them."""
        updated = self.question.updated_at
        return f"{int(updated.timestamp())}" if updated else "0"

    def present(self, data: SurveyTally) -> None:
        """What the page's table of this question shows: answers down, the shown
        groups across (the school's first), "count (percent)" in each cell."""
        parts = []
        if self.school_tally is not None:
            parts += [
                (f"{data.school.name} {data.group_name(line.group)}", line)
                for line in self.school_tally.lines
            ]
            prefix = f"{city_label()} "
        else:
            prefix = ""
        parts += [(prefix + data.group_name(line.group), line) for line in self.tally.lines]
        shown = [(label, line) for label, line in parts if line.hidden is None]
        keys = [o.pk for o in self.options]
        if self.tally.top is not None:
            keys = [*self.tally.top.shown] + ([tallies.OTHER] if self.tally.top.has_other else [])
        self.headers = [(label, line.base) for label, line in shown]
        self.table = []
        for key in keys:
            cells = []
            for _label, line in shown:
                found = next(((c, p) for o, c, p in line.rows if o == key), None)
                cells.append(found)
            if any(cells):
                self.table.append((self.option_label(key), cells))
        self.hidden_lines = [
            (label, hidden_reason(line.hidden, data.threshold))
            for label, line in parts
            if line.hidden is not None
        ]


@dataclass
class SurveyTally:
    survey: Survey | None
    groups: list[RespondentGroup]
    blocks: list[Block]
    threshold: int
    school: Any = None
    top: int | None = None

    def group_name(self, key) -> str:
        if key is None:
            return total_label()
        return next((g.name for g in self.groups if g.pk == key), "")


def _school_for(user, school_pk: int | None):
    """The school whose tallies are shown beside the city's: a school user's own;
    for staff, the one asked for (any other school's for a school user is a 404)."""
    own = school_of(user)
    if own is not None:
        if school_pk and school_pk != own:
            raise Http404
        return user.school
    if school_pk:
        return portal_selectors.school_get(user=user, pk=school_pk)
    return None


def survey_tally(
    *, user, survey: str | None, school: int | None = None, top: int | None = None
) -> SurveyTally:
    """Every choice question (and coded free-text question) of the survey, by group,
    suppressed: nine queries whatever the number of responses."""
    found = selectors.survey_for_report(user=user, slug=survey)
    threshold = selectors.threshold()
    if found is None:
        return SurveyTally(None, [], [], threshold)
    school_obj = _school_for(user, school)
    groups = selectors.groups_of(found)
    questions = selectors.questions_of(found)
    counts = selectors.answer_counts(
        survey=found, questions=questions, school_id=school_obj.pk if school_obj else None
    )
    group_keys = [g.pk for g in groups]
    blocks = []
    for question in questions:
        if not question.counts_as_choice:
            continue
        options = list(question.options.all())
        if not options:
            continue
        keys = [o.pk for o in options]
        other = {o.pk for o in options if recognize.is_other(o.text)}

        def tally(ticks, bases, question=question, keys=keys, other=other):
            return tallies.tally_question(
                options=keys,
                groups=group_keys,
                counts={
                    (g, o): ticks[(question.pk, g, o)]
                    for g in group_keys
                    for o in keys
                    if (question.pk, g, o) in ticks
                },
                bases={g: bases[(question.pk, g)] for g in group_keys if (question.pk, g) in bases},
                threshold=threshold,
                with_total=True,
                top=top,
                is_other=lambda key: key in other,
            )

        block = Block(
            question=question,
            options=options,
            tally=tally(counts.ticks, counts.bases),
            school_tally=tally(counts.school_ticks, counts.school_bases) if school_obj else None,
            polarity={o.pk: o.polarity for o in options if o.polarity is not None},
        )
        if block.tally.lines:
            blocks.append(block)
    return SurveyTally(found, groups, blocks, threshold, school_obj, top)


def _notes(data: SurveyTally) -> list[str]:
    notes = [
        gettext(
            "Percent of the group's respondents who answered the question (for "
            "checkboxes, who ticked at least one answer, so percents may add up to more "
            "than 100), to one decimal, rounded half up."
        )
    ]
    for block in data.blocks:
        scoped = [(data.school, block.school_tally)] if block.school_tally else []
        for scope, tally in [*scoped, (None, block.tally)]:
            for line in tally.hidden:
                where = f"{scope.name} " if scope else ""
                notes.append(
                    f"{block.question.display}：{where}{data.group_name(line.group)}："
                    f"{hidden_reason(line.hidden, data.threshold)}"
                )
    return notes


def _survey_context(report: Report, data: SurveyTally, user) -> Report:
    extra = {
        "survey": data.survey,
        "data": data,
        "surveys": list(selectors.surveys_for(user)[:200]),
        "schools": list(portal_selectors.school_list(user=user)) if school_of(user) is None else [],
        "threshold": data.threshold,
    }
    period = Period.fiscal(data.survey.fiscal_year) if data.survey else None
    scope = data.school.name if data.school else ""
    return report.with_context(extra=extra, period=period, scope=scope)


def tally_rows(data: SurveyTally) -> list[tuple]:
    """`question,group,option,count,percent`: one row per choice question, shown
    group and option with at least one answer (the total after the groups); with a
    school, its rows first, each row led by whose it is."""
    rows = []
    scopes = []
    if data.school is not None:
        scopes.append((data.school.name, "school"))
        scopes.append((city_label(), "city"))
    for block in data.blocks:
        for scope_label, which in scopes or [(None, "city")]:
            tally = block.school_tally if which == "school" else block.tally
            for line in tally.shown:
                for option, count, pct in line.rows:
                    row = (
                        block.question.text,
                        data.group_name(line.group),
                        block.option_text(option),
                        count,
                        pct,
                    )
                    rows.append(row if scope_label is None else (scope_label, *row))
    return rows


def tally(*, user, survey=None, school=None, top=None) -> Report:
    data = survey_tally(user=user, survey=survey, school=school, top=top)
    columns = [
        ReportColumn("question", _("question")),
        ReportColumn("group", _("group")),
        ReportColumn("option", _("answer")),
        ReportColumn("count", _("count"), numeric=True),
        ReportColumn("percent", _("percent"), numeric=True),
    ]
    if data.school is not None:
        columns.insert(0, ReportColumn("scope", _("schools counted")))
    title = _("Survey results")
    if data.survey:
        title = gettext("%(survey)s: results") % {"survey": data.survey.title}
    for block in data.blocks:
        block.present(data)
    report = Report(title=title, columns=columns, rows=tally_rows(data), notes=_notes(data))
    return _survey_context(report, data, user)


# --- Charts ----------------------------------------------------------------------------------------


def _chart_lines(report: Report, block: Block):
    """(label, line) of every shown line the chart draws: the school's, then the city's."""
    data: SurveyTally = report.extra["data"]
    lines = []
    if block.school_tally is not None:
        for line in block.school_tally.shown:
            lines.append((f"{data.school.name} {data.group_name(line.group)}", line))
        prefix = f"{city_label()} "
    else:
        prefix = ""
    for line in block.tally.shown:
        lines.append((prefix + data.group_name(line.group), line))
    return lines


def question_chart(report: Report, *, question_pk: int, stamp: str = ""):
    """One question by group: a diverging stacked bar for an answer scale (negative
    left of zero, positive right, neutral centred, n beside every bar), else bars of
    percents. Drawn from the report's own rows."""
    from surveys import charts

    data: SurveyTally | None = report.extra.get("data")
    block = next((b for b in (data.blocks if data else []) if b.question.pk == question_pk), None)
    if block is None:
        raise Http404
    lines = _chart_lines(report, block)
    title = block.question.display
    if block.is_scale:
        ordered = [o.pk for o in block.options if o.pk in block.polarity]
        return charts.diverging_chart(
            title=title,
            bars=[
                (
                    label,
                    line.base,
                    [
                        (block.option_label(o), line_percent(line, o), block.polarity[o])
                        for o in ordered
                    ],
                )
                for label, line in lines
            ],
            suffix=gettext("n"),
        )
    keys = [o.pk for o in block.options]
    if block.tally.top is not None:
        keys = [*block.tally.top.shown, *([tallies.OTHER] if block.tally.top.has_other else [])]
    return charts.percent_bars(
        title=title,
        options=[block.option_label(k) for k in keys],
        series=[(label, line.base, [line_percent(line, k) for k in keys]) for label, line in lines],
        suffix=gettext("n"),
    )


def line_percent(line: tallies.Line, key) -> float:
    value = next((p for o, _c, p in line.rows if o == key), None)
    return float(value) if value is not None else 0.0


# --- Likert ---------------------------------------------------------------------------------------


def likert(*, user, survey=None, school=None) -> Report:
    """For every answer-scale question and group: n, and the shares of positive,
    neutral and negative answers (the same counts as the tally)."""
    data = survey_tally(user=user, survey=survey, school=school)
    data.blocks = [b for b in data.blocks if b.is_scale]
    rows = []
    scoped = data.school is not None
    for block in data.blocks:
        parts = []
        if scoped:
            parts.append((data.school.name, block.school_tally))
            parts.append((city_label(), block.tally))
        else:
            parts.append((None, block.tally))
        for scope_label, tally in parts:
            for line in tally.shown:
                shares = tallies.likert_shares(line, block.polarity)
                row = (
                    block.question.text,
                    data.group_name(line.group),
                    line.base,
                    shares.positive,
                    shares.neutral,
                    shares.negative,
                )
                rows.append(row if scope_label is None else (scope_label, *row))
    columns = [
        ReportColumn("question", _("question")),
        ReportColumn("group", _("group")),
        ReportColumn("n", _("respondents"), numeric=True),
        ReportColumn("positive", _("positive (%)"), numeric=True),
        ReportColumn("neutral", _("neutral (%)"), numeric=True),
        ReportColumn("negative", _("negative (%)"), numeric=True),
    ]
    if scoped:
        columns.insert(0, ReportColumn("scope", _("schools counted")))
    title = _("Answer scales by group")
    if data.survey:
        title = gettext("%(survey)s: answer scales by group") % {"survey": data.survey.title}
    for block in data.blocks:
        block.present(data)
    report = Report(title=title, columns=columns, rows=rows, notes=_notes(data))
    return _survey_context(report, data, user)


# --- Top N ------------------------------------------------------------------------------------------


def top(*, user, survey=None, question=None, n=None, group=None, school=None) -> Report:
    """The N most frequent answers of one question (all groups, or one), the rest in
    one その他 row, numbered as the papers number them, with the total below."""
    n = n or 10
    data = survey_tally(user=user, survey=survey, school=school, top=n)
    block = next((b for b in data.blocks if b.question.pk == question), None)
    if block is None and data.blocks:
        # Without a question: the one with the most answers beyond N (the papers'
        # requests), else the first.
        block = max(
            data.blocks, key=lambda b: (len(b.options) > n, b.question.kind == Kind.FREE_TEXT)
        )
    rows, footer, notes = [], [], []
    line = None
    if block is not None:
        tally = block.school_tally if block.school_tally is not None else block.tally
        if group:
            line = tally.line(group)
        else:
            line = tally.line(None) or (tally.lines[0] if tally.lines else None)
        if line is not None and line.hidden is None:
            for rank, (option, count, pct) in enumerate(line.rows, start=1):
                rows.append((rank, block.option_text(option), count, pct))
            footer.append(("", gettext("total"), line.base, None))
        elif line is not None:
            notes.append(hidden_reason(line.hidden, data.threshold))
    title = _("Most frequent answers")
    if block is not None:
        title = gettext("%(question)s: the %(n)s most frequent answers") % {
            "question": block.question.display,
            "n": n,
        }
    report = Report(
        title=title,
        columns=[
            ReportColumn("rank", _("No."), numeric=True),
            ReportColumn("option", _("answer")),
            ReportColumn("count", _("count"), numeric=True),
            ReportColumn("percent", _("percent"), numeric=True),
        ],
        rows=rows,
        footer=footer,
        notes=notes
        + [
            gettext(
                "The rest, and any answer その他, are counted together as その他. Percent of "
                "the respondents who answered."
            )
        ],
    )
    report = _survey_context(report, data, user)
    extra = dict(report.extra, block=block, n=n, group=group)
    return report.with_context(extra=extra)


# --- Cross-tabulation -------------------------------------------------------------------------------


def crosstab(*, user, survey=None, rows=None, columns=None, group=None, school=None) -> Report:
    """Respondents by the answers of two questions (e.g. 所属 × 事例の分類), small
    cells and those that would give them away hidden."""
    found = selectors.survey_for_report(user=user, slug=survey)
    threshold = selectors.threshold()
    school_obj = _school_for(user, school) if found else None
    questions = (
        [q for q in selectors.questions_of(found) if q.counts_as_choice and q.options.all()]
        if found
        else []
    )
    by_pk = {q.pk: q for q in questions}
    first = by_pk.get(rows) or (questions[0] if questions else None)
    second = by_pk.get(columns) or next((q for q in questions if q is not first), None)
    title = _("Cross-tabulation")
    report_rows, footer, notes, report_columns = [], [], [], [ReportColumn("row", _("answer"))]
    if first is not None and second is not None:
        counts = selectors.crosstab_counts(
            rows=first,
            columns=second,
            group_id=group if group else None,
            school_id=school_obj.pk if school_obj else None,
        )
        row_options = list(first.options.all())
        column_options = list(second.options.all())
        table = tallies.crosstab(
            rows=[o.pk for o in row_options],
            columns=[o.pk for o in column_options],
            cells=counts.cells,
            row_totals=counts.row_totals,
            column_totals=counts.column_totals,
            total=counts.total,
            threshold=threshold,
        )
        hidden = "*"
        report_columns = [ReportColumn("row", first.display)]
        report_columns += [
            ReportColumn(f"c{o.pk}", o.display, numeric=True) for o in column_options
        ]
        report_columns.append(ReportColumn("total", gettext("total"), numeric=True))
        for option in row_options:
            cells = [table.cell(option.pk, c.pk) for c in column_options]
            row_total = table.row_total(option.pk)
            if not row_total and not table.row_totals.get(option.pk):
                continue
            report_rows.append(
                (
                    option.display,
                    *(hidden if v is None else v for v in cells),
                    hidden if row_total is None else row_total,
                )
            )
        footer.append(
            (
                gettext("total"),
                *(
                    hidden if table.column_total(c.pk) is None else table.column_total(c.pk)
                    for c in column_options
                ),
                hidden if table.hidden_total else table.total,
            )
        )
        if table.hidden_cells or table.hidden_row_totals or table.hidden_column_totals:
            notes.append(
                gettext(
                    "*: not shown, because fewer than %(n)s respondents are in it or it "
                    "would give such a cell away."
                )
                % {"n": threshold}
            )
        notes.append(
            gettext("Respondents who answered both questions; %(who)s.")
            % {"who": school_obj.name if school_obj else gettext("every school")}
        )
        title = gettext("%(rows)s × %(columns)s") % {
            "rows": first.display,
            "columns": second.display,
        }
    report = Report(
        title=title, columns=report_columns, rows=report_rows, footer=footer, notes=notes
    )
    data = SurveyTally(
        found, selectors.groups_of(found) if found else [], [], threshold, school_obj
    )
    report = _survey_context(report, data, user)
    extra = dict(report.extra, questions=questions, first=first, second=second, group=group)
    return report.with_context(extra=extra)


# --- Response rates -----------------------------------------------------------------------------------


def rates(*, user, period: Period) -> Report:
    """Responses against the people asked, by survey and group, for a fiscal year."""
    surveys = list(selectors.surveys_for(user).filter(fiscal_year=period.fiscal_year))
    groups = list(RespondentGroup.objects.filter(survey__in=[s.pk for s in surveys]))
    counts = selectors.response_counts(surveys=surveys)
    rows = []
    for survey in surveys:
        mine = [g for g in groups if g.survey_id == survey.pk]
        total = 0
        for group in mine:
            n = counts.get((survey.pk, group.pk), 0)
            total += n
            if len(mine) > 1:
                rows.append(
                    (
                        survey.title,
                        group.name,
                        group.target_population,
                        n,
                        tallies.percent(n, group.target_population or 0),
                    )
                )
        target = survey.target_population or sum(g.target_population or 0 for g in mine) or None
        rows.append(
            (
                survey.title,
                total_label() if len(mine) > 1 else (mine[0].name if mine else ""),
                target,
                total,
                tallies.percent(total, target or 0),
            )
        )
    return Report(
        title=_("Survey response rates"),
        columns=[
            ReportColumn("survey", _("survey")),
            ReportColumn("group", _("group")),
            ReportColumn("asked", _("people asked"), numeric=True),
            ReportColumn("responses", _("responses"), numeric=True),
            ReportColumn("rate", _("response rate (%)"), numeric=True),
        ],
        rows=rows,
        notes=[gettext("The response rate is responses ÷ people asked, to one decimal.")],
    )


# --- Free text (staff) ------------------------------------------------------------------------------------


def free_text(*, user, survey=None, question=None, q="") -> Report:
    found = selectors.survey_for_report(user=user, slug=survey)
    answers = (
        selectors.survey_text_answers(user=user, survey=found, question_id=question)
        if found
        else []
    )
    if q:
        for word in q.split():
            answers = answers.filter(text__icontains=word)
    rows = [
        (
            a.question.text,
            a.group.name,
            a.school.name if a.school else "",
            a.text,
            a.code.text if a.code else "",
        )
        for a in answers[:50_000]
    ]
    title = _("Free-text answers")
    if found:
        title = gettext("%(survey)s: free-text answers") % {"survey": found.title}
    report = Report(
        title=title,
        columns=[
            ReportColumn("question", _("question")),
            ReportColumn("group", _("group")),
            ReportColumn("school", _("school")),
            ReportColumn("answer", _("answer")),
            ReportColumn("category", pgettext_lazy("survey coding", "category")),
        ],
        rows=rows,
        notes=[gettext("Free-text answers are shown to center staff only.")],
    )
    data = SurveyTally(found, [], [], selectors.threshold())
    return _survey_context(report, data, user)


# --- Registered -------------------------------------------------------------------------------------------

survey_spec_defaults = {"roles": ALL_ROLES, "nav": NAV, "controls": CONTROLS}

TALLY = register(
    ReportSpec(
        slug="surveys.tally",
        title=_("Survey results"),
        build=tally,
        filters={**SURVEY_FILTERS, "top": top_param},
        chart=question_chart,
        template="surveys/tally_report.html",
        filename="survey-tally",
        **survey_spec_defaults,
    )
)
LIKERT = register(
    ReportSpec(
        slug="surveys.likert",
        title=_("Answer scales by group"),
        build=likert,
        filters=SURVEY_FILTERS,
        chart=question_chart,
        template="surveys/likert_report.html",
        filename="survey-scales",
        **survey_spec_defaults,
    )
)
TOP = register(
    ReportSpec(
        slug="surveys.top",
        title=_("Most frequent answers"),
        build=top,
        filters={
            **SURVEY_FILTERS,
            "question": _int("question"),
            "n": n_param,
            "group": _int("group"),
        },
        filename="survey-top",
        **{**survey_spec_defaults, "controls": "surveys/_top_controls.html"},
    )
)
CROSSTAB = register(
    ReportSpec(
        slug="surveys.crosstab",
        title=_("Cross-tabulation"),
        build=crosstab,
        filters={
            **SURVEY_FILTERS,
            "rows": _int("rows"),
            "columns": _int("columns"),
            "group": _int("group"),
        },
        filename="survey-crosstab",
        **{**survey_spec_defaults, "controls": "surveys/_crosstab_controls.html"},
    )
)
RATES = register(
    ReportSpec(
        slug="surveys.rates",
        title=_("Survey response rates"),
        build=rates,
        period=PeriodKind.FISCAL_YEAR,
        months=selectors.survey_months,
        roles=ALL_ROLES,
        nav=NAV,
        filename="survey-response-rates",
    )
)
FREE_TEXT = register(
    ReportSpec(
        slug="surveys.free_text",
        title=_("Free-text answers"),
        build=free_text,
        filters={"survey": survey_param, "question": _int("question"), "q": text_param},
        nav=NAV,
        controls="surveys/_free_text_controls.html",
        filename="survey-free-text",
    )
)

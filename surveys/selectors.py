"""Reads for surveys. Every selector of rows a user sees takes the user: center staff
and administrators read every survey; a school user only a survey with a school
column, and of its answers only counts (their school's, and the city's); free-text
answers only center staff and administrators. Tally selectors are set-based: a fixed
number of queries whatever the number of questions and responses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.http import Http404

from gigaportal.roles import STAFF_ROLES
from gigaportal.scope import school_of, sees_all_schools
from surveys.models import (
    Answer,
    Kind,
    Question,
    RespondentGroup,
    Response,
    Survey,
    SurveysSettings,
    TextAnswer,
)


def reads_free_text(user) -> bool:
    """Free-text answers may name pupils: center staff and administrators only."""
    return bool(user.is_authenticated and user.is_active and user.role in STAFF_ROLES)


def surveys_for(user) -> QuerySet[Survey]:
    """The surveys the user may read: all for staff; for a school user, those with a
    school column (answers tied to schools); none for anybody else."""
    if sees_all_schools(user):
        return Survey.objects.all()
    if school_of(user) is not None:
        return Survey.objects.filter(
            pk__in=Question.objects.filter(kind=Kind.SCHOOL).values("survey_id")
        )
    return Survey.objects.none()


def survey_list(*, user) -> list[Survey]:
    """With each survey's number of responses (two queries)."""
    surveys = list(surveys_for(user))
    counts = dict(
        Response.objects.filter(survey__in=[s.pk for s in surveys])
        .values("survey_id")
        .annotate(n=Count("id"))
        .values_list("survey_id", "n")
    )
    for survey in surveys:
        survey.response_count = counts.get(survey.pk, 0)
    return surveys


def survey_get(*, user, slug: str) -> Survey:
    """A survey the user may read; any other is a 404 (its existence not admitted)."""
    survey = surveys_for(user).filter(slug=str(slug)[:60]).first()
    if survey is None:
        raise Http404
    return survey


def survey_for_report(*, user, slug: str | None) -> Survey | None:
    """The survey a report names (a 404 for one the user may not read), else the
    newest the user may read, else None."""
    if slug:
        return survey_get(user=user, slug=slug)
    return surveys_for(user).first()


def survey_months(*, user):
    """The months surveys opened in, for the response-rate report's picker."""
    from gigaportal.dates import months_in_window

    days = surveys_for(user).exclude(opens_on=None).values_list("opens_on", flat=True)
    return months_in_window(days)


def threshold() -> int:
    return SurveysSettings.load().suppression_threshold


def groups_of(survey: Survey) -> list[RespondentGroup]:
    return list(RespondentGroup.objects.filter(survey=survey))


def questions_of(survey: Survey) -> list[Question]:
    """With their options (two queries)."""
    return list(Question.objects.filter(survey=survey).prefetch_related("options"))


def question_get(*, user, survey: Survey, pk) -> Question:
    try:
        return Question.objects.prefetch_related("options").get(survey=survey, pk=int(pk))
    except (Question.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def school_has_answers(*, survey: Survey, school_id: int) -> bool:
    return Response.objects.filter(survey=survey, school_id=school_id).exists()


@dataclass(frozen=True)
class Counts:
    """A survey's ticks and respondents by question and group, in total and for one
    school (when asked). Keys: (question id, group id, option id) and (question id,
    group id)."""

    ticks: dict[tuple[int, int, int], int]
    bases: dict[tuple[int, int], int]
    school_ticks: dict[tuple[int, int, int], int]
    school_bases: dict[tuple[int, int], int]


def answer_counts(
    *, survey: Survey, questions: Sequence[Question], school_id: int | None = None
) -> Counts:
    """At most three GROUP BY queries, whatever the survey's size: ticked options,
    coded free-text answers, and the respondents of checkbox questions (those who
    ticked at least one option). A single-answer question's respondents are its
    ticks, so they need no query of their own. With `school_id`, the school's are
    counted in the same queries."""
    choice_ids = [q.pk for q in questions if q.is_choice]
    multiple_ids = [q.pk for q in questions if q.is_choice and q.multiple]
    coded_ids = [q.pk for q in questions if q.kind == Kind.FREE_TEXT]
    measures = {"n": Count("*")}
    if school_id is not None:
        measures["s"] = Count("pk", filter=Q(school_id=school_id))
    ticks: dict = {}
    school_ticks: dict = {}
    bases: dict = {}
    school_bases: dict = {}
    sources = (
        (Answer.objects.filter(question_id__in=choice_ids), "option_id"),
        (TextAnswer.objects.filter(question_id__in=coded_ids, code__isnull=False), "code_id"),
    )
    for queryset, option_field in sources:
        rows = (
            queryset.values("question_id", "group_id", option_field).annotate(**measures).order_by()
        )
        for row in rows:
            key = (row["question_id"], row["group_id"], row[option_field])
            base = key[:2]
            ticks[key] = row["n"]
            bases[base] = bases.get(base, 0) + row["n"]
            if school_id is not None and row["s"]:
                school_ticks[key] = row["s"]
                school_bases[base] = school_bases.get(base, 0) + row["s"]
    if multiple_ids:
        for key in [k for k in bases if k[0] in set(multiple_ids)]:
            bases.pop(key, None)
            school_bases.pop(key, None)
        for question_id, group_id, n, s in _respondents_of(multiple_ids, school_id):
            bases[(question_id, group_id)] = n
            if s:
                school_bases[(question_id, group_id)] = s
    return Counts(ticks, bases, school_ticks, school_bases)


def _respondents_of(question_ids: Sequence[int], school_id: int | None):
    """(question, group, respondents, the school's respondents) of checkbox
    questions: DISTINCT responses first, then counted (a hash aggregate rather than a
    sorting COUNT(DISTINCT) over millions of ticks)."""
    q = connection.ops.quote_name
    table = q(Answer._meta.db_table)
    marks = ", ".join(["%s"] * len(question_ids))
    school = "SUM(CASE WHEN d.school_id = %s THEN 1 ELSE 0 END)" if school_id is not None else "0"
    params: list = [school_id] if school_id is not None else []
    params += list(question_ids)
    sql = (
        f"SELECT d.question_id, d.group_id, COUNT(*), {school} FROM ("
        f"SELECT DISTINCT {q('question_id')} AS question_id, {q('group_id')} AS group_id, "
        f"{q('response_id')} AS response_id, {q('school_id')} AS school_id FROM {table} "
        f"WHERE {q('question_id')} IN ({marks})) d GROUP BY d.question_id, d.group_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def response_counts(*, surveys: Sequence[Survey]) -> dict[tuple[int, int], int]:
    """Responses by (survey id, group id), one query."""
    return {
        (row["survey_id"], row["group_id"]): row["n"]
        for row in Response.objects.filter(survey__in=[s.pk for s in surveys])
        .values("survey_id", "group_id")
        .annotate(n=Count("id"))
        .order_by()
    }


def uncoded_count(question: Question) -> int:
    return TextAnswer.objects.filter(question=question, code__isnull=True).count()


# --- Cross-tabulation -----------------------------------------------------------------------


def _answers_sql(question: Question, group_id: int | None, school_id: int | None):
    """(response_id, option_id) of a question's answers: ticked options, or the codes
    of a coded free-text question."""
    q = connection.ops.quote_name
    if question.kind == Kind.FREE_TEXT:
        table, option = TextAnswer._meta.db_table, "code_id"
        where = [f"{q('question_id')} = %s", f"{q(option)} IS NOT NULL"]
    else:
        table, option = Answer._meta.db_table, "option_id"
        where = [f"{q('question_id')} = %s"]
    params: list = [question.pk]
    if group_id is not None:
        where.append(f"{q('group_id')} = %s")
        params.append(group_id)
    if school_id is not None:
        where.append(f"{q('school_id')} = %s")
        params.append(school_id)
    sql = (
        f"SELECT {q('response_id')} AS response_id, {q(option)} AS option_id "
        f"FROM {q(table)} WHERE {' AND '.join(where)}"
    )
    return sql, params


@dataclass(frozen=True)
class CrossCounts:
    cells: dict[tuple[int, int], int]
    row_totals: dict[int, int]
    column_totals: dict[int, int]
    total: int


def crosstab_counts(
    *, rows: Question, columns: Question, group_id: int | None = None, school_id: int | None = None
) -> CrossCounts:
    """Respondents by the options of two questions, among those who answered both:
    four queries whatever the number of responses."""
    a_sql, a_params = _answers_sql(rows, group_id, school_id)
    b_sql, b_params = _answers_sql(columns, group_id, school_id)
    params = a_params + b_params
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT a.option_id, b.option_id, COUNT(DISTINCT a.response_id) "
            f"FROM ({a_sql}) a JOIN ({b_sql}) b ON a.response_id = b.response_id "
            f"GROUP BY a.option_id, b.option_id",
            params,
        )
        cells = {(r, c): n for r, c, n in cursor.fetchall()}
        cursor.execute(
            f"SELECT a.option_id, COUNT(DISTINCT a.response_id) FROM ({a_sql}) a "
            f"WHERE a.response_id IN (SELECT b.response_id FROM ({b_sql}) b) GROUP BY a.option_id",
            params,
        )
        row_totals = dict(cursor.fetchall())
        cursor.execute(
            f"SELECT b.option_id, COUNT(DISTINCT b.response_id) FROM ({b_sql}) b "
            f"WHERE b.response_id IN (SELECT a.response_id FROM ({a_sql}) a) GROUP BY b.option_id",
            b_params + a_params,
        )
        column_totals = dict(cursor.fetchall())
        cursor.execute(
            f"SELECT COUNT(DISTINCT a.response_id) FROM ({a_sql}) a "
            f"WHERE a.response_id IN (SELECT b.response_id FROM ({b_sql}) b)",
            params,
        )
        total = cursor.fetchone()[0] or 0
    return CrossCounts(cells, row_totals, column_totals, total)


# --- Free text (staff only) --------------------------------------------------------------------


def text_answers(
    *,
    user,
    question: Question,
    query: str = "",
    uncoded_only: bool = False,
    code_id: int | None = None,
) -> QuerySet[TextAnswer]:
    """A free-text question's answers, for center staff and administrators only."""
    if not reads_free_text(user):
        return TextAnswer.objects.none()
    answers = (
        TextAnswer.objects.filter(question=question)
        .select_related("group", "school", "code")
        .order_by("group__order", "response__row_number", "pk")
    )
    if uncoded_only:
        answers = answers.filter(code__isnull=True)
    if code_id:
        answers = answers.filter(code_id=code_id)
    for word in query.split():
        answers = answers.filter(text__icontains=word)
    return answers


def survey_text_answers(*, user, survey: Survey, question_id: int | None = None):
    """Every free-text answer of a survey (or of one question), staff only."""
    if not reads_free_text(user):
        return TextAnswer.objects.none()
    answers = TextAnswer.objects.filter(
        question__survey=survey, question__kind=Kind.FREE_TEXT
    ).select_related("question", "group", "school", "code")
    if question_id:
        answers = answers.filter(question_id=question_id)
    return answers.order_by("question__position", "group__order", "response__row_number")

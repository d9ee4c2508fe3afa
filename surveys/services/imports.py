"""The import of a Google Forms export (one respondent group's file) and its preview.

Both read the file the same way (surveys/services/reading.py), in two passes whose
memory does not grow with the file: pass 1 (`read_export`) keeps each column's
distinct answers (bounded), from which the columns are recognised
(`recognize_export`); pass 2 (`check_and_write`) reads the file again, checks every
cell and, for the import, hands the responses to the writer a chunk at a time. The
preview runs both passes without the writes, so it shows exactly what the import will
store.

Both run as import batches (gigaportal.imports): the preview (PREVIEW_KIND) writes
nothing but its batch, which keeps the upload for the import; the import (IMPORT_KIND):
the same file a second time changes nothing, a file with any bad row is refused whole
with row numbers, and the change log gets one entry for the batch. A large file is
handled by a worker either way, the browser following its progress.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal import calendar, imports
from gigaportal.bulk import insert_rows
from gigaportal.imports import ImportResult
from gigaportal.tabular import CellError, ErrorCollector, TabularError, normalize
from surveys import recognize
from surveys.models import (
    Answer,
    Kind,
    Option,
    Question,
    RespondentGroup,
    Response,
    Survey,
    TextAnswer,
)
from surveys.recognize import ColumnGuess
from surveys.services.reading import (
    CACHE_MAX,
    Pass,
    Recognised,
    check_and_write,
    read_export,
    recognize_export,
    too_many_messages,
)

IMPORT_KIND = "survey_responses"
PREVIEW_KIND = "survey_preview"
# Options of a column the preview names (the page shows ten and "…").
PREVIEW_OPTIONS = 11
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
# Paths of the survey pages that a short name must not take.
RESERVED_SLUGS = frozenset({"import", "results", "scales", "top", "crosstab", "rates", "free-text"})
DEFAULT_GROUP = "回答者"
# Sheets names a CSV download "<form title>（回答） - フォームの回答 1.csv".
_SHEET_SUFFIX = re.compile(
    r"\s*[（(](回答|Responses)[)）].*$|\s*-\s*(フォームの回答|Form Responses).*$"
)


def title_from_file_name(name: str) -> str:
    """The form's title in a Sheets download's file name, else the name's stem."""
    stem = re.sub(r"\.(csv|xlsx)$", "", (name or "").rsplit("/", 1)[-1], flags=re.IGNORECASE)
    return _SHEET_SUFFIX.sub("", normalize(stem)).strip()[:200]


@dataclass(frozen=True)
class ImportOptions:
    survey: str
    title: str = ""
    fiscal_year: int | None = None
    group: str = ""
    file_name: str = ""
    # Kinds a person chose in the preview, by question text.
    kinds: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, options: Mapping[str, Any] | None) -> ImportOptions:
        """The batch's options, checked (a command or a forged form may send anything)."""
        options = options or {}
        slug = str(options.get("survey") or "").strip()
        if not SLUG.fullmatch(slug) or slug in RESERVED_SLUGS:
            raise TabularError.single(
                _(
                    "The survey's short name must be lower-case letters, digits and "
                    "hyphens (e.g. ict-2022)."
                )
            )
        year = options.get("fiscal_year")
        if year in ("", None):
            year = None
        else:
            try:
                year = int(year)
            except (TypeError, ValueError):
                year = 0
            if year not in range(2000, 2101):
                raise TabularError.single(_("The fiscal year must be between 2000 and 2100."))
        group = normalize(str(options.get("group") or ""))[:60]
        kinds = options.get("kinds") or {}
        allowed = {k.value for k in recognize.Kind}
        if not isinstance(kinds, Mapping):
            kinds = {}
        return cls(
            survey=slug,
            title=normalize(str(options.get("title") or ""))[:200],
            fiscal_year=year,
            group=group,
            file_name=str(options.get("file_name") or "")[-255:],
            kinds={str(k): str(v) for k, v in kinds.items() if str(v) in allowed},
        )


# --- The preview -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewColumn:
    """A column as the preview shows it (plain values: a preview is kept on its batch)."""

    position: int
    header: str
    key: str
    kind: str
    kept: bool  # the survey already has this question: its kind is kept
    multiple: bool = False
    grid_title: str = ""
    grid_row: str = ""
    answered: int = 0
    distinct: int = 0
    many: bool = False
    options: tuple[str, ...] = ()  # the first PREVIEW_OPTIONS
    option_count: int = 0
    positive: tuple[str, ...] = ()  # a scale's positive answers
    sample: str = ""  # the most common answer of a column without options

    @property
    def kind_label(self) -> str:
        return str(Kind(self.kind).label)

    @classmethod
    def of(cls, guess: ColumnGuess, *, kept: bool) -> PreviewColumn:
        return cls(
            position=guess.position,
            header=guess.header,
            key=guess.key,
            kind=guess.kind.value,
            kept=kept,
            multiple=guess.multiple,
            grid_title=guess.grid_title,
            grid_row=guess.grid_row,
            answered=guess.answered,
            distinct=guess.distinct,
            many=guess.many,
            options=tuple(guess.options[:PREVIEW_OPTIONS]),
            option_count=len(guess.options),
            positive=tuple(guess.scale.positive()) if guess.scale else (),
            sample=(guess.samples[0][:200] if guess.samples and not guess.options else ""),
        )


@dataclass(frozen=True)
class Preview:
    survey: str
    title: str
    group: str
    new_survey: bool
    group_exists: bool
    replaces: int
    rows: int
    columns: list[PreviewColumn]
    errors: list[str]
    encoding: str

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_details(self) -> dict[str, Any]:
        details = dataclasses.asdict(self)
        return details

    @classmethod
    def from_details(cls, details: Mapping[str, Any]) -> Preview:
        """A preview kept on its batch (see to_details)."""
        names = {f.name for f in dataclasses.fields(PreviewColumn)}
        columns = [
            PreviewColumn(
                **{
                    k: tuple(v) if isinstance(v, list) else v
                    for k, v in column.items()
                    if k in names
                }
            )
            for column in details.get("columns", [])
        ]
        values = {f.name: details.get(f.name) for f in dataclasses.fields(cls)}
        values.update(columns=columns, errors=list(details.get("errors") or []))
        return cls(**values)


def survey_import_preview(*, file: IO[bytes], options: Mapping[str, Any], progress=None) -> Preview:
    """What the import of `file` would do, without writing anything: the recognised
    columns, the rows, the responses it would replace, and every problem found. It
    reads the file as the import does (both passes, without the writes). Raises
    TabularError when the file cannot be read at all."""
    parsed = ImportOptions.parse(options)
    survey = Survey.objects.filter(slug=parsed.survey).first()
    export = read_export(file, progress)
    recognised = recognize_export(export, survey=survey, kinds=parsed.kinds)
    check_and_write(export, recognised, progress=progress)
    group_name = _group_name(parsed, survey)
    group = (
        RespondentGroup.objects.filter(survey=survey, name=group_name).first()
        if survey and group_name
        else None
    )
    errors = sorted(export.errors.errors, key=lambda error: error.row)
    messages = too_many_messages(recognised) + [str(e) for e in errors]
    if export.errors.more:
        messages.append(_("… and %(count)s more errors.") % {"count": export.errors.more})
    if survey is not None and not group_name:
        messages.append(_group_required_message())
    return Preview(
        survey=parsed.survey,
        title=parsed.title,
        group=parsed.group,
        new_survey=survey is None,
        group_exists=group is not None,
        replaces=Response.objects.filter(group=group).count() if group else 0,
        rows=export.rows,
        columns=[
            PreviewColumn.of(g, kept=g.key in recognised.existing) for g in recognised.guesses
        ],
        errors=messages,
        encoding=export.encoding,
    )


def survey_import_check(*, file: IO[bytes], by, options=None, progress=None) -> ImportResult:
    """The preview as an import batch's run (PREVIEW_KIND: gigaportal.imports runs it
    while the browser waits or by a worker, and keeps the result on its batch)."""
    preview = survey_import_preview(file=file, options=options or {}, progress=progress)
    return ImportResult(created=preview.rows, details=preview.to_details())


def _group_name(options: ImportOptions, survey: Survey | None) -> str:
    """The group named, else the survey's only group, else the default for a new
    survey; "" when the survey has several groups and none was named."""
    if options.group:
        return options.group
    if survey is None:
        return DEFAULT_GROUP
    names = list(survey.groups.values_list("name", flat=True)[:2])
    if len(names) == 1:
        return names[0]
    return "" if names else DEFAULT_GROUP


def _group_required_message() -> str:
    return _("This survey has several respondent groups: name the group these answers are from.")


# --- The import ----------------------------------------------------------------------------------------


def survey_import(*, file: IO[bytes], by, options=None, progress=None) -> ImportResult:
    """Imports one group's answers (an import batch's run; see gigaportal.imports).

    1. Pass 1 reads the file (the shared reader) and keeps each column's distinct
       answers, bounded (ColumnValues), never its rows.
    2. Recognise the columns (kinds, options, scales, grid rows); the survey's
       existing questions keep their kind and option order.
    3. In one transaction: create the survey on its first import and the group, add
       new questions and options, delete the group's earlier responses and answers
       (importing a group again replaces it); pass 2 reads the file again, checks
       every cell (timestamps, schools, numbers, options) and inserts the responses
       and their answers CHUNK_ROWS responses at a time. A file with any problem is
       refused whole with row numbers (the transaction is rolled back). Codes given to
       free-text answers are kept for answers whose text is unchanged.
    """
    parsed = ImportOptions.parse(options)
    survey = Survey.objects.filter(slug=parsed.survey).first()
    export = read_export(file, progress)
    recognised = recognize_export(export, survey=survey, kinds=parsed.kinds)
    group_name = _group_name(parsed, survey)
    refusals = too_many_messages(recognised)
    if not group_name:
        refusals.append(_group_required_message())
    if refusals or export.errors:
        # Refused already: the second pass only finds the rows' other problems.
        check_and_write(export, recognised, progress=progress)
        _refuse(export.errors, refusals)

    with transaction.atomic():
        survey, created = _survey_for(parsed, survey)
        group = _group_for(survey, group_name)
        questions = _questions_for(survey, recognised)
        options_of = _options_for(questions, recognised)
        kept_codes = {
            (question_id, text): code_id
            for question_id, text, code_id in TextAnswer.objects.filter(
                group=group, code__isnull=False
            ).values_list("question_id", "text", "code_id")
        }
        replaced = Response.objects.filter(group=group).count()
        Answer.objects.filter(group=group).delete()
        TextAnswer.objects.filter(group=group).delete()
        Response.objects.filter(group=group).delete()
        write = _writer(survey, group, recognised, questions, options_of, kept_codes)
        found = check_and_write(export, recognised, write=write, progress=progress)
        _refuse(export.errors, [])
        _survey_period(survey, parsed, found, created=created)
        RespondentGroup.objects.filter(pk=group.pk).update(
            file_name=parsed.file_name, imported_at=timezone.now()
        )
    new = sum(1 for g in recognised.guesses if g.key not in recognised.existing)
    return ImportResult(
        created=found.rows,
        details={
            "survey": survey.slug,
            "title": survey.title,
            "group": group.name,
            "questions": len(recognised.guesses),
            "new_questions": new,
            "replaced": replaced,
        },
    )


def _refuse(errors: ErrorCollector, messages: Sequence[str]) -> None:
    """Raises TabularError with the file's problems by row (after `messages`, which
    are about the whole file), if there are any."""
    for message in reversed(messages):
        errors.errors.insert(0, CellError(0, "", message))
    errors.errors.sort(key=lambda error: error.row)
    errors.raise_if_any()


def _writer(survey, group, recognised, questions, options_of, kept_codes):
    """write(chunk) for check_and_write: a chunk's responses, then their answers and
    free-text answers (by the responses' ids, read back for the chunk's rows only);
    nothing per row hits the database."""
    choice_columns = []
    text_columns = []
    for guess in recognised.guesses:
        question = questions[guess.key]
        column = guess.position - 1
        if guess.is_choice:
            choice_columns.append((column, question.pk, options_of[question.pk], {}))
        elif guess.kind in (recognize.Kind.FREE_TEXT, recognize.Kind.NUMBER):
            text_columns.append((column, question.pk, guess.kind is recognize.Kind.NUMBER))
    survey_id, group_id = survey.pk, group.pk
    # A datetime in the database's own form (SQLite keeps UTC text).
    adapt = connection.ops.adapt_datetimefield_value

    def option_ids(ids: Mapping[str, int], known: dict, pieces: tuple[str, ...]):
        found = known.get(pieces)
        if found is None:
            if len(known) >= CACHE_MAX:
                known.clear()
            found = known[pieces] = tuple(dict.fromkeys(ids[p] for p in pieces if p in ids))
        return found

    def write(chunk: list[tuple]) -> None:
        insert_rows(
            Response,
            ["survey", "group", "row_number", "submitted_at", "school"],
            ((survey_id, group_id, row[0], adapt(row[1]), row[2]) for row in chunk),
        )
        response_of = dict(
            Response.objects.filter(
                group_id=group_id, row_number__gte=chunk[0][0], row_number__lte=chunk[-1][0]
            ).values_list("row_number", "id")
        )

        def answers():
            for number, _submitted, school, cells, checked in chunk:
                response = response_of[number]
                for column, question_id, ids, known in choice_columns:
                    if cells[column]:
                        for option_id in option_ids(ids, known, checked[column]):
                            yield (response, question_id, option_id, group_id, school)

        def texts():
            for number, _submitted, school, cells, checked in chunk:
                response = response_of[number]
                for column, question_id, is_number in text_columns:
                    value = cells[column]
                    if value:
                        amount = checked.get(column) if is_number else None
                        code = None if is_number else kept_codes.get((question_id, value))
                        yield (response, question_id, group_id, school, value, amount, code)

        insert_rows(
            Answer, ["response", "question", "option", "group", "school"], answers(), integers=True
        )
        insert_rows(
            TextAnswer,
            ["response", "question", "group", "school", "text", "number", "code"],
            texts(),
        )

    return write


def _survey_for(options: ImportOptions, survey: Survey | None) -> tuple[Survey, bool]:
    """The survey, locked, created on its first import (its fiscal year and answer
    period are set from the timestamps once they are read: _survey_period)."""
    if survey is None:
        survey, created = Survey.objects.get_or_create(
            slug=options.survey,
            defaults={
                "title": options.title or options.survey,
                "fiscal_year": options.fiscal_year or calendar.fiscal_year(timezone.localdate()),
            },
        )
        if created:
            return survey, True
    return Survey.objects.select_for_update().get(pk=survey.pk), False


def _survey_period(survey: Survey, options: ImportOptions, found: Pass, *, created: bool) -> None:
    """A new survey's fiscal year (unless given) and answer period from the file's
    timestamps; an existing survey without a period gets the file's."""
    first = found.first.astimezone(recognize.TOKYO).date() if found.first else None
    last = found.last.astimezone(recognize.TOKYO).date() if found.last else None
    if created:
        changes = {"opens_on": first, "closes_on": last}
        if not options.fiscal_year and first:
            changes["fiscal_year"] = calendar.fiscal_year(first)
        Survey.objects.filter(pk=survey.pk).update(**changes)
        for name, value in changes.items():
            setattr(survey, name, value)
    elif survey.opens_on is None and survey.closes_on is None and first:
        Survey.objects.filter(pk=survey.pk).update(opens_on=first, closes_on=last)


def _group_for(survey: Survey, name: str) -> RespondentGroup:
    group = RespondentGroup.objects.filter(survey=survey, name=name).first()
    if group is None:
        order = RespondentGroup.objects.filter(survey=survey).count()
        group = RespondentGroup.objects.create(survey=survey, name=name, order=order)
    return group


def _questions_for(survey: Survey, recognised: Recognised) -> dict[str, Question]:
    """The survey's question for every recognised column; new ones in bulk, in the
    file's order after the survey's existing questions."""
    questions = dict(recognised.existing)
    start = Question.objects.filter(survey=survey).aggregate(m=Max("position"))["m"] or 0
    fresh = []
    for guess in recognised.guesses:
        if guess.key in questions:
            continue
        fresh.append(
            Question(
                survey=survey,
                position=start + guess.position if start else guess.position,
                header=guess.header[:10_000],
                text=guess.key,
                kind=guess.kind.value,
                multiple=guess.multiple,
                grid_title=guess.grid_title,
                grid_row=guess.grid_row[:200],
                is_scale=guess.scale is not None,
            )
        )
    Question.objects.bulk_create(fresh)
    for question in Question.objects.filter(survey=survey, text__in=[q.text for q in fresh]):
        questions[question.text] = question
    return questions


def _options_for(
    questions: Mapping[str, Question], recognised: Recognised
) -> dict[int, dict[str, int]]:
    """Option ids by text for every choice question, creating the new ones (after
    the question's existing options; a scale's polarity on a new scale question)."""
    choice = {g.key: g for g in recognised.guesses if g.is_choice}
    ids = {questions[key].pk for key in choice}
    existing: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    orders: dict[int, int] = dict.fromkeys(ids, 0)
    for pk, question_id, text, order in Option.objects.filter(question_id__in=ids).values_list(
        "pk", "question_id", "text", "order"
    ):
        existing[question_id][text] = pk
        orders[question_id] = max(orders[question_id], order + 1)
    fresh = []
    for key, guess in choice.items():
        question = questions[key]
        polarity = guess.scale.polarity if guess.scale else {}
        for text in guess.options:
            if text in existing[question.pk]:
                continue
            fresh.append(
                Option(
                    question=question,
                    text=text,
                    order=orders[question.pk],
                    polarity=int(polarity[text]) if text in polarity else None,
                )
            )
            orders[question.pk] += 1
    if fresh:
        Option.objects.bulk_create(fresh)
        for pk, question_id, text in Option.objects.filter(question_id__in=ids).values_list(
            "pk", "question_id", "text"
        ):
            existing[question_id][text] = pk
    return existing


def describe(result: ImportResult) -> str:
    details = result.details
    text = _("%(count)s responses of %(group)s imported into %(survey)s.") % {
        "count": result.created,
        "group": details.get("group", ""),
        "survey": details.get("title", ""),
    }
    if details.get("replaced"):
        text += " " + _("The group's %(count)s earlier responses were replaced.") % {
            "count": details["replaced"]
        }
    return text


imports.register(
    imports.Importer(
        kind=IMPORT_KIND,
        title=gettext_lazy("Import survey responses"),
        columns=(),
        run=survey_import,
        help_text=gettext_lazy(
            "A Google Forms export: the response sheet saved as CSV or Excel, or the CSV "
            "downloaded from Forms. Importing a group again replaces its answers."
        ),
        success_url="surveys:list",
        describe=describe,
        target=lambda options: f"{options.get('survey', '')}/{options.get('group', '')}",
    )
)


def describe_preview(result: ImportResult) -> str:
    return _("%(count)s responses read: the preview is ready.") % {"count": result.created}


imports.register(
    imports.Importer(
        kind=PREVIEW_KIND,
        title=gettext_lazy("Check before saving"),
        columns=(),
        run=survey_import_check,
        preview=True,
        size_kind=IMPORT_KIND,
        result_url=lambda batch: reverse("surveys:import_preview", args=[batch.pk]),
        describe=describe_preview,
    )
)

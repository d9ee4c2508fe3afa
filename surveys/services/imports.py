"""The import of a Google Forms export (one respondent group's file) and its preview.

Both read the file the same way (`read_export`) and recognise its columns the same way
(`recognize_export`), so the preview shows exactly what the import will store.
The import runs as an import batch (gigaportal.imports): the same file a second time
changes nothing, a file with any bad row is refused whole with row numbers, and the
change log gets one entry for the batch.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal import calendar, imports
from gigaportal.bulk import insert_rows
from gigaportal.dates import date_window
from gigaportal.imports import ImportResult, unknown_school
from gigaportal.models import School
from gigaportal.tabular import ErrorCollector, RawTable, TabularError, normalize
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

IMPORT_KIND = "survey_responses"
PROGRESS_EVERY = 5_000
SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
# Paths of the survey pages that a short name must not take.
RESERVED_SLUGS = frozenset({"import", "results", "scales", "top", "crosstab", "rates", "free-text"})
DEFAULT_GROUP = "回答者"
OPTION_MAX = Option._meta.get_field("text").max_length
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


# --- Reading -------------------------------------------------------------------------------------


@dataclass
class Export:
    """A file read: its header as written, each column's question text, the rows of
    normalised cells, and each column's distinct answers with their counts."""

    header: list[str]
    keys: list[str]
    rows: list[tuple[int, tuple[str, ...]]]
    values: list[Counter]
    errors: ErrorCollector
    encoding: str = ""


def read_export(file: IO[bytes], progress: Callable[[int, int], None] | None = None) -> Export:
    """Reads every row through the shared reader (UTF-8, BOM, CP932 or .xlsx; NFKC).
    An unreadable file raises TabularError; row problems (more cells than the header)
    are collected for the caller to refuse the file with."""
    table = RawTable(file)
    header = table.header
    width = len(header)
    keys = recognize.unique_keys(header)
    values = [Counter() for _ in header]
    rows: list[tuple[int, tuple[str, ...]]] = []
    seen: dict[str, str] = {}  # raw cell → normalised: most cells repeat
    for number, cells in table:
        if len(cells) > width and any(cell.strip() for cell in cells[width:]):
            last = max(i for i, cell in enumerate(cells) if cell.strip()) + 1
            table.errors.add(
                number,
                "",
                _("this row has %(cells)s cells but the header has only %(columns)s columns")
                % {"cells": last, "columns": width},
            )
            continue
        row = []
        for index in range(width):
            raw = cells[index] if index < len(cells) else ""
            text = seen.get(raw)
            if text is None:
                text = seen[raw] = normalize(raw)
            row.append(text)
            if text:
                values[index][text] += 1
        rows.append((number, tuple(row)))
        if progress and len(rows) % PROGRESS_EVERY == 0:
            progress(len(rows), _tell(file))
    if progress:
        progress(len(rows), _tell(file))
    return Export(header, keys, rows, values, table.errors, table.encoding)


def _tell(file) -> int:
    try:
        return file.tell()
    except (OSError, ValueError, AttributeError):
        return 0


def school_lookup() -> dict[str, int]:
    """Every school by code and by name (NFKC, spaces ignored too)."""
    lookup: dict[str, int] = {}
    for pk, code, name in School.objects.values_list("pk", "code", "name"):
        for word in (code, name):
            lookup[normalize(word)] = pk
            lookup[re.sub(r"\s+", "", normalize(word))] = pk
    return lookup


def _school_id(lookup: Mapping[str, int], value: str) -> int | None:
    return lookup.get(value) or lookup.get(re.sub(r"\s+", "", value))


# --- Recognising -----------------------------------------------------------------------------------


@dataclass
class Recognised:
    """What the file holds, column by column, against what the survey already knows."""

    guesses: list[ColumnGuess]
    existing: dict[str, Question]  # question text → the survey's question
    schools: dict[str, int]

    def guess(self, key: str) -> ColumnGuess | None:
        return next((g for g in self.guesses if g.key == key), None)


def recognize_export(
    export: Export, *, survey: Survey | None, kinds: Mapping[str, str] | None = None
) -> Recognised:
    """Each column's kind, options and scale. A question the survey already has keeps
    its kind and its options' order (a person may have corrected them); a kind chosen
    in the preview applies to the others."""
    existing: dict[str, Question] = {}
    if survey is not None:
        for question in survey.questions.prefetch_related("options"):
            existing[question.text] = question
    schools = school_lookup()
    chosen = kinds or {}
    guesses = []
    for index, key in enumerate(export.keys):
        values = export.values[index]
        if not normalize(export.header[index]) and not values:
            continue  # an unused column of the sheet
        question = existing.get(key)
        known_kind = recognize.Kind(question.kind) if question else None
        if known_kind is None and chosen.get(key):
            known_kind = recognize.Kind(chosen[key])
        known_options = [o.text for o in question.options.all()] if question else []
        guesses.append(
            recognize.recognize_column(
                position=index + 1,
                header=export.header[index],
                values=values,
                is_first=index == 0,
                is_school=lambda v: _school_id(schools, v) is not None,
                known_kind=known_kind,
                known_options=known_options,
                known_multiple=question.multiple if question else None,
            )
        )
    # One timestamp column and one school column at most: later ones are answers.
    for kind in (recognize.Kind.TIMESTAMP, recognize.Kind.SCHOOL):
        found = [g for g in guesses if g.kind is kind]
        for extra in found[1:]:
            if extra.key not in existing:
                guesses[guesses.index(extra)] = recognize.recognize_column(
                    position=extra.position,
                    header=extra.header,
                    values=export.values[extra.position - 1],
                    known_kind=recognize.Kind.CHOICE,
                )
    return Recognised(guesses, existing, schools)


@dataclass
class Checked:
    """Every row's timestamp, school and number answers, checked."""

    submitted: list[Any]
    schools: list[int | None]
    numbers: dict[tuple[int, int], Any]  # (row index, column index) → Decimal


def check_rows(export: Export, recognised: Recognised) -> Checked:
    """Cells whose kind says what they must be: a timestamp, one of the portal's
    schools, a number, an option that fits. Each distinct value is checked once;
    rows are walked only for the columns whose values the responses keep (or whose
    bad values must be reported by row). Problems go to the export's errors."""
    submitted: list[Any] = [None] * len(export.rows)
    schools: list[int | None] = [None] * len(export.rows)
    numbers: dict[tuple[int, int], Any] = {}
    errors = export.errors
    for guess in recognised.guesses:
        column = guess.position - 1
        label = normalize(guess.header) or guess.key
        values = export.values[column]
        if guess.kind is recognize.Kind.TIMESTAMP:
            parsed, message = {}, {}
            window = date_window()
            for value in values:
                try:
                    moment = recognize.parse_timestamp(value)
                except ValueError:
                    message[value] = _("%(value)r is not a timestamp (e.g. 2022/11/30 8:15:03)") % {
                        "value": value
                    }
                    continue
                if moment.astimezone(recognize.TOKYO).date() in window:
                    parsed[value] = moment
                else:
                    message[value] = _("%(value)r is outside the accepted dates. %(window)s") % {
                        "value": value,
                        "window": window.error(),
                    }
            target = submitted
        elif guess.kind is recognize.Kind.SCHOOL:
            parsed = {v: _school_id(recognised.schools, v) for v in values}
            message = {v: unknown_school(v) for v, pk in parsed.items() if pk is None}
            target = schools
        elif guess.kind is recognize.Kind.NUMBER:
            parsed = {v: recognize.parse_number(v) for v in values}
            message = {
                v: _("%(value)r is not a number") % {"value": v}
                for v, number in parsed.items()
                if number is None
            }
            target = None
        elif guess.is_choice:
            too_long = _("an answer of a choice question is at most %(limit)s characters") % {
                "limit": OPTION_MAX
            }
            parsed = {}
            message = {
                v: too_long
                for v in values
                if any(len(piece) > OPTION_MAX for piece in guess.splits.get(v, (v,)))
            }
            target = None
            if not message:
                continue
        else:
            continue
        for index, (number, cells) in enumerate(export.rows):
            value = cells[column]
            if not value:
                continue
            if value in message:
                errors.add(number, label, message[value])
            if target is not None:
                target[index] = parsed.get(value)
            elif guess.kind is recognize.Kind.NUMBER:
                numbers[(index, column)] = parsed.get(value)
    return Checked(submitted, schools, numbers)


# --- The preview -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewColumn:
    guess: ColumnGuess
    kept: bool  # the survey already has this question: its kind is kept

    @property
    def kind_label(self) -> str:
        return str(Kind(self.guess.kind.value).label)


@dataclass(frozen=True)
class Preview:
    options: ImportOptions
    survey: Survey | None
    group_exists: bool
    replaces: int
    rows: int
    columns: list[PreviewColumn]
    errors: list[str]
    encoding: str

    @property
    def ok(self) -> bool:
        return not self.errors


def survey_import_preview(*, file: IO[bytes], options: Mapping[str, Any]) -> Preview:
    """What the import of `file` would do, without writing anything: the recognised
    columns, the rows, the responses it would replace, and every problem found.
    Raises TabularError when the file cannot be read at all."""
    parsed = ImportOptions.parse(options)
    survey = Survey.objects.filter(slug=parsed.survey).first()
    export = read_export(file)
    recognised = recognize_export(export, survey=survey, kinds=parsed.kinds)
    check_rows(export, recognised)
    group_name = _group_name(parsed, survey)
    group = (
        RespondentGroup.objects.filter(survey=survey, name=group_name).first()
        if survey and group_name
        else None
    )
    errors = sorted(export.errors.errors, key=lambda error: error.row)
    messages = [str(e) for e in errors]
    if export.errors.more:
        messages.append(_("… and %(count)s more errors.") % {"count": export.errors.more})
    if survey is not None and not group_name:
        messages.append(_group_required_message())
    return Preview(
        options=parsed,
        survey=survey,
        group_exists=group is not None,
        replaces=Response.objects.filter(group=group).count() if group else 0,
        rows=len(export.rows),
        columns=[PreviewColumn(g, g.key in recognised.existing) for g in recognised.guesses],
        errors=messages,
        encoding=export.encoding,
    )


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

    1. Read and check every row (the shared reader; timestamps, schools, numbers); a
       file with any problem is refused whole with row numbers.
    2. Recognise the columns (kinds, options, scales, grid rows); the survey's
       existing questions keep their kind and option order.
    3. In one transaction: create the survey on its first import and the group, add
       new questions and options, delete the group's earlier responses and answers
       (importing a group again replaces it) and insert the new ones in bulk. Codes
       given to free-text answers are kept for answers whose text is unchanged.
    """
    parsed = ImportOptions.parse(options)
    survey = Survey.objects.filter(slug=parsed.survey).first()
    export = read_export(file, progress)
    recognised = recognize_export(export, survey=survey, kinds=parsed.kinds)
    checked = check_rows(export, recognised)
    group_name = _group_name(parsed, survey)
    if not group_name:
        export.errors.add(0, "", _group_required_message())
    export.errors.errors.sort(key=lambda error: error.row)
    export.errors.raise_if_any()

    with transaction.atomic():
        survey = _survey_for(parsed, survey, checked)
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
        # A datetime in the database's own form (SQLite keeps UTC text).
        adapt = connection.ops.adapt_datetimefield_value
        insert_rows(
            Response,
            ["survey", "group", "row_number", "submitted_at", "school"],
            (
                (survey.pk, group.pk, number, adapt(checked.submitted[i]), checked.schools[i])
                for i, (number, _cells) in enumerate(export.rows)
            ),
        )
        ids = dict(Response.objects.filter(group=group).values_list("row_number", "id"))
        answers, texts = _answer_rows(
            export, recognised, questions, options_of, checked, ids, group, kept_codes
        )
        insert_rows(
            Answer, ["response", "question", "option", "group", "school"], answers, integers=True
        )
        insert_rows(
            TextAnswer,
            ["response", "question", "group", "school", "text", "number", "code"],
            texts,
        )
        RespondentGroup.objects.filter(pk=group.pk).update(
            file_name=parsed.file_name, imported_at=timezone.now()
        )
    new = sum(1 for g in recognised.guesses if g.key not in recognised.existing)
    return ImportResult(
        created=len(export.rows),
        details={
            "survey": survey.slug,
            "title": survey.title,
            "group": group.name,
            "questions": len(recognised.guesses),
            "new_questions": new,
            "replaced": replaced,
        },
    )


def _survey_for(options: ImportOptions, survey: Survey | None, checked: Checked) -> Survey:
    """The survey, created on its first import (its fiscal year and answer period
    from the timestamps unless given)."""
    times = [t for t in checked.submitted if t is not None]
    first = min(times).astimezone(recognize.TOKYO).date() if times else None
    last = max(times).astimezone(recognize.TOKYO).date() if times else None
    if survey is None:
        year = options.fiscal_year or calendar.fiscal_year(first or timezone.localdate())
        survey, _created = Survey.objects.get_or_create(
            slug=options.survey,
            defaults={
                "title": options.title or options.survey,
                "fiscal_year": year,
                "opens_on": first,
                "closes_on": last,
            },
        )
        return survey
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.opens_on is None and survey.closes_on is None and first:
        Survey.objects.filter(pk=survey.pk).update(opens_on=first, closes_on=last)
    return survey


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


def _answer_rows(export, recognised, questions, options_of, checked, ids, group, kept_codes):
    """Generators of Answer and TextAnswer tuples for every row (nothing per-row hits
    the database)."""
    choice_columns = []
    text_columns = []
    for guess in recognised.guesses:
        question = questions[guess.key]
        column = guess.position - 1
        if guess.is_choice:
            option_ids = options_of[question.pk]
            pieces = {
                value: tuple(dict.fromkeys(option_ids[p] for p in split if p in option_ids))
                for value, split in guess.splits.items()
            }
            choice_columns.append((column, question.pk, pieces))
        elif guess.kind in (recognize.Kind.FREE_TEXT, recognize.Kind.NUMBER):
            text_columns.append((column, question.pk, guess.kind is recognize.Kind.NUMBER))

    group_id = group.pk
    schools = checked.schools

    def answers():
        for index, (number, cells) in enumerate(export.rows):
            response = ids[number]
            school = schools[index]
            for column, question_id, pieces in choice_columns:
                value = cells[column]
                if value:
                    for option_id in pieces.get(value, ()):
                        yield (response, question_id, option_id, group_id, school)

    def texts():
        for index, (number, cells) in enumerate(export.rows):
            response = ids[number]
            school = checked.schools[index]
            for column, question_id, is_number in text_columns:
                value = cells[column]
                if value:
                    amount = checked.numbers.get((index, column)) if is_number else None
                    code = None if is_number else kept_codes.get((question_id, value))
                    yield (response, question_id, group_id, school, value, amount, code)

    return answers(), texts()


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


def columns_summary(columns: Sequence[PreviewColumn]) -> dict[str, int]:
    """How many columns of each kind (the preview's headline)."""
    summary: dict[str, int] = {}
    for column in columns:
        summary[column.guess.kind.value] = summary.get(column.guess.kind.value, 0) + 1
    return summary

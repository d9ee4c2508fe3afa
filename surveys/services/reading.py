"""Reading a Google Forms export in two passes whose memory does not grow with the
file, for the import and its preview (surveys/services/imports.py).

Pass 1 (`read_export`) keeps each column's distinct answers with their counts, bounded
(ColumnValues), never the rows; the columns are recognised from them
(`recognize_export`, the pure rules in surveys/recognize.py). Pass 2
(`check_and_write`) reads the file again from its start, checks every cell against its
column's kind and hands the rows to the import's writer a chunk at a time.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from django.utils.translation import gettext as _

from gigaportal.dates import date_window
from gigaportal.imports import unknown_school
from gigaportal.models import School
from gigaportal.tabular import ErrorCollector, RawTable, normalize
from surveys import recognize
from surveys.models import Option, Question, Survey
from surveys.recognize import ColumnGuess, ManyAnswers

PROGRESS_EVERY = 5_000
# Distinct answers a column keeps before it counts only what recognising needs (a
# column past it is never a single choice: see recognize.ManyAnswers).
DISTINCT_CAP = 5_000
# Rows handed to the import's writer at a time by the second pass.
CHUNK_ROWS = 5_000
# Entries of a per-column cache of work done per distinct cell before it starts again.
CACHE_MAX = 5_000
OPTION_MAX = Option._meta.get_field("text").max_length


# --- Reading (pass 1) ------------------------------------------------------------------------------


@dataclass
class ColumnValues:
    """A column's answers as the first pass keeps them: every distinct answer with its
    count while there are at most DISTINCT_CAP; past that, the answers already counted
    stay a sample and the rest are only counted for what recognising needs (see
    recognize.ManyAnswers), so memory does not grow with the file."""

    counts: Counter = field(default_factory=Counter)
    answered: int = 0
    overflow: int = 0  # answers past the cap, not in `counts`
    timestamps: int = 0  # of those, the timestamps (where the column may be one)
    schools: int = 0  # of those, the ones naming a school (likewise)
    numbers_only: bool = True
    joined: bool = False
    pieces: Counter | None = field(default_factory=Counter)

    @property
    def many(self) -> bool:
        return self.overflow > 0

    def add(self, text: str, *, timestamp: bool, school: Callable[[str], bool] | None) -> None:
        self.answered += 1
        if text in self.counts:
            self.counts[text] += 1
            return
        if len(self.counts) < DISTINCT_CAP:
            self.counts[text] = 1
            return
        self.overflow += 1
        if timestamp and recognize.is_timestamp(text):
            self.timestamps += 1
        if school is not None and school(text):
            self.schools += 1
        if self.numbers_only and recognize.parse_number(text) is None:
            self.numbers_only = False
        self.joined = self.joined or recognize.has_separator(text)
        if self.pieces is not None:
            for piece in recognize.plain_pieces(text):
                self.pieces[piece] += 1
            if len(self.pieces) > recognize.CHOICE_MAX_DISTINCT:
                self.pieces = None


@dataclass
class Export:
    """A file read once: its header as written, each column's question text, how many
    rows it has, and each column's answers (ColumnValues). `table` reads the file again
    from its start (`table.reopen()`) for the second pass."""

    header: list[str]
    keys: list[str]
    rows: int
    values: list[ColumnValues]
    errors: ErrorCollector
    table: RawTable
    schools: dict[str, int]
    size: int = 0
    encoding: str = ""


def _file_size(file) -> int:
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    try:
        here = file.tell()
        end = file.seek(0, io.SEEK_END)
        file.seek(here)
        return end
    except (OSError, ValueError, AttributeError):
        return 0


def _two_pass_progress(progress, size: int, passes: int = 2):
    """progress(rows, bytes) for each pass of a file read twice: the bar goes across
    once over both."""
    if progress is None:
        return lambda _pass, _rows, _tell: None

    def report(index: int, rows: int, tell: int) -> None:
        progress(rows, (index * size + min(tell, size)) // passes if size else 0)

    return report


def _row_too_wide(cells: list[str], width: int) -> int:
    """The row's last used cell's number when it has cells past the header, else 0."""
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        return max(i for i, cell in enumerate(cells) if cell.strip()) + 1
    return 0


class _Normalised(dict):
    """Raw cell → normalised text, for the cells that repeat (most do); bounded: once
    full it keeps what it has (the answers that repeat come early and often)."""

    def __missing__(self, raw: str) -> str:
        text = normalize(raw)
        if len(self) < CACHE_MAX:
            self[raw] = text
        return text


def read_export(file: IO[bytes], progress: Callable[[int, int], None] | None = None) -> Export:
    """Pass 1: every row through the shared reader (UTF-8, BOM, CP932 or .xlsx; NFKC),
    keeping each column's distinct answers (bounded: ColumnValues), never the rows.
    An unreadable file raises TabularError; row problems (more cells than the header)
    are collected for the caller to refuse the file with."""
    size = _file_size(file)
    report = _two_pass_progress(progress, size)
    table = RawTable(file)
    header = table.header
    width = len(header)
    keys = recognize.unique_keys(header)
    schools = school_lookup()
    is_school = lambda v: _school_id(schools, v) is not None  # noqa: E731
    may_be_timestamp = [
        index == 0 or key.lower() in recognize.TIMESTAMP_HEADERS for index, key in enumerate(keys)
    ]
    may_be_school = [
        is_school if any(word in key for word in recognize.SCHOOL_HEADER_WORDS) else None
        for key in keys
    ]
    values = [ColumnValues() for _ in header]
    rows = 0
    seen = _Normalised()
    for number, cells in table:
        if last := _row_too_wide(cells, width):
            table.errors.add(
                number,
                "",
                _("this row has %(cells)s cells but the header has only %(columns)s columns")
                % {"cells": last, "columns": width},
            )
            continue
        for index, raw in enumerate(cells[:width]):
            text = seen[raw]
            if not text:
                continue
            column = values[index]
            if text in column.counts:  # the common case, without a call
                column.counts[text] += 1
                column.answered += 1
            else:
                column.add(text, timestamp=may_be_timestamp[index], school=may_be_school[index])
        rows += 1
        if rows % PROGRESS_EVERY == 0:
            report(0, rows, table.tell())
    report(0, rows, size)
    return Export(header, keys, rows, values, table.errors, table, schools, size, table.encoding)


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


def _many_answers(column: ColumnValues, *, key: str, is_first: bool, schools) -> ManyAnswers:
    """A column past the cap, counted over every answer: the sample's part of each
    figure is counted here, the rest was counted as the file was read."""
    sample = column.counts
    timestamps = column.timestamps
    if is_first or key.lower() in recognize.TIMESTAMP_HEADERS:
        timestamps += sum(c for v, c in sample.items() if recognize.is_timestamp(v))
    school_count = column.schools
    if any(word in key for word in recognize.SCHOOL_HEADER_WORDS):
        school_count += sum(c for v, c in sample.items() if _school_id(schools, v) is not None)
    pieces = None
    if column.pieces is not None:
        merged = Counter(column.pieces)
        for value, count in sample.items():
            for piece in recognize.plain_pieces(value):
                merged[piece] += count
            if len(merged) > recognize.CHOICE_MAX_DISTINCT:
                break
        else:
            pieces = merged
    return ManyAnswers(
        answered=column.answered,
        timestamps=timestamps,
        schools=school_count,
        numbers_only=column.numbers_only
        and all(recognize.parse_number(v) is not None for v in sample),
        joined=column.joined or any(recognize.has_separator(v) for v in sample),
        pieces=pieces,
    )


def _recognize(export: Export, index: int, **known) -> ColumnGuess:
    column = export.values[index]
    schools = export.schools
    if column.many:
        return recognize.recognize_many(
            position=index + 1,
            header=export.header[index],
            sample=column.counts,
            many=_many_answers(
                column, key=export.keys[index], is_first=index == 0, schools=schools
            ),
            is_first=index == 0,
            **known,
        )
    return recognize.recognize_column(
        position=index + 1,
        header=export.header[index],
        values=column.counts,
        is_first=index == 0,
        is_school=lambda v: _school_id(schools, v) is not None,
        **known,
    )


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
    chosen = kinds or {}
    guesses = []
    for index, key in enumerate(export.keys):
        if not normalize(export.header[index]) and not export.values[index].answered:
            continue  # an unused column of the sheet
        question = existing.get(key)
        known_kind = recognize.Kind(question.kind) if question else None
        if known_kind is None and chosen.get(key):
            known_kind = recognize.Kind(chosen[key])
        guesses.append(
            _recognize(
                export,
                index,
                known_kind=known_kind,
                known_options=[o.text for o in question.options.all()] if question else [],
                known_multiple=question.multiple if question else None,
            )
        )
    # One timestamp column and one school column at most: later ones are answers (free
    # text when they have too many distinct answers to be a choice).
    for kind in (recognize.Kind.TIMESTAMP, recognize.Kind.SCHOOL):
        found = [g for g in guesses if g.kind is kind]
        for extra in found[1:]:
            if extra.key not in existing:
                guesses[guesses.index(extra)] = _recognize(
                    export,
                    extra.position - 1,
                    known_kind=recognize.Kind.FREE_TEXT if extra.many else recognize.Kind.CHOICE,
                )
    return Recognised(guesses, existing, export.schools)


def too_many_messages(recognised: Recognised) -> list[str]:
    """A choice column (chosen, or kept from the survey) with too many distinct answers
    to be options: the file is refused, naming the column."""
    return [
        _(
            "The column %(column)s has more than %(count)s different answers: it cannot be "
            "read as a choice. Choose free text for it."
        )
        % {"column": normalize(g.header) or g.key, "count": f"{DISTINCT_CAP:,}"}
        for g in recognised.guesses
        if g.too_many
    ]


# --- Checking and writing (pass 2) ---------------------------------------------------------------------


class _Cache(dict):
    """A column's checked answers by text (most repeat); bounded like _Normalised."""

    def __init__(self, check: Callable[[str], tuple[Any, str | None]]) -> None:
        super().__init__()
        self.check = check

    def __missing__(self, value: str) -> tuple[Any, str | None]:
        result = self.check(value)
        if len(self) < CACHE_MAX:
            self[value] = result
        return result


def _checker(guess: ColumnGuess, schools: Mapping[str, int]):
    """What a cell of the column must be, as value → (what is stored, problem or None):
    a timestamp in the date window, one of the portal's schools, a number, or options
    that fit; None for free text (anything goes)."""
    if guess.kind is recognize.Kind.TIMESTAMP:
        window = date_window()

        def timestamp(value):
            try:
                moment = recognize.parse_timestamp(value)
            except ValueError:
                return None, _("%(value)r is not a timestamp (e.g. 2022/11/30 8:15:03)") % {
                    "value": value
                }
            if moment.astimezone(recognize.TOKYO).date() not in window:
                return None, _("%(value)r is outside the accepted dates. %(window)s") % {
                    "value": value,
                    "window": window.error(),
                }
            return moment, None

        return timestamp
    if guess.kind is recognize.Kind.SCHOOL:

        def school(value):
            pk = _school_id(schools, value)
            return pk, None if pk is not None else unknown_school(value)

        return school
    if guess.kind is recognize.Kind.NUMBER:

        def number(value):
            amount = recognize.parse_number(value)
            if amount is None:
                return None, _("%(value)r is not a number") % {"value": value}
            return amount, None

        return number
    if guess.is_choice:
        too_long = _("an answer of a choice question is at most %(limit)s characters") % {
            "limit": OPTION_MAX
        }
        options = frozenset(guess.options)

        def choice(value):
            pieces = guess.splits.get(value)
            if pieces is None:  # a column with many answers: split as they come
                pieces = tuple(recognize.split_answer(value, options))
            problem = too_long if any(len(p) > OPTION_MAX for p in pieces) else None
            return pieces, problem

        return choice
    return None


@dataclass
class Pass:
    """What the second pass found besides the rows: the answer period."""

    rows: int = 0
    first: Any = None
    last: Any = None


def check_and_write(
    export: Export,
    recognised: Recognised,
    *,
    write: Callable[[list[tuple]], None] | None = None,
    progress=None,
) -> Pass:
    """Pass 2: the file read again from its start; each cell checked against its
    column's kind (each distinct answer once: a bounded cache), problems added to the
    export's errors by row; `write(chunk)` gets the rows CHUNK_ROWS at a time, each
    (row number, submitted at, school id, cells, checked values by column), for as long
    as no problem has been found (the caller refuses the file after, rolling back)."""
    report = _two_pass_progress(progress, export.size)
    table = export.table.reopen()
    width = len(export.header)
    errors = export.errors
    plan = []
    timestamp_column = school_column = None
    for guess in recognised.guesses:
        column = guess.position - 1
        check = _checker(guess, recognised.schools)
        if check is not None:
            plan.append((column, normalize(guess.header) or guess.key, _Cache(check)))
        if guess.kind is recognize.Kind.TIMESTAMP:
            timestamp_column = column
        elif guess.kind is recognize.Kind.SCHOOL:
            school_column = column
    found = Pass()
    seen = _Normalised()
    chunk: list[tuple] = []
    for number, raw in table:
        if _row_too_wide(raw, width):
            continue  # reported by the first pass
        cells = tuple(map(seen.__getitem__, raw[:width]))
        if len(cells) < width:
            cells += ("",) * (width - len(cells))
        checked: dict[int, Any] = {}
        for column, label, cache in plan:
            value = cells[column]
            if not value:
                continue
            stored, problem = cache[value]
            if problem is not None:
                errors.add(number, label, problem)
            checked[column] = stored
        submitted = checked.get(timestamp_column) if timestamp_column is not None else None
        if submitted is not None:
            found.first = submitted if found.first is None else min(found.first, submitted)
            found.last = submitted if found.last is None else max(found.last, submitted)
        school = checked.get(school_column) if school_column is not None else None
        found.rows += 1
        if write is not None and not errors:
            chunk.append((number, submitted, school, cells, checked))
            if len(chunk) >= CHUNK_ROWS:
                write(chunk)
                chunk = []
        if found.rows % PROGRESS_EVERY == 0:
            report(1, found.rows, table.tell())
    if write is not None and chunk and not errors:
        write(chunk)
    report(1, found.rows, export.size)
    return found

"""Pure rules for reading a Google Forms export: what each column is.

Google Forms gives a survey's answers in two shapes, and the center has both:
- the response sheet (Google Sheets) saved as CSV or .xlsx: a header row of question
  texts, the first column タイムスタンプ like `2022/11/30 8:15:03`, checkbox answers
  joined with ", ", and a grid question as one column per row, `Question [row]`;
- the CSV downloaded from Forms itself, whose timestamps read
  `2022/11/30 8:15:03 午前 GMT+9` and whose checkbox answers are joined with ";".

Nothing here touches the database: the import and its preview call these functions
with plain values (every distinct cell of a column and how often it occurs) and get
frozen answers back, so the same file is recognised the same way in the preview, the
import and the tests.

Recognising a kind (`recognize_column`):
- the first column named タイムスタンプ / Timestamp whose cells are timestamps;
- a school column (its header names a school and its answers are the portal's schools);
- answers joined by a separator: checkboxes, split against the options the column
  itself shows (an option ticked alone is an option), never blindly at commas,
  because an option may hold a comma;
- few distinct answers: a single choice; many: free text; numbers: a number (a short
  run of small whole numbers is a linear scale, so a choice);
- `Question [row]` headers are grid rows.
Likert scales (`recognize_scale`) are recognised by their wording, with their order
and which answers are positive.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import IntEnum, StrEnum
from typing import Any
from zoneinfo import ZoneInfo

TOKYO = ZoneInfo("Asia/Tokyo")
# Checkbox answers are joined with ", " in the response sheet and ";" in the Forms
# download; a file may be either, so both are tried (known options decide).
SEPARATORS: tuple[str, ...] = (", ", ";")
TIMESTAMP_HEADERS = frozenset({"タイムスタンプ", "timestamp", "回答日時", "送信日時"})
SCHOOL_HEADER_WORDS = ("学校名", "学校コード", "所属校", "在籍校", "勤務校", "学校")
FREE_TEXT_HEADER_WORDS = (
    "自由",
    "意見",
    "要望",
    "理由",
    "具体的",
    "感想",
    "記述",
    "ご記入",
    "お書き",
)
# More distinct answers than this is free text whatever else holds.
CHOICE_MAX_DISTINCT = 40
OTHER_OPTION = "その他"
# Beyond this many separators in one answer the search for the best cut is skipped.
MAX_CUTS = 40


class Kind(StrEnum):
    CHOICE = "choice"
    CHECKBOXES = "checkboxes"
    GRID_ROW = "grid_row"
    FREE_TEXT = "free_text"
    NUMBER = "number"
    TIMESTAMP = "timestamp"
    SCHOOL = "school"


# Kinds whose answers are options (counted in tallies).
CHOICE_KINDS = frozenset({Kind.CHOICE, Kind.CHECKBOXES, Kind.GRID_ROW})
# Kinds a person may set after an import (timestamps and the school column are read
# only from a file).
EDITABLE_KINDS = (Kind.CHOICE, Kind.CHECKBOXES, Kind.GRID_ROW, Kind.FREE_TEXT, Kind.NUMBER)


class Polarity(IntEnum):
    NEGATIVE = -1
    NEUTRAL = 0
    POSITIVE = 1


def normalize(text: str) -> str:
    """NFKC and trimmed, as the shared reader compares every cell."""
    return unicodedata.normalize("NFKC", text or "").strip()


def _compact(text: str) -> str:
    """The form scale words are compared in: NFKC, no spaces or final punctuation."""
    return re.sub(r"[\s。．.!！]+", "", normalize(text))


# --- Timestamps ---------------------------------------------------------------------------

_TIMESTAMP = re.compile(
    r"(?P<y>\d{4})[/\-.](?P<m>\d{1,2})[/\-.](?P<d>\d{1,2})"
    r"(?:[ T]+(?P<ampm1>午前|午後|AM|PM)?\s*"
    r"(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<ampm2>午前|午後|AM|PM)?)?"
    r"(?:\s*(?:GMT|UTC)\s*(?P<tz>[+\-]\d{1,2})(?::?(?P<tzm>\d{2}))?)?",
    re.IGNORECASE,
)


def parse_timestamp(text: str) -> dt.datetime:
    """`2022/11/30 8:15:03` (the response sheet, Japan time), `2022/11/30 8:15:03 午前
    GMT+9` (the Forms download: 12-hour clock, 午前 12 is midnight, 午後 12 noon),
    `2022-11-30 08:15:03`; an aware datetime. Raises ValueError."""
    match = _TIMESTAMP.fullmatch(normalize(text))
    if not match:
        raise ValueError(text)
    parts = match.groupdict()
    hour = int(parts["H"] or 0)
    ampm = (parts["ampm1"] or parts["ampm2"] or "").upper()
    if ampm:
        if not 1 <= hour <= 12:
            raise ValueError(text)
        if ampm in ("午前", "AM"):
            hour = 0 if hour == 12 else hour
        else:
            hour = 12 if hour == 12 else hour + 12
    zone: dt.tzinfo = TOKYO
    if parts["tz"]:
        offset = int(parts["tz"])
        minutes = int(parts["tzm"] or 0) * (1 if offset >= 0 else -1)
        if not -14 <= offset <= 14:
            raise ValueError(text)
        zone = dt.timezone(dt.timedelta(hours=offset, minutes=minutes))
    return dt.datetime(
        int(parts["y"]),
        int(parts["m"]),
        int(parts["d"]),
        hour,
        int(parts["M"] or 0),
        int(parts["S"] or 0),
        tzinfo=zone,
    )


def is_timestamp(text: str) -> bool:
    try:
        parse_timestamp(text)
    except ValueError:
        return False
    return True


# --- Grid rows ------------------------------------------------------------------------------

_GRID = re.compile(r"^(?P<title>.*\S)\s*\[(?P<row>[^\[\]]+)\]$")


def split_grid_header(header: str) -> tuple[str, str] | None:
    """`Question [row]` → ("Question", "row"); anything else → None."""
    match = _GRID.match(normalize(header))
    if not match:
        return None
    return match["title"].strip(), match["row"].strip()


# --- Numbers ----------------------------------------------------------------------------------


def parse_number(text: str) -> Decimal | None:
    """'12', '3.5', '1,200' → Decimal; anything else → None."""
    cleaned = normalize(text).replace(",", "")
    if not cleaned or not re.fullmatch(r"[+\-]?\d+(\.\d+)?", cleaned):
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


# --- Checkbox answers ------------------------------------------------------------------------


def _cut_points(text: str, separators: Sequence[str]) -> list[tuple[int, int]]:
    """(start, end) of every separator occurrence, in order, not overlapping."""
    points: list[tuple[int, int]] = []
    index = 0
    while index < len(text):
        for sep in separators:
            if text.startswith(sep, index):
                points.append((index, index + len(sep)))
                index += len(sep)
                break
        else:
            index += 1
    return points


def split_answer(
    text: str, known: Collection[str], separators: Sequence[str] = SEPARATORS
) -> list[str]:
    """Splits a checkbox answer into the options it joins, against the options known.

    Among every way of cutting the answer at its separators into known options and
    single pieces, the one that covers the most characters with known options wins
    (an option holding ", " stays whole: a cut never covers its separator), then the
    one with fewer pieces. Text no option matches is cut at every separator (options
    never ticked alone are still options). Pieces are NFKC-normalised, each kept once."""
    text = normalize(text)
    if not text:
        return []
    cuts = _cut_points(text, separators)
    if not cuts:
        return [text]
    if len(cuts) > MAX_CUTS:
        # A long text full of separators is an "other" answer or free text: no search.
        pieces = (normalize(x) for x in _split_plain(text, separators))
        return list(dict.fromkeys(p for p in pieces if p))
    # A piece runs from a boundary (the start, or just after a separator) to a later
    # separator's start (or the end).
    starts = [0] + [end for _s, end in cuts]
    ends = [start for start, _e in cuts] + [len(text)]
    count = len(starts)
    # best[i]: (characters covered by known options, -pieces, pieces) from starts[i].
    best: list[tuple[int, int, list[str]] | None] = [None] * (count + 1)
    best[count] = (0, 0, [])
    for i in range(count - 1, -1, -1):
        choice = None
        for j in range(i, count):
            piece = normalize(text[starts[i] : ends[j]])
            is_known = piece in known
            if j > i and not is_known:
                continue  # only a known option spans a separator
            rest = best[j + 1]
            if rest is None:
                continue
            covered = rest[0] + (len(piece) if is_known else 0)
            score = (
                covered,
                rest[1] - (1 if piece else 0),
                [piece, *rest[2]] if piece else rest[2],
            )
            if choice is None or score[:2] > choice[:2]:
                choice = score
        best[i] = choice
    result = best[0]
    if result is None:
        return [text]
    return list(dict.fromkeys(result[2]))


def _split_plain(text: str, separators: Sequence[str]) -> list[str]:
    for sep in separators[1:]:
        text = text.replace(sep, separators[0])
    return text.split(separators[0])


def has_separator(text: str, separators: Sequence[str] = SEPARATORS) -> bool:
    return any(sep in text for sep in separators)


def learn_options(
    values: Mapping[str, int],
    *,
    known: Collection[str] = (),
    separators: Sequence[str] = SEPARATORS,
) -> tuple[dict[str, list[str]], dict[str, int]]:
    """The options a checkbox column shows, from its distinct answers and their counts.

    An answer without a separator is an option. So is a run of pieces that always
    appear together, in the same order, and never otherwise (an option holding
    ", " looks exactly like that); any other piece between separators is an option of
    its own (options never ticked alone are still options). Returns each distinct
    answer's options, and how many respondents ticked each option."""
    options = set(known)
    for value in values:
        if not has_separator(value, separators):
            options.add(value)
    sequences = {
        value: [p for p in (normalize(x) for x in _split_plain(value, separators)) if p]
        for value in values
        if has_separator(value, separators) and value not in options
    }
    seen: dict[str, int] = {}
    pairs: dict[tuple[str, str], int] = {}
    for value, pieces in sequences.items():
        for index, piece in enumerate(pieces):
            seen[piece] = seen.get(piece, 0) + values[value]
            if index:
                pair = (pieces[index - 1], piece)
                pairs[pair] = pairs.get(pair, 0) + values[value]
    for piece, count in seen.items():
        if piece in options:
            seen[piece] = count + 1  # also seen alone: never glued to a neighbour

    def glued(a: str, b: str) -> bool:
        together = pairs.get((a, b), 0)
        return together > 0 and together == seen[a] == seen[b]

    for pieces in sequences.values():
        run = [pieces[0]]
        for piece in pieces[1:]:
            if glued(run[-1], piece):
                run.append(piece)
                continue
            options.add(separators[0].join(run) if len(run) > 1 else run[0])
            run = [piece]
        options.add(separators[0].join(run) if len(run) > 1 else run[0])
    splits = {value: split_answer(value, options, separators) for value in values}
    ticks: dict[str, int] = {}
    for value, count in values.items():
        for piece in splits[value]:
            ticks[piece] = ticks.get(piece, 0) + count
    return splits, ticks


# --- Likert scales ------------------------------------------------------------------------------

# Words that make an answer stronger or weaker, and what makes it negative. Every
# answer of a scale must get a score, the scores must differ, and both signs must be
# there; then the scale's order is by score, positive answers first.
_NEUTRAL = (
    "どちらともいえない",
    "どちらともいえません",
    "どちらでもない",
    "ふつう",
    "普通",
    "わからない",
    "分からない",
)
_STRONG = ("とても", "非常に", "大変", "たいへん", "すごく", "かなり", "強く", "よく", "十分")
_WEAK = (
    "どちらかといえば",
    "どちらかと言えば",
    "やや",
    "少し",
    "まあまあ",
    "まあ",
    "ときどき",
    "時々",
    "たまに",
    "だいたい",
    "おおむね",
)
_NEGATION = re.compile(r"(ない|なかった|ません|ませんでした|なし|無い|いない|できない|不満)$")
_FULLY_NEGATIVE = ("まったく", "全く", "全然", "ぜんぜん", "一度も")
_MOSTLY_NEGATIVE = ("あまり", "ほとんど")
_ALWAYS = ("いつも", "必ず", "毎回")

# Frequency words, most frequent first: ほぼ毎日 … ほとんど使わない.
_FREQUENCY = (
    (re.compile(r"(ほぼ)?毎日|1日に?\d+回"), 60),
    (re.compile(r"週に?(3|4|5|6|数|2[~〜～-]3|3[~〜～-]4)回|週\d回以上|週に?2回以上"), 50),
    (re.compile(r"週に?(1|2|1[~〜～-]2)回"), 40),
    (re.compile(r"月に?(数|2|3|2[~〜～-]3)回"), 30),
    (re.compile(r"月に?1回"), 20),
    (re.compile(r"(学期|年)に?(数|1|2|3)回"), 10),
)


@dataclass(frozen=True)
class Scale:
    """A recognised answer scale: its options in order (positive first) and each
    option's polarity."""

    options: tuple[str, ...]
    polarity: Mapping[str, Polarity]
    kind: str = "agreement"  # or "frequency"

    def positive(self) -> list[str]:
        return [o for o in self.options if self.polarity[o] is Polarity.POSITIVE]


def _agreement_score(text: str) -> int | None:
    word = _compact(text)
    if not word:
        return None
    if any(word.startswith(n) or word == n for n in _NEUTRAL):
        return 0
    if word in ("はい", "いいえ"):
        return None  # yes/no is a choice, not a scale
    negative = bool(_NEGATION.search(word))
    if negative:
        if word.startswith(_FULLY_NEGATIVE) or word.startswith(_STRONG):
            return -3
        if word.startswith(_MOSTLY_NEGATIVE) or word.startswith(_WEAK):
            return -1
        return -2
    if word.startswith(_ALWAYS) or word.startswith(_STRONG):
        return 3
    if word.startswith(_WEAK):
        return 1
    return 2


def _frequency_score(text: str) -> int | None:
    word = _compact(text)
    for pattern, score in _FREQUENCY:
        if pattern.search(word):
            return score
    if _NEGATION.search(word) or word.startswith(_MOSTLY_NEGATIVE + _FULLY_NEGATIVE):
        if word.startswith(_FULLY_NEGATIVE) or re.search(r"(使って|して|見て)いない$", word):
            return -20
        return -10
    if word.startswith(("たまに", "ときどき", "時々")):
        return 5
    return None


def recognize_scale(options: Iterable[str]) -> Scale | None:
    """The scale the options make, or None. Agreement and intensity scales
    (とてもそう思う … そう思わない, よく使う … まったく使わない, とても効果がある …) are
    read from their words; frequency scales (ほぼ毎日 … ほとんど使わない) from the
    frequencies they name, the more frequent half counted as positive."""
    texts = list(dict.fromkeys(normalize(o) for o in options if normalize(o)))
    # Two answers (ある / ない, はい / いいえ) are a yes-or-no choice, not a scale.
    if len(texts) < 3:
        return None
    frequency = {t: _frequency_score(t) for t in texts}
    named = sum(1 for t in texts if _names_a_frequency(t))
    if all(v is not None for v in frequency.values()) and named >= 2:
        return _frequency_scale(texts, frequency)  # type: ignore[arg-type]
    scores = {t: _agreement_score(t) for t in texts}
    if any(v is None for v in scores.values()):
        return None
    values = list(scores.values())
    if len(set(values)) != len(values):
        return None
    if not (any(v > 0 for v in values) and any(v < 0 for v in values)):  # type: ignore[operator]
        return None
    ordered = sorted(texts, key=lambda t: -scores[t])  # type: ignore[operator]
    polarity = {
        t: Polarity.POSITIVE
        if scores[t] > 0
        else Polarity.NEGATIVE
        if scores[t] < 0
        else Polarity.NEUTRAL  # type: ignore[operator]
        for t in texts
    }
    return Scale(tuple(ordered), polarity, "agreement")


def _names_a_frequency(text: str) -> bool:
    word = _compact(text)
    return any(pattern.search(word) for pattern, _score in _FREQUENCY)


def _frequency_scale(texts: list[str], scores: Mapping[str, int]) -> Scale | None:
    values = [scores[t] for t in texts]
    if len(set(values)) != len(values):
        return None
    ordered = sorted(texts, key=lambda t: -scores[t])
    half, odd = divmod(len(ordered), 2)
    polarity = {}
    for index, text in enumerate(ordered):
        if index < half:
            polarity[text] = Polarity.POSITIVE
        elif odd and index == half:
            polarity[text] = Polarity.NEUTRAL
        else:
            polarity[text] = Polarity.NEGATIVE
    return Scale(tuple(ordered), polarity, "frequency")


# --- Columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnGuess:
    """What a column of the file was recognised as (the preview shows this)."""

    position: int
    header: str  # as written in the file
    key: str  # NFKC-normalised: the question's text
    kind: Kind
    options: tuple[str, ...] = ()  # in order
    scale: Scale | None = None
    grid_title: str = ""
    grid_row: str = ""
    multiple: bool = False
    answered: int = 0
    distinct: int = 0
    samples: tuple[str, ...] = ()
    # Each distinct answer's options (checkboxes); a single choice is its own option.
    # A column with many answers (`many`) has none: its answers are split as they come.
    splits: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # More distinct answers than the import keeps (see ManyAnswers): `distinct` is a
    # lower bound.
    many: bool = False
    # A choice whose answers are too many to be options (the import refuses it).
    too_many: bool = False

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS


def is_other(text: str) -> bool:
    """その他, その他（具体的に）…: the answer a top-N table folds the rest into."""
    return normalize(text).startswith(OTHER_OPTION)


_LEADING_NUMBER = re.compile(r"^(?:小|中|高)?(\d{1,4})")


def _ordered_options(
    ticks: Mapping[str, int], scale: Scale | None, known_order: Sequence[str] = ()
) -> tuple[str, ...]:
    """Options already kept stay in the order a person left them; new ones follow in
    the scale's order, in numeric order for numbers, else the most ticked first and
    その他 last."""
    kept = list(dict.fromkeys(known_order))
    fresh = [o for o in ticks if o not in set(kept)]
    if scale is not None:
        rank = {o: i for i, o in enumerate(scale.options)}
        fresh.sort(key=lambda o: rank.get(o, len(rank)))
    elif fresh and all(parse_number(o) is not None for o in fresh):
        fresh.sort(key=lambda o: parse_number(o) or 0)
    elif fresh and all(_LEADING_NUMBER.match(o) for o in fresh):
        # 1年, 2年 … or 1回, 2〜3回: in the order of their numbers.
        fresh.sort(key=lambda o: int(_LEADING_NUMBER.match(o)[1]))
    else:
        fresh.sort(key=lambda o: (is_other(o), -ticks[o]))
    return (*kept, *fresh)


def _is_small_integer_scale(values: Collection[str]) -> bool:
    numbers = [parse_number(v) for v in values]
    if any(n is None for n in numbers):
        return False
    return (
        len(numbers) <= 11 and all(n == n.to_integral_value() and 0 <= n <= 10 for n in numbers)  # type: ignore[union-attr]
    )


@dataclass(frozen=True)
class ManyAnswers:
    """What is known of a column with more distinct answers than are kept (the import
    keeps a bounded sample of them, so that memory does not grow with the file), counted
    over every answer: such a column is never a single choice (it would need an option
    per answer); it is a timestamp, a school, a number, checkboxes whose pieces are few,
    or free text."""

    answered: int
    timestamps: int = 0  # answers that are timestamps (counted where they may be)
    schools: int = 0  # answers naming a school (likewise)
    numbers_only: bool = False
    joined: bool = False  # some answer holds a separator
    # Every answer's pieces at its separators with their counts; None when there are
    # more than CHOICE_MAX_DISTINCT (too varied for checkboxes).
    pieces: Mapping[str, int] | None = None


def plain_pieces(text: str, separators: Sequence[str] = SEPARATORS) -> list[str]:
    """An answer cut at every separator (NFKC), each piece once."""
    pieces = (normalize(x) for x in _split_plain(text, separators))
    return list(dict.fromkeys(p for p in pieces if p))


def recognize_many(
    *,
    position: int,
    header: str,
    sample: Mapping[str, int],
    many: ManyAnswers,
    is_first: bool = False,
    known_kind: Kind | None = None,
    known_options: Sequence[str] = (),
    known_multiple: bool | None = None,
) -> ColumnGuess:
    """`recognize_column` for a column with too many distinct answers to keep (see
    ManyAnswers); `sample` is a bounded part of its answers, for the samples shown."""
    key = normalize(header)
    grid = split_grid_header(key)
    common = {
        "position": position,
        "header": header,
        "key": key,
        "answered": many.answered,
        "distinct": len(sample),
        "samples": tuple(sorted(sample, key=lambda v: -sample[v])[:5]),
        "grid_title": grid[0] if grid else "",
        "grid_row": grid[1] if grid else "",
        "many": True,
    }
    kind = known_kind
    if kind is None:
        named = key.lower() in TIMESTAMP_HEADERS
        total = many.answered
        if (named or is_first) and (
            many.timestamps == total or (named and many.timestamps >= 0.5 * total)
        ):
            kind = Kind.TIMESTAMP
        elif any(word in key for word in SCHOOL_HEADER_WORDS) and many.schools >= 0.8 * total:
            kind = Kind.SCHOOL
        elif many.numbers_only:
            kind = Kind.NUMBER
        elif many.joined and many.pieces is not None:
            kind = Kind.GRID_ROW if grid else Kind.CHECKBOXES
        else:
            kind = Kind.FREE_TEXT
    if kind in (Kind.TIMESTAMP, Kind.NUMBER, Kind.FREE_TEXT, Kind.SCHOOL):
        return ColumnGuess(kind=kind, **common)
    if kind is Kind.GRID_ROW and known_multiple is not None:
        multiple = known_multiple
    else:
        multiple = kind is Kind.CHECKBOXES or (kind is Kind.GRID_ROW and many.joined)
    if not multiple or many.pieces is None:
        return ColumnGuess(kind=kind, multiple=multiple, too_many=True, **common)
    ticks = dict(many.pieces)
    scale = recognize_scale([*known_options, *ticks])
    return ColumnGuess(
        kind=kind,
        options=_ordered_options(ticks, scale, known_options),
        scale=scale,
        multiple=True,
        **common,
    )


def recognize_column(
    *,
    position: int,
    header: str,
    values: Mapping[str, int],
    is_first: bool = False,
    is_school: Callable[[str], bool] | None = None,
    known_kind: Kind | None = None,
    known_options: Sequence[str] = (),
    known_multiple: bool | None = None,
    separators: Sequence[str] = SEPARATORS,
) -> ColumnGuess:
    """Recognises one column from its distinct (normalised, non-empty) answers and
    their counts. `known_kind` and `known_options` are what the survey already knows of
    this question (a kind a person corrected wins over the guess; options kept keep
    their order); `is_school(value)` says whether a value names one of the portal's
    schools."""
    key = normalize(header)
    grid = split_grid_header(key)
    answered = sum(values.values())
    samples = tuple(sorted(values, key=lambda v: -values[v])[:5])
    common = {
        "position": position,
        "header": header,
        "key": key,
        "answered": answered,
        "distinct": len(values),
        "samples": samples,
        "grid_title": grid[0] if grid else "",
        "grid_row": grid[1] if grid else "",
    }
    kind = known_kind or _guess_kind(
        key=key,
        values=values,
        is_first=is_first,
        is_school=is_school,
        grid=grid is not None,
        known_options=known_options,
        separators=separators,
    )
    if kind in (Kind.TIMESTAMP, Kind.NUMBER, Kind.FREE_TEXT, Kind.SCHOOL):
        return ColumnGuess(kind=kind, **common)
    if kind is Kind.GRID_ROW and known_multiple is not None:
        multiple = known_multiple
    else:
        multiple = kind is Kind.CHECKBOXES or (
            kind is Kind.GRID_ROW and _splits_into_known(values, known_options, separators)
        )
    if multiple:
        splits, ticks = learn_options(values, known=known_options, separators=separators)
    else:
        splits = {value: [value] for value in values}
        ticks = dict(values)
    scale = recognize_scale([*known_options, *ticks])
    options = _ordered_options(ticks, scale, known_options)
    return ColumnGuess(
        kind=kind,
        options=options,
        scale=scale,
        multiple=multiple,
        splits={value: tuple(pieces) for value, pieces in splits.items()},
        **common,
    )


def _splits_into_known(
    values: Mapping[str, int], known: Collection[str], separators: Sequence[str]
) -> bool:
    """True when some answer joins two or more options (the column is checkboxes)."""
    splits, _ticks = learn_options(values, known=known, separators=separators)
    return any(len(pieces) > 1 for pieces in splits.values())


def _mostly_few(counts: Mapping[str, int]) -> bool:
    """Nine in ten answers are among the most common few (a choice with an "other"
    box reads as a choice, not free text)."""
    top = sum(sorted(counts.values(), reverse=True)[:CHOICE_MAX_DISTINCT])
    return top >= 0.9 * sum(counts.values())


def _guess_kind(
    *,
    key: str,
    values: Mapping[str, int],
    is_first: bool,
    is_school: Callable[[str], bool] | None,
    grid: bool,
    known_options: Sequence[str],
    separators: Sequence[str],
) -> Kind:
    named_timestamp = key.lower() in TIMESTAMP_HEADERS
    if values and (named_timestamp or is_first):
        # A column named タイムスタンプ is the timestamp even with a few bad cells (they
        # are reported by row); an unnamed first column only when every cell is one.
        parsed = sum(count for value, count in values.items() if is_timestamp(value))
        total = sum(values.values())
        if parsed == total or (named_timestamp and parsed >= 0.5 * total):
            return Kind.TIMESTAMP
    if not values:
        return Kind.GRID_ROW if grid else Kind.CHOICE
    if is_school is not None and any(word in key for word in SCHOOL_HEADER_WORDS):
        matched = sum(count for value, count in values.items() if is_school(value))
        if matched >= 0.8 * sum(values.values()):
            return Kind.SCHOOL
    if all(parse_number(v) is not None for v in values):
        return Kind.CHOICE if _is_small_integer_scale(values) or grid else Kind.NUMBER
    if grid:
        return Kind.GRID_ROW
    if any(has_separator(v, separators) for v in values):
        splits, ticks = learn_options(values, known=known_options, separators=separators)
        joined = any(len(pieces) > 1 for pieces in splits.values())
        # Joined answers: checkboxes, unless the pieces are as varied as free text.
        if joined and (len(ticks) <= CHOICE_MAX_DISTINCT or _mostly_few(ticks)):
            return Kind.CHECKBOXES
    answered = sum(values.values())
    distinct = len(values)
    if distinct > CHOICE_MAX_DISTINCT:
        # Many distinct answers, unless most people gave one of a few (a choice with
        # an "other" box still reads as a choice).
        return Kind.CHOICE if _mostly_few(values) else Kind.FREE_TEXT
    ratio = distinct / answered if answered else 0
    mean_length = sum(len(v) * c for v, c in values.items()) / answered if answered else 0
    if recognize_scale(values) is not None:
        return Kind.CHOICE
    if any(word in key for word in FREE_TEXT_HEADER_WORDS) and (ratio > 0.2 or mean_length > 15):
        return Kind.FREE_TEXT
    if ratio > 0.5 and (distinct > 10 or mean_length > 12):
        return Kind.FREE_TEXT
    return Kind.CHOICE


def unique_keys(headers: Sequence[str]) -> list[str]:
    """The question text of each column: NFKC; a header that repeats gets (2), (3)…"""
    seen: dict[str, int] = {}
    keys = []
    for index, header in enumerate(headers, start=1):
        key = normalize(header) or f"列{index}"
        seen[key] = seen.get(key, 0) + 1
        keys.append(key if seen[key] == 1 else f"{key} ({seen[key]})")
    return keys


# --- Coding suggestions ----------------------------------------------------------------------------


def suggest_codes(text: str, categories: Sequence[tuple[Any, Sequence[str]]]) -> list[Any]:
    """The categories whose keywords the answer contains (NFKC, case ignored), those
    matching more keywords first, then in the codebook's order."""
    folded = normalize(text).lower()
    scored = []
    for index, (key, keywords) in enumerate(categories):
        hits = sum(1 for word in keywords if word and normalize(word).lower() in folded)
        if hits:
            scored.append((-hits, index, key))
    return [key for _h, _i, key in sorted(scored)]

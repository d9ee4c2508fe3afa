"""Japanese school calendar arithmetic: fiscal years (April–March), 令和 labels,
terms (学期) and months. Pure functions over dates and ints; no ORM here.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

REIWA_FIRST_YEAR = 2019  # 令和元年 = 2019 (from 1 May 2019; fiscal 2019 is 令和元年度)
FISCAL_YEAR_START_MONTH = 4
MIN_YEAR, MAX_YEAR = 1900, 2999


def fiscal_year(day: dt.date) -> int:
    """The fiscal year (年度) a date falls in, named by the calendar year it starts in."""
    return day.year if day.month >= FISCAL_YEAR_START_MONTH else day.year - 1


def fiscal_year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)


def reiwa_year_label(year: int) -> str:
    """2022 → '令和4', 2019 → '令和元'. Years before Reiwa are given in Heisei."""
    if year >= REIWA_FIRST_YEAR:
        n = year - REIWA_FIRST_YEAR + 1
        return "令和元" if n == 1 else f"令和{n}"
    n = year - 1988
    return "平成元" if n == 1 else f"平成{n}"


def wareki_date(day: dt.date) -> str:
    """2022-12-10 → '令和4年12月10日' (letters to the parents are dated this way)."""
    return f"{reiwa_year_label(day.year)}年{day.month}月{day.day}日"


def fiscal_year_label(year: int, *, language: str = "ja") -> str:
    """2022 → '令和4年度'; 2019 → '令和元年度'; in English 'FY2022'."""
    if language.startswith("en"):
        return f"FY{year}"
    return f"{reiwa_year_label(year)}年度"


class YearOutOfRange(ValueError):
    """A month or date whose year no record can have (before 1900, after 2999)."""


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; the unit of traffic usage, breakage reports and dashboards."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1..12, not {self.month}")
        # Year 0 or 9999 in a query string or a CSV is a typing error, and month
        # arithmetic near datetime's limits would fail later, far from the input.
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise YearOutOfRange(f"year must be {MIN_YEAR}..{MAX_YEAR}, not {self.year}")

    @classmethod
    def of(cls, day: dt.date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str) -> Month:
        """Reads '2022-09', '2022/9', '2022年9月', '202209' and full-width digits.

        Raises ValueError with an English message for anything else.
        """
        norm = unicodedata.normalize("NFKC", text).strip()
        match = re.fullmatch(r"(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*月?", norm) or re.fullmatch(
            r"(\d{4})(\d{2})", norm
        )
        if not match:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def last_day(self) -> dt.date:
        return self.next().first_day() - dt.timedelta(days=1)

    def add(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    def next(self) -> Month:
        return self.add(1)

    def previous(self) -> Month:
        return self.add(-1)

    def fiscal_year(self) -> int:
        return fiscal_year(self.first_day())

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def month_range(start: Month, end: Month) -> Iterator[Month]:
    """Every month from start to end, both included."""
    current = start
    while current <= end:
        yield current
        current = current.next()


def fiscal_months(year: int) -> list[Month]:
    """April of `year` to March of `year + 1`."""
    return list(month_range(Month(year, 4), Month(year + 1, 3)))


MONTH_ABBR_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = {"ja": "月火水木金土日", "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")}


def month_label(month: Month, *, with_year: bool = False, language: str = "ja") -> str:
    """'9月', or with the year '2022年9月'; in English 'Sep', 'Sep 2022'."""
    if language.startswith("en"):
        name = MONTH_ABBR_EN[month.month - 1]
        return f"{name} {month.year}" if with_year else name
    return f"{month.year}年{month.month}月" if with_year else f"{month.month}月"


def japanese_date(day: dt.date, *, weekday: bool = False, language: str = "ja") -> str:
    """'2022年4月15日', optionally with the weekday '2022年4月15日(金)'; in English
    '15 Apr 2022 (Fri)'."""
    if language.startswith("en"):
        text = f"{day.day} {MONTH_ABBR_EN[day.month - 1]} {day.year}"
        return text + f" ({WEEKDAYS['en'][day.weekday()]})" if weekday else text
    text = f"{day.year}年{day.month}月{day.day}日"
    if weekday:
        text += "(" + WEEKDAYS["ja"][day.weekday()] + ")"
    return text


@dataclass(frozen=True)
class Term:
    """One 学期 of a fiscal year: number 1..3 and its inclusive date range."""

    fiscal_year: int
    number: int
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return term_label(self.number)

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def default_terms(year: int) -> list[Term]:
    """The city's default three terms: Apr 1–Aug 31, Sep 1–Dec 31, Jan 1–Mar 31."""
    return [
        Term(year, 1, dt.date(year, 4, 1), dt.date(year, 8, 31)),
        Term(year, 2, dt.date(year, 9, 1), dt.date(year, 12, 31)),
        Term(year, 3, dt.date(year + 1, 1, 1), dt.date(year + 1, 3, 31)),
    ]


def merge_terms(year: int, edited: Iterable[Term]) -> list[Term]:
    """The year's terms: each one edited in admin replaces the default of its number,
    so changing the 2学期 dates does not make 1学期 and 3学期 disappear."""
    by_number = {term.number: term for term in edited}
    return [by_number.pop(term.number, term) for term in default_terms(year)] + sorted(
        by_number.values(), key=lambda t: t.number
    )


def validate_terms(terms: Sequence[Term]) -> list[str]:
    """Problems with a fiscal year's terms, as English sentences; empty when sound.

    Terms must be numbered 1..n, lie inside the fiscal year, and not overlap. Gaps
    (holidays between terms) are allowed: a day in a gap belongs to no term.
    """
    problems: list[str] = []
    ordered = sorted(terms, key=lambda t: t.number)
    if [t.number for t in ordered] != list(range(1, len(ordered) + 1)):
        problems.append("terms must be numbered 1, 2, 3 … without gaps")
    for term in ordered:
        first, last = fiscal_year_bounds(term.fiscal_year)
        if term.start > term.end:
            problems.append(f"term {term.number} ends before it starts")
        if term.start < first or term.end > last:
            problems.append(f"term {term.number} lies outside fiscal year {term.fiscal_year}")
    for earlier, later in zip(ordered, ordered[1:], strict=False):
        if later.start <= earlier.end:
            problems.append(f"terms {earlier.number} and {later.number} overlap")
    return problems


def term_of(day: dt.date, terms: Iterable[Term]) -> Term | None:
    """The term a day falls in, or None for a day between terms."""
    for term in terms:
        if term.contains(day):
            return term
    return None


def term_label(number: int, *, language: str = "ja") -> str:
    """1 → '1学期'; in English 'Term 1'."""
    return f"Term {number}" if language.startswith("en") else f"{number}学期"

"""The calendar's words in the reader's language: gigaportal.calendar's pure labels,
given the language Django has active (Japanese first, English when chosen). Pages,
downloads and charts write months, fiscal years, terms and dates through these."""

from __future__ import annotations

import datetime as dt

from django.utils import translation

from gigaportal import calendar
from gigaportal.calendar import Month


def language() -> str:
    return translation.get_language() or "ja"


def month_text(month: Month, *, with_year: bool = True) -> str:
    return calendar.month_label(month, with_year=with_year, language=language())


def range_text(start: str, end: str) -> str:
    """Two texts as a range: 2022年1月〜2022年12月; Jan 2022 – Dec 2022 in English."""
    return f"{start}〜{end}" if language().startswith("ja") else f"{start} – {end}"


def fiscal_year_text(year: int) -> str:
    return calendar.fiscal_year_label(year, language=language())


def term_text(number: int) -> str:
    return calendar.term_label(number, language=language())


def date_text(day: dt.date, *, weekday: bool = False) -> str:
    return calendar.japanese_date(day, weekday=weekday, language=language())

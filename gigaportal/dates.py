"""The calendar's words in the reader's language: gigaportal.calendar's pure labels,
given the language Django has active (Japanese first, English when chosen). Pages,
downloads and charts write months, fiscal years, terms and dates through these."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext

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


# --- The date window: the one definition of a date the portal accepts ------------------


@dataclass(frozen=True)
class DateWindow:
    """The first and last day a date may be, wherever it comes in (a form, a query
    string, an imported cell): from DATE_WINDOW_START to 31 December of the year
    DATE_WINDOW_YEARS_AHEAD years after this one. A date outside it is a typing
    error (0001-01-01, 9999-12-31, 20222-04-01), never a record."""

    start: dt.date
    end: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.start <= day <= self.end

    @property
    def first_month(self) -> Month:
        return Month.of(self.start)

    @property
    def last_month(self) -> Month:
        return Month.of(self.end)

    def has_month(self, month: Month) -> bool:
        return self.first_month <= month <= self.last_month

    @property
    def fiscal_years(self) -> range:
        """The fiscal years that begin (1 April) inside the window: 2000 to next year
        by default."""
        first = (
            self.start.year if self.start <= dt.date(self.start.year, 4, 1) else self.start.year + 1
        )
        last = self.end.year if self.end >= dt.date(self.end.year, 4, 1) else self.end.year - 1
        return range(first, last + 1)

    def error(self) -> str:
        """The message for a date outside the window (in the reader's language)."""
        return gettext("Dates from %(start)s to %(end)s are accepted.") % {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }


def date_window(*, today: dt.date | None = None) -> DateWindow:
    """The window as the settings and today's date make it."""
    today = today or timezone.localdate()
    end_year = min(today.year + settings.DATE_WINDOW_YEARS_AHEAD, calendar.MAX_YEAR)
    return DateWindow(start=settings.DATE_WINDOW_START, end=dt.date(end_year, 12, 31))


def validate_in_window(value) -> None:
    """A validator for form and model date fields (a datetime is checked by its day)."""
    if value is None:
        return
    day = value.date() if isinstance(value, dt.datetime) else value
    window = date_window()
    if day not in window:
        raise ValidationError(
            gettext("%(value)s is outside the accepted dates. %(window)s")
            % {"value": day.isoformat(), "window": window.error()},
            code="outside_date_window",
        )


def months_in_window(days) -> list[Month]:
    """The months of `days` (dates, e.g. a queryset's `.dates(…, "month")`) that lie in
    the date window, oldest first: what a period picker offers. A row dated 0001 or 9999,
    stored before the window existed, is left out rather than offered as a year."""
    window = date_window()
    return sorted({Month.of(day) for day in days if day is not None and day in window})

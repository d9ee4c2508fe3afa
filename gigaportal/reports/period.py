"""The period a report covers, read once from the query string for every report page.

Three kinds, one set of parameters everywhere:
- a fiscal year `?fy=2022` (令和4年度, April 2022 to March 2023);
- a month `?month=2022-09`;
- a range of months `?from=2022-01&to=2022-12`.

A report asks for one kind; a link made for another kind still lands sensibly (a
dashboard card's `?month=2022-12` opens a fiscal-year report on 令和4年度, a range
report on that month). A page given no period shows the latest one with records, and
says so when that is not the current one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from gigaportal.calendar import Month, fiscal_months, fiscal_year
from gigaportal.params import fiscal_year_param, month_param


class PeriodKind(StrEnum):
    FISCAL_YEAR = "fy"
    MONTH = "month"
    RANGE = "range"


PARAMETERS = ("fy", "month", "from", "to")


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: Month
    end: Month
    # Chosen for the reader (no period in the query): the latest with records.
    is_default: bool = False

    # --- Making one ---

    @classmethod
    def fiscal(cls, year: int) -> Period:
        months = fiscal_months(year)
        return cls(PeriodKind.FISCAL_YEAR, months[0], months[-1])

    @classmethod
    def month(cls, month: Month) -> Period:
        return cls(PeriodKind.MONTH, month, month)

    @classmethod
    def range(cls, start: Month, end: Month) -> Period:
        if end < start:
            start, end = end, start
        return cls(PeriodKind.RANGE, start, end)

    @classmethod
    def of_kind(cls, kind: PeriodKind, start: Month, end: Month | None = None) -> Period:
        """The period of `kind` that a month (or a span) given for another kind means."""
        end = end or start
        if kind is PeriodKind.FISCAL_YEAR:
            return cls.fiscal(end.fiscal_year())
        if kind is PeriodKind.MONTH:
            return cls.month(end)
        return cls.range(start, end)

    def as_default(self) -> Period:
        return replace(self, is_default=True)

    # --- Reading one ---

    @property
    def fiscal_year(self) -> int:
        return self.start.fiscal_year()

    @property
    def first_day(self) -> dt.date:
        return self.start.first_day()

    @property
    def last_day(self) -> dt.date:
        return self.end.last_day()

    def months(self) -> list[Month]:
        months, current = [], self.start
        while current <= self.end:
            months.append(current)
            current = current.next()
        return months

    def contains(self, day: dt.date) -> bool:
        return self.first_day <= day <= self.last_day

    @property
    def label(self) -> str:
        """令和4年度, 2022年9月, 2022年1月〜2022年12月 (FY2022, Sep 2022, Jan 2022 – Dec
        2022 in English)."""
        from gigaportal.dates import fiscal_year_text, month_text, range_text

        if self.kind is PeriodKind.FISCAL_YEAR:
            return fiscal_year_text(self.fiscal_year)
        if self.start == self.end:
            return month_text(self.start)
        return range_text(month_text(self.start), month_text(self.end))

    def params(self) -> dict[str, str]:
        """The query parameters that name this period."""
        if self.kind is PeriodKind.FISCAL_YEAR:
            return {"fy": str(self.fiscal_year)}
        if self.kind is PeriodKind.MONTH:
            return {"month": str(self.start)}
        return {"from": str(self.start), "to": str(self.end)}

    @property
    def slug(self) -> str:
        """For file names: 2022, 2022-09, 2022-01_2022-12."""
        if self.kind is PeriodKind.FISCAL_YEAR:
            return str(self.fiscal_year)
        if self.start == self.end:
            return str(self.start)
        return f"{self.start}_{self.end}"

    def is_current(self, today: dt.date) -> bool:
        return self.contains(today) or (
            self.kind is PeriodKind.FISCAL_YEAR and self.fiscal_year == fiscal_year(today)
        )

    def __str__(self) -> str:
        return self.label


def _month(params: Mapping[str, str], name: str) -> Month | None:
    """A month inside the portal's date window (gigaportal.params.month_param): a year
    typed as 2999 or 1900 is a typing error; stepping a month back or forth from the
    window's edge gives a Month that the next request simply falls back from."""
    return month_param(params, name)


def parse_period(params: Mapping[str, str], kind: PeriodKind) -> Period | None:
    """The period the query string names, as a period of `kind`; None when it names
    none (or nothing that parses: the page then shows its default)."""
    start, end = _month(params, "from"), _month(params, "to")
    if kind is PeriodKind.RANGE and (start or end):
        return Period.range(start or end, end or start)
    month = _month(params, "month")
    if month:
        return Period.of_kind(kind, month)
    year = fiscal_year_param(params, "fy")
    if year:
        if kind is PeriodKind.FISCAL_YEAR:
            return Period.fiscal(year)
        fiscal = Period.fiscal(year)
        return Period.of_kind(kind, fiscal.start, fiscal.end)
    if start or end:
        return Period.of_kind(kind, start or end, end or start)
    return None


def fiscal_years_of(months: Sequence[Month]) -> list[int]:
    """Fiscal years that contain any of `months`, newest first."""
    return sorted({m.fiscal_year() for m in months}, reverse=True)

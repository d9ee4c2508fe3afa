"""Query-string values every report page reads, parsed in one place.

A value that does not parse is None (the page falls back to its own default), never
a traceback: `?month=abc`, `?fiscal_year=9999` and `?staff=x` are typing errors.
"""

from __future__ import annotations

from collections.abc import Mapping

from gigaportal.calendar import Month

FISCAL_YEAR_RANGE = range(2000, 2101)


def month_param(params: Mapping[str, str], name: str) -> Month | None:
    """'2022-09', '2022/9', '2022年9月' → Month; anything else → None."""
    text = params.get(name)
    if not text:
        return None
    try:
        return Month.parse(text)
    except ValueError:
        return None


def int_param(params: Mapping[str, str], name: str) -> int | None:
    text = (params.get(name) or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def fiscal_year_param(params: Mapping[str, str], name: str) -> int | None:
    """A fiscal year (2000–2100) named in the query string, or None."""
    year = int_param(params, name)
    return year if year in FISCAL_YEAR_RANGE else None

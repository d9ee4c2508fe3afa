"""Query-string values every report page reads, parsed in one place.

A value that does not parse is None (the page falls back to its own default), never
a traceback: `?month=abc`, `?fy=9999` and `?staff=x` are typing errors. Dates, months
and fiscal years must also fall inside the portal's date window (gigaportal.dates):
`?month=0001-01` or `?on=9999-12-31` is one too.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Collection, Mapping
from typing import Any

from gigaportal.calendar import Month
from gigaportal.dates import date_window


def month_param(params: Mapping[str, str], name: str) -> Month | None:
    """'2022-09', '2022/9', '2022年9月' → Month inside the date window; else None."""
    text = params.get(name)
    if not text:
        return None
    try:
        month = Month.parse(text)
    except ValueError:
        return None
    return month if date_window().has_month(month) else None


def int_param(params: Mapping[str, str], name: str) -> int | None:
    """A positive id or count in ASCII digits; '²', '１' or '1e3' are not ids."""
    text = (params.get(name) or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 12 else None


def choice_param(
    params: Mapping[str, str], name: str, choices: Collection, convert: Callable = str
) -> Any:
    """The value if it is one of `choices` (after `convert`), else None."""
    text = (params.get(name) or "").strip()
    if not text or not text.isascii():
        return None
    try:
        value = convert(text)
    except (TypeError, ValueError):
        return None
    return value if value in choices else None


def fiscal_year_param(params: Mapping[str, str], name: str) -> int | None:
    """A fiscal year with a day inside the date window, or None."""
    year = int_param(params, name)
    return year if year in date_window().fiscal_years else None


def date_param(params: Mapping[str, str], name: str) -> dt.date | None:
    """'2022-04-01' (the form an <input type=date> sends) → a date; else None."""
    text = (params.get(name) or "").strip()
    if not text or not text.isascii() or len(text) != 10:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if day in date_window() else None


_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9,)) | {127: None}
SEARCH_MAX = 100


def clean_text(text: str, *, limit: int = SEARCH_MAX) -> str:
    """Typed text as a search can use it: NFKC (full-width letters and digits as typed
    on a phone), control characters and NUL removed (the database refuses NUL), at
    most `limit` characters, trimmed."""
    text = unicodedata.normalize("NFKC", text or "").translate(_CONTROL).replace("\t", " ")
    return text[:limit].strip()


def search_param(params: Mapping[str, str], name: str = "q") -> str:
    """The search box's text, cleaned (see clean_text); empty for none."""
    return clean_text(params.get(name) or "")

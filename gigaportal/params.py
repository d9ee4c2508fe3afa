"""Query-string values every report page reads, parsed in one place.

A value that does not parse is None (the page falls back to its own default), never
a traceback: `?month=abc`, `?fy=9999` and `?staff=x` are typing errors.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Collection, Mapping
from typing import Any

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
    """A fiscal year (2000–2100) named in the query string, or None."""
    year = int_param(params, name)
    return year if year in FISCAL_YEAR_RANGE else None


def date_param(params: Mapping[str, str], name: str) -> dt.date | None:
    """'2022-04-01' (the form an <input type=date> sends) → a date; else None."""
    text = (params.get(name) or "").strip()
    if not text or not text.isascii() or len(text) != 10:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        return None
    return day if day.year in FISCAL_YEAR_RANGE else None


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

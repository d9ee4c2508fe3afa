"""The one form a serial number is stored, imported, typed and looked up in."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def normalize_serial(value: str | None) -> str:
    """NFKC (full-width letters and digits from a phone or a spreadsheet), no spaces
    anywhere (a pasted 'DMPX 001'), upper case: 'ｄｍｐｘ００１ ' → 'DMPX001'."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", value or "")).upper()

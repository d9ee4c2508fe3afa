"""The carrier's monthly usage CSV, read row by row: pure functions over the shared
reader's rows (no database here). traffic.services.usage streams a file through them
(or through SQL that gives the same results, for plain rows on PostgreSQL) into its
staging table.

Units: usage in GB (`usage_gb`, 通信量(GB)) or MB (`usage_mb`, 通信量(MB)), with
1 GB = 1,024 MB. Values are kept in MB with three decimals.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.translation import gettext as _

from gigaportal.tabular import Column, Row, TableReader, TabularError, parse_decimal, parse_month

MB_PER_GB = 1024
COLUMNS = (
    # A line number as typed (with dashes or spaces) before it is put in its form.
    Column("line_number", ("回線番号", "電話番号"), max_length=30),
    Column("month", ("利用月", "請求月"), max_length=30),
    Column("usage_gb", ("通信量(GB)", "データ通信量(GB)"), required=False, max_length=30),
    Column("usage_mb", ("通信量(MB)", "データ通信量(MB)"), required=False, max_length=30),
    # The school code's length in gigaportal.models.School (traffic cannot import the
    # model here: parsing is pure).
    Column("school_code", ("学校コード",), required=False, max_length=20),
)
# No cellular line moves a petabyte a month: a larger figure is a unit or typing error
# (and would not fit the usage column).
MAX_USAGE_GB = 1_000_000
_LINE_DIGITS = re.compile(r"\d{10,11}")


def parse_line_number(text: str) -> str:
    """'07012345678', '070-1234-5678' or '070 1234 5678' → '070-1234-5678'."""
    digits = text.replace("-", "").replace(" ", "")
    if not _LINE_DIGITS.fullmatch(digits):
        raise ValueError(_("%(value)r is not a line number (e.g. 070-1234-5678)") % {"value": text})
    if len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return f"{digits[:2]}-{digits[2:6]}-{digits[6:]}"


def usage_key(reader: TableReader) -> str:
    in_mb = reader.has_column("usage_mb")
    if in_mb and reader.has_column("usage_gb"):
        raise TabularError.single(
            _("The file has both a GB and an MB usage column; keep one."), row=1
        )
    if not in_mb and not reader.has_column("usage_gb"):
        raise TabularError.single(
            _(
                "the column is missing (expected one of: usage_gb / 通信量(GB) / データ通信量(GB) / usage_mb / 通信量(MB))"
            ),
            row=1,
            column=_("usage"),
        )
    return "usage_mb" if in_mb else "usage_gb"


class RowParser:
    """The one definition of a good row: used for every row on SQLite and for the
    rows PostgreSQL sets aside. Errors go to the row's reader."""

    def __init__(self, usage_key: str) -> None:
        self.usage_key = usage_key
        self.in_mb = usage_key == "usage_mb"
        self.months: dict[str, dt.date] = {}

    def month_of(self, text: str) -> dt.date:
        # Carrier files repeat one or two month spellings on every row.
        day = self.months.get(text)
        if day is None:
            day = self.months[text] = parse_month(text).first_day()
        return day

    def __call__(self, row: Row) -> tuple | None:
        line = row.parse("line_number", parse_line_number)
        month = row.parse("month", self.month_of)
        usage = row.parse(self.usage_key, parse_decimal)
        if usage is not None and usage > (MAX_USAGE_GB * MB_PER_GB if self.in_mb else MAX_USAGE_GB):
            row.error(
                self.usage_key,
                _("%(value)s is more than one line can use in a month (at most %(limit)s GB)")
                % {"value": row.get(self.usage_key), "limit": f"{MAX_USAGE_GB:,}"},
            )
            usage = None
        school_code = row.get("school_code") or None
        if line is None or month is None or usage is None:
            return None
        return (row.number, line, month, usage if self.in_mb else usage * MB_PER_GB, school_code)

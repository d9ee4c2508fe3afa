"""Import of the carrier's monthly usage CSV, at COPY speed.

The file is read once, streaming, through the shared TableReader. Each good row goes
straight into a temporary staging table (PostgreSQL: `COPY … FROM STDIN`; SQLite:
batched inserts), so memory does not grow with the file. Checks that need the whole
file (a line twice in one month, unknown school codes) run as SQL on the staging
table. Only when nothing is wrong is the staging table applied, set-based: new lines
inserted, the file's months deleted and inserted again. All of it in one transaction:
a bad file writes nothing, and importing a month again replaces it.

Units: usage in GB (`usage_gb`, 通信量(GB)) or MB (`usage_mb`, 通信量(MB)), with
1 GB = 1,024 MB. Values are kept in MB with three decimals.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import IO

from django.db import connection, transaction
from django.utils.translation import gettext as _

from gigaportal.calendar import Month
from gigaportal.models import School
from gigaportal.tabular import (
    CellError,
    Column,
    TableReader,
    TabularError,
    parse_decimal,
    parse_month,
)
from traffic.models import MB_PER_GB

COLUMNS = (
    Column("line_number", ("回線番号", "電話番号")),
    Column("month", ("利用月", "請求月")),
    Column("usage_gb", ("通信量(GB)", "データ通信量(GB)"), required=False),
    Column("usage_mb", ("通信量(MB)", "データ通信量(MB)"), required=False),
    Column("school_code", ("学校コード",), required=False),
)

STAGING = "traffic_usage_staging"
SQLITE_BATCH = 5_000
PROGRESS_EVERY = 20_000
MB_QUANTUM = Decimal("0.001")
_LINE_DIGITS = re.compile(r"\d{10,11}")

Progress = Callable[[int, int], None]  # (rows read, bytes read)


@dataclass(frozen=True)
class UsageImportResult:
    rows: int
    months: tuple[Month, ...]
    lines_created: int

    # CsvImportView's default message speaks of created/updated records.
    @property
    def created(self) -> int:
        return self.rows

    @property
    def updated(self) -> int:
        return 0


def parse_line_number(text: str) -> str:
    """'07012345678', '070-1234-5678' or '070 1234 5678' → '070-1234-5678'."""
    digits = text.replace("-", "").replace(" ", "")
    if not _LINE_DIGITS.fullmatch(digits):
        raise ValueError(_("%(value)r is not a line number (e.g. 070-1234-5678)") % {"value": text})
    if len(digits) == 11:
        return f"{digits[:3]}-{digits[3:7]}-{digits[7:]}"
    return f"{digits[:2]}-{digits[2:6]}-{digits[6:]}"


def gb_to_mb(value: Decimal) -> Decimal:
    return (value * MB_PER_GB).quantize(MB_QUANTUM, rounding=ROUND_HALF_UP)


def usage_import(*, file: IO[bytes], progress: Progress | None = None) -> UsageImportResult:
    """Imports a carrier CSV (one or several months); see the module docstring.

    1. Read the header (TabularError at once for a missing column).
    2. Stream every row: parse, and stage the good ones.
    3. Check the staged rows as a whole (duplicates, school codes).
    4. Refuse the file if any row was wrong: the transaction rolls back.
    5. Apply the staging table to lines and monthly usage, set-based.
    """
    reader = TableReader(file, COLUMNS)
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
    usage_key = "usage_mb" if in_mb else "usage_gb"
    months: dict[str, dt.date] = {}

    def month_of(text: str) -> dt.date:
        # Carrier files repeat one or two month spellings on every row.
        day = months.get(text)
        if day is None:
            day = months[text] = parse_month(text).first_day()
        return day

    def staged_rows() -> Iterable[tuple]:
        for row in reader:
            line = row.parse("line_number", parse_line_number)
            month = row.parse("month", month_of)
            usage = row.parse(usage_key, parse_decimal)
            school_code = row.get("school_code") or None
            if progress and reader.rows_read % PROGRESS_EVERY == 0:
                progress(reader.rows_read, _tell(file))
            if line is None or month is None or usage is None:
                continue
            yield (row.number, line, month, usage if in_mb else usage * MB_PER_GB, school_code)

    with transaction.atomic():
        _create_staging()
        _fill_staging(staged_rows())
        for error in _whole_file_problems(reader):
            reader.errors.add(error.row, error.column, error.message)
        reader.raise_if_errors()
        result = _apply_staging()
        _drop_staging()
    if progress:
        progress(reader.rows_read, _tell(file))
    return result


def usage_load_rows(
    *, rows: Iterable[tuple[str, dt.date, Decimal, str | None]]
) -> UsageImportResult:
    """Loads trusted, generated rows (line, month, usage MB, school code) through the
    same staging path as a file. For demo data and benchmarks; no checks."""
    numbered = ((n, *row) for n, row in enumerate(rows, start=2))
    with transaction.atomic():
        _create_staging()
        _fill_staging(numbered)
        result = _apply_staging()
        _drop_staging()
    return result


def _tell(file) -> int:
    try:
        return file.tell()
    except (OSError, ValueError, AttributeError):
        return 0


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _create_staging() -> None:
    with connection.cursor() as cursor:
        if _is_postgres():
            cursor.execute(
                f"CREATE TEMP TABLE {STAGING} (row_no integer NOT NULL, line varchar(20) NOT NULL,"
                " month date NOT NULL, usage_mb numeric(14, 3) NOT NULL, school_code varchar(20))"
                " ON COMMIT DROP"
            )
        else:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{STAGING}")
            cursor.execute(
                f"CREATE TEMP TABLE {STAGING} (row_no integer NOT NULL, line varchar(20) NOT NULL,"
                " month date NOT NULL, usage_mb decimal NOT NULL, school_code varchar(20))"
            )


def _drop_staging() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {STAGING}")


def _fill_staging(rows: Iterable[tuple]) -> None:
    """Streams (row_no, line, month, usage_mb, school_code) into the staging table."""
    with connection.cursor() as cursor:
        if _is_postgres():
            with cursor.copy(
                f"COPY {STAGING} (row_no, line, month, usage_mb, school_code) FROM STDIN"
            ) as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"ANALYZE {STAGING}")
            return
        sql = f"INSERT INTO {STAGING} (row_no, line, month, usage_mb, school_code) VALUES (?, ?, ?, ?, ?)"
        batch: list[tuple] = []
        for row_no, line, month, usage, school in rows:
            batch.append((row_no, line, month.isoformat(), str(usage), school))
            if len(batch) >= SQLITE_BATCH:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def _whole_file_problems(reader: TableReader) -> list[CellError]:
    """Problems only the whole file shows: a line twice in one month, unknown school codes."""
    problems: list[CellError] = []
    line_label = reader.header_label("line_number")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT line, month, MIN(row_no), MAX(row_no) FROM {STAGING}"
            " GROUP BY line, month HAVING COUNT(*) > 1 ORDER BY MIN(row_no) LIMIT 200"
        )
        for line, month, first, again in cursor.fetchall():
            month_text = str(month)[:7]
            problems.append(
                CellError(
                    again,
                    line_label,
                    _("%(line)s appears again for %(month)s (first on row %(first)s)")
                    % {"line": line, "month": month_text, "first": first},
                )
            )
        if reader.has_column("school_code"):
            school_table = School._meta.db_table
            cursor.execute(
                f"SELECT s.school_code, MIN(s.row_no) FROM {STAGING} s"
                f" LEFT JOIN {school_table} sc ON sc.code = s.school_code"
                " WHERE s.school_code IS NOT NULL AND sc.id IS NULL"
                " GROUP BY s.school_code ORDER BY MIN(s.row_no) LIMIT 200"
            )
            label = reader.header_label("school_code")
            for code, row_no in cursor.fetchall():
                problems.append(
                    CellError(row_no, label, _("no school has the code %(code)s") % {"code": code})
                )
    return sorted(problems, key=lambda p: p.row)


def _apply_staging() -> UsageImportResult:
    from traffic.models import Line, MonthlyUsage

    line_table = Line._meta.db_table
    usage_table = MonthlyUsage._meta.db_table
    school_table = School._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT month, COUNT(*) FROM {STAGING} GROUP BY month ORDER BY month")
        month_counts = cursor.fetchall()
        cursor.execute(f"SELECT COUNT(*) FROM {line_table}")
        lines_before = cursor.fetchone()[0]
        # A line's school comes from the file when it says; otherwise it stays as it was.
        cursor.execute(
            f"INSERT INTO {line_table} (number, school_id)"
            f" SELECT s.line, MAX(sc.id) FROM {STAGING} s"
            f" LEFT JOIN {school_table} sc ON sc.code = s.school_code"
            " WHERE 1 = 1 GROUP BY s.line"
            " ON CONFLICT (number) DO UPDATE SET school_id = EXCLUDED.school_id"
            f" WHERE EXCLUDED.school_id IS NOT NULL AND ({line_table}.school_id IS NULL"
            f" OR {line_table}.school_id <> EXCLUDED.school_id)"
        )
        cursor.execute(f"SELECT COUNT(*) FROM {line_table}")
        lines_after = cursor.fetchone()[0]
        cursor.execute(
            f"DELETE FROM {usage_table} WHERE month IN (SELECT DISTINCT month FROM {STAGING})"
        )
        cursor.execute(
            f"INSERT INTO {usage_table} (line_id, month, usage_mb)"
            f" SELECT l.id, s.month, s.usage_mb FROM {STAGING} s"
            f" JOIN {line_table} l ON l.number = s.line"
        )
    months = tuple(Month.parse(str(month)[:7]) for month, _count in month_counts)
    return UsageImportResult(
        rows=sum(count for _month, count in month_counts),
        months=months,
        lines_created=lines_after - lines_before,
    )

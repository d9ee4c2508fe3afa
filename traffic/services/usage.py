"""The import of the carrier's monthly usage CSV, at COPY speed (the rows are read by
traffic.parsing; this module stages and applies them in SQL).

The header is read by the shared TableReader (encoding, aliases, missing columns).
Every good row ends up in a temporary staging table of typed rows; checks that need
the whole file (a line twice in one month, unknown school codes) run as SQL on it.
Only when nothing is wrong is it applied, set-based: new lines inserted, the file's
months deleted and inserted again. All of it in one transaction: a bad file writes
nothing, and importing a month again replaces it.

How the rows reach the staging table:
- SQLite (the embedded default): each row is parsed in Python (traffic.parsing.RowParser,
  NFKC, the shared cell parsers) and inserted in batches.
- PostgreSQL: the csv module splits the records (the reader's own, so row numbers,
  blank rows and short rows are exactly as on SQLite) and the raw cells stream,
  re-encoded as CSV, into a text staging table with `COPY … FROM STDIN`. SQL then
  converts in one pass every row in the plain form carriers write (ASCII line
  number, digits and commas, a month spelling that `parse_month` accepted, ASCII
  school code) and sets the rest aside. Those few rows go through the RowParser, the
  same code as on SQLite, which gives their errors (same messages, same row order,
  same cap) or their values. So both paths accept the same files, store the same
  values and refuse with the same messages. A record the csv module cannot read
  sends the whole file through the Python path, which reports it.

Units: see traffic.parsing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import IO

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal import imports
from gigaportal.bulk import insert_into
from gigaportal.calendar import Month
from gigaportal.imports import ImportResult
from gigaportal.models import School
from gigaportal.tabular import CellError, TableReader, normalize, parse_month
from traffic import parsing
from traffic.models import Evaluation, Line, MonthlyUsage
from traffic.parsing import COLUMNS, MB_PER_GB, RowParser
from traffic.services.evaluation import evaluations_enqueue_on_commit
from traffic.services.partitions import months_replace, usage_partitioned
from traffic.services.totals import monthly_totals_refresh

STAGING = "traffic_usage_staging"
RAW = "traffic_usage_raw"  # PostgreSQL: the cells as read, before any check
SPELLINGS = "traffic_usage_month_spellings"  # PostgreSQL: each month spelling, parsed
SET_ASIDE = "traffic_usage_set_aside"  # PostgreSQL: rows for the Python parsers
COPY_CHUNK = 1 << 20
SQLITE_BATCH = 5_000
STAGING_COLUMNS = ["row_no", "line", "month", "usage_mb", "school_code"]
PROGRESS_EVERY = 20_000

Progress = Callable[[int, int], None]  # (rows read, bytes read)


def usage_import(
    *, file: IO[bytes], progress: Progress | None = None, python_parsing: bool = False
) -> ImportResult:
    """Imports a carrier CSV (one or several months); see the module docstring.

    `python_parsing=True` parses every row in Python on PostgreSQL too (the SQLite
    path); the tests use it to check that both paths agree.

    1. Read the header (TabularError at once for a missing column).
    2. Stream every row into the staging table: the good ones, typed; the bad ones
       leave their row-numbered errors on the reader.
    3. Check the staged rows as a whole (duplicates, school codes).
    4. Refuse the file if any row was wrong: the transaction rolls back.
    5. Apply the staging table to lines and monthly usage, set-based.
    """
    if hasattr(file, "seekable") and not file.seekable():
        file = io.BytesIO(file.read())  # read twice on PostgreSQL if a record is unreadable
    reader = TableReader(file, COLUMNS)
    usage_key = parsing.usage_key(reader)
    with transaction.atomic():
        _create_staging()
        if _is_postgres() and not python_parsing:
            try:
                with transaction.atomic():
                    _stage_raw_cells(reader, usage_key, file, progress)
            except csv.Error:
                file.seek(0)
                reader = TableReader(file, COLUMNS)
                _fill_staging(_parsed_rows(reader, usage_key, file, progress))
        else:
            _fill_staging(_parsed_rows(reader, usage_key, file, progress))
        for error in _whole_file_problems(reader):
            reader.errors.add(error.row, error.column, error.message)
        reader.raise_if_errors()
        result = _apply_staging()
        _drop_staging()
    if progress:
        progress(reader.rows_read, _tell(file))
    return result


def _parsed_rows(
    reader: TableReader, usage_key: str, file: IO[bytes], progress: Progress | None
) -> Iterable[tuple]:
    parse = RowParser(usage_key)
    for row in reader:
        values = parse(row)
        if progress and reader.rows_read % PROGRESS_EVERY == 0:
            progress(reader.rows_read, _tell(file))
        if values is not None:
            yield values


# --- PostgreSQL: raw cells by COPY, converted in SQL ---------------------------------

# A cell in one of these forms reads the same before and after NFKC and strip, and its
# SQL conversion gives exactly what the Python parser gives; anything else is set aside.
_PLAIN_ROW = (
    "r.line ~ '^[0-9-]+$' AND length(replace(r.line, '-', '')) IN (10, 11)"
    " AND m.day IS NOT NULL"
    # Below MAX_USAGE_GB in either unit (six integer digits), so every value the SQL
    # takes is one the Python parser accepts; larger ones are judged there.
    r" AND replace(r.usage, ',', '') ~ '^[0-9]{1,6}(\.[0-9]{1,6})?$'"
    " AND (r.school = '' OR r.school ~ '^[!-~]{1,20}$')"
)
_LINE_SQL = (
    "CASE WHEN length(d.digits) = 11"
    " THEN substr(d.digits, 1, 3) || '-' || substr(d.digits, 4, 4) || '-' || substr(d.digits, 8)"
    " ELSE substr(d.digits, 1, 2) || '-' || substr(d.digits, 3, 4) || '-' || substr(d.digits, 7) END"
)


def _stage_raw_cells(
    reader: TableReader, usage_key: str, file: IO[bytes], progress: Progress | None
) -> None:
    keys = ["line_number", "month", usage_key]
    names = ["line", "month", "usage"]
    if reader.has_column("school_code"):
        keys.append("school_code")
        names.append("school")
    pick = operator.itemgetter(*(reader.index_of(key) for key in keys))
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {RAW} (row_no integer NOT NULL, line text NOT NULL,"
            " month text NOT NULL, usage text NOT NULL, school text NOT NULL DEFAULT '')"
            " ON COMMIT DROP"
        )
        columns = ", ".join(names)
        buffer = io.StringIO()
        out = csv.writer(buffer, lineterminator="\n")
        with cursor.copy(
            f"COPY {RAW} (row_no, {columns}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({columns}))"
        ) as copy:
            for number, cells in reader.raw_rows():
                out.writerow((number, *pick(cells)))
                if buffer.tell() >= COPY_CHUNK:
                    copy.write(buffer.getvalue())
                    buffer.seek(0)
                    buffer.truncate()
                if progress and reader.rows_read % PROGRESS_EVERY == 0:
                    progress(reader.rows_read, _tell(file))
            copy.write(buffer.getvalue())
        _parse_month_spellings(cursor)
        usage_sql = "replace(r.usage, ',', '')::numeric"
        if usage_key == "usage_gb":
            usage_sql = f"{usage_sql} * {MB_PER_GB}"
        cursor.execute(
            f"CREATE TEMP TABLE {SET_ASIDE} (row_no integer PRIMARY KEY, line text,"
            " month text, usage text, school text) ON COMMIT DROP"
        )
        cursor.execute(
            f"WITH checked AS MATERIALIZED ("
            f" SELECT r.*, m.day, COALESCE({_PLAIN_ROW}, false) AS plain"
            f" FROM {RAW} r LEFT JOIN {SPELLINGS} m ON m.spelling = r.month),"
            f" good AS (INSERT INTO {STAGING} (row_no, line, month, usage_mb, school_code)"
            f" SELECT r.row_no, {_LINE_SQL}, r.day, {usage_sql}, NULLIF(r.school, '')"
            " FROM checked r CROSS JOIN LATERAL (SELECT replace(r.line, '-', '') AS digits) d"
            " WHERE r.plain)"
            f" INSERT INTO {SET_ASIDE} SELECT row_no, line, month, usage, school"
            " FROM checked WHERE NOT plain"
        )
        _parse_set_aside(cursor, reader, keys, usage_key)
        # ON COMMIT DROP does not fire inside an outer transaction (tests, a caller's).
        cursor.execute(f"DROP TABLE {RAW}, {SPELLINGS}, {SET_ASIDE}")
        cursor.execute(f"ANALYZE {STAGING}")


def _parse_month_spellings(cursor) -> None:
    """Each distinct month cell, parsed once by the Python parser (a file holds one or
    a few spellings); the ones it accepts map to their first day."""
    cursor.execute(
        f"CREATE TEMP TABLE {SPELLINGS} ON COMMIT DROP AS"
        f" SELECT DISTINCT month AS spelling, NULL::date AS day FROM {RAW}"
    )
    cursor.execute(f"ALTER TABLE {SPELLINGS} ADD PRIMARY KEY (spelling)")
    after = None
    while True:
        cursor.execute(
            f"SELECT spelling FROM {SPELLINGS} WHERE %s::text IS NULL OR spelling > %s"
            " ORDER BY spelling LIMIT %s",
            [after, after, SQLITE_BATCH],
        )
        spellings = [spelling for (spelling,) in cursor.fetchall()]
        if not spellings:
            return
        after = spellings[-1]
        parsed = []
        for spelling in spellings:
            try:
                parsed.append((spelling, parse_month(normalize(spelling)).first_day()))
            except ValueError:
                continue  # its rows are set aside and get parse_month's message
        if parsed:
            cursor.execute(
                f"UPDATE {SPELLINGS} s SET day = p.day"
                " FROM unnest(%s::text[], %s::date[]) AS p(spelling, day)"
                " WHERE s.spelling = p.spelling",
                [[p[0] for p in parsed], [p[1] for p in parsed]],
            )


def _parse_set_aside(cursor, reader: TableReader, keys: list[str], usage_key: str) -> None:
    """The rows not in a plain form, in row order, through the Python row parser."""
    parse = RowParser(usage_key)
    after = 0
    while True:
        cursor.execute(
            f"SELECT row_no, line, month, usage, school FROM {SET_ASIDE}"
            " WHERE row_no > %s ORDER BY row_no LIMIT %s",
            [after, SQLITE_BATCH],
        )
        batch = cursor.fetchall()
        if not batch:
            return
        after = batch[-1][0]
        good = []
        for number, *cells in batch:
            parsed = parse(reader.row(number, dict(zip(keys, cells, strict=False))))
            if parsed is not None:
                good.append(parsed)
        if good:
            insert_into(STAGING, STAGING_COLUMNS, good)


def usage_load_rows(*, rows: Iterable[tuple[str, dt.date, Decimal, str | None]]) -> ImportResult:
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
    insert_into(STAGING, STAGING_COLUMNS, rows)
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {STAGING}")


def _whole_file_problems(reader: TableReader) -> list[CellError]:
    """Problems only the whole file shows: a line twice in one month, unknown school
    codes, months that may no longer be replaced."""
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
        problems.extend(_evaluated_month_problems(cursor, reader))
    return sorted(problems, key=lambda p: p.row)


def _evaluated_month_problems(cursor, reader: TableReader) -> list[CellError]:
    """A month already evaluated, or the month before one (its usage is the "previous
    month" of the two-month rule), cannot be replaced: its cases, steps and actions
    were decided on the stored figures. One error per such month, at its first row."""
    evaluated = {Month.of(day) for day in Evaluation.objects.values_list("month", flat=True)}
    if not evaluated:
        return []
    frozen = evaluated | {month.previous() for month in evaluated}
    cursor.execute(f"SELECT month, MIN(row_no) FROM {STAGING} GROUP BY month")
    label = reader.header_label("month")
    problems = []
    for day, row_no in cursor.fetchall():
        month = Month.parse(str(day)[:7])
        if month in frozen:
            after = month if month in evaluated else month.next()
            problems.append(
                CellError(
                    row_no,
                    label,
                    _(
                        "%(month)s cannot be replaced: %(evaluated)s is already evaluated, "
                        "and evaluated months and the month before them cannot be replaced"
                    )
                    % {"month": month, "evaluated": after},
                )
            )
    return problems


def _apply_staging() -> ImportResult:
    line_table = Line._meta.db_table
    usage_table = MonthlyUsage._meta.db_table
    school_table = School._meta.db_table
    with connection.cursor() as cursor:
        if _is_postgres():
            # MonthlyUsage.line has no database foreign key (see the model): no other
            # transaction may change or delete lines until this one commits. Readers
            # are not blocked; a second import waits for this one.
            cursor.execute(f"LOCK TABLE {line_table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(f"SELECT month, COUNT(*) FROM {STAGING} GROUP BY month ORDER BY month")
        month_counts = cursor.fetchall()
        cursor.execute(f"SELECT COUNT(*) FROM {line_table}")
        lines_before = cursor.fetchone()[0]
        # A file that moves a line to another school changes that school's totals in
        # every month, not only the file's (usage counts for the line's school now).
        cursor.execute(
            f"SELECT 1 FROM {STAGING} s JOIN {school_table} sc ON sc.code = s.school_code"
            f" JOIN {line_table} l ON l.number = s.line"
            " WHERE l.school_id IS NULL OR l.school_id <> sc.id LIMIT 1"
        )
        moves_lines = cursor.fetchone() is not None
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
        rows_sql = (
            f"SELECT l.id, s.month, s.usage_mb FROM {STAGING} s"
            f" JOIN {line_table} l ON l.number = s.line"
        )
        if usage_partitioned():
            # Each month built as a new partition and swapped in (traffic.services.partitions).
            months_replace(
                cursor, [month for month, _count in month_counts], f"{rows_sql} WHERE s.month = %s"
            )
        else:
            cursor.execute(
                f"DELETE FROM {usage_table} WHERE month IN (SELECT DISTINCT month FROM {STAGING})"
            )
            cursor.execute(f"INSERT INTO {usage_table} (line_id, month, usage_mb) {rows_sql}")
    if moves_lines:
        monthly_totals_refresh()
    else:
        monthly_totals_refresh(months_sql=f"SELECT DISTINCT month FROM {STAGING}")
    months = [Month.parse(str(month)[:7]) for month, _count in month_counts]
    return ImportResult(
        created=sum(count for _month, count in month_counts),
        details={"months": months, "lines_created": lines_after - lines_before},
    )


def usage_import_run(*, file: IO[bytes], by, options=None, progress=None) -> ImportResult:
    """The import batch's part (gigaportal.imports): imports a carrier file, then,
    once it has committed, evaluates the months now due, in order."""
    result = usage_import(file=file, progress=progress)
    evaluations_enqueue_on_commit()
    return result


def _describe(result: ImportResult) -> str:
    months = "、".join(str(m) for m in result.details.get("months", []))
    return _("Imported %(rows)s rows for %(months)s.") % {"rows": result.created, "months": months}


imports.register(
    imports.Importer(
        kind="traffic_usage",
        title=gettext_lazy("Import data usage"),
        columns=COLUMNS,
        run=usage_import_run,
        help_text=gettext_lazy(
            "The carrier's monthly CSV: one or several months. Importing a month again "
            "replaces it. Nothing is written if any row is wrong. Usage in MB is converted "
            "at 1 GB = 1,024 MB. Large files are imported in the background."
        ),
        success_url="traffic:usage",
        describe=_describe,
    )
)

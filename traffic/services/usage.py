"""The import of the carrier's monthly usage CSV, at COPY speed (the rows are read by
traffic.parsing; this module stages and applies them in SQL).

The header is read by the shared TableReader (encoding, aliases, missing columns).
Every good row ends up in a temporary staging table of typed rows; checks that need
the whole file (a line twice in one month, unknown school codes) run as SQL on it.
Only when nothing is wrong is it applied, set-based: new lines inserted, the file's
months deleted and inserted again (on PostgreSQL each month is built as a new
partition and swapped in: traffic.services.partitions). All of it in one transaction:
a bad file writes nothing, and importing a month again replaces it.

How the rows reach the staging table:
- SQLite (the embedded default): each row is parsed in Python (traffic.parsing.RowParser,
  NFKC, the shared cell parsers) and inserted in batches.
- PostgreSQL, a plain file (UTF-8 or CP932, no double quote, every row as wide as the
  header, no blank line between rows: what carriers' systems write): the file's
  bytes go as they are into a raw text table by `COPY … (FORMAT csv, HEADER,
  ENCODING 'UTF8'|'SJIS')`, rows numbered in file order; Python never touches a row.
- PostgreSQL, any other file: the csv module splits the records (the reader's own, so
  row numbers, blank rows and short rows are exactly as on SQLite) and the raw cells
  stream, re-encoded as CSV, into the raw table with `COPY … FROM STDIN`. A file
  the direct COPY refuses (a short or long row, a blank line, a byte PostgreSQL cannot
  decode) comes this way after the refused attempt is rolled back.
- Either way, SQL then
  converts in one pass every row in the plain form carriers write (ASCII line
  number, digits and commas, a month spelling that `parse_month` accepted, ASCII
  school code) and sets the rest aside. Those few rows go through the RowParser, the
  same code as on SQLite, which gives their errors (same messages, same row order,
  same cap) or their values; a set-aside row whose every cell is empty or spaces (as
  Excel leaves them) is skipped but keeps its number, as the reader does. So both paths accept the same files, store the same
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

from django.db import DataError, IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gigaportal import dates, imports
from gigaportal.bulk import insert_into
from gigaportal.calendar import Month
from gigaportal.imports import ImportResult
from gigaportal.models import School
from gigaportal.tabular import CellError, TableReader, normalize, parse_month
from traffic import parsing
from traffic.models import Line, MonthlyUsage
from traffic.parsing import COLUMNS, MB_PER_GB, RowParser
from traffic.services import months
from traffic.services.evaluation import evaluations_enqueue_on_commit
from traffic.services.partitions import months_replace, usage_partitioned
from traffic.services.totals import monthly_totals_refresh

STAGING = "traffic_usage_staging"
RAW = "traffic_usage_raw"  # PostgreSQL: the cells as read, before any check
RAW_FILE = "traffic_usage_file"  # PostgreSQL: every cell of the file, by direct COPY
COPY_ENCODINGS = {"utf-8": "UTF8", "utf-8-sig": "UTF8", "cp932": "SJIS"}
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
    3. Check the staged rows as a whole (school codes, months that may be replaced;
       a line twice in a month is left to the unique index of the new rows, step 5,
       unless the file is refused anyway).
    4. Refuse the file if any row was wrong: the transaction rolls back.
    5. Apply the staging table to lines and monthly usage, set-based, and record each
       month's coverage and state (traffic.services.months): only a month whose file
       covers the lines under contract is confirmed, and so evaluated, on its own.
    """
    if hasattr(file, "seekable") and not file.seekable():
        file = io.BytesIO(file.read())  # read twice on PostgreSQL if a record is unreadable
    reader = TableReader(file, COLUMNS)
    usage_key = parsing.usage_key(reader)
    with transaction.atomic():
        _create_staging()
        if _is_postgres() and not python_parsing:
            reader = _stage_on_postgres(reader, usage_key, file, progress)
        else:
            _fill_staging(_parsed_rows(reader, usage_key, file, progress))
        problems = _whole_file_problems(reader)
        if problems or reader.errors:
            # A refused file lists every problem, lines twice in a month included.
            _refuse(reader, _duplicate_problems(reader) + problems)
        try:
            with transaction.atomic():
                result = _apply_staging()
        except IntegrityError:
            # The unique (line, month) index of the new rows refused a line twice in
            # a month: the only check left to it, which saves a GROUP BY of the whole
            # file on every good import. The rows are rolled back; say which ones.
            duplicates = _duplicate_problems(reader)
            if not duplicates:
                raise
            _refuse(reader, duplicates)
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


class _NotPlain(Exception):
    """The file is not plain enough for its bytes to go straight into COPY."""


def _stage_on_postgres(
    reader: TableReader, usage_key: str, file: IO[bytes], progress: Progress | None
) -> TableReader:
    """Stages the file by the fastest path that reads it exactly as the Python path
    does, and returns the reader holding its row count and row errors:
    1. the file's bytes straight into COPY (plain UTF-8/CP932 CSV, see _stage_file);
    2. else the csv module's records, their cells streamed into COPY;
    3. else (a record the csv module cannot read) every row through the Python path,
       which reports it."""
    if reader.encoding in COPY_ENCODINGS:
        try:
            with transaction.atomic():
                _stage_file(reader, usage_key, file, progress)
            return reader
        except (_NotPlain, DataError, connection.Database.DataError):
            # COPY's own errors (psycopg's, not wrapped by Django) are DataErrors too.
            reader = reader.reopen()
    try:
        with transaction.atomic():
            _stage_raw_cells(reader, usage_key, file, progress)
        return reader
    except csv.Error:
        reader = reader.reopen()
        _fill_staging(_parsed_rows(reader, usage_key, file, progress))
        return reader


def _raw_columns(reader: TableReader, usage_key: str) -> tuple[list[str], list[str]]:
    """The column keys read from the file and their names in the raw table."""
    keys = ["line_number", "month", usage_key]
    names = ["line", "month", "usage"]
    if reader.has_column("school_code"):
        keys.append("school_code")
        names.append("school")
    return keys, names


def _stage_file(
    reader: TableReader, usage_key: str, file: IO[bytes], progress: Progress | None
) -> None:
    """The file's bytes, as they are, into a raw table by COPY (PostgreSQL decodes
    them: ENCODING 'UTF8' or 'SJIS', its name for CP932), then converted like the
    csv module's cells (_convert_raw). Only for a file PostgreSQL's CSV reader splits
    exactly as the csv module does: no double quote anywhere (the two differ on
    quotes inside a cell), the header on the first line, every row as wide as the
    header and no blank line before the last row (COPY refuses those: DataError).
    Anything else raises, and the caller rolls back and takes the csv module's path.
    Rows are numbered by an identity column in file order: one per line, as the
    reader numbers them when no cell is quoted."""
    file.seek(0)
    header = file.readline()
    if b'"' in header or not header.endswith(b"\n"):
        raise _NotPlain
    width = header.count(b",") + 1
    cells = [f"c{index}" for index in range(width)]
    keys, names = _raw_columns(reader, usage_key)
    picked = [f"c{reader.index_of(key)} AS {name}" for key, name in zip(keys, names, strict=True)]
    if "school" not in names:
        picked.append("''::text AS school")
    cell_list = ", ".join(cells)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE {RAW_FILE} (row_no integer GENERATED ALWAYS AS IDENTITY"
            f" (START WITH 2), {', '.join(f'{cell} text' for cell in cells)}) ON COMMIT DROP"
        )
        encoding = COPY_ENCODINGS[reader.encoding]
        with cursor.copy(
            f"COPY {RAW_FILE} ({cell_list}) FROM STDIN (FORMAT csv, HEADER true,"
            f" ENCODING '{encoding}', FORCE_NOT_NULL ({cell_list}))"
        ) as copy:
            copy.write(header)
            pending = b""  # line breaks at a chunk's end: blank lines if nothing follows
            lines = 0
            while chunk := file.read(COPY_CHUNK):
                if b'"' in chunk:
                    raise _NotPlain
                chunk = pending + chunk
                body = chunk.rstrip(b"\r\n")
                pending = chunk[len(body) :]
                copy.write(body)
                lines += body.count(b"\n")
                if progress:
                    progress(lines, _tell(file))
            # Blank lines after the last row: the Python path skips them too.
            copy.write(pending[:2] if pending.startswith(b"\r\n") else pending[:1])
        cursor.execute(
            f"CREATE TEMP VIEW {RAW} AS SELECT row_no, {', '.join(picked)},"
            f" concat({cell_list}) AS whole FROM {RAW_FILE}"
        )
        cursor.execute(f"SELECT COUNT(*) FROM {RAW_FILE}")
        reader.rows_read = cursor.fetchone()[0]
        _convert_raw(cursor, reader, keys, usage_key, reader.rows_read)
        cursor.execute(f"DROP VIEW {RAW}")
        cursor.execute(f"DROP TABLE {RAW_FILE}")
        if reader.rows_read == 0 and not reader.errors:
            reader.errors.add(0, "", _("The file has a header but no data rows."))


# A cell in one of these forms reads the same before and after NFKC and strip, and its
# SQL conversion gives exactly what the Python parser gives; anything else is set aside.
_PLAIN_ROW = (
    # (Negated classes and explicit lengths: PostgreSQL's bounded repeats, `{1,20}`,
    # cost more than the rest of the conversion.)
    "r.line !~ '[^0-9-]' AND length(replace(r.line, '-', '')) IN (10, 11)"
    f" AND length(r.line) <= {COLUMNS[0].max_length}"
    " AND m.day IS NOT NULL"
    # Below MAX_USAGE_GB in either unit (six integer digits), so every value the SQL
    # takes is one the Python parser accepts; larger ones are judged there.
    r" AND u.plain ~ '^[0-9]+(\.[0-9]+)?$'"
    # At most six digits before the point and six after (strpos, not split_part: no
    # copy of the cell per part).
    " AND (strpos(u.plain, '.') = 0 AND length(u.plain) <= 6"
    " OR strpos(u.plain, '.') BETWEEN 2 AND 7 AND length(u.plain) - strpos(u.plain, '.') <= 6)"
    " AND r.school !~ '[^!-~]' AND length(r.school) <= 20"
)
_LINE_SQL = (
    # A plain line already written 3-4-4 (what carriers write: 13 characters, 11 of
    # them digits, so its two dashes are the 4th and 9th) is its own stored form; only
    # the others are rebuilt from their digits.
    "CASE WHEN r.line LIKE '___-____-____' AND length(d.digits) = 11 THEN r.line"
    " WHEN length(d.digits) = 11"
    " THEN substr(d.digits, 1, 3) || '-' || substr(d.digits, 4, 4) || '-' || substr(d.digits, 8)"
    " ELSE substr(d.digits, 1, 2) || '-' || substr(d.digits, 3, 4) || '-' || substr(d.digits, 7) END"
)


def _stage_raw_cells(
    reader: TableReader, usage_key: str, file: IO[bytes], progress: Progress | None
) -> None:
    keys, names = _raw_columns(reader, usage_key)
    pick = operator.itemgetter(*(reader.index_of(key) for key in keys))
    with connection.cursor() as cursor:
        # `whole` (every cell, for the blank-row rule) is NULL: raw_rows skips blank rows.
        cursor.execute(
            f"CREATE TEMP TABLE {RAW} (row_no integer NOT NULL, line text NOT NULL,"
            " month text NOT NULL, usage text NOT NULL, school text NOT NULL DEFAULT '',"
            " whole text) ON COMMIT DROP"
        )
        columns = ", ".join(names)
        buffer = io.StringIO()
        out = csv.writer(buffer, lineterminator="\n")
        with cursor.copy(
            f"COPY {RAW} (row_no, {columns}) FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({columns}))"
        ) as copy:
            raw_rows = 0
            for number, cells in reader.raw_rows():
                out.writerow((number, *pick(cells)))
                raw_rows += 1
                if buffer.tell() >= COPY_CHUNK:
                    copy.write(buffer.getvalue())
                    buffer.seek(0)
                    buffer.truncate()
                if progress and reader.rows_read % PROGRESS_EVERY == 0:
                    progress(reader.rows_read, _tell(file))
            copy.write(buffer.getvalue())
        _convert_raw(cursor, reader, keys, usage_key, raw_rows)
        cursor.execute(f"DROP TABLE {RAW}")


def _convert_raw(
    cursor, reader: TableReader, keys: list[str], usage_key: str, raw_rows: int
) -> None:
    """The raw table's (or view's) `raw_rows` rows into the staging table: the plain
    ones converted in SQL, the rest set aside for the Python row parser."""
    _parse_month_spellings(cursor)
    usage_sql = "replace(r.usage, ',', '')::numeric"
    if usage_key == "usage_gb":
        usage_sql = f"{usage_sql} * {MB_PER_GB}"
    # One pass: every row in a plain form converted into the staging table. A file
    # of plain rows only (the usual case) is then done; otherwise the rows it left
    # out are set aside by an anti-join on the row numbers.
    cursor.execute(
        f"INSERT INTO {STAGING} (row_no, line, month, usage_mb, school_code)"
        f" SELECT r.row_no, {_LINE_SQL}, m.day, {usage_sql}, NULLIF(r.school, '')"
        f" FROM {RAW} r JOIN {SPELLINGS} m ON m.spelling = r.month"
        " CROSS JOIN LATERAL (SELECT replace(r.usage, ',', '') AS plain) u"
        " CROSS JOIN LATERAL (SELECT replace(r.line, '-', '') AS digits) d"
        f" WHERE {_PLAIN_ROW}"
    )
    converted = cursor.rowcount
    _analyze_staging(cursor)  # before the anti-join, so that it is planned as a hash join
    if converted != raw_rows:
        cursor.execute(
            f"CREATE TEMP TABLE {SET_ASIDE} (row_no integer PRIMARY KEY, line text,"
            " month text, usage text, school text, whole text) ON COMMIT DROP"
        )
        cursor.execute(
            f"INSERT INTO {SET_ASIDE} SELECT r.row_no, r.line, r.month, r.usage, r.school,"
            f" r.whole FROM {RAW} r"
            f" WHERE NOT EXISTS (SELECT FROM {STAGING} s WHERE s.row_no = r.row_no)"
        )
        _parse_set_aside(cursor, reader, keys, usage_key)
        # ON COMMIT DROP does not fire inside an outer transaction (tests, a caller's).
        cursor.execute(f"DROP TABLE {SET_ASIDE}")
    cursor.execute(f"DROP TABLE {SPELLINGS}")


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
            f"SELECT row_no, line, month, usage, school, whole FROM {SET_ASIDE}"
            " WHERE row_no > %s ORDER BY row_no LIMIT %s",
            [after, SQLITE_BATCH],
        )
        batch = cursor.fetchall()
        if not batch:
            return
        after = batch[-1][0]
        good = []
        for number, *cells, whole in batch:
            if whole is not None and not whole.strip():
                reader.rows_read -= 1  # a blank row (every cell empty or spaces): skipped
                continue
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
            # Memory for the whole-file GROUP BYs and the index builds of the new month
            # partitions (the defaults, 4 MB and 64 MB, spill 300,000 rows to disk).
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
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
            _analyze_staging(cursor)


def _analyze_staging(cursor) -> None:
    """Statistics for the planner's joins and GROUP BYs on the staging table, from a
    small sample (3,000 rows rather than the default 30,000: the row count and the
    number of distinct lines are all the plans need)."""
    cursor.execute("SET LOCAL default_statistics_target = 10")
    cursor.execute(f"ANALYZE {STAGING}")


def _refuse(reader: TableReader, problems: list[CellError]) -> None:
    """Adds the whole-file problems to the row errors, in row order, and refuses."""
    for error in sorted(problems, key=lambda p: p.row):
        reader.errors.add(error.row, error.column, error.message)
    reader.raise_if_errors()


def _duplicate_problems(reader: TableReader) -> list[CellError]:
    """A line twice in one month: one error at each repeat, with the row of the first."""
    line_label = reader.header_label("line_number")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT line, month, MIN(row_no), MAX(row_no) FROM {STAGING}"
            " GROUP BY line, month HAVING COUNT(*) > 1 ORDER BY MIN(row_no) LIMIT 200"
        )
        return [
            CellError(
                again,
                line_label,
                _("%(line)s appears again for %(month)s (first on row %(first)s)")
                % {"line": line, "month": str(month)[:7], "first": first},
            )
            for line, month, first, again in cursor.fetchall()
        ]


def _whole_file_problems(reader: TableReader) -> list[CellError]:
    """Problems only the whole file shows, but for a line twice in one month (which
    the unique index of the new rows finds, _duplicate_problems then says where):
    unknown school codes, months that may no longer be replaced."""
    problems: list[CellError] = []
    with connection.cursor() as cursor:
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
        problems.extend(_replace_problems(cursor, reader))
    return sorted(problems, key=lambda p: p.row)


def _replace_problems(cursor, reader: TableReader) -> list[CellError]:
    """A month that may not be replaced now (traffic.services.months.replace_problem:
    an evaluated month or the month before one; reopen it first, never once its actions
    went out). One error per such month, at its first row. The state rows of the file's
    months and of the months after them are locked first, so an evaluation starting now
    waits for this import and sees its figures."""
    cursor.execute(f"SELECT month, MIN(row_no) FROM {STAGING} GROUP BY month ORDER BY month")
    firsts = [(Month.parse(str(day)[:7]), row_no) for day, row_no in cursor.fetchall()]
    months.lock_months(
        [m.first_day() for m, _row in firsts] + [m.next().first_day() for m, _row in firsts]
    )
    label = reader.header_label("month")
    problems = []
    for month, row_no in firsts:
        problem = months.replace_problem(month.first_day())
        if problem:
            problems.append(CellError(row_no, label, problem))
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
        # A line's school comes from the file when it says; otherwise it stays as it was.
        # New lines inserted, then only the lines whose school changes updated: an
        # upsert (ON CONFLICT DO UPDATE … WHERE) locks every existing line it meets,
        # 300,000 row locks when a prefecture's month is imported again.
        cursor.execute(
            f"INSERT INTO {line_table} (number, school_id)"
            f" SELECT s.line, MAX(sc.id) FROM {STAGING} s"
            f" LEFT JOIN {school_table} sc ON sc.code = s.school_code"
            f" WHERE NOT EXISTS (SELECT 1 FROM {line_table} l WHERE l.number = s.line)"
            " GROUP BY s.line"
        )
        lines_created = cursor.rowcount
        cursor.execute(
            f"UPDATE {line_table} SET school_id = f.school_id FROM ("
            f" SELECT s.line, MAX(sc.id) AS school_id FROM {STAGING} s"
            f" JOIN {school_table} sc ON sc.code = s.school_code GROUP BY s.line) f"
            f" WHERE {line_table}.number = f.line AND ({line_table}.school_id IS NULL"
            f" OR {line_table}.school_id <> f.school_id)"
        )
        # A file that moves a line to another school changes that school's totals in
        # every month, not only the file's (usage counts for the line's school now).
        # The lines it moves are the ones just updated (a new line already has the
        # school the file gives it).
        moves_lines = cursor.rowcount > 0
        rows_sql = (
            f"SELECT l.id, s.month, s.usage_mb FROM {STAGING} s"
            f" JOIN {line_table} l ON l.number = s.line"
        )
        if usage_partitioned():
            # Each month built as a new partition and swapped in (traffic.services.partitions).
            months_replace(cursor, [month for month, _count in month_counts], rows_sql)
        else:
            cursor.execute(
                f"DELETE FROM {usage_table} WHERE month IN (SELECT DISTINCT month FROM {STAGING})"
            )
            cursor.execute(f"INSERT INTO {usage_table} (line_id, month, usage_mb) {rows_sql}")
    if moves_lines:
        monthly_totals_refresh()
    else:
        # The months as values, not as a subquery on the staging table: PostgreSQL
        # then reads only their partitions (a subquery's months are known too late
        # for that, and the totals read every month of the usage table).
        monthly_totals_refresh(months=[month for month, _count in month_counts])
    months_in = [Month.parse(str(month)[:7]) for month, _count in month_counts]
    states = months.usage_months_record(days=[m.first_day() for m in months_in])
    return ImportResult(
        created=sum(count for _month, count in month_counts),
        details={
            "months": months_in,
            "lines_created": lines_created,
            "coverage": [
                {
                    "month": str(Month.of(state.month)),
                    "lines": state.lines,
                    "contracted_lines": state.contracted_lines,
                    "covered_lines": state.covered_lines,
                    "coverage_pct": state.coverage_pct,
                    "status": state.status,
                }
                for state in states
            ],
        },
    )


def usage_import_run(*, file: IO[bytes], by, options=None, progress=None) -> ImportResult:
    """The import batch's part (gigaportal.imports): imports a carrier file, then,
    once it has committed, evaluates the months now due, in order."""
    result = usage_import(file=file, progress=progress)
    evaluations_enqueue_on_commit()
    return result


def _describe(result: ImportResult) -> str:
    months = "、".join(_month_label(m) for m in result.details.get("months", []))
    return _("Imported %(rows)s rows for %(months)s.") % {"rows": result.created, "months": months}


def _month_label(text) -> str:
    """2023年2月 (Feb 2023 in English), as the months page writes it, not 2023-02."""
    try:
        return dates.month_text(Month.parse(str(text)))
    except ValueError:
        return str(text)


def _warnings(result: ImportResult) -> list[str]:
    """A month whose file covers too few of the lines under contract: said plainly on
    the import's result, since it waits for the leader instead of being evaluated."""
    found = []
    for month in result.details.get("coverage", []):
        if month.get("status") != "imported":
            continue
        coverage = month.get("coverage_pct")
        if coverage is None:
            found.append(
                _(
                    "%(month)s has nothing to compare with: it is not evaluated until the "
                    "leader confirms it on the months page."
                )
                % {"month": _month_label(month["month"])}
            )
            continue
        found.append(
            _(
                "Warning: the file covers only %(coverage)s%% of the lines under contract "
                "for %(month)s (%(covered)s of %(contracted)s lines). The month is not "
                "evaluated: import the complete file, or confirm the month on the months "
                "page if this is really the whole month."
            )
            % {
                "month": _month_label(month["month"]),
                "coverage": coverage,
                "covered": f"{month.get('covered_lines', 0):,}",
                "contracted": f"{month.get('contracted_lines', 0):,}",
            }
        )
    return found


imports.register(
    imports.Importer(
        kind="traffic_usage",
        title=gettext_lazy("Import data usage"),
        columns=COLUMNS,
        run=usage_import_run,
        help_text=gettext_lazy(
            "The carrier's monthly CSV: one or several months. Importing a month again "
            "replaces it until it is evaluated (an evaluated month is reopened first, on "
            "the months page). Nothing is written if any row is wrong. Usage in MB is "
            "converted at 1 GB = 1,024 MB. Large files are imported in the background."
        ),
        success_url="traffic:months",
        describe=_describe,
        warnings=_warnings,
    )
)

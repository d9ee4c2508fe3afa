"""The one CSV reader every import uses.

- Detects the encoding: UTF-8, UTF-8 with BOM, or CP932 (Shift_JIS as Excel saves it);
  refuses EUC-JP (which CP932 would read as half-width katakana) and anything else.
- NFKC-normalises headers and cells, so full-width digits, letters, spaces and
  parentheses read as their ordinary forms (`２０２２年９月` → `2022年9月`).
- Maps header aliases (`学校コード` → `school_code`), case- and space-insensitively.
- Streams: rows are yielded one at a time, so memory does not grow with the file.
- Collects every problem as `row N, column X: reason`, where N is the row number a
  spreadsheet shows (the header is row 1), and lets the importer refuse the whole file.
- Refuses identical rows in one file when the importer declares which columns make two
  rows the same (`identical_rows=`): an additive import (a log, ledger events) would
  otherwise count a copied row twice. Only a short hash of each row is kept, on disk
  (gigaportal.scratch), so memory does not grow with the file either.

Importers read like this::

    reader = TableReader(upload, COLUMNS)          # TabularError for header problems
    for row in reader:
        code = row.require("school_code")
        kind = row.parse("kind", parse_choice(KIND_WORDS))
        ...
    reader.raise_if_errors()                        # before anything is written
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, Any, TypeVar

from django.utils.translation import gettext as _

from gigaportal.calendar import Month, YearOutOfRange
from gigaportal.dates import date_window
from gigaportal.scratch import FirstSeen

T = TypeVar("T")
MAX_REPORTED_ERRORS = 200
_DETECT_CHUNK = 1 << 20


# A cell longer than this is refused unless its column says otherwise: no code, name
# or figure is this long, and a cell must never reach the database past its column's
# length (a DataError, not a row message).
CELL_MAX_LENGTH = 200


@dataclass(frozen=True)
class Column:
    """A column an import expects: its key in code and every header that means it, its
    longest allowed cell (`model_max_length(Model, "field")` where it fills a model
    field) and whether the text may hold line breaks and tabs (a note may; a code or a
    name never: a code `RT\r\nSet-Cookie: …` would end up in a download's header)."""

    key: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    max_length: int = CELL_MAX_LENGTH
    multiline: bool = False

    @property
    def label(self) -> str:
        """What a user calls it: the first alias (usually Japanese), else the key."""
        return self.aliases[0] if self.aliases else self.key


@dataclass(frozen=True)
class CellError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.row <= 0:
            return self.message
        if not self.column:
            return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("Row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


class TabularError(Exception):
    """A file that cannot be imported, with every reason found."""

    def __init__(self, errors: Sequence[CellError], *, more: int = 0) -> None:
        self.errors = list(errors)
        self.more = more
        super().__init__("\n".join(self.messages()))

    def messages(self) -> list[str]:
        lines = [str(error) for error in self.errors]
        if self.more:
            lines.append(_("… and %(count)s more errors.") % {"count": self.more})
        return lines

    @classmethod
    def single(cls, message: str, *, row: int = 0, column: str = "") -> TabularError:
        return cls([CellError(row, column, message)])


@dataclass
class ErrorCollector:
    limit: int = MAX_REPORTED_ERRORS
    errors: list[CellError] = field(default_factory=list)
    more: int = 0

    def add(self, row: int, column: str, message: str) -> None:
        if len(self.errors) < self.limit:
            self.errors.append(CellError(row, column, message))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise TabularError(self.errors, more=self.more)


def model_max_length(model, field: str) -> int:
    """The max_length of a model's field, for a Column that fills it."""
    return model._meta.get_field(field).max_length


# Control characters (C0, DEL, C1): a single-line cell may hold none; a multi-line one
# keeps tab and line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def normalize(text: str) -> str:
    """NFKC and trimmed; the form every cell and header is compared in."""
    return unicodedata.normalize("NFKC", text).strip()


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", normalize(text)).lower()


def detect_encoding(binary: IO[bytes]) -> str:
    """Returns 'utf-8-sig', 'utf-8' or 'cp932' for a seekable binary file, and rewinds it.

    The whole file is checked (in chunks) because a CP932 file can begin with
    hundreds of ASCII-only rows that are also valid UTF-8. An EUC-JP file is refused
    with its own message: most EUC-JP text also decodes as CP932, into half-width
    katakana and stray kanji, and would be stored garbled (see _looks_like_euc_jp).
    """
    binary.seek(0)
    head = binary.read(4)
    binary.seek(0)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise TabularError.single(
            _("The file is UTF-16 text. Save it as CSV (UTF-8 or Shift_JIS) and try again.")
        )
    if head.startswith(b"PK\x03\x04"):
        raise TabularError.single(
            _(
                "This looks like an Excel workbook. Save it as CSV (UTF-8 or Shift_JIS) and try again."
            )
        )
    if _decodes_as_utf8(binary):
        return "utf-8"
    scan = _scan_japanese(binary)
    if scan.looks_like_euc_jp:
        raise TabularError.single(
            _(
                "Files in the EUC-JP encoding cannot be read. Save the file again as UTF-8 "
                "or Shift_JIS (CP932)."
            )
        )
    if scan.cp932:
        return "cp932"
    raise TabularError.single(
        _(
            "The file's character encoding is not UTF-8 or Shift_JIS (CP932). Save it as CSV in one of those and try again."
        )
    )


def _binary_chunks(binary: IO[bytes]) -> Iterator[bytes]:
    """The file in chunks from its start; a NUL byte means it is not text at all. The
    file is rewound when the chunks end (or the caller stops early)."""
    binary.seek(0)
    try:
        while chunk := binary.read(_DETECT_CHUNK):
            if b"\x00" in chunk:
                raise TabularError.single(_("The file contains binary data; it is not a CSV file."))
            yield chunk
    finally:
        binary.seek(0)


def _decodes_as_utf8(binary: IO[bytes]) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in _binary_chunks(binary):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# Half-width katakana (U+FF61–U+FF9F): what the kana and kanji byte pairs of EUC-JP
# (both bytes 0xA1–0xFE) mostly turn into when read as CP932, one character a byte.
_HALF_WIDTH_KANA = re.compile("[\uff61-\uff9f]")
# A character EUC-JP writes as a two-byte pair: kana, kanji, full-width symbols.
_EUC_WIDE = re.compile("[\u3000-\u30ff\u4e00-\u9fff\uff01-\uff5e]")


@dataclass
class _JapaneseScan:
    cp932: bool = True  # the whole file decodes as CP932
    cp932_half_width: bool = False  # … and gives half-width katakana
    euc_jp: bool = True  # the whole file decodes as EUC-JP
    euc_wide: bool = False  # … and holds kana or kanji pairs

    @property
    def looks_like_euc_jp(self) -> bool:
        """EUC-JP, when the file is valid EUC-JP with kana or kanji in it and CP932
        reads it only as garbage: as half-width katakana, or not at all. Real CP932
        Japanese text almost never decodes as EUC-JP (its kana and most kanji begin
        with a byte 0x81–0x9F, which EUC-JP has no pair for)."""
        return self.euc_jp and self.euc_wide and (not self.cp932 or self.cp932_half_width)


def _scan_japanese(binary: IO[bytes]) -> _JapaneseScan:
    """One pass over the file decoding it as CP932 and as EUC-JP side by side."""
    scan = _JapaneseScan()
    cp932 = codecs.getincrementaldecoder("cp932")()
    euc = codecs.getincrementaldecoder("euc_jp")()
    for chunk in _binary_chunks(binary):
        if scan.cp932:
            try:
                text = cp932.decode(chunk)
                scan.cp932_half_width = scan.cp932_half_width or bool(_HALF_WIDTH_KANA.search(text))
            except UnicodeDecodeError:
                scan.cp932 = False
        if scan.euc_jp:
            try:
                text = euc.decode(chunk)
                scan.euc_wide = scan.euc_wide or bool(_EUC_WIDE.search(text))
            except UnicodeDecodeError:
                scan.euc_jp = False
        if not scan.cp932 and not scan.euc_jp:
            break
    for decoder, flag in ((cp932, "cp932"), (euc, "euc_jp")):
        if getattr(scan, flag):
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                setattr(scan, flag, False)
    return scan


@dataclass
class Row:
    """One data row: normalised cells by column key, and the reader to report to."""

    number: int
    cells: dict[str, str]
    reader: TableReader

    def get(self, key: str, default: str = "") -> str:
        return self.cells.get(key, default)

    def __getitem__(self, key: str) -> str:
        return self.cells.get(key, "")

    def error(self, key: str, message: str) -> None:
        self.reader.errors.add(self.number, self.reader.header_label(key), message)

    def require(self, key: str) -> str | None:
        value = self.get(key)
        if not value:
            self.error(key, _("this cell is required"))
            return None
        return value

    def parse(self, key: str, parser: Callable[[str], T], *, required: bool = True) -> T | None:
        """Runs a parser on a cell; a ValueError becomes this row's error, and None."""
        value = self.get(key)
        if not value:
            if required:
                self.error(key, _("this cell is required"))
            return None
        try:
            return parser(value)
        except ValueError as exc:
            self.error(key, str(exc))
            return None


class IdenticalRows:
    """Finds a row identical to an earlier one of the same file (the declared columns'
    normalised cells all equal) and reports it: 'row N is the same as row M'. Keeps an
    8-byte hash per distinct row, not the rows, and keeps them on disk (a scratch
    database), so memory stays the same for any file."""

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = tuple(keys)
        self._first = FirstSeen()

    def check(self, row: Row) -> None:
        text = "\x1f".join(row.cells.get(key, "") for key in self.keys)
        digest = int.from_bytes(
            hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
            signed=True,  # SQLite's integers are signed 64-bit
        )
        first = self._first.first(digest, row.number)
        if first is not None:
            row.reader.errors.add(
                0,
                "",
                _(
                    "Row %(row)s is the same as row %(first)s: a file must not hold the "
                    "same row twice (delete one of them)."
                )
                % {"row": row.number, "first": first},
            )

    def close(self) -> None:
        self._first.close()


class TableReader:
    """Streams the rows of a CSV file (see the module docstring).

    `identical_rows`: the column keys that make two rows the same (True: all the
    importer's columns); a row identical to an earlier one is refused (IdenticalRows).
    """

    def __init__(
        self,
        binary: IO[bytes],
        columns: Sequence[Column],
        *,
        limit: int = MAX_REPORTED_ERRORS,
        identical_rows: Sequence[str] | bool = False,
    ):
        self.columns = {column.key: column for column in columns}
        self.errors = ErrorCollector(limit=limit)
        self.rows_read = 0
        if identical_rows is True:
            identical_rows = tuple(self.columns)
        self.identical = IdenticalRows(identical_rows) if identical_rows else None
        # Other checks' scratch stores (duplicate_checker), closed with the identical rows'.
        self.scratch: list[FirstSeen] = []
        if hasattr(binary, "seekable") and not binary.seekable():
            binary = io.BytesIO(binary.read())
        self.encoding = detect_encoding(binary)
        self._text = io.TextIOWrapper(binary, encoding=self.encoding, newline="")
        self._csv = csv.reader(self._text)
        # The row number a spreadsheet shows: one per record, not per physical line (a
        # quoted cell may hold line breaks), blank rows included. The header is row 1.
        self._row_number = 0
        self._positions, self._labels = self._read_header()

    def _read_header(self) -> tuple[dict[str, int], dict[str, str]]:
        try:
            header = next(self._csv)
        except StopIteration:
            raise TabularError.single(_("The file is empty.")) from None
        except csv.Error as exc:
            raise TabularError.single(
                _("The header row cannot be read: %(error)s") % {"error": exc}, row=1
            ) from None
        self._row_number = 1
        if not any(cell.strip() for cell in header):
            raise TabularError.single(
                _("The first row is blank; it must hold the column names."), row=1
            )
        lookup: dict[str, str] = {}
        for column in self.columns.values():
            for name in (column.key, *column.aliases):
                lookup[_header_key(name)] = column.key
        positions: dict[str, int] = {}
        labels: dict[str, str] = {}
        problems = ErrorCollector()
        for index, raw in enumerate(header):
            key = lookup.get(_header_key(raw))
            if key is None:
                continue  # extra columns (a carrier's own fields) are ignored
            if key in positions:
                problems.add(
                    1,
                    normalize(raw),
                    _("two columns mean the same thing (%(first)s)") % {"first": labels[key]},
                )
                continue
            positions[key] = index
            labels[key] = normalize(raw)
        for column in self.columns.values():
            if column.required and column.key not in positions:
                names = " / ".join((column.key, *column.aliases))
                problems.add(
                    1,
                    column.label,
                    _("the column is missing (expected one of: %(names)s)") % {"names": names},
                )
        problems.raise_if_any()
        return positions, labels

    def reopen(self) -> TableReader:
        """A new reader over the same file from its start, for an importer that read
        the bytes itself or gives up a faster path half-way; this reader lets go of the
        file without closing it (and cannot be read any more)."""
        binary = self._text.detach()
        binary.seek(0)
        self.close_scratch()
        return TableReader(
            binary,
            list(self.columns.values()),
            limit=self.errors.limit,
            identical_rows=self.identical.keys if self.identical is not None else False,
        )

    def has_column(self, key: str) -> bool:
        return key in self._positions

    def header_label(self, key: str) -> str:
        return self._labels.get(key) or (self.columns[key].label if key in self.columns else key)

    def index_of(self, key: str) -> int:
        """The position of a column in the file (KeyError if the file lacks it)."""
        return self._positions[key]

    def __iter__(self) -> Iterator[Row]:
        for number, cells in self._records(strict=False):
            row = self.row(number, {key: cells[index] for key, index in self._positions.items()})
            if self.identical is not None:
                self.identical.check(row)
            yield row
        self.close_scratch()

    def close_scratch(self) -> None:
        """Deletes what the checks kept on disk (the identical-rows hashes, the values a
        duplicate_checker saw): once the file is read, not when the reader is collected."""
        if self.identical is not None:
            self.identical.close()
        for store in self.scratch:
            store.close()

    def row(self, number: int, cells: Mapping[str, str]) -> Row:
        """Row `number` from its cells as read (by column key): normalised, and checked
        against each column's length and character set. A bad cell is this row's error
        and is kept only in a shortened, cleaned form, so nothing downstream meets it."""
        values = {}
        for key, raw in cells.items():
            value = normalize(raw)
            column = self.columns.get(key)
            if column is not None:
                value = self._checked(number, column, value)
            values[key] = value
        return Row(number, values, self)

    def _checked(self, number: int, column: Column, value: str) -> str:
        control = _CONTROL_MULTILINE if column.multiline else _CONTROL
        label = self.header_label(column.key)
        if control.search(value):
            self.errors.add(
                number,
                label,
                _("control characters (line breaks, tabs and the like) are not allowed here")
                if not column.multiline
                else _("control characters are not allowed"),
            )
            value = control.sub("", value)
        if len(value) > column.max_length:
            self.errors.add(
                number,
                label,
                _("at most %(limit)s characters (this cell has %(count)s)")
                % {"limit": column.max_length, "count": len(value)},
            )
            value = value[: column.max_length]
        return value

    def raw_rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number, cells as read) for every non-blank row: not normalised, short
        rows padded, numbered and counted exactly like iterating the reader. For an
        importer that hands the cells to the database to check (traffic's COPY path).
        A record the csv module cannot read raises csv.Error instead of being reported:
        the caller reads the file again through the reader to report it."""
        return self._records(strict=True)

    def _records(self, *, strict: bool) -> Iterator[tuple[int, list[str]]]:
        width = max(self._positions.values(), default=-1) + 1
        while True:
            try:
                cells = next(self._csv)
            except StopIteration:
                break
            except csv.Error as exc:
                self._row_number += 1
                if strict:
                    raise
                self.errors.add(
                    self._row_number,
                    "",
                    _("the line cannot be read as CSV (%(error)s)") % {"error": exc},
                )
                continue
            self._row_number += 1
            if not "".join(cells).strip():
                continue  # blank lines (every cell empty or spaces), as Excel leaves at the end
            self.rows_read += 1
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield self._row_number, cells
        if self.rows_read == 0 and not self.errors:
            self.errors.add(0, "", _("The file has a header but no data rows."))

    def raise_if_errors(self) -> None:
        self.errors.raise_if_any()


# --- Cell parsers: each returns a value or raises ValueError with a Japanese message. ---


def parse_choice(words: Mapping[str, T]) -> Callable[[str], T]:
    """A parser accepting any of `words` (compared NFKC- and case-insensitively)."""
    table = {_header_key(word): value for word, value in words.items()}

    def parser(text: str) -> T:
        try:
            return table[_header_key(text)]
        except KeyError:
            choices = " / ".join(words)
            raise ValueError(
                _("%(value)r is not one of: %(choices)s") % {"value": text, "choices": choices}
            ) from None

    return parser


def parse_decimal(text: str, *, minimum: Decimal | None = Decimal(0)) -> Decimal:
    """'1,050.25' → Decimal('1050.25'); negative numbers are refused by default."""
    cleaned = normalize(text).replace(",", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("%(value)r is not a number") % {"value": text}) from None
    if not value.is_finite():
        raise ValueError(_("%(value)r is not a number") % {"value": text})
    if minimum is not None and value < minimum:
        raise ValueError(_("%(value)s must not be negative") % {"value": text})
    return value


def parse_int(text: str) -> int:
    value = parse_decimal(text)
    if value != value.to_integral_value():
        raise ValueError(_("%(value)r is not a whole number") % {"value": text})
    return int(value)


_DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})年\s*(\d{1,2})月\s*(\d{1,2})日"),
)


def parse_date(text: str) -> dt.date:
    """'2022-04-15', '2022/4/15', '2022年4月15日' (full-width digits too), inside the
    portal's date window (gigaportal.dates.date_window)."""
    norm = normalize(text)
    for pattern in _DATE_PATTERNS:
        match = pattern.fullmatch(norm)
        if match:
            try:
                day = dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                break
            _check_in_window(text, day, day)
            return day
    raise ValueError(
        _("%(value)r is not a date (e.g. 2022-04-15, 2022/4/15, 2022年4月15日)") % {"value": text}
    )


def parse_month(text: str) -> Month:
    """'2022-09', '2022/09', '2022年9月' (full-width digits too), inside the portal's
    date window."""
    try:
        month = Month.parse(text)
    except YearOutOfRange:
        # A month spelt right in year 0001 or 9999: the window's message, not "not a month".
        raise _outside_window(text) from None
    except ValueError:
        raise ValueError(
            _("%(value)r is not a month (e.g. 2022-09, 2022/09, 2022年9月)") % {"value": text}
        ) from None
    _check_in_window(text, month.first_day(), month.last_day())
    return month


def _check_in_window(text: str, first: dt.date, last: dt.date) -> None:
    """A date (or a month, first to last day) must touch the date window: year 0001 or
    9999 in a cell is a typing error, never a record."""
    window = date_window()
    if last < window.start or first > window.end:
        raise _outside_window(text)


def _outside_window(text: str) -> ValueError:
    return ValueError(
        _("%(value)r is outside the accepted dates. %(window)s")
        % {"value": text, "window": date_window().error()}
    )


def parse_email(text: str) -> str:
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(text)
    except ValidationError:
        raise ValueError(_("%(value)r is not an e-mail address") % {"value": text}) from None
    return text


def duplicate_checker(reader: TableReader, key: str) -> Callable[[Row, Any], None]:
    """Reports a value seen on an earlier row: 'duplicate of row N'. The values seen
    are kept on disk (a scratch database), so memory does not grow with the file."""
    seen = FirstSeen()
    reader.scratch.append(seen)

    def check(row: Row, value: Any) -> None:
        if value is None:
            return
        first = seen.first(value if isinstance(value, int | str) else repr(value), row.number)
        if first is not None:
            row.error(
                key,
                _("%(value)s appears again (first on row %(first)s)")
                % {"value": value, "first": first},
            )

    return check


# --- Files whose columns are not known in advance (survey exports), CSV or .xlsx ------------

XLSX_MAGIC = b"PK\x03\x04"


def is_xlsx(binary: IO[bytes]) -> bool:
    """A zip file (an .xlsx workbook) rather than text; the file is rewound."""
    binary.seek(0)
    head = binary.read(4)
    binary.seek(0)
    return head == XLSX_MAGIC


def xlsx_cell_text(value: Any) -> str:
    """A workbook cell as the sheet shows it, so a workbook reads like its CSV:
    datetimes `2022/11/30 8:15:03` (Google Sheets' form), whole numbers without `.0`."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return (
            f"{value.year}/{value.month}/{value.day} "
            f"{value.hour}:{value.minute:02d}:{value.second:02d}"
        )
    if isinstance(value, dt.date):
        return f"{value.year}/{value.month}/{value.day}"
    if isinstance(value, dt.time):
        return f"{value.hour}:{value.minute:02d}:{value.second:02d}"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def xlsx_records(binary: IO[bytes]) -> Iterator[list[str]]:
    """The rows of a workbook's first sheet as text cells (see xlsx_cell_text). A file
    that is not a readable workbook raises TabularError."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
    except Exception:
        raise TabularError.single(
            _("The file cannot be read as an Excel workbook (.xlsx). Save it again and retry.")
        ) from None
    try:
        for row in rows:
            yield [xlsx_cell_text(value) for value in row]
    except Exception:
        raise TabularError.single(
            _("The file cannot be read as an Excel workbook (.xlsx). Save it again and retry.")
        ) from None
    finally:
        workbook.close()


class RawTable:
    """A file with a header row whose columns are not known in advance: a CSV (read
    with the shared encoding detection: UTF-8, BOM, CP932) or the first sheet of an
    .xlsx workbook. `header` holds the header cells as written; iterating gives
    (row number, cells as read) for every non-blank row, numbered as TableReader
    numbers them (the header is row 1, blank rows count). Cells are not normalised:
    the caller applies `normalize` (NFKC) where it compares."""

    def __init__(self, binary: IO[bytes], *, encoding: str = "") -> None:
        if hasattr(binary, "seekable") and not binary.seekable():
            binary = io.BytesIO(binary.read())
        self.errors = ErrorCollector()
        self.rows_read = 0
        self._binary = binary
        self._text: io.TextIOWrapper | None = None
        if is_xlsx(binary):
            self.encoding = "xlsx"
            self._records: Iterator[list[str]] = xlsx_records(binary)
        else:
            # A reopened file's encoding is known: the whole file is not checked again.
            self.encoding = encoding or detect_encoding(binary)
            self._text = io.TextIOWrapper(binary, encoding=self.encoding, newline="")
            self._records = csv.reader(self._text)
        self._row_number = 0
        self.header = self._read_header()

    def reopen(self) -> RawTable:
        """A new reader over the same file from its start (an importer's second pass);
        this one lets go of the file without closing it and cannot be read any more."""
        binary = self._text.detach() if self._text is not None else self._binary
        binary.seek(0)
        return RawTable(binary, encoding="" if self.encoding == "xlsx" else self.encoding)

    def tell(self) -> int:
        """How far into the file the reader is, in bytes (for a progress bar)."""
        try:
            return self._binary.tell()
        except (OSError, ValueError, AttributeError):
            return 0

    def _read_header(self) -> list[str]:
        try:
            header = next(self._records)
        except StopIteration:
            raise TabularError.single(_("The file is empty.")) from None
        except csv.Error as exc:
            raise TabularError.single(
                _("The header row cannot be read: %(error)s") % {"error": exc}, row=1
            ) from None
        self._row_number = 1
        if not any(normalize(cell) for cell in header):
            raise TabularError.single(
                _("The first row is blank; it must hold the column names."), row=1
            )
        # Trailing header cells that are empty are not columns (a sheet's unused width).
        while header and not normalize(header[-1]):
            header = header[:-1]
        return list(header)

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        while True:
            try:
                cells = next(self._records)
            except StopIteration:
                break
            except csv.Error as exc:
                self._row_number += 1
                self.errors.add(
                    self._row_number,
                    "",
                    _("the line cannot be read as CSV (%(error)s)") % {"error": exc},
                )
                continue
            self._row_number += 1
            if not "".join(cells).strip():
                continue
            self.rows_read += 1
            yield self._row_number, cells
        if self.rows_read == 0 and not self.errors:
            self.errors.add(0, "", _("The file has a header but no data rows."))

"""The shared CSV reader (gigaportal/tabular.py), without a database.

Messages are checked in English (the msgids); the Japanese catalogue is checked where
users see it, on the import page (test_schools_import.py)."""

from __future__ import annotations

import codecs
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import translation

from gigaportal.calendar import Month
from gigaportal.tabular import (
    Column,
    TableReader,
    TabularError,
    detect_encoding,
    duplicate_checker,
    normalize,
    parse_choice,
    parse_date,
    parse_decimal,
    parse_email,
    parse_int,
    parse_month,
)

COLUMNS = (
    Column("school_code", ("学校コード",)),
    Column("name", ("学校名",)),
    Column("gb", ("使用量(GB)", "通信量")),
    Column("note", ("備考",), required=False),
)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def csv_file(text: str, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO(text.encode(encoding))


def rows_of(binary, columns=COLUMNS):
    reader = TableReader(binary, columns)
    return reader, [(row.number, row.cells) for row in reader]


def messages_of(excinfo) -> list[str]:
    return excinfo.value.messages()


# --- Encodings ---------------------------------------------------------------------------

JAPANESE = "学校コード,学校名,使用量(GB)\nE001,青葉小学校,12.5\n"
EXPECTED = [(2, {"school_code": "E001", "name": "青葉小学校", "gb": "12.5"})]


def test_it_reads_utf8():
    reader, rows = rows_of(csv_file(JAPANESE))
    assert reader.encoding == "utf-8"
    assert rows == EXPECTED


def test_it_reads_utf8_with_a_bom_and_the_bom_does_not_spoil_the_first_header():
    reader, rows = rows_of(io.BytesIO(codecs.BOM_UTF8 + JAPANESE.encode()))
    assert reader.encoding == "utf-8-sig"
    assert rows == EXPECTED


def test_it_reads_cp932_as_excel_saves_it():
    reader, rows = rows_of(csv_file(JAPANESE, "cp932"))
    assert reader.encoding == "cp932"
    assert rows == EXPECTED


def test_it_reads_cp932_with_characters_shift_jis_lacks():
    # ①, ㈱ and 髙 exist in CP932 (Windows) but not in plain Shift_JIS.
    text = "学校コード,学校名,使用量(GB)\nE001,髙田①小学校㈱,1\n"
    _reader, rows = rows_of(csv_file(text, "cp932"))
    # NFKC turns ① into 1 and ㈱ into (株).
    assert rows[0][1]["name"] == "髙田1小学校(株)"


def test_it_detects_cp932_whose_first_megabyte_is_plain_ascii():
    ascii_rows = "".join(f"A{i:06d},school {i},1\n" for i in range(80_000))
    assert len(ascii_rows) > 1 << 20
    text = "school_code,name,gb\n" + ascii_rows + "Z999,最後の小学校,2\n"
    binary = csv_file(text, "cp932")
    assert detect_encoding(binary) == "cp932"
    assert binary.tell() == 0, "detection rewinds the file"
    reader = TableReader(binary, COLUMNS)
    *_, last = reader
    assert last.number == 80_002
    assert last.cells["name"] == "最後の小学校"


def test_it_refuses_utf16_with_a_clear_message():
    for encoding in ("utf-16", "utf-16-be"):
        data = JAPANESE.encode(encoding)
        if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            data = codecs.BOM_UTF16_BE + data
        with pytest.raises(TabularError) as excinfo:
            TableReader(io.BytesIO(data), COLUMNS)
        assert messages_of(excinfo) == [
            "The file is UTF-16 text. Save it as CSV (UTF-8 or Shift_JIS) and try again."
        ]


def test_it_refuses_an_excel_workbook_with_a_clear_message():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["school_code", "name", "gb"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    with pytest.raises(TabularError) as excinfo:
        TableReader(buffer, COLUMNS)
    assert "looks like an Excel workbook" in messages_of(excinfo)[0]


def test_it_refuses_latin1_bytes_as_neither_utf8_nor_shift_jis():
    with pytest.raises(TabularError) as excinfo:
        TableReader(csv_file("school_code,name,gb\nX1,Café,1\n", "latin-1"), COLUMNS)
    assert "not UTF-8 or Shift_JIS (CP932)" in messages_of(excinfo)[0]


def test_it_refuses_binary_data():
    with pytest.raises(TabularError) as excinfo:
        TableReader(io.BytesIO(b"school_code,name,gb\n\x00\x01\x02"), COLUMNS)
    assert "binary data" in messages_of(excinfo)[0]


def test_it_reads_a_file_that_cannot_seek_such_as_a_pipe():
    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self.inner = io.BytesIO(data)

        def readable(self):
            return True

        def seekable(self):
            return False

        def readinto(self, buffer):
            chunk = self.inner.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    _reader, rows = rows_of(io.BufferedReader(Pipe(JAPANESE.encode("cp932"))))
    assert rows == EXPECTED


# --- Normalisation and headers -----------------------------------------------------------


def test_it_nfkc_normalises_full_width_digits_letters_and_spaces_and_trims_cells():
    text = "学校コード,学校名,使用量(GB)\n　Ｅ００１　,青葉　小学校, １２．５ \n"
    _reader, rows = rows_of(csv_file(text, "cp932"))
    assert rows == [(2, {"school_code": "E001", "name": "青葉 小学校", "gb": "12.5"})]
    assert normalize("ｶﾀｶﾅ") == "カタカナ"


def test_it_maps_header_aliases_case_space_and_width_insensitively():
    text = "  SCHOOL_CODE ,学 校 名,使用量（ＧＢ）\nE001,青葉小学校,1\n"
    reader, rows = rows_of(csv_file(text))
    assert rows[0][1] == {"school_code": "E001", "name": "青葉小学校", "gb": "1"}
    # Errors name the column as the user's file does.
    assert reader.header_label("gb") == "使用量(GB)"


def test_it_accepts_any_of_several_aliases():
    _reader, rows = rows_of(csv_file("学校コード,name,通信量\nE001,x,1\n"))
    assert rows[0][1]["gb"] == "1"


def test_it_ignores_extra_columns_and_tolerates_columns_in_any_order():
    text = "契約番号,通信量,学校名,端末数,学校コード\nC-1,3,青葉小学校,40,E001\n"
    _reader, rows = rows_of(csv_file(text))
    assert rows == [(2, {"school_code": "E001", "name": "青葉小学校", "gb": "3"})]


def test_it_names_every_missing_column_with_its_accepted_headers():
    with pytest.raises(TabularError) as excinfo:
        TableReader(csv_file("学校名,備考\n青葉小学校,\n"), COLUMNS)
    assert messages_of(excinfo) == [
        "Row 1, column 学校コード: the column is missing (expected one of: school_code / 学校コード)",
        "Row 1, column 使用量(GB): the column is missing (expected one of: gb / 使用量(GB) / 通信量)",
    ]


def test_an_optional_column_may_be_missing():
    reader, rows = rows_of(csv_file("school_code,name,gb\nE001,x,1\n"))
    assert not reader.has_column("note")
    assert rows[0][1] == {"school_code": "E001", "name": "x", "gb": "1"}


def test_it_refuses_two_columns_that_mean_the_same_thing():
    with pytest.raises(TabularError) as excinfo:
        TableReader(csv_file("school_code,学校コード,name,gb\nE001,E002,x,1\n"), COLUMNS)
    assert messages_of(excinfo) == [
        "Row 1, column 学校コード: two columns mean the same thing (school_code)"
    ]


def test_it_refuses_an_empty_file():
    with pytest.raises(TabularError) as excinfo:
        TableReader(io.BytesIO(b""), COLUMNS)
    assert messages_of(excinfo) == ["The file is empty."]


def test_it_refuses_a_file_whose_first_row_is_blank():
    with pytest.raises(TabularError) as excinfo:
        TableReader(csv_file("\n\nschool_code,name,gb\nE001,x,1\n"), COLUMNS)
    assert messages_of(excinfo) == ["Row 1: The first row is blank; it must hold the column names."]


def test_a_header_only_file_is_an_error_after_reading():
    reader, rows = rows_of(csv_file("school_code,name,gb\n\n"))
    assert rows == []
    with pytest.raises(TabularError) as excinfo:
        reader.raise_if_errors()
    assert messages_of(excinfo) == ["The file has a header but no data rows."]


# --- Rows --------------------------------------------------------------------------------


def test_it_skips_blank_lines_but_numbers_rows_as_a_spreadsheet_shows_them():
    text = (
        "school_code,name,gb\r\n"  # row 1
        "E001,a,1\r\n"  # row 2
        "\r\n"  # row 3: blank, skipped
        ",,\r\n"  # row 4: blank cells, skipped
        'E002,"two\nlines",2\r\n'  # row 5 (one record over two lines, as Excel writes it)
        "E003,c,3\r\n"  # row 6
        "\r\n"
    )
    # The name column may hold line breaks here (a note's would); a code's never does.
    columns = (*COLUMNS[:1], Column("name", ("学校名",), multiline=True), *COLUMNS[2:])
    _reader, rows = rows_of(csv_file(text), columns)
    assert [(number, cells["school_code"]) for number, cells in rows] == [
        (2, "E001"),
        (5, "E002"),
        (6, "E003"),
    ]
    assert rows[1][1]["name"] == "two\nlines"


def test_short_rows_read_missing_cells_as_blank():
    _reader, rows = rows_of(csv_file("school_code,name,gb,備考\nE001,a\n"))
    assert rows[0][1] == {"school_code": "E001", "name": "a", "gb": "", "note": ""}


def test_row_errors_name_the_row_and_the_users_column_and_nothing_is_raised_early():
    reader = TableReader(csv_file("学校コード,学校名,通信量\nE001,,-1\n,b,x\n"), COLUMNS)
    seen = []
    for row in reader:
        seen.append(row.number)
        row.require("school_code")
        row.require("name")
        row.parse("gb", parse_decimal)
    assert seen == [2, 3], "every row is read before the file is refused"
    with pytest.raises(TabularError) as excinfo:
        reader.raise_if_errors()
    assert messages_of(excinfo) == [
        "Row 2, column 学校名: this cell is required",
        "Row 2, column 通信量: -1 must not be negative",
        "Row 3, column 学校コード: this cell is required",
        "Row 3, column 通信量: 'x' is not a number",
    ]


def test_row_parse_treats_a_blank_optional_cell_as_none_without_an_error():
    reader = TableReader(csv_file("school_code,name,gb,備考\nE001,a,1,\n"), COLUMNS)
    (row,) = list(reader)
    assert row.parse("note", parse_int, required=False) is None
    reader.raise_if_errors()


def test_it_caps_the_errors_it_lists_and_counts_the_rest():
    text = "school_code,name,gb\n" + "".join(f"E{i},n,bad\n" for i in range(7))
    reader = TableReader(csv_file(text), COLUMNS, limit=3)
    for row in reader:
        row.parse("gb", parse_decimal)
    with pytest.raises(TabularError) as excinfo:
        reader.raise_if_errors()
    assert messages_of(excinfo) == [
        "Row 2, column gb: 'bad' is not a number",
        "Row 3, column gb: 'bad' is not a number",
        "Row 4, column gb: 'bad' is not a number",
        "… and 4 more errors.",
    ]


def test_a_line_too_long_for_csv_is_an_error_on_its_row_and_reading_goes_on():
    text = "school_code,name,gb\nE001," + "x" * 200_000 + ",1\nE002,b,2\n"
    reader = TableReader(csv_file(text), COLUMNS)
    rows = [(row.number, row.cells["school_code"]) for row in reader]
    assert rows == [(3, "E002")]
    with pytest.raises(TabularError) as excinfo:
        reader.raise_if_errors()
    assert messages_of(excinfo)[0].startswith("Row 2: the line cannot be read as CSV")


# --- Parsers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["2022-04-15", "2022/4/15", "2022/04/15", "2022.4.15", "2022年4月15日", "２０２２年４月１５日"],
)
def test_parse_date_reads_the_usual_japanese_forms(text):
    assert parse_date(text) == dt.date(2022, 4, 15)


@pytest.mark.parametrize("text", ["2022-02-30", "15/04/2022", "R4.4.15", "yesterday", "2022-04"])
def test_parse_date_refuses_impossible_or_unknown_dates(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text)


def test_parse_month_reads_months_and_explains_what_it_expects():
    assert parse_month("２０２２年９月") == Month(2022, 9)
    with pytest.raises(ValueError, match=r"'2022-13' is not a month \(e.g. 2022-09"):
        parse_month("2022-13")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1,050.25", Decimal("1050.25")),
        ("１，０５０", Decimal("1050")),
        ("0", Decimal("0")),
        (" 12 ", Decimal("12")),
    ],
)
def test_parse_decimal_reads_thousands_separators_and_full_width_digits(text, value):
    assert parse_decimal(text) == value


@pytest.mark.parametrize("text", ["abc", "NaN", "Infinity", "1.2.3", "¥100"])
def test_parse_decimal_refuses_what_is_not_a_finite_number(text):
    with pytest.raises(ValueError, match="is not a number"):
        parse_decimal(text)


def test_parse_decimal_refuses_negatives_unless_allowed():
    with pytest.raises(ValueError, match="must not be negative"):
        parse_decimal("-0.5")
    assert parse_decimal("-0.5", minimum=None) == Decimal("-0.5")


def test_parse_int_wants_a_whole_non_negative_number():
    assert parse_int("1,200") == 1200
    assert parse_int("3.0") == 3
    with pytest.raises(ValueError, match="is not a whole number"):
        parse_int("3.5")
    with pytest.raises(ValueError, match="must not be negative"):
        parse_int("-2")


def test_parse_choice_accepts_any_listed_word_ignoring_case_width_and_spaces():
    parser = parse_choice({"小学校": "elementary", "Elementary": "elementary", "高校": "high"})
    assert parser("小学校") == "elementary"
    assert parser("ＥＬＥＭＥＮＴＡＲＹ") == "elementary"
    assert parser(" 高 校 ") == "high"
    with pytest.raises(ValueError, match="'大学' is not one of: 小学校 / Elementary / 高校"):
        parser("大学")


def test_parse_email_refuses_what_is_not_an_address():
    assert parse_email("ict@schools.example.jp") == "ict@schools.example.jp"
    with pytest.raises(ValueError, match="is not an e-mail address"):
        parse_email("ict at schools")


def test_duplicate_checker_names_the_first_row_a_value_appeared_on():
    reader = TableReader(csv_file("school_code,name,gb\nE001,a,1\nE002,b,1\nE001,c,1\n"), COLUMNS)
    check = duplicate_checker(reader, "school_code")
    for row in reader:
        check(row, row.require("school_code"))
        check(row, None)  # a value already reported missing is not a duplicate
    with pytest.raises(TabularError) as excinfo:
        reader.raise_if_errors()
    assert messages_of(excinfo) == [
        "Row 4, column school_code: E001 appears again (first on row 2)"
    ]


def test_a_reopened_reader_still_refuses_identical_rows():
    """An importer that gives up a faster path reads the file again through reopen():
    the new reader keeps the importer's identical-rows check."""
    body = "学校コード,学校名,通信量\nE001,青葉小,1\nE001,青葉小,1\n".encode()
    reader = TableReader(io.BytesIO(body), COLUMNS, identical_rows=True)
    again = reader.reopen()
    list(again)
    with pytest.raises(TabularError) as refused:
        again.raise_if_errors()
    assert any("3" in message and "2" in message for message in refused.value.messages())

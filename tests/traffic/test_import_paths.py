"""Both import paths give the same result: the PostgreSQL one (raw cells by COPY,
plain rows converted in SQL) and the Python one (every row through the shared parsers,
as on SQLite). Each file is imported both ways, rolled back in between, and the
stored rows or the refusal messages are compared. On PostgreSQL the raw cells come
either straight from the file's bytes ("file": plain CSV) or from the csv module's
records ("records": quotes, short rows, blank lines between rows); the tests say
which one each file takes."""

import io

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from gigaportal.tabular import TabularError
from traffic.models import Line, MonthlyUsage
from traffic.services.usage import RAW, SPELLINGS, usage_import

# The SQL path exists on PostgreSQL only (a skip on SQLite, a failure in CI).
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_postgres")]


class _Undo(Exception):
    pass


def outcome(data: bytes, *, python_parsing: bool, sql_runs: bool = True):
    """What an import leaves behind (or why it refuses), then rolled back."""
    found = None
    with CaptureQueriesContext(connection) as queries:
        try:
            with transaction.atomic():
                try:
                    result = usage_import(file=io.BytesIO(data), python_parsing=python_parsing)
                except TabularError as exc:
                    found = ("refused", exc.messages(), exc.more)
                    raise _Undo from None
                usages = sorted(
                    MonthlyUsage.objects.values_list("line__number", "month", "usage_mb")
                )
                lines = sorted(Line.objects.values_list("number", "school__code"))
                found = ("imported", result, usages, lines)
                raise _Undo
        except _Undo:
            pass
    sqls = [query["sql"] for query in queries.captured_queries]
    used_sql = any(SPELLINGS in sql for sql in sqls)
    assert used_sql is (sql_runs and not python_parsing)
    if any(f"CREATE TEMP VIEW {RAW}" in sql for sql in sqls):
        path = "file"
    elif used_sql:
        path = "records"
    else:
        path = "python"
    return found, path


def same_both_ways(data: bytes, *, sql_runs: bool = True, path: str | None = None):
    with translation.override("ja"):
        in_sql, sql_path = outcome(data, python_parsing=False, sql_runs=sql_runs)
        in_python, python_path = outcome(data, python_parsing=True)
    assert python_path == "python"
    if path is not None:
        assert sql_path == path
    assert in_sql == in_python
    return in_sql


HEADER = "回線番号,利用月,データ通信量(GB),学校コード,契約者\n"


def test_plain_and_unusual_spellings_store_the_same_values(school_a, school_b):
    body = (
        "070-1111-0001,2022-09,3.25,A001,市\n"
        '07011110002,2022/09,"1,050.25",B001,市\n'
        "０７０-１１１１-０００３,２０２２年９月,１２.５,Ａ００１,市\n"  # full-width
        "070 1111 0004,202209, 7 ,A001\n"  # spaces, a short row
        "070-1111-0005, 2022-09 ,1.,,\n"
        "070-1111-0006,2022-9,.5,,\n"
        ",,,,\n"  # blank rows are skipped but counted
        "\n"
        "0311110007,2022年10月,0.0004883,,\n"  # ten digits; × 1,024 rounds to 3 decimals
        "070-1111-0008,2022-10,976562.123456,,extra,cells\n"
        '070-1111-0001,2022-10,"1,0,0",\u3000A001\u3000,\n'
    )
    found = same_both_ways((HEADER + body).encode(), path="records")  # quoted cells
    assert found[0] == "imported", found
    assert found[1].created == 9


def test_a_plain_file_goes_straight_into_copy_and_stores_the_same_values(school_a, school_b):
    body = (
        "070-1111-0001,2022-09,3.25,A001,市\n"
        "07011110002,2022/09,1050.25,B001,市\n"
        "０７０-１１１１-０００３,２０２２年９月,１２.５,Ａ００１,市\n"  # full-width
        "070 1111 0004,202209, 7 ,A001,\n"  # spaces
        "070-1111-0005, 2022-09 ,1.,,\n"
        ",,,,\n"  # blank rows are skipped but counted
        "\u3000, ,,,\n"
        "0311110007,2022年10月,0.0004883,,\n"  # ten digits; × 1,024 rounds to 3 decimals
        "070-1111-0008,2022-10,976562.123456,,\n"
        "070-1111-0001,2022-10,1,\u3000A001\u3000,\n"
        "\n\r\n\n"  # blank lines after the last row
    )
    found = same_both_ways((HEADER + body).encode(), path="file")
    assert found[0] == "imported", found
    assert found[1].created == 8


def test_values_at_the_edges_of_the_plain_form_store_the_same_either_way():
    # Six integer and six decimal digits are converted in SQL; one more of either,
    # or a dot without digits, goes to the Python parser: the same values.
    body = (
        "070-1111-0001,2022-09,999999.999999,,\n"
        "070-1111-0002,2022-09,1000000,,\n"
        "070-1111-0003,2022-09,1.1234567,,\n"
        "070-1111-0004,2022-09,1.,,\n"
        "070-1111-0005,2022-09,.5,,\n"
        "070-1111-0006,2022-09,0000001.5,,\n"
    )
    found = same_both_ways((HEADER + body).encode(), path="file")
    assert found[0] == "imported", found
    assert found[1].created == 6


def test_line_numbers_with_dashes_anywhere_store_the_same_either_way():
    # SQL keeps a 3-4-4 line as it is written and rebuilds any other from its digits;
    # 13 characters with the dashes elsewhere are rebuilt too.
    body = (
        "070-1111-0001,2022-09,1,,\n"
        "07--1111-0002,2022-09,1,,\n"
        "0701-111-0003,2022-09,1,,\n"
        "0-70-1111-0004,2022-09,1,,\n"
        "03-1111-0005,2022-09,1,,\n"
        "0701111-0006,2022-09,1,,\n"
    )
    found = same_both_ways((HEADER + body).encode(), path="file")
    assert found[0] == "imported", found
    assert [number for number, _school in found[3]] == [
        "03-1111-0005",
        "07-1111-0002",
        "070-1111-0001",
        "070-1111-0003",
        "070-1111-0004",
        "070-1111-0006",
    ]


def test_usage_digits_at_the_edges_store_the_same_either_way():
    body = (
        "070-1111-0001,2022-09,123456,,\n"
        "070-1111-0002,2022-09,0.000001,,\n"
        "070-1111-0003,2022-09,1.0000001,,\n"
        "070-1111-0004,2022-09,123456.5,,\n"
        "070-1111-0005,2022-09,12345.1234567,,\n"
    )
    found = same_both_ways((HEADER + body).encode(), path="file")
    assert found[0] == "imported", found


def test_school_codes_at_the_edges_of_the_plain_form_are_refused_the_same_way():
    body = (
        "070-1111-0001,2022-09,1,ABCDEFGHIJKLMNOPQRST,\n"  # 20 characters: unknown code
        "070-1111-0002,2022-09,1,ABCDEFGHIJKLMNOPQRSTU,\n"  # 21: too long
        "070-1111-0003,2022-09,1,A 01,\n"
        "070-1111-0004,2022-09,1,A\t01,\n"
    )
    found = same_both_ways((HEADER + body).encode(), path="file")
    assert found[0] == "refused", found


def test_a_shift_jis_file_with_japanese_cells_goes_straight_into_copy():
    text = (
        "電話番号,請求月,通信量(MB),契約者名\r\n"
        "070-1111-0001,2022年9月,204800,髙橋①\r\n"
        "０７０-１１１１-０００２,２０２２年９月,１０２３９９．９９９５,﨑山～\r\n"
    )
    found = same_both_ways(text.encode("cp932"), path="file")
    assert found[0] == "imported", found
    assert found[1].created == 2


@pytest.mark.parametrize(
    "body",
    [
        "070-1111-0001,2022-09,1,,\n\n070-1111-0002,2022-09,2,,\n",  # a blank line between rows
        "070-1111-0001,2022-09,1\n070-1111-0002,2022-09,2,,\n",  # a short row
        "070-1111-0001,2022-09,1,,,more\n",  # a long row
        "070-1111-0001,2022-09,1,,\r070-1111-0002,2022-09,2,,\r",  # old Mac line ends
        '070-1111-0001,2022-09,1,,"x,y"\n',  # a quoted cell
        '070-1111-0001,2022-09,1,,a"b\n',  # a quote inside a cell
    ],
    ids=["blank line", "short row", "long row", "carriage returns", "quoted", "inner quote"],
)
def test_a_file_copy_cannot_split_like_the_csv_module_takes_the_records_path(body):
    found = same_both_ways((HEADER + body).encode(), path="records")
    assert found[0] == "imported", found


def test_megabytes_and_shift_jis_store_the_same_values():
    text = "電話番号,請求月,通信量(MB)\r\n070-1111-0001,2022年9月,204800\r\n070-1111-0002,2022年9月,102399.9995\r\n"
    found = same_both_ways(text.encode("cp932"))
    assert found[0] == "imported"


@pytest.mark.parametrize(
    "body",
    [
        "070-1111-0001,2022-13,1,,\n070-1111-0002,2022-09,-1,,\n070-1111-0003,2022-09,abc,,\n",
        "12-34,2022-09,1,,\n070-1111-0002,,,,\n,,,,x\n070-1111-0004,２０２２年１３月,－1,,\n",
        "070-1111-0001,2022-09,1,,\n070-1111-0002,2022-09,1,,\n070-1111-0001,2022/9,2,,\n",
        "070-1111-0001,2022-09,1,Z999,\n070-1111-0002,2022-09,1e3,A001,\n070-1111-0003,2022-09,NaN,,\n",
        "070-1111-0001,2022-09,1,,\n,,,,\u3000\n" + "x,y,z,,\n" * 250,  # over the cap
        "",  # a header and no data
        ",,,,\n \u3000,,,,\n",  # only blank rows
        "070-" + "-" * 30 + "1111-0001,2022-09,1,,\n",  # too long, though only digits and dashes
        '070-1111-0001,2022-09,1,,\n070-1111-0002,2022-09,1,,"' + "x" * 140_000 + '"\n',
    ],
    ids=[
        "bad cells",
        "odd and blank",
        "duplicate",
        "school and numbers",
        "capped",
        "empty",
        "only blank rows",
        "long line number",
        "unreadable",
    ],
)
def test_a_bad_file_is_refused_with_the_same_messages(school_a, body):
    # A record the csv module cannot read sends the file through the Python path.
    readable = "x" * 140_000 not in body
    path = "file" if readable else "python"
    found = same_both_ways((HEADER + body).encode(), sql_runs=readable, path=path)
    assert found[0] == "refused", found
    assert found[1]


def test_a_missing_column_is_refused_before_either_path():
    found = same_both_ways(b"line_number,month\n070-1111-0001,2022-09\n", sql_runs=False)
    assert found[0] == "refused"


def test_a_number_too_large_for_any_line_is_a_row_error_on_both_paths():
    # Past 1,000,000 GB (and past what the column holds): a row message, not a
    # database error, whichever path reads the file.
    data = (HEADER + "070-1111-0001,2022-09,123456789012345,,\n").encode()
    for python_parsing in (False, True):
        with pytest.raises(TabularError, match="1,000,000 GB"):
            usage_import(file=io.BytesIO(data), python_parsing=python_parsing)
    assert not MonthlyUsage.objects.exists()

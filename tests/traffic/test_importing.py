"""The carrier CSV import on the real database: formats, all-or-nothing, replacement."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from gigaportal.calendar import Month
from gigaportal.tabular import TabularError
from traffic.models import Line, MonthlyUsage
from traffic.services.usage import usage_import

pytestmark = pytest.mark.django_db


def run(text: str, encoding: str = "utf-8"):
    return usage_import(file=io.BytesIO(text.encode(encoding)))


def usage_of(number: str, month: str) -> Decimal:
    row = MonthlyUsage.objects.get(line__number=number, month=Month.parse(month).first_day())
    return row.usage_mb / 1024


def test_it_reads_japanese_headers_full_width_months_and_thousands_separators(school_a):
    result = run(
        "回線番号,利用月,データ通信量(GB),学校コード,契約者\n"
        '070-1111-0001,２０２２年９月,"1,050.25",A001,市\n'
        "07011110002,2022/09,0,A001,市\n"
        "070-1111-0001,2022-10,200,,市\n"
    )
    assert result.created == 3
    assert result.details["months"] == [Month(2022, 9), Month(2022, 10)]
    assert result.details["lines_created"] == 2
    assert usage_of("070-1111-0001", "2022-09") == Decimal("1050.25")
    assert usage_of("070-1111-0002", "2022-09") == 0  # the number was written without hyphens
    assert Line.objects.get(number="070-1111-0001").school == school_a


def test_it_converts_megabytes_at_1024_to_the_gigabyte():
    run(
        "line_number,month,usage_mb\n070-1111-0001,2022-09,204800\n070-1111-0002,2022-09,102399.999\n"
    )
    assert usage_of("070-1111-0001", "2022-09") == 200
    assert usage_of("070-1111-0002", "2022-09") < 100  # just under the bound stays under


def test_it_reads_shift_jis_as_excel_saves_it():
    run("電話番号,請求月,通信量(GB)\r\n070-1111-0001,2022年9月,3.5\r\n", encoding="cp932")
    assert usage_of("070-1111-0001", "2022-09") == Decimal("3.5")


def test_importing_a_month_again_replaces_it_and_leaves_other_months():
    run(
        "line_number,month,usage_gb\n070-1111-0001,2022-09,10\n070-1111-0002,2022-09,20\n070-1111-0001,2022-08,5\n"
    )
    run("line_number,month,usage_gb\n070-1111-0001,2022-09,11\n")
    assert MonthlyUsage.objects.filter(month="2022-09-01").count() == 1
    assert usage_of("070-1111-0001", "2022-09") == 11
    assert usage_of("070-1111-0001", "2022-08") == 5


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("070-1111-0001,2022-13,1\n", 2),
        ("070-1111-0001,2022-09,-1\n", 2),
        ("070-1111-0001,2022-09,abc\n", 2),
        ("070-1111-0001,2022-09,1\n070-1111-0002,2022-09,1\n070-1111-0001,2022/9,2\n", 4),
        ("12-34,2022-09,1\n", 2),
        ("070-1111-0001,2022-09,1000000.5\n", 2),
        ("070-1111-0001,2022-09,999999999999999\n", 2),
    ],
    ids=[
        "bad month",
        "negative",
        "not a number",
        "duplicate",
        "bad line",
        "over the limit",
        "absurd",
    ],
)
def test_a_bad_row_rejects_the_whole_file_and_writes_nothing(body, expected):
    run("line_number,month,usage_gb\n070-2222-0001,2022-08,9\n")
    with pytest.raises(TabularError) as excinfo:
        run("line_number,month,usage_gb\n" + body)
    assert excinfo.value.messages()[0].startswith(f"{expected}行目")
    assert MonthlyUsage.objects.count() == 1
    assert Line.objects.count() == 1


def test_a_line_twice_in_a_month_is_found_by_the_unique_index_and_nothing_changes(school_a):
    # A good file's duplicate check is the new rows' unique (line, month) index: the
    # refused import leaves the month, its lines and its totals as they were.
    run("line_number,month,usage_gb\n070-2222-0001,2022-09,9\n070-2222-0002,2022-10,4\n")
    body = "".join(f"070-3333-{n:04d},2022-09,1\n" for n in range(50))
    with translation.override("en"), pytest.raises(TabularError) as excinfo:
        run(
            "line_number,month,usage_gb\n"
            + body
            + "070-3333-0007,2022-09,2\n070-3333-0001,2022-10,1\n"
        )
    with translation.override("en"):
        messages = excinfo.value.messages()
    assert messages == [
        "Row 52, column line_number: 070-3333-0007 appears again for 2022-09 (first on row 9)"
    ]
    assert sorted(MonthlyUsage.objects.values_list("line__number", "month")) == [
        ("070-2222-0001", Month(2022, 9).first_day()),
        ("070-2222-0002", Month(2022, 10).first_day()),
    ]
    assert Line.objects.count() == 2
    assert usage_of("070-2222-0001", "2022-09") == 9


def test_a_refused_file_lists_its_duplicates_with_its_other_problems(school_a):
    with translation.override("en"), pytest.raises(TabularError) as excinfo:
        run(
            "line_number,month,usage_gb,school_code\n070-1111-0001,2022-09,1,A001\n"
            "070-1111-0002,2022-09,1,Z999\n070-1111-0001,2022-09,2,A001\n"
        )
    with translation.override("en"):
        messages = excinfo.value.messages()
    assert messages == [
        "Row 3, column school_code: no school has the code Z999",
        "Row 4, column line_number: 070-1111-0001 appears again for 2022-09 (first on row 2)",
    ]
    assert not MonthlyUsage.objects.exists()


def test_errors_are_row_numbered_in_japanese(settings):
    with translation.override("ja"), pytest.raises(TabularError) as excinfo:
        run("line_number,month,usage_gb\n070-1111-0001,2022-09,1\n070-1111-0001,2022-09,2\n")
    assert excinfo.value.messages()[0].startswith("3行目")


def test_a_missing_usage_column_is_refused_before_reading_rows():
    with pytest.raises(TabularError) as excinfo:
        run("line_number,month\n070-1111-0001,2022-09\n")
    assert "usage_gb" in str(excinfo.value)
    assert not Line.objects.exists()


def test_an_unknown_school_code_is_refused_with_its_row(school_a):
    with pytest.raises(TabularError) as excinfo:
        run(
            "line_number,month,usage_gb,school_code\n070-1111-0001,2022-09,1,A001\n070-1111-0002,2022-09,1,Z999\n"
        )
    assert "Z999" in str(excinfo.value)
    assert not MonthlyUsage.objects.exists()


def test_a_file_in_neither_utf8_nor_shift_jis_is_refused():
    with pytest.raises(TabularError):
        usage_import(file=io.BytesIO("line_number,month,usage_gb\n".encode("utf-16")))


def test_the_command_imports_and_refuses_with_reasons(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("line_number,month,usage_gb\n070-1111-0001,2022-09,1\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("line_number,month,usage_gb\n070-1111-0001,2022-09,x\n")
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_traffic", str(good), stdout=out)
        assert "Imported 1 rows for Sep 2022" in out.getvalue()
        with pytest.raises(CommandError, match="nothing changed"):
            call_command("import_traffic", str(bad))
        # The same file again is a no-op that says so.
        again = io.StringIO()
        call_command("import_traffic", str(good), stdout=again)
        assert "already imported" in again.getvalue() and "nothing was changed" in again.getvalue()
    assert usage_of("070-1111-0001", "2022-09") == 1
    assert MonthlyUsage.objects.count() == 1


def test_the_import_page_shows_every_bad_row_in_japanese_and_writes_nothing(client, leader):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(leader)
    upload = SimpleUploadedFile(
        "usage.csv",
        "回線番号,利用月,通信量(GB)\n070-1111-0001,2022-09,-3\n070-1111-0002,2022年13月,1\n".encode(
            "cp932"
        ),
    )
    response = client.post("/traffic/import/", {"file": upload})
    assert response.status_code == 400
    text = response.content.decode()
    assert "何も変更していません" in text or "変更されていません" in text
    assert "2行目" in text and "3行目" in text
    assert not MonthlyUsage.objects.exists()
    good = SimpleUploadedFile("usage.csv", b"line_number,month,usage_gb\n070-1111-0001,2022-09,3\n")
    response = client.post("/traffic/import/", {"file": good})
    assert response.status_code == 302
    assert usage_of("070-1111-0001", "2022-09") == 3


def test_the_largest_plausible_figure_is_accepted_in_gb_and_mb():
    run('line_number,month,usage_gb\n070-1111-0001,2022-09,"1,000,000"\n')
    assert usage_of("070-1111-0001", "2022-09") == 1_000_000
    with pytest.raises(TabularError, match="1,000,000 GB"):
        run("line_number,month,usage_mb\n070-1111-0001,2022-10,1024000001\n")

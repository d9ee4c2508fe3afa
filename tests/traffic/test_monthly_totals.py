"""The monthly totals the usage pages read equal the SUM over the usage rows, after an
import, a month replaced by a smaller file, a line moved to another school (by a file
or in admin), on both import paths; and the usage page reads a fixed number of rows."""

import io

import pytest
from django.db import connection
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gigaportal.calendar import Month
from tests.factories import make_school
from traffic.models import Line, MonthlyTotal, MonthlyUsage
from traffic.services.usage import usage_import

pytestmark = pytest.mark.django_db
HEADER = "回線番号,利用月,データ通信量(GB),学校コード\n"


def run(text: str, *, python_parsing: bool = False):
    return usage_import(file=io.BytesIO((HEADER + text).encode()), python_parsing=python_parsing)


def totals() -> dict:
    return {
        (row.month, row.school_id): (row.total_mb, row.lines) for row in MonthlyTotal.objects.all()
    }


def sums_over_rows() -> dict:
    rows = (
        MonthlyUsage.objects.values("month", "line__school_id")
        .annotate(total=Sum("usage_mb"), n=Count("id"))
        .order_by()
    )
    return {(r["month"], r["line__school_id"]): (r["total"], r["n"]) for r in rows}


@pytest.mark.parametrize("python_parsing", [False, True], ids=["sql-path", "python-path"])
def test_the_totals_equal_the_sum_over_rows_after_import_replace_and_a_school_move(
    school_a, school_b, python_parsing
):
    run(
        "070-2000-0001,2022-09,10,A001\n070-2000-0002,2022-09,20,A001\n"
        "070-2000-0003,2022-09,5,\n070-2000-0001,2022-10,1.5,A001\n"
        "070-2000-0003,2022-10,2,\n",
        python_parsing=python_parsing,
    )
    assert totals() == sums_over_rows()
    a_sep = totals()[(Month(2022, 9).first_day(), school_a.pk)]
    assert a_sep == (30 * 1024, 2)
    # September again, smaller: one line's row is gone, another's changed.
    run("070-2000-0001,2022-09,7,A001\n", python_parsing=python_parsing)
    assert totals() == sums_over_rows()
    assert totals()[(Month(2022, 9).first_day(), school_a.pk)] == (7 * 1024, 1)
    assert (Month(2022, 9).first_day(), None) not in totals()
    # November moves line 1 to school B: its October usage now counts there too.
    run("070-2000-0001,2022-11,3,B001\n", python_parsing=python_parsing)
    assert totals() == sums_over_rows()
    assert totals()[(Month(2022, 10).first_day(), school_b.pk)] == (1536, 1)
    assert (Month(2022, 10).first_day(), school_a.pk) not in totals()


def test_a_school_changed_in_admin_moves_the_lines_usage_in_the_totals(
    client, admin, school_a, school_b
):
    run("070-2000-0009,2022-09,10,A001\n")
    line = Line.objects.get(number="070-2000-0009")
    client.force_login(admin)
    response = client.post(
        reverse("admin:traffic_line_change", args=[line.pk]),
        {"number": line.number, "school": school_b.pk},
    )
    assert response.status_code == 302
    assert totals() == sums_over_rows()
    assert totals() == {(Month(2022, 9).first_day(), school_b.pk): (10 * 1024, 1)}


def test_the_usage_page_reads_the_same_number_of_rows_for_3_or_300_lines(client, leader):
    school = make_school(code="T001")

    def page_rows(lines: int) -> tuple[int, int]:
        body = "".join(f"070-3{lines:03d}-{i:04d},2022-09,1,T001\n" for i in range(lines))
        run(body)
        client.force_login(leader)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("traffic:usage"), {"month": "2022-09"})
        assert response.status_code == 200
        usage_reads = [q for q in queries.captured_queries if "traffic_monthlyusage" in q["sql"]]
        return len(queries), len(usage_reads)

    small, large = page_rows(3), page_rows(300)
    assert small == large
    assert large[1] == 0  # the page never touches the usage rows
    assert MonthlyTotal.objects.get(school=school).lines == 300


def test_the_usage_chart_is_served_from_the_cache_by_the_datas_version(client, leader, school_a):
    from django.core.cache import cache

    cache.clear()
    run("070-2000-0001,2022-09,10,A001\n")
    client.force_login(leader)
    url = reverse("traffic:usage_chart")
    params = {"from": "2022-09", "to": "2022-10"}
    first = client.get(url, params)
    assert first["Content-Type"] == "image/png"
    with CaptureQueriesContext(connection) as queries:
        again = client.get(url, params)
    assert again.content == first.content
    # A hit reads the version (totals' newest id and count, the policies) and nothing
    # of the report: no month list, no sums.
    report_reads = [q["sql"] for q in queries.captured_queries if "SUM(" in q["sql"].upper()]
    assert report_reads == []
    # A month imported: a new version, a new chart.
    run("070-2000-0001,2022-10,300,A001\n")
    assert client.get(url, params).content != first.content

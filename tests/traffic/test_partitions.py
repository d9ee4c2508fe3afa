"""The usage table's month partitions on PostgreSQL (traffic.services.partitions): an
import builds each of its months as a new partition and swaps it in, all or nothing,
and the unique (line, month) guarantee holds across partitions."""

import datetime as dt
import io

import pytest
from django.db import IntegrityError, connection, transaction

from gigaportal.tabular import TabularError
from traffic.models import Line, MonthlyUsage
from traffic.services.partitions import DEFAULT, TABLE, usage_partitioned, usage_partitions_ensure
from traffic.services.usage import usage_import

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("require_postgres")]

HEADER = "回線番号,利用月,データ通信量(GB)\n"
SEP = dt.date(2022, 9, 1)
OCT = dt.date(2022, 10, 1)


def run(body: str):
    return usage_import(file=io.BytesIO((HEADER + body).encode()))


def partitions() -> dict[str, int]:
    """Each partition of the usage table and its number of rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.oid FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [TABLE],
        )
        found = {}
        for name, _oid in cursor.fetchall():
            cursor.execute(f"SELECT COUNT(*) FROM {name}")
            found[name] = cursor.fetchone()[0]
    return found


def partition_oid(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::regclass::oid", [name])
        return cursor.fetchone()[0]


def test_each_imported_month_is_its_own_partition_and_a_second_import_replaces_it():
    assert usage_partitioned()
    run("070-1111-0001,2022-09,1\n070-1111-0002,2022-09,2\n070-1111-0001,2022-10,3\n")
    assert partitions() == {f"{TABLE}_202209": 2, f"{TABLE}_202210": 1, DEFAULT: 0}
    first = partition_oid(f"{TABLE}_202209")

    run("070-1111-0003,2022-09,5\n")
    assert partitions() == {f"{TABLE}_202209": 1, f"{TABLE}_202210": 1, DEFAULT: 0}
    assert partition_oid(f"{TABLE}_202209") != first  # a new table, swapped in
    assert sorted(MonthlyUsage.objects.values_list("line__number", "month")) == [
        ("070-1111-0001", OCT),
        ("070-1111-0003", SEP),
    ]


def test_a_bad_file_leaves_the_old_partition_as_it_was():
    run("070-1111-0001,2022-09,1\n070-1111-0002,2022-09,2\n")
    before = partition_oid(f"{TABLE}_202209")
    with pytest.raises(TabularError):
        run("070-1111-0001,2022-09,7\n070-1111-0009,2022-10,x\n")
    assert partition_oid(f"{TABLE}_202209") == before
    assert partitions() == {f"{TABLE}_202209": 2, DEFAULT: 0}
    assert MonthlyUsage.objects.get(line__number="070-1111-0001").usage_mb == 1024


def test_rows_written_one_by_one_wait_in_the_default_partition_and_an_import_replaces_them():
    line = Line.objects.create(number="070-1111-0001")
    other = Line.objects.create(number="070-1111-0002")
    MonthlyUsage.objects.create(line=line, month=SEP, usage_mb=5)
    MonthlyUsage.objects.create(line=other, month=SEP, usage_mb=6)
    assert partitions() == {DEFAULT: 2}

    run("070-1111-0001,2022-09,1\n")
    assert partitions() == {f"{TABLE}_202209": 1, DEFAULT: 0}
    assert list(MonthlyUsage.objects.values_list("line__number", "usage_mb")) == [
        ("070-1111-0001", 1024)
    ]


def test_a_line_has_one_usage_a_month_in_an_imported_partition_too():
    run("070-1111-0001,2022-09,1\n")
    line = Line.objects.get(number="070-1111-0001")
    with pytest.raises(IntegrityError), transaction.atomic():
        MonthlyUsage.objects.create(line=line, month=SEP, usage_mb=2)
    MonthlyUsage.objects.create(line=line, month=OCT, usage_mb=2)  # another month: its row
    assert MonthlyUsage.objects.filter(line=line).count() == 2


def test_deleting_a_line_takes_its_usage_from_every_partition():
    run("070-1111-0001,2022-09,1\n070-1111-0001,2022-10,1\n070-1111-0002,2022-10,1\n")
    Line.objects.get(number="070-1111-0001").delete()
    assert list(MonthlyUsage.objects.values_list("line__number", flat=True)) == ["070-1111-0002"]


def test_ensuring_a_partition_moves_the_months_rows_out_of_the_default_one():
    line = Line.objects.create(number="070-1111-0001")
    MonthlyUsage.objects.create(line=line, month=SEP, usage_mb=5)
    MonthlyUsage.objects.create(line=line, month=OCT, usage_mb=6)
    usage_partitions_ensure([SEP])
    assert partitions() == {f"{TABLE}_202209": 1, DEFAULT: 1}
    usage_partitions_ensure([SEP, OCT])  # the existing one is left as it is
    assert partitions() == {f"{TABLE}_202209": 1, f"{TABLE}_202210": 1, DEFAULT: 0}
    assert sorted(MonthlyUsage.objects.values_list("month", "usage_mb")) == [(SEP, 5), (OCT, 6)]

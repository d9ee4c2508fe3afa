"""The scratch stores on disk that keep what an import remembers per row: no database."""

from __future__ import annotations

import io
import sqlite3

import pytest

from gigaportal.scratch import FirstSeen, SortedSpill
from gigaportal.tabular import Column, TableReader, duplicate_checker


def test_first_seen_names_the_row_a_key_first_appeared_on():
    seen = FirstSeen()
    assert seen.first("E001", 2) is None
    assert seen.first("E002", 3) is None
    assert seen.first("E001", 4) == 2
    assert seen.first("E001", 5) == 2
    assert seen.first(-(2**63), 6) is None  # a signed 64-bit hash fits
    assert seen.first(1, 7) is None and seen.first("1", 8) is None  # 1 and "1" differ


def test_a_sorted_spill_reads_rows_back_by_key_then_in_the_order_written():
    spill = SortedSpill(("day", "row", "serial"), order=("day",))
    spill.extend([("2022-09-02", 2, "B"), ("2022-09-01", 3, "A"), ("2022-09-02", 4, "C")])
    spill.extend([("2022-09-01", 5, None)])
    chunks = list(spill.sorted_chunks(2))
    assert chunks == [
        [("2022-09-01", 3, "A"), ("2022-09-01", 5, None)],
        [("2022-09-02", 2, "B"), ("2022-09-02", 4, "C")],
    ]
    assert spill.count == 4
    assert list(spill.distinct("serial")) == ["A", "B", "C"]
    with pytest.raises(ValueError):
        list(spill.distinct("serial; DROP TABLE spill"))


def test_the_reader_deletes_its_scratch_stores_once_the_file_is_read():
    columns = [Column("code", ("学校コード",))]
    reader = TableReader(io.BytesIO("学校コード\nE1\nE2\n".encode()), columns, identical_rows=True)
    check = duplicate_checker(reader, "code")
    for row in reader:
        check(row, row["code"])
    with pytest.raises(sqlite3.ProgrammingError):  # closed: its temporary file is gone
        reader.scratch[0].first("E3", 4)

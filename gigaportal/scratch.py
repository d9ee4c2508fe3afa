"""Scratch space on disk for what an import must remember about every row it has read.

An import that refuses a row identical to an earlier one, or a code seen on an earlier
row, must remember every row's key until the file ends; a dict of them grows by about
100 bytes a row (57 MB at 50 MB). Kept here instead, in a private SQLite database that
lives in a temporary file and is deleted when it is closed, the keys cost disk, not
memory: SQLite holds only its page cache (SCRATCH_CACHE_KB) in memory, whatever the
file's size.

Why not a temporary table in the portal's own database: the shared CSV reader answers
row by row, before the importer sees the row, and must work without a database (its
tests have none, and it reads files that are refused before any query). A private
SQLite file answers a lookup in microseconds without a round trip, is the same on
PostgreSQL and SQLite deployments, and takes no part in the import's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

# Each scratch database keeps at most this much of itself in memory (SQLite's page
# cache); the rest is in its temporary file (TMPDIR, else /var/tmp or /tmp).
SCRATCH_CACHE_KB = 4096


def scratch_database() -> sqlite3.Connection:
    """A new private SQLite database in a temporary file, deleted when it is closed
    (SQLite's own rule for the empty file name). Nothing is ever committed: no journal,
    no syncing, since a crash loses only what would have been thrown away."""
    connection = sqlite3.connect("", isolation_level=None, check_same_thread=False)
    connection.execute(f"PRAGMA cache_size = -{SCRATCH_CACHE_KB}")
    connection.execute("PRAGMA journal_mode = OFF")
    connection.execute("PRAGMA synchronous = OFF")
    connection.execute("PRAGMA temp_store = FILE")
    return connection


class FirstSeen:
    """Remembers, for each key, the first row it appeared on: `first(key, row)` returns
    the row an equal key was first seen on, or None (and remembers this row) when the
    key is new. Keys are integers (a row's hash) or text (a code)."""

    def __init__(self) -> None:
        self._db = scratch_database()
        # The key is the table's primary key: one B-tree, one lookup per row.
        self._db.execute("CREATE TABLE seen (key PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID")

    def first(self, key: int | str, row: int) -> int | None:
        cursor = self._db.execute("INSERT OR IGNORE INTO seen (key, row) VALUES (?, ?)", (key, row))
        if cursor.rowcount == 1:
            return None
        (earlier,) = self._db.execute("SELECT row FROM seen WHERE key = ?", (key,)).fetchone()
        return earlier

    def close(self) -> None:
        self._db.close()


class SortedSpill:
    """Rows written in any order and read back sorted by the leading `order` columns
    (then in the order they were written), a chunk at a time: a sort of any number of
    rows in the memory of one chunk. Values are what sqlite3 stores (int, str, float,
    None); a caller keeps dates as ISO text, which sorts as dates do."""

    def __init__(self, columns: Sequence[str], order: Sequence[str]) -> None:
        self.columns = tuple(columns)
        self._db = scratch_database()
        names = ", ".join(self.columns)
        self._db.execute(f"CREATE TABLE spill (seq INTEGER PRIMARY KEY, {names})")
        self._insert = (
            f"INSERT INTO spill ({names}) VALUES ({', '.join('?' for _ in self.columns)})"
        )
        self._order = ", ".join((*order, "seq"))
        self._indexed = False
        self.count = 0

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        before = self._db.total_changes
        self._db.executemany(self._insert, rows)
        self.count += self._db.total_changes - before

    def distinct(self, *columns: str) -> Iterator[Any]:
        """Every distinct non-null value found in any of these columns, sorted (text
        by code point, as Python sorts it)."""
        if not columns or any(column not in self.columns for column in columns):
            raise ValueError(columns)
        union = " UNION ".join(
            f"SELECT {column} FROM spill WHERE {column} IS NOT NULL" for column in columns
        )
        cursor = self._db.execute(f"{union} ORDER BY 1")
        while batch := cursor.fetchmany(1000):
            for (value,) in batch:
                yield value

    def sorted_chunks(self, size: int) -> Iterator[list[tuple]]:
        """The rows in order, `size` at a time (without the seq column)."""
        if not self._indexed:
            # An index built once the rows are in is a sort on disk; ORDER BY then walks it.
            self._db.execute(f"CREATE INDEX spill_order ON spill ({self._order})")
            self._indexed = True
        cursor = self._db.execute(
            f"SELECT {', '.join(self.columns)} FROM spill ORDER BY {self._order}"
        )
        while chunk := cursor.fetchmany(size):
            yield chunk

    def close(self) -> None:
        self._db.close()

"""Set-based writes for the imports: rows go to the database in bulk (COPY on
PostgreSQL, batched executemany on SQLite), never one save() per row. The survey
answers and the usage import's staging table both go through here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from django.db import connection

SQLITE_BATCH = 5_000
COPY_LINES = 50_000


def _sqlite_value(value):
    # The sqlite3 module stores str, int, float, bytes and None; datetimes, dates and
    # decimals are written as Django writes them (UTC text, ISO text, decimal text).
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def insert_into(
    table: str, columns: Sequence[str], rows: Iterable[tuple], *, integers=False
) -> int:
    """Inserts plain tuples into the table `table` (its other columns take their
    defaults) and returns how many were written. `integers`: every value is an int or
    None, so PostgreSQL's COPY gets text lines built here, not a call per row."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    target = quote(table)
    written = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
                if not integers:
                    for row in rows:
                        copy.write_row(row)
                        written += 1
                    return written
                lines: list[str] = []
                for row in rows:
                    lines.append("\t".join("\\N" if v is None else str(v) for v in row))
                    if len(lines) >= COPY_LINES:
                        copy.write("\n".join(lines) + "\n")
                        written += len(lines)
                        lines.clear()
                if lines:
                    copy.write("\n".join(lines) + "\n")
                    written += len(lines)
            return written
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {target} ({names}) VALUES ({marks})"
        batch: list[tuple] = []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= SQLITE_BATCH:
                cursor.executemany(sql, batch)
                written += len(batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def insert_rows(model, fields: list[str], rows: Iterable[tuple], *, integers: bool = False) -> int:
    """`insert_into` for a model: `fields` by their names, written to their columns."""
    columns = [model._meta.get_field(f).column for f in fields]
    return insert_into(model._meta.db_table, columns, rows, integers=integers)


SQLITE_UPDATE_PARAMETERS = 30_000  # below SQLite's 32,766 host parameters a statement


def update_rows(model, fields: list[str], rows: Sequence[tuple]) -> None:
    """Sets `fields` of many rows, each row `(pk, value, …)`, in one statement
    (PostgreSQL: UPDATE … FROM unnest of typed arrays; SQLite: UPDATE … FROM VALUES,
    in batches of its parameter limit). Django's bulk_update builds a CASE per field
    whose compilation grows with the rows (0.48 s for 300 cases, measured)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    pk = model._meta.pk
    targets = [pk, *(model._meta.get_field(name) for name in fields)]
    postgres = connection.vendor == "postgresql"
    # SQLite names a VALUES list's columns column1, column2, … and takes no alias list.
    names = [f"c{i}" if postgres else f"column{i + 1}" for i in range(len(targets))]
    assignments = ", ".join(
        f"{quote(field.column)} = v.{name}"
        for field, name in zip(targets[1:], names[1:], strict=True)
    )
    where = f"{table}.{quote(pk.column)} = v.{names[0]}"
    with connection.cursor() as cursor:
        if postgres:
            arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in targets)
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM unnest({arrays}) AS v({', '.join(names)})"
                f" WHERE {where}",
                [[row[i] for row in rows] for i in range(len(targets))],
            )
            return
        per_statement = max(SQLITE_UPDATE_PARAMETERS // len(targets), 1)
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            marks = ", ".join(["(" + ", ".join(["%s"] * len(targets)) + ")"] * len(batch))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {marks}) AS v WHERE {where}",
                [_sqlite_value(value) for row in batch for value in row],
            )


def insert_returning(
    model,
    fields: list[str],
    rows: Sequence[tuple],
    *,
    constants: Mapping[str, object] | None = None,
    returning: Sequence[str] = ("pk",),
) -> list[tuple]:
    """Inserts plain tuples of `fields` in one statement, with `constants` (field:
    value) the same in every row, and returns for each row its `returning` fields (the
    new id and a natural key to match it by: the database does not promise the rows
    come back in the order they went in).

    PostgreSQL: INSERT … SELECT FROM unnest of typed arrays, the constants given once;
    SQLite: INSERT … VALUES … RETURNING, in batches of its parameter limit. Unlike
    bulk_create, no model instance is built and no field prepares each value: for the
    evaluation's thousand actions that was most of its time (benchmarks/evaluation.py).
    Values go in as they are, so every column without a database default is given."""
    if not rows:
        return []
    constants = dict(constants or {})
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    targets = [model._meta.get_field(name) for name in fields]
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in [*fields, *constants])
    back = ", ".join(
        quote((model._meta.pk if name == "pk" else model._meta.get_field(name)).column)
        for name in returning
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in targets)
            fixed = "".join(
                f", %s::{model._meta.get_field(name).db_type(connection)}" for name in constants
            )
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT v.*{fixed} FROM unnest({arrays}) AS v"
                f" RETURNING {back}",
                # The constants' marks come first in the statement.
                [*constants.values(), *([row[i] for row in rows] for i in range(len(targets)))],
            )
            return cursor.fetchall()
        result: list[tuple] = []
        width = len(targets) + len(constants)
        fixed_values = tuple(constants.values())
        per_statement = max(SQLITE_UPDATE_PARAMETERS // width, 1)
        for start in range(0, len(rows), per_statement):
            batch = rows[start : start + per_statement]
            marks = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {marks} RETURNING {back}",
                [_sqlite_value(value) for row in batch for value in (*row, *fixed_values)],
            )
            result.extend(cursor.fetchall())
        return result

"""Batch inserts that skip rows already present, on both backends.

PostgreSQL gets one ``INSERT ... SELECT FROM unnest(array, ...)`` per batch:
one short statement with one binary array parameter per column. SQLAlchemy's
multi-row ``VALUES`` form has a placeholder per value, and taking those
statements apart cost psycopg more time than the database spent inserting.
SQLite gets SQLAlchemy's ``executemany``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

__all__ = ["insert_rows"]

# Rows per PostgreSQL statement; arrays of this size cost nothing to send.
_PG_BATCH = 2000


def insert_rows(connection: Connection, table: sa.Table, rows: Sequence[dict[str, Any]], *,
                conflict: Sequence[str] | None = None,
                returning: Sequence[str] = ()) -> list[Row]:
    """Insert ``rows`` (dicts with the same keys), skipping those that break ``conflict``.

    Args:
        connection: inside the caller's transaction.
        table: the table.
        rows: the rows; every one has the same keys.
        conflict: columns of a unique constraint; a row that would duplicate an
            existing one is skipped. ``None`` inserts unconditionally.
        returning: columns to return for the rows actually inserted.

    Returns:
        One row of ``returning`` columns per inserted row (empty without ``returning``).
    """
    if not rows:
        return []
    if connection.dialect.name == "postgresql":
        return _insert_unnest(connection, table, rows, conflict, returning)
    if connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the store only opens sqlite and postgresql
        from sqlalchemy.dialects.postgresql import insert
    statement = insert(table)
    if conflict is not None:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
        return list(connection.execute(statement, list(rows)))
    connection.execute(statement, list(rows))
    return []


def _insert_unnest(connection: Connection, table: sa.Table, rows: Sequence[dict[str, Any]],
                   conflict: Sequence[str] | None, returning: Sequence[str]) -> list[Row]:
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    # %(name)b: binary parameters; the text form of an array escapes every
    # element in Python, which made sending the batch 14x slower.
    arrays = ", ".join(f"%({name})b::{_pg_type(column)}[]" for name, column in
                       zip(names, columns, strict=True))
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})")
    if conflict is not None:
        sql += f" ON CONFLICT ({', '.join(conflict)}) DO NOTHING"
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
    converters = [_converter(column) for column in columns]
    inserted: list[Row] = []
    for start in range(0, len(rows), _PG_BATCH):
        batch = rows[start:start + _PG_BATCH]
        parameters = {name: [convert(row[name]) for row in batch]
                      for name, convert in zip(names, converters, strict=True)}
        result = connection.exec_driver_sql(sql, parameters)
        if returning:
            inserted.extend(result)
    return inserted


def _base_type(column: sa.Column) -> sa.types.TypeEngine:
    kind = column.type
    return kind.impl_instance if isinstance(kind, sa.TypeDecorator) else kind


def _pg_type(column: sa.Column) -> str:
    kind = _base_type(column)
    # Order matters: BigInteger is an Integer, Text is a String.
    for python_type, name in ((sa.JSON, "json"), (sa.String, "text"),
                              (sa.BigInteger, "bigint"), (sa.Integer, "integer"),
                              (sa.Float, "double precision"), (sa.Boolean, "boolean")):
        if isinstance(kind, python_type):
            return name
    if isinstance(kind, sa.DateTime):
        return "timestamptz" if kind.timezone else "timestamp"
    raise TypeError(f"no PostgreSQL array type for column {column}")  # pragma: no cover


def _converter(column: sa.Column) -> Any:
    kind = _base_type(column)
    if isinstance(kind, sa.JSON):
        # The same text SQLAlchemy's JSON type would write; None stays NULL.
        return lambda value: None if value is None else json.dumps(value, allow_nan=False)
    return lambda value: value

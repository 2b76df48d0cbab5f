"""Statements on the driver's own cursor, for the append path and the log's hot reads.

The append path's statements are few and fixed, and SQLAlchemy's work around each one cost more than the
database's for a single event; so they are written with `?` marks and run on the DB-API cursor inside the
connection's transaction (psycopg wants `%s`). Rows come back as plain tuples, which the store's functions
turn into named records before they leave it. This module also names the connection and engine types the
rest of the ledger passes around without importing SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection as Connection
from sqlalchemy import Engine as Engine

from events.timestamps import as_utc


def driver_sql(conn: Connection, sql: str, params: Sequence[Any] = (), *, custom_plan: bool = False) -> Any:
    """Run `sql` on the driver's cursor, inside the connection's transaction; the cursor.

    `custom_plan`: PostgreSQL plans the statement for these values every time. psycopg prepares a
    statement run five times, and PostgreSQL may then keep a generic plan, made without the values; for
    a lookup whose index leads with a column of few distinct values that plan can read far more rows."""
    cursor: Any = conn.connection.cursor()
    if conn.dialect.paramstyle == "qmark":
        cursor.execute(sql, params)
    else:
        cursor.execute(sql.replace("?", "%s"), params, prepare=False if custom_plan else None)
    return cursor


def driver_many(conn: Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """`executemany` on the driver's cursor (see `driver_sql`)."""
    if conn.dialect.paramstyle != "qmark":
        sql = sql.replace("?", "%s")
    cursor = conn.connection.cursor()
    cursor.executemany(sql, rows)
    cursor.close()


COPY_FROM = 8  # rows from which PostgreSQL takes them by COPY


def insert_many(conn: Connection, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert rows of plain values through the driver: SQLAlchemy's per-row type processing cost a third
    of the append path. On PostgreSQL, more than a few rows go in by one COPY (psycopg's `executemany`
    sends an INSERT per row, which the server parses and runs one by one): the same rows, in the same
    transaction, every constraint checked as for an INSERT (a duplicate fails the COPY as it fails it)."""
    if conn.dialect.name == "postgresql" and len(rows) >= COPY_FROM:
        cursor: Any = conn.connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.close()
        return
    driver_many(conn, f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks(len(columns))})", rows)


def any_of(conn: Connection, column: str, values: Sequence[Any]) -> tuple[str, tuple[Any, ...]]:
    """The condition `column` is one of `values`, and its parameters: on PostgreSQL `column = ANY(?)` with
    one array (a short statement, which psycopg parses once and the server plans cheaply; an IN list of
    500 marks took milliseconds of psycopg's Python per statement), elsewhere `column IN (?, …)`."""
    if conn.dialect.name == "postgresql":
        return f"{column} = ANY(?)", (list(values),)
    return f"{column} IN ({marks(len(values))})", tuple(values)


def marks(n: int) -> str:
    return ", ".join("?" * n)


def timestamp(conn: Connection, moment: datetime) -> Any:
    """A timestamp as each driver stores SQLModel's datetime columns (SQLite: SQLAlchemy's text form)."""
    moment = as_utc(moment)
    if conn.dialect.name == "sqlite":
        return moment.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return moment


def read_time(value: Any) -> datetime:
    """A stored timestamp read through the driver: a datetime (psycopg) or SQLAlchemy's SQLite text form."""
    return as_utc(value if isinstance(value, datetime) else datetime.fromisoformat(str(value)))

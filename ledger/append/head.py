"""The log head: the one lock every change to the record's order takes, and the record's time.

An append and a key revocation both lock the head row (`BEGIN IMMEDIATE` on SQLite, `SELECT … FOR UPDATE`
on PostgreSQL) and read the time only once they hold it, so they are ordered: an entry is recorded
before a revocation (its `recorded_at` earlier than the key's `revoked_at`) or after it (and then its key
is refused). Time under the lock never goes backwards, whatever the clocks of the processes sharing the
database do: an append records at `max(clock, last recorded_at)`, a revocation takes effect at
`max(clock, last recorded_at + 1 µs)`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from events.timestamps import from_rfc3339

TICK = timedelta(microseconds=1)  # the resolution of `recorded_at`


def _one(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> Any:
    """One row, through the driver's cursor inside the connection's transaction (SQL written with `?`)."""
    cursor: Any = conn.connection.cursor()
    try:
        cursor.execute(sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s"), params)
        return cursor.fetchone()
    finally:
        cursor.close()


def lock(conn: Connection) -> int:
    """Lock the log head for this transaction; the log's size. (On SQLite the transaction holds the
    database's write lock already: `write_connection` begins it IMMEDIATE.)"""
    suffix = "" if conn.dialect.name == "sqlite" else " FOR UPDATE"
    row = _one(conn, f"SELECT size FROM log_head WHERE id = 1{suffix}")
    if row is None:
        raise RuntimeError("the ledger is not initialised (no log head); run init() first")
    return int(row[0])


def last_recorded(conn: Connection, size: int) -> datetime | None:
    """The `recorded_at` of the log's last entry (the latest: appends never record earlier), if any."""
    if size == 0:
        return None
    row = _one(conn, "SELECT recorded_at FROM entry WHERE idx = ?", (size - 1,))
    return None if row is None else from_rfc3339(row[0])


def append_time(clock: Callable[[], datetime], last: datetime | None) -> datetime:
    """When an append holding the lock records its entries: now, but never before the last entry."""
    now = clock()
    return now if last is None or now >= last else last


def revocation_time(conn: Connection, size: int, clock: Callable[[], datetime]) -> datetime:
    """When a revocation holding the lock takes effect: now, but strictly after every recorded entry."""
    now = clock()
    last = last_recorded(conn, size)
    return now if last is None or now > last else last + TICK

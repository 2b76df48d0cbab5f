"""The log head's row: its lock, the log's committed size, and the origin the database belongs to.

An append and a key revocation both lock this row (`BEGIN IMMEDIATE` on SQLite, `SELECT … FOR UPDATE` on
PostgreSQL) before they read the time, so they are ordered (ledger.append.head says what each does with
the time). The recording time of the log's last entry is read here too: it is the floor of the next one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from ledger.store.driver import Connection, driver_sql
from ledger.store.schema import HEAD


def _one(conn: Connection, sql: str, params: tuple[Any, ...] = ()) -> Any:
    cursor = driver_sql(conn, sql, params)
    try:
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


def size(conn: Connection) -> int:
    """The log's committed size."""
    return int(_one(conn, "SELECT size FROM log_head WHERE id = 1")[0])


def set_size(conn: Connection, new_size: int) -> None:
    driver_sql(conn, "UPDATE log_head SET size = ? WHERE id = 1", (new_size,)).close()


def last_recorded_at(conn: Connection, size: int) -> str | None:
    """The `recorded_at` text of the log's last entry (the latest: appends never record earlier), if any."""
    if size == 0:
        return None
    row = _one(conn, "SELECT recorded_at FROM entry WHERE idx = ?", (size - 1,))
    return None if row is None else str(row[0])


def claim_head(conn: Connection, origin: str) -> str:
    """Write the head row of an empty log for `origin` if there is none; the origin the database holds."""
    found = conn.execute(select(HEAD.c.origin).where(HEAD.c.id == 1)).scalar_one_or_none()
    if found is None:
        conn.execute(insert(HEAD).values(id=1, size=0, origin=origin))
        return origin
    return str(found)

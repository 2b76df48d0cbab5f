"""The log's tiles as the stored nodes hold them: a hash tile is a run of stored subtree hashes at one
level (node ids of one level are consecutive), an entry bundle a run of entries' bytes."""

from __future__ import annotations

from ledger.store.driver import Connection, driver_sql
from ledger.store.schema import node_id


def node_run(conn: Connection, level: int, first: int, count: int) -> list[bytes]:
    """The stored hashes of nodes (level, first) … (level, first + count - 1), in order; fewer if some are
    not stored (beyond the log)."""
    sql = "SELECT hash FROM merkle_node WHERE id >= ? AND id < ? ORDER BY id"
    rows = driver_sql(conn, sql, (node_id(level, first), node_id(level, first + count))).fetchall()
    return [bytes(digest) for (digest,) in rows]


def entry_run(conn: Connection, start: int, end: int) -> list[bytes]:
    """The canonical bytes of the entries of indices [start, end), in order."""
    sql = "SELECT body FROM entry WHERE idx >= ? AND idx < ? ORDER BY idx"
    return [bytes(body) for (body,) in driver_sql(conn, sql, (start, end)).fetchall()]

"""The log's read side: its size, signed checkpoints, entries by index or by pack, proofs' hashes, and
a pack's projection and chain head, as named records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import select

from events.errors import NotFoundError
from events.state import PackState
from ledger.format import merkle
from ledger.store import head
from ledger.store.driver import Connection, driver_sql, marks
from ledger.store.schema import CHECKPOINT, ENTRY, PACK, node_id, node_key

NODE_CHUNK = 400  # node ids in one IN list


@dataclass(frozen=True)
class StoredCheckpoint:
    size: int
    root: bytes
    note: str


class LoggedEntry(NamedTuple):
    idx: int
    hash: str
    body: bytes  # the entry's canonical bytes


class PackHead(NamedTuple):
    head: str  # hash of the chain's last entry
    seq: int
    last_index: int


def latest_checkpoint(conn: Connection) -> StoredCheckpoint | None:
    row = conn.execute(select(CHECKPOINT).order_by(CHECKPOINT.c.size.desc()).limit(1)).first()
    return StoredCheckpoint(row.size, bytes(row.root), row.note) if row else None


def checkpoint_at(conn: Connection, size: int) -> StoredCheckpoint | None:
    row = conn.execute(select(CHECKPOINT).where(CHECKPOINT.c.size == size)).first()
    return StoredCheckpoint(row.size, bytes(row.root), row.note) if row else None


def entries(conn: Connection, start: int, end: int) -> list[LoggedEntry]:
    """The entries of indices [start, end), in order."""
    columns = select(ENTRY.c.idx, ENTRY.c.hash, ENTRY.c.body)
    rows = conn.execute(columns.where(ENTRY.c.idx >= start, ENTRY.c.idx < end).order_by(ENTRY.c.idx))
    return [LoggedEntry(r.idx, r.hash, bytes(r.body)) for r in rows]


def pack_entries(conn: Connection, code: str, start: int = 0, limit: int | None = None) -> list[LoggedEntry]:
    """The pack's chain from `seq` `start`, in `seq` order; at most `limit` entries."""
    sql = "SELECT idx, hash, body FROM entry WHERE pack = ? AND seq >= ? ORDER BY seq"
    params: tuple[Any, ...] = (code, start)
    if limit is not None:
        sql, params = sql + " LIMIT ?", (code, start, limit)
    rows = driver_sql(conn, sql, params).fetchall()
    return [LoggedEntry(int(idx), str(digest), bytes(body)) for idx, digest, body in rows]


def pack_state(conn: Connection, code: str) -> PackState | None:
    row = conn.execute(select(PACK.c.state).where(PACK.c.code == code)).first()
    return PackState.from_dict(row.state) if row else None


def pack_head(conn: Connection, code: str) -> PackHead | None:
    row = conn.execute(select(PACK.c.head, PACK.c.seq, PACK.c.last_index).where(PACK.c.code == code)).first()
    return PackHead(row.head, row.seq, row.last_index) if row else None


def proof_hashes(conn: Connection, ranges: list[merkle.Range], size: int, known_size: int | None) -> list[bytes]:
    """A proof's hashes from the stored nodes, read in one query. Every node of a tree no larger than the
    log is stored, so a missing one means `size` is beyond the log: checked only then, or when `size` is
    beyond `known_size` (a size seen committed, if any; the log only grows)."""
    keys = sorted(merkle.proof_node_keys(ranges))
    nodes: dict[tuple[int, int], bytes] = {}
    for start in range(0, len(keys), NODE_CHUNK):
        ids = tuple(node_id(*k) for k in keys[start : start + NODE_CHUNK])
        rows = driver_sql(conn, f"SELECT id, hash FROM merkle_node WHERE id IN ({marks(len(ids))})", ids)
        nodes.update((node_key(int(node)), bytes(digest)) for node, digest in rows.fetchall())
    if len(nodes) < len(keys) or size > (head.size(conn) if known_size is None else known_size):
        current = head.size(conn)
        if size > current:
            raise NotFoundError(f"tree size {size} is beyond the log's size {current}", code="beyond_log")
    return merkle.resolve_proof(ranges, nodes)

"""The whole database read in one consistent snapshot, for `packtrace verify` (ledger.usecases.verify):
the log head, every entry in index order a chunk at a time, every checkpoint, every stored Merkle node
and every pack projection."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, select

from ledger.store.schema import CHECKPOINT, ENTRY, HEAD, NODE, ORG, ORG_KEY, PACK, node_id, node_key


class EntryRow(NamedTuple):
    idx: int
    pack: str
    seq: int
    hash: str
    body: bytes


class CheckpointRow(NamedTuple):
    size: int
    root: bytes
    note: str


class NodeRow(NamedTuple):
    level: int
    idx: int
    hash: bytes


class ProjectionRow(NamedTuple):
    code: str
    state: dict[str, Any]
    last_index: int


@contextmanager
def snapshot(engine: Engine) -> Iterator[Connection]:
    """A read transaction that sees one state of the database throughout (SQLite's transactions do; on
    PostgreSQL it takes REPEATABLE READ)."""
    conn = engine.connect()
    if engine.dialect.name == "postgresql":
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
    try:
        with conn.begin():
            yield conn
    finally:
        conn.close()


def log_size(conn: Connection) -> int:
    """The size the log head states (0 when there is no head)."""
    size = conn.execute(select(HEAD.c.size).where(HEAD.c.id == 1)).scalar_one_or_none()
    return 0 if size is None else int(size)


def entry_chunks(conn: Connection, chunk: int) -> Iterator[list[EntryRow]]:
    """Every stored entry in index order, `chunk` at a time."""
    return entries_between(conn, 0, None, chunk)


def migrated_registry(conn: Connection) -> list[EntryRow]:
    """The entries whose `actor` column says the migration recorded them, in index order (the bytes say
    whether they really are: ledger.usecases.verify checks)."""
    rows = conn.execute(
        select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.seq, ENTRY.c.hash, ENTRY.c.body)
        .where(ENTRY.c.actor == "@migration")
        .order_by(ENTRY.c.idx)
    )
    return [EntryRow(r.idx, r.pack, r.seq, r.hash, bytes(r.body)) for r in rows]


def checkpoints(conn: Connection) -> list[CheckpointRow]:
    rows = conn.execute(select(CHECKPOINT.c.size, CHECKPOINT.c.root, CHECKPOINT.c.note).order_by(CHECKPOINT.c.size))
    return [CheckpointRow(int(r.size), bytes(r.root), r.note) for r in rows]


READ_CHUNK = 50_000  # rows a read of the whole table asks for at a time (a driver may hold a result whole)


def merkle_nodes(conn: Connection, chunk: int = READ_CHUNK) -> Iterator[NodeRow]:
    """Every stored complete-subtree hash, in node id order (level by level), `chunk` rows at a time."""
    after = -1
    while True:
        rows = conn.execute(
            select(NODE.c.id, NODE.c.hash).where(NODE.c.id > after).order_by(NODE.c.id).limit(chunk)
        ).all()
        if not rows:
            return
        for r in rows:
            level, idx = node_key(int(r.id))
            yield NodeRow(level, idx, bytes(r.hash))
        after = int(rows[-1].id)


def projections(conn: Connection, chunk: int = READ_CHUNK) -> Iterator[ProjectionRow]:
    """Every pack's stored projection, in code order, `chunk` rows at a time."""
    after = ""
    while True:
        rows = conn.execute(
            select(PACK.c.code, PACK.c.state, PACK.c.last_index)
            .where(PACK.c.code > after)
            .order_by(PACK.c.code)
            .limit(chunk)
        ).all()
        if not rows:
            return
        for r in rows:
            yield ProjectionRow(r.code, r.state, int(r.last_index))
        after = rows[-1].code


# --- What an incremental verify reads (ledger.usecases.incremental) ---------------------------------------

IN_CHUNK = 400  # values in one IN list


def entries_between(conn: Connection, start: int, end: int | None, chunk: int) -> Iterator[list[EntryRow]]:
    """The stored entries of indices [start, end) (None: to the last) in index order, `chunk` at a time."""
    after = start - 1
    below = [] if end is None else [ENTRY.c.idx < end]
    while True:
        rows = conn.execute(
            select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.seq, ENTRY.c.hash, ENTRY.c.body)
            .where(ENTRY.c.idx > after, *below)
            .order_by(ENTRY.c.idx)
            .limit(chunk)
        ).all()
        if not rows:
            return
        yield [EntryRow(r.idx, r.pack, r.seq, r.hash, bytes(r.body)) for r in rows]
        after = rows[-1].idx


def chain_entries(conn: Connection, chains: Iterable[str], before: int) -> list[EntryRow]:
    """Every stored entry of these chains (pack codes or registry subjects) below index `before`."""
    names = sorted(set(chains))
    found: list[EntryRow] = []
    for start in range(0, len(names), IN_CHUNK):
        # by `pack` alone, which its unique index (pack, seq) serves: with `idx < before` in the statement
        # PostgreSQL may walk the primary key instead
        rows = conn.execute(
            select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.seq, ENTRY.c.hash, ENTRY.c.body).where(
                ENTRY.c.pack.in_(names[start : start + IN_CHUNK])
            )
        )
        found.extend(EntryRow(r.idx, r.pack, r.seq, r.hash, bytes(r.body)) for r in rows if r.idx < before)
    return found


def org_subjects(conn: Connection) -> list[str]:
    """The registry subjects of the organisations the registry tables hold, and of those keys name."""
    ids = {r.id for r in conn.execute(select(ORG.c.id))} | {r.org for r in conn.execute(select(ORG_KEY.c.org))}
    return [f"org:{org_id}" for org_id in sorted(ids)]


def nodes(conn: Connection, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """The stored Merkle nodes of these (level, idx) keys (a missing one is left out)."""
    ids = sorted({node_id(*k) for k in keys})
    found: dict[tuple[int, int], bytes] = {}
    for start in range(0, len(ids), IN_CHUNK):
        rows = conn.execute(select(NODE.c.id, NODE.c.hash).where(NODE.c.id.in_(ids[start : start + IN_CHUNK])))
        found.update((node_key(int(r.id)), bytes(r.hash)) for r in rows)
    return found


def projections_of(conn: Connection, codes: Iterable[str]) -> list[ProjectionRow]:
    names = sorted(set(codes))
    found: list[ProjectionRow] = []
    for start in range(0, len(names), IN_CHUNK):
        rows = conn.execute(
            select(PACK.c.code, PACK.c.state, PACK.c.last_index).where(PACK.c.code.in_(names[start : start + IN_CHUNK]))
        )
        found.extend(ProjectionRow(r.code, r.state, int(r.last_index)) for r in rows)
    return found

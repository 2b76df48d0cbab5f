"""Every statement of the append transaction but the log head's (ledger.store.head).

What the append reads under the lock (claims recorded already, keys, the packs the batch touches, the
Merkle frontier, the entry a correction names) comes back as named records; what it writes (entries, Merkle
nodes, pack projections, the signed checkpoint) goes in as plain rows through the driver, one statement
per table. Entry rows are tuples in `ENTRY_COLUMNS` order, built once per claim by the append.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import orjson

from events.state import PackState
from ledger.format import merkle
from ledger.format.claims import SignedClaim
from ledger.format.keys import KeyValidity
from ledger.store.driver import Connection, any_of, driver_many, driver_sql, insert_many, marks, read_time, timestamp
from ledger.store.schema import node_id, node_key

CHUNK = 500  # values in one IN list
ENTRY_COLUMNS = ("idx", "pack", "seq", "hash", "actor", "claim_id", "type", "at", "recorded_at", "body")
EntryRow = tuple[int, str, int, str, str, str, str, str, str, bytes]  # in ENTRY_COLUMNS order
_PACK, _HASH, _ACTOR, _TYPE = 1, 3, 4, 6
PACK_COLUMNS = (
    "status",
    "custodian",
    "manufacturer",
    "maker_code",
    "chemistry",
    "production_date",
    "vin",
    "head",
    "seq",
    "last_index",
    "state",
)

_ASSIGNMENTS = ", ".join(f"{name} = ?" for name in PACK_COLUMNS)


class RecordedClaim(NamedTuple):
    """The entry already recorded for a claim's (actor, id)."""

    idx: int
    seq: int
    hash: str
    body: bytes


class SigningKey(NamedTuple):
    org: str
    public_key: bytes
    validity: KeyValidity


class StoredPack(NamedTuple):
    """A pack's projection as the append reads it: its state, and the head of its chain."""

    code: str
    state: PackState
    head: str
    seq: int


def recorded_claims(conn: Connection, claims: Iterable[SignedClaim]) -> dict[tuple[str, str], RecordedClaim]:
    """The entries already recorded for these claims' (actor, id)."""
    by_actor: dict[str, list[str]] = {}
    for sc in claims:
        by_actor.setdefault(sc.actor, []).append(sc.id)
    return recorded_ids(conn, by_actor)


def recorded_ids(conn: Connection, by_actor: Mapping[str, Sequence[str]]) -> dict[tuple[str, str], RecordedClaim]:
    """The entries recorded for these claim ids of each actor (pack and registry entries alike)."""
    found: dict[tuple[str, str], RecordedClaim] = {}
    for actor, ids in by_actor.items():
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            among, values = any_of(conn, "claim_id", chunk)
            sql = f"SELECT actor, claim_id, idx, seq, hash, body FROM entry WHERE actor = ? AND {among}"
            # a generic plan read every entry of the actor (see driver_sql)
            rows = driver_sql(conn, sql, (actor, *values), custom_plan=True)
            for row_actor, claim_id, idx, seq, digest, body in rows.fetchall():
                found[(row_actor, claim_id)] = RecordedClaim(idx, seq, digest, bytes(body))
    return found


def signing_keys(conn: Connection, key_ids: Collection[str]) -> dict[str, SigningKey]:
    """The registered keys among `key_ids`: owner, raw public key, validity. A key id the database cannot
    even hold (e.g. with a NUL) is no registered key."""
    if not key_ids:
        return {}
    sql = "SELECT key_id, org, public_key, valid_from, revoked_at FROM org_key "
    sql += f"WHERE key_id IN ({marks(len(key_ids))})"
    dbapi = conn.dialect.dbapi
    try:
        rows = driver_sql(conn, sql, tuple(key_ids)).fetchall()
    except Exception as exc:
        if dbapi is None or not isinstance(exc, dbapi.DataError):
            raise
        return {}
    return {row[0]: _signing_key(*row[1:]) for row in rows}


def _signing_key(org: str, public: Any, valid_from: Any, revoked_at: Any) -> SigningKey:
    validity = KeyValidity(read_time(valid_from), None if revoked_at is None else read_time(revoked_at))
    return SigningKey(org, bytes(public), validity)


def packs(conn: Connection, codes: Sequence[str]) -> list[StoredPack]:
    """The stored projections of those of `codes` that exist."""
    found: list[StoredPack] = []
    for start in range(0, len(codes), CHUNK):
        chunk = codes[start : start + CHUNK]
        among, values = any_of(conn, "code", chunk)
        sql = f"SELECT code, state, head, seq FROM pack WHERE {among}"
        for code, state, head, seq in driver_sql(conn, sql, values).fetchall():
            found.append(StoredPack(code, PackState.from_dict(_json(state)), head, seq))
    return found


def _json(value: Any) -> dict[str, Any]:
    """A JSON column read through the driver: parsed already (psycopg) or text (SQLite)."""
    return value if isinstance(value, dict) else dict(json.loads(value))


def frontier(conn: Connection, size: int) -> list[bytes]:
    """The Merkle frontier of the log at `size`: the roots of its perfect subtrees, left to right."""
    keys = merkle.frontier_keys(size)
    if not keys:
        return []
    ids = [node_id(*k) for k in keys]
    rows = driver_sql(conn, f"SELECT id, hash FROM merkle_node WHERE id IN ({marks(len(ids))})", ids).fetchall()
    nodes = {node_key(int(node)): bytes(digest) for node, digest in rows}
    return [nodes[k] for k in keys]


class TargetEntry(NamedTuple):
    """The entry a correction names: its index, author, event type and stored bytes."""

    idx: int
    actor: str
    type: str
    body: bytes


def staged_target(rows: Sequence[EntryRow], pack: str, target: str) -> TargetEntry | None:
    """The entry `target` of `pack` among rows not written yet."""
    row = next((r for r in rows if r[_HASH] == target and r[_PACK] == pack), None)
    return None if row is None else TargetEntry(row[0], str(row[_ACTOR]), str(row[_TYPE]), row[-1])


def target_entry(conn: Connection, pack: str, target: str) -> TargetEntry | None:
    """The entry `target` of `pack`. (`entry.hash` has no index: at scale its random keys made every append
    dirty a page per entry; the pack's entries are few.)"""
    sql = "SELECT idx, actor, type, body FROM entry WHERE pack = ? AND hash = ?"
    row = driver_sql(conn, sql, (pack, target)).fetchone()
    return None if row is None else TargetEntry(int(row[0]), str(row[1]), str(row[2]), bytes(row[3]))


def insert_entries(conn: Connection, rows: Sequence[EntryRow]) -> None:
    insert_many(conn, "entry", ENTRY_COLUMNS, rows)


def insert_nodes(conn: Connection, nodes: Iterable[tuple[tuple[int, int], bytes]]) -> None:
    """Merkle nodes as `merkle.append_leaves` makes them: ((level, idx), hash)."""
    insert_many(conn, "merkle_node", ("id", "hash"), [(node_id(level, i), h) for (level, i), h in nodes])


PackWrite = tuple[str, PackState, str, int, int]  # code, state, head hash, last seq, index of the last entry


def write_packs(conn: Connection, changed: Iterable[PackWrite], existed: Collection[str]) -> None:
    """Insert or update the projections of the packs an append changed."""
    inserts, updates = [], []
    for code, state, head, seq, last_index in changed:
        values = _pack_values(state, head, seq, last_index)
        if code in existed:
            updates.append((*values, code))
        else:
            inserts.append((code, *values))
    if inserts:
        insert_many(conn, "pack", ("code", *PACK_COLUMNS), inserts)
    if updates:
        driver_many(conn, f"UPDATE pack SET {_ASSIGNMENTS} WHERE code = ?", updates)


def _pack_values(state: PackState, head: str, seq: int, last_index: int) -> tuple[Any, ...]:
    binding = state.binding
    return (
        str(state.status),
        state.custodian,
        state.manufacturer,
        state.maker_code,
        state.chemistry,
        state.production_date.isoformat() if state.production_date else None,
        binding.target if binding is not None and binding.kind == "vin" else None,
        head,
        seq,
        last_index,
        projection_json(state),
    )


def projection_json(state: PackState) -> str:
    """The pack's stored projection (`pack.state`): `state.to_dict()` as JSON. orjson writes the dataclass
    as it is (same fields, same order, tuples as arrays, the date as ISO text), skipping the copy into
    plain dictionaries that took most of the projection's time. (What orjson does not write, such as an
    integer beyond 64 bits in `extra`, takes the slow road.)"""
    try:
        return orjson.dumps(state).decode()
    except orjson.JSONEncodeError:
        return json.dumps(state.to_dict(), separators=(",", ":"), ensure_ascii=False)


def insert_checkpoint(conn: Connection, size: int, root: bytes, note: str, signed_at: datetime) -> None:
    driver_sql(
        conn,
        "INSERT INTO checkpoint (size, root, note, signed_at) VALUES (?, ?, ?, ?)",
        (size, root, note, timestamp(conn, signed_at)),
    ).close()

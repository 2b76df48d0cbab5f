"""What the log head records about the log beside its size: its origin, and the keys it is bound to
(the log key's verifier key and the sealing secret's fingerprint: ledger.usecases.keybinding); and the
log's key as its own `log` subject entries say (ledger.format.logkeys): the state in force, the key
events with the checkpoint signed with each, and the keys that sign the checkpoint of an append.

Reads here tolerate a database of an older schema (no tables yet, or a `log_head` made before the key ids
were recorded): the server reads them before it creates or upgrades anything.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, inspect, select, text, update

from ledger.format.logkey import LogSigner
from ledger.format.logkeys import LOG_SUBJECT, KeyEvent, KeyState, apply, key_event, latest_state
from ledger.store import registry
from ledger.store.schema import CHECKPOINT, ENTRY, HEAD

BOUND_COLUMNS = ("log_verifier_key", "sealing_key_id")


@dataclass(frozen=True)
class Recorded:
    """What the database says before anything is opened (all empty for a database without tables)."""

    size: int = 0
    log_verifier_key: str | None = None
    sealing_key_id: str | None = None
    sealed_keys: int = 0  # counted to one: whether any key is sealed is all that matters
    key_state: KeyState | None = None  # the log's key by its own entries (None: it has named none)


def stored_origin(engine: Engine) -> str | None:
    """The origin of the log this database already holds, if any."""
    if "log_head" not in inspect(engine).get_table_names():
        return None
    with engine.connect() as conn:
        found = conn.execute(select(HEAD.c.origin).where(HEAD.c.id == 1)).scalar_one_or_none()
    return None if found is None else str(found)


def recorded(engine: Engine) -> Recorded:
    """Read the log's size, recorded key ids and number of sealed keys; tolerant of older schemas."""
    inspector = inspect(engine)
    tables = set(inspector.get_table_names())
    if "log_head" not in tables:
        return Recorded()
    present = {c["name"] for c in inspector.get_columns("log_head")}
    columns = [HEAD.c.size, *(HEAD.c[name] for name in BOUND_COLUMNS if name in present)]
    with engine.connect() as conn:
        row = conn.execute(select(*columns).where(HEAD.c.id == 1)).first()
        sealed = _sealed_count(conn) if "org_key" in tables else 0
        state = key_state_at(conn, None) if "entry" in tables else None
    if row is None:
        return Recorded(sealed_keys=sealed, key_state=state)
    found = row._mapping
    return Recorded(int(found["size"]), found.get("log_verifier_key"), found.get("sealing_key_id"), sealed, state)


def _sealed_count(conn: Connection) -> int:
    return 0 if registry.first_sealed_key(conn) is None else 1


def lock_recorded(conn: Connection) -> Recorded:
    """`recorded` inside a write transaction, holding the log head's row lock until it ends (on SQLite the
    transaction holds the database's write lock already)."""
    row = conn.execute(
        select(HEAD.c.size, HEAD.c.log_verifier_key, HEAD.c.sealing_key_id).where(HEAD.c.id == 1).with_for_update()
    ).one()
    return Recorded(
        int(row.size), row.log_verifier_key, row.sealing_key_id, _sealed_count(conn), key_state_at(conn, None)
    )


def record_key_ids(conn: Connection, *, log_verifier_key: str | None, sealing_key_id: str | None) -> None:
    """Record the ids given (None: leave that one as it is)."""
    values = {"log_verifier_key": log_verifier_key, "sealing_key_id": sealing_key_id}
    given = {name: value for name, value in values.items() if value is not None}
    if given:
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(**given))


def record_log_key(conn: Connection, verifier_key: str) -> None:
    """Record the key in force after a rollover (the log's own entries say so; this is its projection)."""
    conn.execute(update(HEAD).where(HEAD.c.id == 1).values(log_verifier_key=verifier_key))


# -- the log's key by its own entries ---------------------------------------------------------------------


def _key_event(index: int, body: bytes) -> KeyEvent | None:
    entry: Any = json.loads(body)
    return key_event(index, entry)


def key_state_at(conn: Connection, size: int | None) -> KeyState | None:
    """The keys in force at tree size `size` (None: the whole log), by the latest key event before it."""
    query = select(ENTRY.c.idx, ENTRY.c.body).where(ENTRY.c.pack == LOG_SUBJECT)
    if size is not None:
        query = query.where(ENTRY.c.idx < size)
    for row in conn.execute(query.order_by(ENTRY.c.seq.desc())):
        event = _key_event(int(row.idx), bytes(row.body))
        if event is not None:
            return latest_state(event)
    return None


def log_entries(conn: Connection) -> list[tuple[int, bytes]]:
    """(index, stored bytes) of every `log` subject entry, in log order."""
    query = select(ENTRY.c.idx, ENTRY.c.body).where(ENTRY.c.pack == LOG_SUBJECT).order_by(ENTRY.c.idx)
    return [(int(row.idx), bytes(row.body)) for row in conn.execute(query)]


@dataclass(frozen=True)
class KeyEntry:
    """A key event's entry (canonical bytes) and the checkpoint signed in the transaction that added it."""

    index: int
    body: bytes
    checkpoint: str


def key_entries(conn: Connection) -> list[KeyEntry]:
    """Every entry of subject `log` (its key events), in log order, each with the first checkpoint that
    covers it: the one signed in the transaction that added it."""
    found = []
    for index, body in log_entries(conn):
        note = conn.execute(
            select(CHECKPOINT.c.note).where(CHECKPOINT.c.size > index).order_by(CHECKPOINT.c.size).limit(1)
        ).scalar_one()
        found.append(KeyEntry(index, body, str(note)))
    return found


def checkpoint_keys(conn: Connection, signer: LogSigner, size: int, rows: Sequence[tuple[Any, ...]]) -> tuple[str, ...]:
    """Inside an append's transaction, the verifier keys that sign the checkpoint of a log of `size`
    entries grown by `rows` (entry rows, `ENTRY_COLUMNS` order): every key in force before, between and
    after the key events among them (ledger.format.logkeys). The state before is the signer's own from its
    last commit when that was at `size`, else read here; the state after is remembered for the commit."""
    known, before = signer.known_at(size)
    if not known:
        before = key_state_at(conn, size)
    keys = list(before.in_force if before is not None else (signer.own_key,))
    state = before
    for row in rows:
        if row[1] != LOG_SUBJECT:
            continue
        event = _key_event(int(row[0]), bytes(row[-1]))
        if event is not None:
            state = apply(state, event)
            keys.extend(k for k in state.in_force if k not in keys)
    signer.tentative(size + len(rows), state)
    return tuple(keys)


def latest_checkpoint_note(conn: Connection) -> str | None:
    return conn.execute(select(CHECKPOINT.c.note).order_by(CHECKPOINT.c.size.desc()).limit(1)).scalar_one_or_none()


def add_missing_columns(engine: Engine) -> None:
    """Give `log_head` of a database made before key ids were recorded its two columns (nullable)."""
    present = {c["name"] for c in inspect(engine).get_columns("log_head")}
    missing = [name for name in BOUND_COLUMNS if name not in present]
    if missing:
        with engine.begin() as conn:
            for name in missing:
                kind = HEAD.c[name].type.compile(dialect=engine.dialect)  # as create_all would declare it
                conn.execute(text(f"ALTER TABLE log_head ADD COLUMN {name} {kind}"))

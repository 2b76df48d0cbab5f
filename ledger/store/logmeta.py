"""What the log head records about the log beside its size: its origin, and the keys it is bound to
(the log key's verifier key and the sealing secret's fingerprint: ledger.usecases.keybinding).

Reads here tolerate a database of an older schema (no tables yet, or a `log_head` made before the key ids
were recorded): the server reads them before it creates or upgrades anything.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, inspect, select, text, update

from ledger.store import registry
from ledger.store.schema import CHECKPOINT, HEAD

BOUND_COLUMNS = ("log_verifier_key", "sealing_key_id")


@dataclass(frozen=True)
class Recorded:
    """What the database says before anything is opened (all empty for a database without tables)."""

    size: int = 0
    log_verifier_key: str | None = None
    sealing_key_id: str | None = None
    sealed_keys: int = 0  # counted to one: whether any key is sealed is all that matters


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
    if row is None:
        return Recorded(sealed_keys=sealed)
    found = row._mapping
    return Recorded(int(found["size"]), found.get("log_verifier_key"), found.get("sealing_key_id"), sealed)


def _sealed_count(conn: Connection) -> int:
    return 0 if registry.first_sealed_key(conn) is None else 1


def lock_recorded(conn: Connection) -> Recorded:
    """`recorded` inside a write transaction, holding the log head's row lock until it ends (on SQLite the
    transaction holds the database's write lock already)."""
    row = conn.execute(
        select(HEAD.c.size, HEAD.c.log_verifier_key, HEAD.c.sealing_key_id).where(HEAD.c.id == 1).with_for_update()
    ).one()
    return Recorded(int(row.size), row.log_verifier_key, row.sealing_key_id, _sealed_count(conn))


def record_key_ids(conn: Connection, *, log_verifier_key: str | None, sealing_key_id: str | None) -> None:
    """Record the ids given (None: leave that one as it is)."""
    values = {"log_verifier_key": log_verifier_key, "sealing_key_id": sealing_key_id}
    given = {name: value for name, value in values.items() if value is not None}
    if given:
        conn.execute(update(HEAD).where(HEAD.c.id == 1).values(**given))


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

"""The `handover_bundle` table: origin platforms' bundles of packs handed over here (docs/federation.md)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, Engine, insert, inspect, select, text
from sqlalchemy.exc import IntegrityError

from ledger.store.schema import HANDOVER_BUNDLE


class StoredBundle(NamedTuple):
    code: str
    platform: str
    bundle_sha256: str
    body: bytes


def upgrade_table(engine: Engine) -> bool:
    """Give a database whose `handover_bundle` is keyed by code alone (made by a server's own start before
    migration b9e2c4a7d1f3, which Alembic-managed databases run) the key of this version, (code, hash), its
    rows copied. Whether it did."""
    if HANDOVER_BUNDLE.name not in inspect(engine).get_table_names():
        return False
    if inspect(engine).get_pk_constraint(HANDOVER_BUNDLE.name)["constrained_columns"] != ["code"]:
        return False
    columns = "code, platform, bundle_sha256, body"
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # a key is changed in place
            name = inspect(conn).get_pk_constraint(HANDOVER_BUNDLE.name)["name"]
            conn.execute(text(f'ALTER TABLE {HANDOVER_BUNDLE.name} DROP CONSTRAINT "{name}"'))
            conn.execute(text(f"ALTER TABLE {HANDOVER_BUNDLE.name} ADD PRIMARY KEY (code, bundle_sha256)"))
        else:  # SQLite cannot change a key: the table is made anew
            conn.execute(text(f"ALTER TABLE {HANDOVER_BUNDLE.name} RENAME TO handover_bundle_by_code"))
            HANDOVER_BUNDLE.create(conn)
            conn.execute(
                text(f"INSERT INTO {HANDOVER_BUNDLE.name} ({columns}) SELECT {columns} FROM handover_bundle_by_code")
            )
            conn.execute(text("DROP TABLE handover_bundle_by_code"))
    return True


def save(conn: Connection, row: StoredBundle) -> None:
    """Keep `row` beside the pack's other kept bundles (if it is not kept already): the log binds the one its
    `arrived` entry names by hash, and a bundle is never replaced, so an arrival refused after this (a retry, a
    bad signature) cannot take the place of the bundle an earlier arrival names."""
    try:
        with conn.begin_nested():
            conn.execute(insert(HANDOVER_BUNDLE).values(row._asdict()))
    except IntegrityError:  # kept already: the same bundle (its hash is the key's), by a retry or a concurrent arrival
        pass


def get(conn: Connection, code: str, bundle_sha256: str) -> StoredBundle | None:
    """The kept bundle of the pack whose hash is `bundle_sha256` (the one its `arrived` entry names)."""
    found = conn.execute(
        select(HANDOVER_BUNDLE).where(HANDOVER_BUNDLE.c.code == code, HANDOVER_BUNDLE.c.bundle_sha256 == bundle_sha256)
    ).first()
    return None if found is None else StoredBundle(found.code, found.platform, found.bundle_sha256, bytes(found.body))

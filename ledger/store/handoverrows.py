"""The `handover_bundle` table: origin platforms' bundles of packs handed over here (docs/federation.md)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, delete, insert, select

from ledger.store.schema import HANDOVER_BUNDLE


class StoredBundle(NamedTuple):
    code: str
    platform: str
    bundle_sha256: str
    body: bytes


def save(conn: Connection, row: StoredBundle) -> None:
    """Keep `row` as the pack's origin bundle, replacing one an arrival refused or never made: the log binds
    the one its `arrived` entry names by hash."""
    conn.execute(delete(HANDOVER_BUNDLE).where(HANDOVER_BUNDLE.c.code == row.code))
    conn.execute(insert(HANDOVER_BUNDLE).values(row._asdict()))


def get(conn: Connection, code: str) -> StoredBundle | None:
    found = conn.execute(select(HANDOVER_BUNDLE).where(HANDOVER_BUNDLE.c.code == code)).first()
    return None if found is None else StoredBundle(found.code, found.platform, found.bundle_sha256, bytes(found.body))

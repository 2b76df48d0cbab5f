"""The `handover_bundle` table: origin platforms' bundles of packs handed over here (docs/federation.md)."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, insert, select

from ledger.store.schema import HANDOVER_BUNDLE


class StoredBundle(NamedTuple):
    code: str
    platform: str
    bundle_sha256: str
    body: bytes


def save(conn: Connection, row: StoredBundle) -> None:
    """Keep `row` beside the pack's other kept bundles (if it is not kept already): the log binds the one its
    `arrived` entry names by hash, and a bundle is never replaced, so an arrival refused after this (a retry, a
    bad signature) cannot take the place of the bundle an earlier arrival names."""
    kept = conn.execute(
        select(HANDOVER_BUNDLE.c.code).where(
            HANDOVER_BUNDLE.c.code == row.code, HANDOVER_BUNDLE.c.bundle_sha256 == row.bundle_sha256
        )
    ).first()
    if kept is None:
        conn.execute(insert(HANDOVER_BUNDLE).values(row._asdict()))


def get(conn: Connection, code: str, bundle_sha256: str) -> StoredBundle | None:
    """The kept bundle of the pack whose hash is `bundle_sha256` (the one its `arrived` entry names)."""
    found = conn.execute(
        select(HANDOVER_BUNDLE).where(HANDOVER_BUNDLE.c.code == code, HANDOVER_BUNDLE.c.bundle_sha256 == bundle_sha256)
    ).first()
    return None if found is None else StoredBundle(found.code, found.platform, found.bundle_sha256, bytes(found.body))

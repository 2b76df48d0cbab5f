"""A pack's chain as its history pages need it: who made the pack and how long its chain is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import Connection, select

from ledger.store.schema import ENTRY, PACK


class ChainHead(NamedTuple):
    manufacturer: str  # the producer's org id
    last_seq: int  # the `seq` of the chain's last entry


def chain_head(conn: Connection, code: str) -> ChainHead | None:
    row = conn.execute(select(PACK.c.manufacturer, PACK.c.seq).where(PACK.c.code == code)).first()
    return None if row is None else ChainHead(str(row.manufacturer), int(row.seq))


def entries_by_hash(conn: Connection, code: str, hashes: Sequence[str]) -> dict[str, tuple[int, int]]:
    """(index, seq) of the entries of the pack's chain among `hashes`, by hash (read within the pack: `hash`
    has no index of its own)."""
    rows = conn.execute(
        select(ENTRY.c.hash, ENTRY.c.idx, ENTRY.c.seq).where(ENTRY.c.pack == code, ENTRY.c.hash.in_(hashes))
    )
    return {str(row.hash): (int(row.idx), int(row.seq)) for row in rows}

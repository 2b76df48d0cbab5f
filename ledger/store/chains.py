"""A pack's chain as its history pages need it: who made the pack and how long its chain is."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import Connection, select

from ledger.store.schema import PACK


class ChainHead(NamedTuple):
    manufacturer: str  # the producer's org id
    last_seq: int  # the `seq` of the chain's last entry


def chain_head(conn: Connection, code: str) -> ChainHead | None:
    row = conn.execute(select(PACK.c.manufacturer, PACK.c.seq).where(PACK.c.code == code)).first()
    return None if row is None else ChainHead(str(row.manufacturer), int(row.seq))

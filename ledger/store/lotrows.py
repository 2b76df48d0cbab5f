"""Recycler lots (events.lots, docs/recycling-lots.md): the lots' own chains and what their input packs'
`produced` entries declared. A lot's chain is `lot:<recycler>:<lot id>`; its projection row in `pack` is
found with LIKE 'lot:%' (PostgreSQL's pattern index serves it; a pack code never holds ':')."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import select

from events.lots import LOT_SUBJECT
from ledger.store.driver import Connection
from ledger.store.schema import ENTRY, PACK

_IN_CHUNK = 500  # values in one IN (…)


class LotEntry(NamedTuple):
    lot: str
    seq: int
    idx: int
    type: str
    at: str
    actor: str
    data: dict[str, Any]


def lot_entries(conn: Connection, size: int) -> list[LotEntry]:
    """Every entry of every lot's chain below log index `size`, by lot and seq."""
    lots = [row[0] for row in conn.execute(select(PACK.c.code).where(PACK.c.code.like(f"{LOT_SUBJECT}%")))]
    found = []
    for start in range(0, len(lots), _IN_CHUNK):
        query = (
            select(ENTRY.c.pack, ENTRY.c.seq, ENTRY.c.idx, ENTRY.c.body)
            .where(ENTRY.c.pack.in_(lots[start : start + _IN_CHUNK]), ENTRY.c.idx < size)
            .order_by(ENTRY.c.pack, ENTRY.c.seq)
        )
        for pack, seq, idx, body in conn.execute(query):
            claim = json.loads(bytes(body))["claim"]
            found.append(LotEntry(pack, seq, idx, claim["type"], claim["at"], claim["actor"], claim["data"]))
    return sorted(found)


def produced_data(conn: Connection, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The payload of each pack's genesis (`produced`), by code; packs without one are left out."""
    found: dict[str, dict[str, Any]] = {}
    unique = sorted(set(codes))
    for start in range(0, len(unique), _IN_CHUNK):
        chunk = unique[start : start + _IN_CHUNK]
        query = select(ENTRY.c.pack, ENTRY.c.body).where(ENTRY.c.pack.in_(chunk), ENTRY.c.seq == 0)
        for pack, body in conn.execute(query):
            found[pack] = json.loads(bytes(body))["claim"]["data"]
    return found


def lotted_packs(conn: Connection, size: int) -> dict[str, list[str]]:
    """Per lot, the packs a `lotted` entry below log index `size` put into it, in log order (the type's
    index finds them)."""
    query = select(ENTRY.c.pack, ENTRY.c.body).where(ENTRY.c.type == "lotted", ENTRY.c.idx < size).order_by(ENTRY.c.idx)
    found: dict[str, list[str]] = {}
    for pack, body in conn.execute(query):
        lot = json.loads(bytes(body))["claim"]["data"]["lot"]
        found.setdefault(lot, []).append(pack)
    return found

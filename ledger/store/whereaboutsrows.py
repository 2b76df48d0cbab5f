"""What the 流向不明 reasons (events.whereabouts) need of packs' entries beyond their projections: each
pack's latest entry of some types (its latest `retired`, its latest `received` or `found`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from ledger.store.schema import ENTRY

_IN_CHUNK = 500  # values in one IN (…)


def latest_of_types(conn: Connection, codes: Sequence[str], types: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Of each pack in `codes` that has one, its latest entry of `types`, parsed (index, claim, …)."""
    latest: dict[str, tuple[int, bytes]] = {}
    unique = sorted(set(codes))
    for start in range(0, len(unique), _IN_CHUNK):
        rows = conn.execute(
            select(ENTRY.c.pack, ENTRY.c.seq, ENTRY.c.body).where(
                ENTRY.c.pack.in_(unique[start : start + _IN_CHUNK]), ENTRY.c.type.in_(sorted(types))
            )
        )
        for pack, seq, body in rows:
            if pack not in latest or seq > latest[pack][0]:
                latest[pack] = (int(seq), body)
    return {pack: json.loads(body) for pack, (_, body) in latest.items()}

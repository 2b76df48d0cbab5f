"""What the 流向不明 reasons (events.whereabouts) need of the store: the states of packs in some statuses
held by some organisations, and each pack's latest entry of some types (its latest `retired`, its latest
`received` or `found`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, select

from events.state import PackState
from ledger.store.schema import ENTRY, PACK

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


def states_held_by(conn: Connection, statuses: Sequence[str], custodians: Sequence[str]) -> list[PackState]:
    """The packs in any of `statuses` whose custodian is one of `custodians`, by status then code."""
    found: list[PackState] = []
    unique = sorted(set(custodians))
    for start in range(0, len(unique), _IN_CHUNK):
        rows = conn.execute(
            select(PACK.c.state).where(
                PACK.c.status.in_(statuses), PACK.c.custodian.in_(unique[start : start + _IN_CHUNK])
            )
        )
        found += [PackState.from_dict(data) for (data,) in rows]
    return sorted(found, key=lambda s: (s.status, s.code))

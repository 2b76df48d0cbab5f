"""Showing corrected values (events.corrections): an entry's values as its corrections left them, beside
what it recorded, with links to the corrections, for pack views and histories."""

from __future__ import annotations

import json
from collections.abc import Sequence

from events.catalogue import EventType
from ledger.store import correctionrows
from ledger.store.correctionrows import CorrectionRow
from ledger.store.driver import Connection
from ledger.usecases.views import CorrectedValues, EntryLink


def corrected_entries(conn: Connection, codes: Sequence[str]) -> dict[int, CorrectedValues]:
    """The corrected entries of the packs of `codes`, by index."""
    return _values(conn, correctionrows.of_packs(conn, codes))


def corrected_produced(conn: Connection, codes: Sequence[str]) -> dict[str, CorrectedValues]:
    """Each pack's `produced` values corrected since, by code (packs without such corrections absent)."""
    rows = [row for row in correctionrows.of_packs(conn, codes) if row.type == EventType.PRODUCED.value]
    packs = {row.target: row.pack for row in rows}
    return {packs[index]: values for index, values in _values(conn, rows).items()}


def _values(conn: Connection, rows: Sequence[CorrectionRow]) -> dict[int, CorrectedValues]:
    if not rows:
        return {}
    by_target: dict[int, list[CorrectionRow]] = {}
    for row in rows:
        by_target.setdefault(row.target, []).append(row)
    entries = correctionrows.entries_at(conn, [*by_target, *(row.idx for row in rows)])
    found: dict[int, CorrectedValues] = {}
    for target, fixes in by_target.items():
        members = sorted({m for fix in fixes for m in fix.members})
        recorded = json.loads(entries[target].body)["claim"]["data"]
        now = fixes[-1].data
        found[target] = CorrectedValues(
            values={m: now.get(m) for m in members},
            recorded={m: recorded[m] for m in members if m in recorded},
            corrections=[EntryLink(index=f.idx, seq=entries[f.idx].seq, hash=entries[f.idx].hash) for f in fixes],
        )
    return found

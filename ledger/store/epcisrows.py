"""The entries of the log in event-time order, by type and time window: the EPCIS query over the whole log
(ledger.usecases.epcis). One index range per entry type (ix_entry_type_at: on SQLite it holds the rowid,
`idx`, after `at`), merged by the database; a page never reads more than `limit` rows of each type."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import Connection, and_, or_, select, union_all

from ledger.store.packrows import Area, touching
from ledger.store.schema import ENTRY, PACK


@dataclass(frozen=True)
class TimeWindow:
    """Bounds on the entries' text columns, in their own formats (`at`: whole seconds, `recorded_at`:
    microseconds; fixed width, so text order is time order). None: unbounded."""

    ge_at: str | None = None
    lt_at: str | None = None
    ge_recorded_at: str | None = None
    lt_recorded_at: str | None = None


class TimedEntry(NamedTuple):
    idx: int
    at: str
    hash: str
    body: bytes  # the entry's canonical bytes


def entries_by_time(
    conn: Connection,
    types: Sequence[str],
    window: TimeWindow,
    *,
    start: tuple[str, int] | None,
    limit: int,
    area: Area | None = None,
) -> list[TimedEntry]:
    """Up to `limit` entries of `types` within `window`, in (`at`, `idx`) order from `start` (inclusive);
    with `area`, only the chains an organisation of it touches (ledger.store.packrows.touching)."""
    if not types:
        return []
    conditions = []
    # one lower bound on `at`, the later of the window's and the page's: the index range starts there
    lowers = [bound for bound in (window.ge_at, start[0] if start else None) if bound is not None]
    if lowers:
        conditions.append(ENTRY.c.at >= max(lowers))
    if window.lt_at is not None:
        conditions.append(ENTRY.c.at < window.lt_at)
    if window.ge_recorded_at is not None:
        conditions.append(ENTRY.c.recorded_at >= window.ge_recorded_at)
    if window.lt_recorded_at is not None:
        conditions.append(ENTRY.c.recorded_at < window.lt_recorded_at)
    if start is not None:
        at, idx = start
        conditions.append(or_(ENTRY.c.at > at, and_(ENTRY.c.at == at, ENTRY.c.idx >= idx)))
    if area is not None:
        conditions.append(ENTRY.c.pack.in_(select(PACK.c.code).where(touching(area))))
    columns = (ENTRY.c.idx, ENTRY.c.at, ENTRY.c.hash, ENTRY.c.body)
    parts = [
        select(*columns).where(ENTRY.c.type == kind, *conditions).order_by(ENTRY.c.at, ENTRY.c.idx).limit(limit)
        for kind in sorted(set(types))
    ]
    if len(parts) == 1:
        stmt = parts[0]
    else:
        # each part as a subquery: SQLite takes ORDER BY and LIMIT inside a compound only that way
        subqueries = [part.subquery() for part in parts]
        merged = union_all(*(select(*sub.c) for sub in subqueries)).subquery()
        stmt = select(*merged.c).order_by(merged.c.at, merged.c.idx).limit(limit)
    return [TimedEntry(int(r.idx), str(r.at), str(r.hash), bytes(r.body)) for r in conn.execute(stmt)]

"""Recall campaigns (ledger.usecases.recalls): their definitions, the packs in their scope, and the entries
of those packs a campaign's progress is read from."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Select, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from events.federation import PRODUCED_FACTS
from ledger.store import correctionrows
from ledger.store.packrows import batch_codes
from ledger.store.schema import ENTRY, PACK, RECALL_CAMPAIGN, RECALL_PACK

_IN_CHUNK = 500  # values in one IN (…)


class CampaignRow(NamedTuple):
    id: str
    reason: str
    scope: dict[str, Any]
    due: date | None
    created_by: str
    created_at: datetime
    excluded: dict[str, int]
    packs: int


class ScopePack(NamedTuple):
    code: str
    status: str
    custodian: str
    manufacturer: str
    maker_code: str
    chemistry: str
    production_date: date | None


def _scope_packs(conn: Connection) -> Select[Any]:
    """The packs with their `ScopePack` columns, the chemistry as corrected."""
    fixed = correctionrows.produced_values()
    columns = (PACK.c.code, PACK.c.status, PACK.c.custodian, PACK.c.manufacturer, PACK.c.maker_code)
    return select(*columns, correctionrows.pack_chemistry(conn, fixed), PACK.c.production_date).select_from(
        PACK.outerjoin(fixed, fixed.c.pack == PACK.c.code)
    )


class EntryOfPack(NamedTuple):
    idx: int
    pack: str
    type: str
    at: str
    actor: str
    data: dict[str, Any]


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


def reserve(conn: Connection, row: CampaignRow, codes: Sequence[str]) -> bool:
    """Insert a campaign and its packs; False if a campaign of this id exists (nothing written)."""
    try:
        with conn.begin_nested():
            values = row._asdict()
            del values["packs"]
            conn.execute(insert(RECALL_CAMPAIGN).values(**values))
    except IntegrityError:
        return False
    if codes:
        conn.execute(insert(RECALL_PACK), [{"campaign": row.id, "code": code} for code in codes])
    return True


def release(conn: Connection, campaign: str) -> None:
    """Remove a campaign whose entries could not be appended."""
    conn.execute(delete(RECALL_PACK).where(RECALL_PACK.c.campaign == campaign))
    conn.execute(delete(RECALL_CAMPAIGN).where(RECALL_CAMPAIGN.c.id == campaign))


def _campaign_rows(conn: Connection, campaign: str | None) -> list[CampaignRow]:
    counts = select(RECALL_PACK.c.campaign, func.count().label("n")).group_by(RECALL_PACK.c.campaign).subquery()
    stmt = select(RECALL_CAMPAIGN, func.coalesce(counts.c.n, 0)).outerjoin(
        counts, counts.c.campaign == RECALL_CAMPAIGN.c.id
    )
    if campaign is not None:
        stmt = stmt.where(RECALL_CAMPAIGN.c.id == campaign)
    rows = conn.execute(stmt.order_by(RECALL_CAMPAIGN.c.created_at.desc(), RECALL_CAMPAIGN.c.id))
    return [CampaignRow(*row) for row in rows]


def campaigns(conn: Connection) -> list[CampaignRow]:
    """Every campaign, newest first."""
    return _campaign_rows(conn, None)


def campaign(conn: Connection, campaign_id: str) -> CampaignRow | None:
    found = _campaign_rows(conn, campaign_id)
    return found[0] if found else None


def campaign_packs(conn: Connection, campaign_id: str) -> list[ScopePack]:
    """The packs in a campaign's scope as they are now, in code order."""
    stmt = (
        _scope_packs(conn)
        .join(RECALL_PACK, RECALL_PACK.c.code == PACK.c.code)
        .where(RECALL_PACK.c.campaign == campaign_id)
        .order_by(PACK.c.code)
    )
    return [ScopePack(*row) for row in conn.execute(stmt)]


def packs_by_code(conn: Connection, codes: Sequence[str]) -> list[ScopePack]:
    """The packs of `codes` that exist, in code order."""
    found: list[ScopePack] = []
    for chunk in _chunks(codes):
        stmt = _scope_packs(conn).where(PACK.c.code.in_(chunk))
        found += [ScopePack(*row) for row in conn.execute(stmt)]
    return sorted(found)


def batch_of(conn: Connection, codes: Sequence[str]) -> dict[str, str | None]:
    """`produced.batch` of each pack of `codes`, as corrected (read from its `produced` entry, or the origin's
    `produced` its `arrived` entry copies, in SQL)."""
    fixed = correctionrows.produced_values()
    batch = correctionrows.corrected_produced_text(conn, fixed, ENTRY, "batch")
    batches: dict[str, str | None] = {}
    for chunk in _chunks(codes):
        stmt = (
            select(ENTRY.c.pack, batch)
            .select_from(ENTRY.outerjoin(fixed, fixed.c.target == ENTRY.c.idx))
            .where(ENTRY.c.pack.in_(chunk), ENTRY.c.seq == 0, ENTRY.c.type.in_(sorted(PRODUCED_FACTS)))
        )
        batches.update((pack, value) for pack, value in conn.execute(stmt))
    return batches


def produced_in_batch(conn: Connection, batch: str) -> list[str]:
    """The codes whose `produced` entry names `batch` (a batch-only scope), in code order."""
    return sorted(str(code) for code in conn.execute(batch_codes(conn, batch)).scalars())


def entries_of(conn: Connection, codes: Sequence[str], types: Iterable[str]) -> list[EntryOfPack]:
    """The entries of these types of the packs of `codes`, in log order."""
    kinds = sorted(set(types))
    found: list[EntryOfPack] = []
    for chunk in _chunks(codes):
        stmt = select(ENTRY.c.idx, ENTRY.c.pack, ENTRY.c.type, ENTRY.c.at, ENTRY.c.actor, ENTRY.c.body).where(
            ENTRY.c.pack.in_(chunk), ENTRY.c.type.in_(kinds)
        )
        for idx, pack, kind, at, actor, body in conn.execute(stmt):
            found.append(EntryOfPack(int(idx), pack, kind, at, actor, json.loads(body)["claim"]["data"]))
    return sorted(found)

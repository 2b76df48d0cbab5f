"""Queries over the pack projection: filtered lists in code order, and the `produced` payloads."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, or_, select

from events.orgs import check_maker_filter, check_org_filter
from events.state import PackState
from ledger.store.schema import Entry, Pack

PACK = Pack.__table__  # type: ignore[attr-defined]
ENTRY = Entry.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class PackFilter:
    """Every field is optional; given fields must all match."""

    status: str | None = None
    manufacturer: str | None = None  # the producer's org id or the code's 3-character maker code
    custodian: str | None = None
    vin: str | None = None  # the vehicle the pack is installed in now
    chemistry: str | None = None
    produced_from: date | None = None
    produced_to: date | None = None


@dataclass(frozen=True)
class PackRow:
    state: PackState
    head: str


def find_packs(conn: Connection, where: PackFilter, *, after: str | None, limit: int) -> list[PackRow]:
    """Up to `limit` packs matching `where` with codes greater than `after`, in code order."""
    check_maker_filter("manufacturer", where.manufacturer)
    check_org_filter("custodian", where.custodian)
    stmt = select(PACK.c.state, PACK.c.head).order_by(PACK.c.code).limit(limit)
    if after is not None:
        stmt = stmt.where(PACK.c.code > after)
    if where.status is not None:
        stmt = stmt.where(PACK.c.status == where.status)
    if where.manufacturer is not None:
        stmt = stmt.where(or_(PACK.c.manufacturer == where.manufacturer, PACK.c.maker_code == where.manufacturer))
    if where.custodian is not None:
        stmt = stmt.where(PACK.c.custodian == where.custodian)
    if where.vin is not None:
        stmt = stmt.where(PACK.c.vin == where.vin)
    if where.chemistry is not None:
        stmt = stmt.where(PACK.c.chemistry == where.chemistry)
    if where.produced_from is not None:
        stmt = stmt.where(PACK.c.production_date >= where.produced_from)
    if where.produced_to is not None:
        stmt = stmt.where(PACK.c.production_date <= where.produced_to)
    return [PackRow(PackState.from_dict(row.state), row.head) for row in conn.execute(stmt)]


def produced_payloads(conn: Connection, codes: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The `data` of each pack's first entry (its `produced` claim), by code."""
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(codes), 500):
        rows = conn.execute(
            select(ENTRY.c.pack, ENTRY.c.body)
            .where(ENTRY.c.seq == 0)
            .where(ENTRY.c.pack.in_(codes[start : start + 500]))
        )
        for row in rows:
            found[row.pack] = json.loads(row.body)["claim"]["data"]
    return found


def get_pack(conn: Connection, code: str) -> PackRow | None:
    row = conn.execute(select(PACK.c.state, PACK.c.head).where(PACK.c.code == code)).first()
    return PackRow(PackState.from_dict(row.state), row.head) if row else None

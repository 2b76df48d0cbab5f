"""Packs by filter: the organisations a filter names are checked before the projection is read
(ledger.store.packrows), after the caller's rights (ledger.usecases.service.list_packs)."""

from __future__ import annotations

from events.orgs import check_maker_filter, check_org_filter
from ledger.store import packrows
from ledger.store.packrows import Connection, PackFilter, PackRow


def find_packs(conn: Connection, where: PackFilter, *, after: str | None, limit: int) -> list[PackRow]:
    """Up to `limit` packs matching `where` with codes greater than `after`, in code order."""
    check_maker_filter("manufacturer", where.manufacturer)
    check_org_filter("custodian", where.custodian)
    return packrows.find_packs(conn, where, after=after, limit=limit)

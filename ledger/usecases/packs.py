"""Packs by filter: the organisations a filter names are checked, and the maker it names found (events.makers),
before the projection is read (ledger.store.packrows), after the caller's rights (ledger.usecases.packreads)."""

from __future__ import annotations

from dataclasses import replace

from events.orgs import check_org_filter
from ledger.store import packrows
from ledger.store.packrows import Connection, PackFilter, PackRow
from ledger.usecases.makers import maker_org


def find_packs(conn: Connection, where: PackFilter, *, after: str | None, limit: int) -> list[PackRow]:
    """Up to `limit` packs matching `where` with codes greater than `after`, in code order. `manufacturer` is
    what the caller typed: the maker it names selects the packs it produced or that bear one of its codes."""
    check_org_filter("custodian", where.custodian)
    if where.manufacturer is not None:
        maker = maker_org(conn, where.manufacturer)
        where = replace(where, manufacturer=maker.id, maker_codes=tuple(sorted(maker.manufacturer_codes)))
    return packrows.find_packs(conn, where, after=after, limit=limit)

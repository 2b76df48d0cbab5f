"""A swap station's pool (换电站电池池): the packs in an organisation's custody and in stock, with when each
came back and, for a pack a swap took out of a vehicle, which vehicle and at which station.

Read by the organisation itself and by regulators (a region-scoped regulator: organisations located in its
region); anyone else is refused.
"""

from __future__ import annotations

from pydantic import Field

from events import extras
from events.errors import AuthorisationError, InputError, NotFoundError
from events.lifecycle import Status
from events.regions import OutOfJurisdiction
from events.state import PackState
from ledger.log import Ledger
from ledger.store import registry
from ledger.store.packrows import PackFilter
from ledger.usecases import places
from ledger.usecases.access import Caller, require_authenticated
from ledger.usecases.cursors import decode_cursor, encode_cursor
from ledger.usecases.packs import find_packs
from ledger.usecases.views import View

MAX_POOL_PAGE = 1_000


class PoolPack(View):
    code: str
    since: str | None = Field(description="when the pack came into stock (RFC 3339): back from a swap, or received")
    vehicle: str | None = Field(description="the VIN a swap (or a removal for a swap) took it out of, if so")
    site: str | None = Field(description="the swap station the swap named, if it named one")
    chemistry: str
    rated_capacity_kwh: float | None
    soh_pct: float | None


class PoolPage(View):
    org: str
    packs: list[PoolPack] = Field(description="in code order")
    next: str | None = Field(description="cursor of the next page; null on the last")


def pool_pack(state: PackState) -> PoolPack:
    since = state.extra.get(extras.STATUS_SINCE)
    last = state.bindings[-1] if state.bindings else None
    swapped = (
        last is not None
        and last.kind == "vin"
        and last.end == since
        and state.extra.get(extras.LAST_REMOVAL_REASON) == "swap"
    )
    return PoolPack(
        code=state.code,
        since=since,
        vehicle=last.target if swapped and last is not None else None,
        site=state.extra.get(extras.SWAP_SITE) if swapped else None,
        chemistry=state.chemistry,
        rated_capacity_kwh=state.rated_capacity_kwh,
        soh_pct=state.soh_pct,
    )


def station_pool(
    ledger: Ledger, caller: Caller, org_id: str, *, cursor: str | None = None, limit: int = 100
) -> PoolPage:
    """The packs `org_id` holds in stock, in code order (the organisation itself or a regulator)."""
    require_authenticated(caller, "reading a station's pool")
    if caller.org_id != org_id and not caller.is_regulator:
        raise AuthorisationError(
            f"only {org_id!r} itself or a regulator may read its pool; you are {caller.describe()}"
        )
    if not 1 <= limit <= MAX_POOL_PAGE:
        raise InputError(f"limit must be 1 to {MAX_POOL_PAGE}, found {limit}", code="invalid_filter")
    after = decode_cursor(cursor) if cursor else None
    with ledger.engine.connect() as conn:
        if registry.get_org(conn, org_id) is None:
            raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
        scope = places.place(conn, caller, None) if caller.org_id != org_id else None
        if scope is not None and not scope.holds(org_id):
            raise OutOfJurisdiction(
                f"{org_id!r} is not located in your jurisdiction, {scope.region} ({scope.name('en')}), so you may "
                "not read its pool"
            )
        rows = find_packs(conn, PackFilter(status=Status.IN_STOCK, custodian=org_id), after=after, limit=limit + 1)
    page = rows[:limit]
    return PoolPage(
        org=org_id,
        packs=[pool_pack(row.state) for row in page],
        next=encode_cursor(page[-1].state.code) if len(rows) > limit else None,
    )

"""Reading packs: one pack's view, and filtered pages of packs, as the caller's tier may see them."""

from __future__ import annotations

from dataclasses import replace

from events.catalogue import CHEMISTRIES
from events.codes import parse_code
from events.errors import AuthorisationError, InputError, NotFoundError
from events.lifecycle import Status
from events.packfilters import check_batch_filter, check_flag_filter
from events.vin import validate_vin
from ledger.format.redaction import Redactor
from ledger.log import Ledger
from ledger.store import registry
from ledger.store.packrows import Connection, PackFilter, PackRow, get_pack, produced_payloads
from ledger.usecases import places
from ledger.usecases.access import Caller, Tier, require_authenticated, require_org
from ledger.usecases.corrected import corrected_produced
from ledger.usecases.cursors import decode_cursor, encode_cursor
from ledger.usecases.packs import find_packs
from ledger.usecases.views import PackPage, PackView, pack_view

MAX_PACK_PAGE = 1_000


def checked_code(code: str) -> str:
    """Lenient parsing: a lookup accepts every code the record could hold, and names the bad field."""
    return parse_code(code, strict=False).code


def unknown_pack(code: str) -> NotFoundError:
    return NotFoundError(f"unknown pack {code}", code="unknown_pack")


def pack_in_read(conn: Connection, caller: Caller, code: str) -> tuple[PackRow, Caller]:
    """The pack's row and the caller as it stands to the pack (ledger.usecases.places), within a read;
    NotFoundError for an unknown pack."""
    row = get_pack(conn, code)
    if row is None:
        raise unknown_pack(code)
    return row, places.for_pack(conn, caller, code)


def get_pack_view(ledger: Ledger, caller: Caller, code: str) -> PackView:
    code = checked_code(code)
    with ledger.engine.connect() as conn:
        row, caller = pack_in_read(conn, caller, code)
        technical = produced_payloads(conn, [code]).get(code) if caller.authenticated else None
        corrected = corrected_produced(conn, [code]).get(code)
    return pack_view(row.state, row.head, caller, technical, corrected)


def _checked_filter(where: PackFilter) -> PackFilter:
    if where.status is not None and where.status not in set(Status):
        raise InputError(f"unknown status {where.status!r}; statuses are: {', '.join(Status)}", code="invalid_filter")
    if where.chemistry is not None and where.chemistry not in CHEMISTRIES:
        raise InputError(
            f"unknown chemistry {where.chemistry!r}; chemistries are: {', '.join(CHEMISTRIES)}",
            code="invalid_filter",
        )
    if where.vin is not None:
        validate_vin(where.vin)
    where = replace(where, flag=check_flag_filter(where.flag), batch=check_batch_filter(where.batch))
    if where.produced_from and where.produced_to and where.produced_from > where.produced_to:
        raise InputError(
            f"produced_from {where.produced_from} is after produced_to {where.produced_to}",
            code="invalid_filter",
        )
    return where


def list_packs(
    ledger: Ledger,
    caller: Caller,
    where: PackFilter,
    *,
    cursor: str | None = None,
    limit: int = 100,
    region: str | None = None,
) -> PackPage:
    """Packs matching `where` in code order; a regulator sees all (a region-scoped one those that touch its
    region), an organisation those in its custody; `region` keeps the packs that touch it."""
    require_authenticated(caller, "listing packs")
    where = _checked_filter(where)
    if not 1 <= limit <= MAX_PACK_PAGE:
        raise InputError(f"limit must be 1 to {MAX_PACK_PAGE}, found {limit}", code="invalid_filter")
    if caller.tier is not Tier.AUTHORITY:
        own = require_org(caller, "listing packs").id
        if where.custodian not in (None, own):
            raise AuthorisationError(
                f"only a regulator may list packs in another organisation's custody; you are {caller.describe()}"
            )
        if where.vin is not None:
            raise AuthorisationError(f"only a regulator may search packs by VIN; you are {caller.describe()}")
        where = replace(where, custodian=own)
    after = decode_cursor(cursor) if cursor else None
    with ledger.engine.connect() as conn:
        scope = places.place(conn, caller, region)
        if scope is not None:
            where = replace(where, touched_by=scope.area)
        rows = find_packs(conn, where, after=after, limit=limit + 1)
        page = rows[:limit]
        technical = produced_payloads(conn, [r.state.code for r in page])
        corrected = corrected_produced(conn, [r.state.code for r in page])
    return PackPage(
        packs=[
            pack_view(r.state, r.head, caller, technical.get(r.state.code), corrected.get(r.state.code)) for r in page
        ],
        next=encode_cursor(page[-1].state.code) if len(rows) > limit else None,
    )


def reader_redactor(ledger: Ledger, caller: Caller, manufacturer: str) -> Redactor:
    """What `caller` may not read in free text: any organisation but itself and the pack's (public) maker."""
    if caller.tier is Tier.AUTHORITY:
        return Redactor()
    with ledger.engine.connect() as conn:
        orgs = registry.list_orgs(conn)
    seen = {caller.org_id, manufacturer}
    return Redactor(name for org in orgs if org.id not in seen for name in (org.id, org.name))

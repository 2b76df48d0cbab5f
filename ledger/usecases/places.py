"""Places and scope: which packs and organisations a read covers when it names a region, or when the caller
is a region-scoped regulator (docs/regions.md).

An organisation is located in the region its registry record names now (GB/T 2260, events.regions). A pack
**touches** a region when an organisation located in it made the pack, holds it now, or recorded an entry of
its chain (received it, installed it, repaired it, collected, dismantled or recycled it, reported an incident,
…). A region-scoped regulator (a regulator registered in a city or county, `Caller.jurisdiction`) reads the
packs that touch its region and the organisations located in it; a region asked for must lie within its
jurisdiction (403 `out_of_jurisdiction`). For a pack outside its region it is an ordinary organisation: it
reads the pack at the legitimate-interest tier, and the regulator's dossier of it is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from events import regions
from events.orgs import Org, Role
from events.regions import OutOfJurisdiction
from ledger.log import Ledger
from ledger.store import packrows, registry
from ledger.store.packrows import Connection
from ledger.usecases.access import Caller, require_regulator
from ledger.usecases.views import View


@dataclass(frozen=True)
class Place:
    """A region a read is limited to, with the organisations located in it."""

    region: str
    orgs: frozenset[str]  # every organisation located in it
    regulators: tuple[str, ...] = ()  # of them, the regulators: their own entries do not make a pack theirs

    def name(self, lang: str = "zh") -> str:
        return regions.name(self.region, lang)

    def holds(self, org_id: str | None) -> bool:
        return org_id is not None and org_id in self.orgs

    @property
    def area(self) -> packrows.Area:
        """For the store's `touching`: the organisations located in the region but its regulators."""
        return packrows.Area(regions.prefix(self.region), self.regulators)


def place(conn: Connection, caller: Caller, asked: str | None) -> Place | None:
    """The region a read covers (None: everywhere): `asked`, within the caller's jurisdiction; a scoped
    regulator asking nothing gets its jurisdiction."""
    region = regions.narrowed(caller.jurisdiction, asked or None)
    if region is None:
        return None
    located = [o for o in registry.list_orgs(conn) if o.region is not None and regions.covers(region, o.region)]
    regulators = tuple(sorted(o.id for o in located if o.has(Role.REGULATOR)))
    return Place(region, frozenset(o.id for o in located), regulators)


def place_of(ledger: Ledger, caller: Caller, asked: str | None) -> Place | None:
    with ledger.engine.connect() as conn:
        return place(conn, caller, asked)


def touches(conn: Connection, where: Place | None, code: str) -> bool:
    return where is None or bool(packrows.codes_touching(conn, [code], where.area))


def for_pack(conn: Connection, caller: Caller, code: str) -> Caller:
    """The caller as it reads one pack: a region-scoped regulator reading a pack outside its region is an
    ordinary organisation (`Caller.outside`)."""
    if caller.jurisdiction is None or touches(conn, place(conn, caller, None), code):
        return caller
    return replace(caller, outside=True)


def require_writes_in_jurisdiction(ledger: Ledger, caller: Caller, claims: Iterable[object]) -> None:
    """A region-scoped regulator posts (an incident, a recall, a loss, a correction, …) only on packs of its
    region: refused (403 `out_of_jurisdiction`) before anything is appended. Claims that name no pack are
    left to the ledger, which refuses them."""
    jurisdiction = caller.jurisdiction
    if jurisdiction is None:
        return
    codes = sorted({c["pack"] for c in claims if isinstance(c, dict) and isinstance(c.get("pack"), str)})
    if not codes:
        return
    with ledger.engine.connect() as conn:
        where = place(conn, caller, None)
        inside = packrows.codes_touching(conn, codes, where.area) if where is not None else set(codes)
    outside = [code for code in codes if code not in inside]
    if outside:
        named = ", ".join(outside[:5]) + (f" and {len(outside) - 5} more" if len(outside) > 5 else "")
        raise OutOfJurisdiction(
            f"a regulator of {jurisdiction} ({regions.name(jurisdiction, 'en')}) posts on the packs of its region "
            f"only; {named} never touched it"
        )


def require_pack_in_jurisdiction(conn: Connection, caller: Caller, code: str, action: str) -> None:
    """For the regulator's own views of one pack (the dossier): refused outside the caller's region."""
    jurisdiction = caller.jurisdiction
    if jurisdiction is not None and not touches(conn, place(conn, caller, None), code):
        raise OutOfJurisdiction(
            f"pack {code} has never touched your jurisdiction, {jurisdiction} ({regions.name(jurisdiction, 'en')}), "
            f"so you may not {action}"
        )


class RegionChoice(View):
    region: str
    name_zh: str
    name_en: str


def choices(jurisdiction: str | None, orgs: Iterable[Org]) -> list[RegionChoice]:
    """The regions a regulator may pick: the provinces, cities and districts its organisations are located in,
    within its jurisdiction (which is always among them)."""
    codes: set[str] = set()
    for org in orgs:
        if org.region is not None:
            codes.update({org.region[:2] + "0000", regions.city_of(org.region), org.region})
    if jurisdiction is not None:
        codes = {c for c in codes if regions.covers(jurisdiction, c)} | {jurisdiction}
    return [RegionChoice(region=c, name_zh=regions.name(c), name_en=regions.name(c, "en")) for c in sorted(codes)]


def region_choices(ledger: Ledger, caller: Caller) -> list[RegionChoice]:
    """For the pages' region pickers."""
    require_regulator(caller, "pick a region")
    with ledger.engine.connect() as conn:
        return choices(caller.jurisdiction, registry.list_orgs(conn))

"""Finding makers: every filter that names a maker (recall trace, pack list and search, warnings, recall
campaigns) reads it here, by the rule of events.makers (organisation id, manufacturer code or registered
name, in any case; 422 `unknown_manufacturer` / `ambiguous_manufacturer` otherwise).

One more organisation counts, by its exact id only: the manufacturer of record of packs handed over from
another platform, which is their receiver here (docs/federation.md §7) and need not be a maker: the quality
early warning groups such packs under it and links to their recall trace by that id."""

from __future__ import annotations

from pydantic import Field

from events.errors import InputError
from events.makers import UNKNOWN_MANUFACTURER, is_maker, match_maker
from events.orgs import Org
from ledger.log import Ledger
from ledger.store import packrows, registry
from ledger.store.packrows import Connection
from ledger.usecases.views import View


class MakerChoice(View):
    """A maker as a picker lists it."""

    id: str
    name: str = Field(description="the registered name")
    codes: list[str] = Field(description="its GB/T 34014 manufacturer codes")


def resolve_maker(ledger: Ledger, text: str, *, field: str = "manufacturer") -> str:
    """The organisation id of the maker `text` names; InputError (422) `unknown_manufacturer` naming the
    value, `ambiguous_manufacturer` naming the makers it matches, or `invalid_filter` for a malformed one.
    `field` is the parameter's name in the messages."""
    with ledger.engine.connect() as conn:
        return maker_org(conn, text, field=field).id


def maker_org(conn: Connection, text: str, *, field: str = "manufacturer") -> Org:
    """The maker `text` names, as the registry holds it now (its codes included), within a read; or the
    organisation whose id `text` is, when it is the manufacturer of record of packs though no maker."""
    orgs = registry.list_orgs(conn)
    try:
        return match_maker(orgs, text, field=field)
    except InputError as refused:
        if refused.code != UNKNOWN_MANUFACTURER:
            raise
        of_record = next((org for org in orgs if org.id == text), None)
        if of_record is None or not packrows.has_packs_of_record(conn, of_record.id):
            raise
        return of_record


def maker_choices(ledger: Ledger) -> list[MakerChoice]:
    """Every maker, by id: what a maker picker offers."""
    with ledger.engine.connect() as conn:
        orgs = registry.list_orgs(conn)
    return [
        MakerChoice(id=org.id, name=org.name, codes=sorted(org.manufacturer_codes))
        for org in sorted(orgs, key=lambda org: org.id)
        if is_maker(org)
    ]

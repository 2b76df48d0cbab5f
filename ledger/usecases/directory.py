"""The organisations as pages name them: an id's name (pages show names, never internal ids), and the
organisations a pack may be shipped to (the scan page's counterparty list)."""

from __future__ import annotations

from events.orgs import Org, Role
from ledger.log import Ledger
from ledger.store import registry
from ledger.usecases.access import Caller

# roles that never hold a pack: an organisation with only these cannot receive one
_NOT_HOLDERS = frozenset({Role.REGULATOR, Role.ADMIN})


def org_names(ledger: Ledger) -> dict[str, str]:
    """Every registered organisation's name by its id."""
    with ledger.engine.connect() as conn:
        return {org.id: org.name for org in registry.list_orgs(conn)}


def receivers(ledger: Ledger, caller: Caller) -> list[Org]:
    """The organisations the caller may name as a shipment's receiver (every one that can hold a pack but
    the caller), by name."""
    with ledger.engine.connect() as conn:
        orgs = registry.list_orgs(conn)
    me = caller.org.id if caller.org is not None else None
    return sorted((o for o in orgs if o.id != me and not o.roles <= _NOT_HOLDERS), key=lambda o: o.name)

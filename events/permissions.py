"""Who may post which event (DESIGN §2.3 "who may post"), as data.

Each event type has one or more grants; an organisation may post the event if any grant that applies
to the situation lets it. A grant asks for some of: custody of the pack, one of a set of roles, a place
on the 规范条件 whitelist, a relation to the pack (owns the code's maker prefix, is the named receiver,
is the pack's manufacturer, has authored an entry of the pack).

Two readings of the table are ours, not DESIGN's words:
- While a pack is in a vehicle the vehicle, not the custodian, decides who handles it: a service shop,
  a swap station or a vehicle dismantler may post `removed` without custody (and becomes custodian).
  Without this a swap station or a vehicle dismantler could never remove a pack an automaker installed.
- `swapped` follows the same reading: a swap operator takes the outgoing pack out of a vehicle without
  custody (and becomes custodian); the incoming pack must be its own, in custody.
- `corrected` by a non-regulator needs authorship of an entry of the pack (recorded in
  `PackState.extra["authors"]`); that the author wrote *the target entry* is for the ledger, which knows
  entries, to check with `check_correction_author`.
The `admin` role grants no event at all: the platform administrator manages organisations and keys.
A second-life company producing a second-life code must own its maker prefix, like a manufacturer.
An importer (进口商) creates the chain of a pack made abroad: `produced` with `data.imported` (the foreign
manufacturer and the 报关单号), on a regular code whose maker prefix it owns (the importer registers its
manufacturer codes, like a manufacturer). Without `data.imported` an importer may not post `produced`.
A module taken whole out of a dismantled pack gets a chain of its own (docs/modules.md): its dismantler (a
whitelisted recycler or a vehicle dismantler, as for `dismantled`) posts `produced` on the module's code with
`data.recovered_from`, the dismantled pack; that it holds that pack, dismantled, is the effect's to check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from events.catalogue import EVENT_TYPE_OF, EventType
from events.codes import BatteryCode
from events.errors import AuthorisationError
from events.lifecycle import Status
from events.orgs import Org, Role
from events.state import PackState


class Scope(StrEnum):
    """The situation a grant is about; grants for other situations are ignored (and not mentioned)."""

    REGULAR_CODE = "regular code"
    SECOND_LIFE_CODE = "second-life code"
    INTO_VEHICLE = "into a vehicle"
    INTO_SITE = "at a storage site"
    IN_VEHICLE = "while the pack is in a vehicle"
    OUT_OF_VEHICLE = "while the pack is not in a vehicle"
    IMPORTED = "an imported pack (data.imported)"
    RECOVERED = "a module recovered from a dismantled pack (data.recovered_from)"


class Relation(StrEnum):
    OWNS_PREFIX = "owns_prefix"
    NAMED_RECEIVER = "named_receiver"
    PRODUCER = "producer"
    AUTHOR = "author"
    OWNER = "owner"


@dataclass(frozen=True)
class Grant:
    roles: frozenset[Role] | None = None  # None: any role
    custody: bool = False
    whitelisted: bool = False
    relation: Relation | None = None
    scope: Scope | None = None


R = Role
VEHICLE_INSTALLERS = frozenset({R.AUTOMAKER, R.LESSOR, R.SERVICE, R.SWAP_OPERATOR})
VEHICLE_HANDLERS = frozenset({R.SERVICE, R.SWAP_OPERATOR, R.VEHICLE_DISMANTLER})
GRADERS = frozenset({R.COLLECTOR, R.SECOND_LIFE, R.RECYCLER})
REGULATOR = Grant(roles=frozenset({R.REGULATOR}))
# who may receive a pack handed over by another platform (docs/federation.md): any organisation that holds packs
HOLDERS = frozenset(Role) - {R.REGULATOR, R.ADMIN}
CUSTODIAN = Grant(custody=True)

PERMISSIONS: dict[EventType, tuple[Grant, ...]] = {
    EventType.PRODUCED: (
        Grant(frozenset({R.MANUFACTURER}), relation=Relation.OWNS_PREFIX, scope=Scope.REGULAR_CODE),
        Grant(frozenset({R.SECOND_LIFE}), relation=Relation.OWNS_PREFIX, scope=Scope.SECOND_LIFE_CODE),
        # an importer registers a pack made abroad under a maker prefix of its own (docs/importers.md)
        Grant(frozenset({R.IMPORTER}), relation=Relation.OWNS_PREFIX, scope=Scope.IMPORTED),
        # a module taken whole out of a pack its dismantler dismantled (docs/modules.md)
        Grant(frozenset({R.RECYCLER}), whitelisted=True, scope=Scope.RECOVERED),
        Grant(frozenset({R.VEHICLE_DISMANTLER}), scope=Scope.RECOVERED),
    ),
    EventType.SHIPPED: (CUSTODIAN,),
    EventType.RECEIVED: (Grant(relation=Relation.NAMED_RECEIVER),),
    EventType.INSTALLED: (
        Grant(VEHICLE_INSTALLERS, custody=True, scope=Scope.INTO_VEHICLE),
        Grant(frozenset({R.SECOND_LIFE}), custody=True, scope=Scope.INTO_SITE),
    ),
    EventType.REMOVED: (CUSTODIAN, Grant(VEHICLE_HANDLERS, scope=Scope.IN_VEHICLE)),
    EventType.SERVICED: (CUSTODIAN,),
    EventType.RETIRED: (CUSTODIAN,),
    EventType.INSPECTED: (Grant(GRADERS, custody=True),),
    EventType.REPURPOSED: (Grant(frozenset({R.SECOND_LIFE}), custody=True),),
    EventType.DISMANTLED: (
        Grant(frozenset({R.RECYCLER}), custody=True, whitelisted=True),
        Grant(frozenset({R.VEHICLE_DISMANTLER}), custody=True),
    ),
    EventType.RECYCLED: (Grant(frozenset({R.RECYCLER}), whitelisted=True),),
    # a recycler lot (docs/recycling-lots.md): the pack's custodian puts it into a lot of its own
    EventType.LOTTED: (Grant(frozenset({R.RECYCLER}), custody=True, whitelisted=True),),
    EventType.INCIDENT: (CUSTODIAN, REGULATOR),
    EventType.RECALLED: (Grant(relation=Relation.PRODUCER), REGULATOR),
    EventType.CORRECTED: (Grant(relation=Relation.AUTHOR), REGULATOR),
    EventType.LOST: (CUSTODIAN, REGULATOR),
    EventType.EXPORTED: (CUSTODIAN, REGULATOR),
    EventType.FOUND: (REGULATOR,),
    # between platforms (docs/federation.md): the custodian hands over; the receiver starts the chain here
    EventType.TRANSFERRED: (CUSTODIAN,),
    EventType.ARRIVED: (Grant(HOLDERS),),
    # a swap station takes out whatever pack the vehicle brings, and puts in one of its own
    EventType.SWAPPED: (
        Grant(frozenset({R.SWAP_OPERATOR}), scope=Scope.IN_VEHICLE),
        Grant(frozenset({R.SWAP_OPERATOR}), custody=True, scope=Scope.OUT_OF_VEHICLE),
    ),
    # ownership and leases (车电分离, docs/ownership.md): the owner, not the custodian, decides
    EventType.OWNERSHIP_TRANSFERRED: (Grant(relation=Relation.OWNER),),
    EventType.LEASED: (Grant(frozenset({R.LESSOR}), relation=Relation.OWNER),),
    EventType.LEASE_ENDED: (Grant(relation=Relation.OWNER),),
    # the battery passport's claim (docs/passport.md): the maker's attributes or the custodian's measured
    # ones; which attribute is whose is events.passport_claims' to check
    EventType.PASSPORT: (Grant(relation=Relation.PRODUCER), CUSTODIAN),
}


def check_permission(
    event_type: str, actor: Org, state: PackState | None, code: BatteryCode, data: Mapping[str, Any]
) -> None:
    """Return if `actor` may post `event_type` on this pack now; else AuthorisationError saying why.

    `data` is the event's payload; only `installed` (a `site` or a `vin`) and `produced` (`imported`,
    `recovered_from`) look at it.
    """
    target = "site" if event_type == EventType.INSTALLED and data.get("site") is not None else "vin"
    imported = event_type == EventType.PRODUCED and data.get("imported") is not None
    recovered = event_type == EventType.PRODUCED and data.get("recovered_from") is not None
    denial = permission_denial(
        event_type, actor, state, code, install_target=target, imported=imported, recovered=recovered
    )
    if denial is not None:
        raise AuthorisationError(denial)


def permission_denial(
    event_type: str,
    actor: Org,
    state: PackState | None,
    code: BatteryCode,
    *,
    install_target: str = "vin",
    imported: bool = False,
    recovered: bool = False,
) -> str | None:
    """None if allowed, else the message explaining the refusal. `imported`: a `produced` with `data.imported`;
    `recovered`: with `data.recovered_from`."""
    known = EVENT_TYPE_OF.get(event_type) if isinstance(event_type, str) else None
    grants = [
        g
        for g in PERMISSIONS[known or EventType(event_type)]
        if _in_scope(g.scope, state, code, install_target)
        and (g.scope is not Scope.IMPORTED or imported)
        and (g.scope is not Scope.RECOVERED or recovered)
    ]
    if R.ADMIN in actor.roles and len(actor.roles) == 1:
        return f"{actor.describe()} may not post '{event_type}': the admin role posts no events"
    for grant in grants:
        if _grants(grant, actor, state, code):
            return None
    requirement = ", or ".join(_describe(g, state, code) for g in grants)
    facts = []
    if state is not None and any(g.custody for g in grants) and state.custodian != actor.id:
        facts.append(f"the custodian is {state.custodian!r}")
    if any(g.whitelisted for g in grants) and actor.has(R.RECYCLER) and not actor.whitelisted:
        facts.append(f"{actor.id!r} is not on the 规范条件 whitelist")
    return f"{actor.describe()} may not post '{event_type}': requires {requirement}" + "".join(
        f"; {fact}" for fact in facts
    )


def check_correction_author(actor: Org, target_author: str, target_hash: str) -> None:
    """The ledger's half of the `corrected` rule: only the target entry's author or a regulator."""
    if actor.has(R.REGULATOR) or actor.id == target_author:
        return
    raise AuthorisationError(
        f"{actor.describe()} may not correct entry {target_hash}: it was posted by {target_author!r}; "
        "only its author or a regulator may correct it"
    )


def _in_scope(scope: Scope | None, state: PackState | None, code: BatteryCode, install_target: str) -> bool:
    match scope:
        case None:
            return True
        case Scope.REGULAR_CODE:
            return not code.second_life
        case Scope.SECOND_LIFE_CODE:
            return code.second_life
        case Scope.INTO_VEHICLE:
            return install_target == "vin"
        case Scope.INTO_SITE:
            return install_target == "site"
        case Scope.IN_VEHICLE:
            return state is not None and state.status == Status.IN_VEHICLE
        case Scope.OUT_OF_VEHICLE:
            return state is None or state.status != Status.IN_VEHICLE
        case Scope.IMPORTED:  # and `imported` (permission_denial): a regular code only
            return not code.second_life
        case Scope.RECOVERED:  # and `recovered` (permission_denial): a regular module code only
            return not code.second_life and code.product_type == "module"


def _grants(grant: Grant, actor: Org, state: PackState | None, code: BatteryCode) -> bool:
    if grant.roles is not None and not grant.roles & actor.roles:
        return False
    if grant.custody and (state is None or state.custodian != actor.id):
        return False
    if grant.whitelisted and not actor.whitelisted:
        return False
    match grant.relation:
        case None:
            return True
        case Relation.OWNS_PREFIX:
            return code.manufacturer in actor.manufacturer_codes
        case Relation.NAMED_RECEIVER:
            return state is not None and state.receiver == actor.id
        case Relation.PRODUCER:
            return state is not None and state.manufacturer == actor.id
        case Relation.AUTHOR:
            return state is not None and actor.id in state.extra.get("authors", ())
        case Relation.OWNER:
            return state is not None and state.owner == actor.id


def _describe(grant: Grant, state: PackState | None, code: BatteryCode) -> str:
    parts = ["custody"] if grant.custody else []
    if grant.roles is not None:
        names = sorted(grant.roles)
        roles = f"the {names[0]} role" if len(names) == 1 else f"one of {', '.join(names)}"
        parts.append(roles + (" (whitelisted under 规范条件)" if grant.whitelisted else ""))
    match grant.relation:
        case Relation.OWNS_PREFIX:
            parts.append(f"ownership of the maker prefix {code.manufacturer!r}")
        case Relation.NAMED_RECEIVER:
            receiver = state.receiver if state is not None else None
            parts.append(f"being the receiver named in 'shipped.to' ({receiver!r})")
        case Relation.PRODUCER:
            producer = state.manufacturer if state is not None else None
            parts.append(f"being the pack's manufacturer ({producer!r})")
        case Relation.AUTHOR:
            parts.append("authorship of an entry of this pack")
        case Relation.OWNER:
            owner = state.owner if state is not None else None
            parts.append(f"being the pack's owner ({owner!r})")
    return " and ".join(parts)

"""What each event type does to a pack's state, once `rules.apply` has checked who and when.

Each effect also checks what its payload can only be checked against the rest of the record (does the
named organisation exist, does `from` name the sender, are the originals repurposed into this code).
Status, event count, `last_event_at` and `extra["authors"/"status_since"]` are set by `rules.apply`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from events import extras, federation, passport_claims
from events.catalogue import (
    ArrivedData,
    EventType,
    ExportedData,
    FoundData,
    ImportData,
    InspectedData,
    InstalledData,
    LeasedData,
    LeaseEndedData,
    LostData,
    LottedData,
    OwnershipTransferredData,
    PassportData,
    Payload,
    ProducedData,
    ReceivedData,
    RemovedData,
    RepurposedData,
    RetiredData,
    ServicedData,
    ShippedData,
    SwappedData,
    TransferredData,
    parse_payload,
)
from events.codes import BatteryCode
from events.errors import AuthorisationError, InvalidPayload, LifecycleError, NotFoundError
from events.lifecycle import AT_BEFORE_PRODUCTION, Status
from events.orgs import Org, Role
from events.state import Binding, Context, Event, PackState
from events.timestamps import china_date, to_rfc3339

COLLECTING_ROLES = frozenset({Role.COLLECTOR, Role.SECOND_LIFE, Role.RECYCLER})
# Who may own a pack (所有权人, docs/ownership.md): those who make, sell, lease or run packs. Collectors,
# dismantlers and recyclers hold packs at the end of life but the record does not make them owners.
OWNING_ROLES = frozenset(
    {Role.MANUFACTURER, Role.AUTOMAKER, Role.IMPORTER, Role.DEALER, Role.LESSOR, Role.SWAP_OPERATOR, Role.SECOND_LIFE}
)


@dataclass(frozen=True)
class Step:
    """One checked event about to be folded into the pack's state."""

    state: PackState | None
    event: Event
    payload: Payload
    actor: Org
    code: BatteryCode
    ctx: Context
    status: Status  # after the event, from the lifecycle table
    at: str = field(init=False)  # the event's `at` as the record writes it; effects and bookkeeping read it

    def __post_init__(self) -> None:
        object.__setattr__(self, "at", to_rfc3339(self.event.at))

    @property
    def current(self) -> PackState:
        assert self.state is not None, "only `produced` has no prior state"
        return self.state


P = TypeVar("P", bound=Payload)


def _payload(step: Step, kind: type[P]) -> P:
    assert isinstance(step.payload, kind)
    return step.payload


def _with_extra(state: PackState, **values: Any) -> PackState:
    return state.evolve(extra={**state.extra, **values})


def _with_flag(state: PackState, flag: str) -> PackState:
    return state.evolve(flags=tuple(sorted({*state.flags, flag})))


def _unbound(state: PackState, at: str) -> PackState:
    """Close the open binding, if any, at `at`."""
    if state.binding is None:
        return state
    bound = state.bindings[-1]
    return state.evolve(bindings=(*state.bindings[:-1], Binding(bound.kind, bound.target, bound.start, end=at)))


def _known_org(step: Step, org_id: str, field: str) -> None:
    if step.ctx.org(org_id) is None:
        raise InvalidPayload(f"invalid '{step.event.type}' payload: data.{field}: unknown organisation {org_id!r}")


def produced(step: Step) -> PackState:
    data, code = _payload(step, ProducedData), step.code
    letter = code.chemistry
    if letter.chemistries and data.chemistry not in letter.chemistries:
        raise InvalidPayload(
            f"invalid 'produced' payload: data.chemistry: {data.chemistry!r} contradicts the code's "
            f"chemistry letter {code.chemistry_letter!r} ({letter.meaning})"
        )
    made, happened = code.production_date, china_date(step.event.at)
    if made is not None and made > happened:
        raise InvalidPayload(
            f"battery code {code.code} says it was made on {made.isoformat()}, after this 'produced' "
            f"event ({happened.isoformat()}, China time)",
            code=AT_BEFORE_PRODUCTION,
        )
    if code.second_life and not data.origins:
        raise InvalidPayload(
            f"invalid 'produced' payload: data.from: second-life code {code.code} needs its original codes"
        )
    if not code.second_life and data.origins:
        raise InvalidPayload(
            f"invalid 'produced' payload: data.from: {code.code} is not a second-life code; "
            "only a second-life code has original codes"
        )
    for original in data.origins or ():
        _check_original(step, original)
    if data.imported is not None:
        _check_import(step, data.imported)
    source = _recovered_source(step, data) if data.recovered_from is not None else None
    state = PackState(
        code=code.code,
        status=step.status,
        custodian=step.actor.id,
        manufacturer=source.manufacturer if source is not None else step.actor.id,
        maker_code=code.manufacturer,
        chemistry=data.chemistry,
        production_date=code.production_date,
        rated_capacity_kwh=data.rated_capacity_kwh,
        origins=tuple(data.origins or ()),
    )
    if data.imported is not None:
        state = _with_extra(state, **{extras.IMPORTED: data.imported.model_dump()})
    if source is not None:
        state = _with_extra(state, **{extras.RECOVERED_FROM: source.code})
    return _with_extra(state, **{extras.BOX_CODE: data.box_code}) if data.box_code is not None else state


def _check_import(step: Step, imported: ImportData) -> None:
    """An import is declared on or before the day of its `produced` entry, and not before the pack was made."""
    code, declared = step.code, date.fromisoformat(imported.import_date)
    if code.second_life:
        raise InvalidPayload(
            f"invalid 'produced' payload: data.imported: {code.code} is a second-life code; "
            "a second-life product is made here, not imported"
        )
    happened = china_date(step.event.at)
    if declared > happened:
        raise InvalidPayload(
            f"invalid 'produced' payload: data.imported.import_date: {declared.isoformat()} is after this "
            f"'produced' event ({happened.isoformat()}, China time); a pack is registered after its import"
        )
    made = code.production_date
    if made is not None and declared < made:
        raise InvalidPayload(
            f"invalid 'produced' payload: data.imported.import_date: {declared.isoformat()} is before the "
            f"production date {made.isoformat()} in battery code {code.code}"
        )


def _recovered_source(step: Step, data: ProducedData) -> PackState:
    """The dismantled pack a module's chain starts from (docs/modules.md): the module is a regular module code,
    the pack is dismantled and its dismantler posts. The module's producer is the pack's."""
    module, source_code = step.code.code, str(data.recovered_from)
    if step.code.product_type != "module" or step.code.second_life:
        raise InvalidPayload(
            f"invalid 'produced' payload: data.recovered_from: {module} is not a module code; only a module is "
            "recovered whole from a dismantled pack"
        )
    if data.imported is not None:
        raise InvalidPayload("invalid 'produced' payload: a recovered module is not imported: give one of "
                             "data.recovered_from and data.imported")  # fmt: skip
    source = step.ctx.pack(source_code)
    if source is None:
        raise NotFoundError(f"unknown pack {source_code} (named in 'recovered_from' of {module})")
    if source.status not in (Status.DISMANTLED, Status.RECYCLED):
        raise LifecycleError(
            f"pack {source_code} is {source.status}, not dismantled: a module is recovered from a dismantled pack"
        )
    if source.custodian != step.actor.id:
        raise AuthorisationError(
            f"{step.actor.describe()} may not recover module {module} from {source_code}: the pack is held by "
            f"{source.custodian!r}"
        )
    return source


def _check_original(step: Step, original: str) -> None:
    state, new = step.ctx.pack(original), step.code.code
    if state is None:
        raise NotFoundError(f"unknown pack {original} (listed in 'from' of {new})")
    if state.status != Status.REPURPOSED:
        raise LifecycleError(f"original {original} is {state.status}, not repurposed into {new}")
    if new not in state.successors:
        raise LifecycleError(f"original {original} was repurposed into {', '.join(state.successors)}, not into {new}")
    if state.custodian != step.actor.id:
        raise AuthorisationError(
            f"{step.actor.describe()} may not produce {new} from {original}: the original is held by "
            f"{state.custodian!r}"
        )


def shipped(step: Step) -> PackState:
    data = _payload(step, ShippedData)
    _known_org(step, data.to, "to")
    if data.to == step.actor.id:
        raise InvalidPayload(f"invalid 'shipped' payload: data.to: {data.to!r} cannot ship to itself")
    return step.current.evolve(receiver=data.to, sender=step.actor.id)


def received(step: Step) -> PackState:
    data, state = _payload(step, ReceivedData), step.current
    if data.sender != state.sender:
        raise InvalidPayload(
            f"invalid 'received' payload: data.from: {data.sender!r} did not ship this pack; {state.sender!r} did"
        )
    state = state.evolve(custodian=step.actor.id, receiver=None, sender=None)
    collecting = step.actor.roles & COLLECTING_ROLES
    if extras.RETIRED_AT in state.extra and extras.COLLECTED_AT not in state.extra and collecting:
        state = _with_extra(state, **{extras.COLLECTED_AT: step.at})
    return state


def installed(step: Step) -> PackState:
    data, state = _payload(step, InstalledData), step.current
    earlier_vins = {b.target for b in state.bindings if b.kind == "vin"}
    if (
        data.binding_kind == "vin"
        and earlier_vins - {data.target}
        and state.extra.get(extras.LAST_REMOVAL_REASON) != "swap"
    ):
        state = _with_extra(state, **{extras.REUSED: True})
    binding = Binding(kind=data.binding_kind, target=data.target, start=step.at)
    return state.evolve(bindings=(*state.bindings, binding))


def swapped(step: Step) -> PackState:
    """One half of a swap; the lifecycle has checked the direction against the status, the batch that the
    other half travels with this one."""
    data, state = _payload(step, SwappedData), step.current
    if data.partner == step.code.code:
        raise InvalidPayload(
            f"invalid 'swapped' payload: data.partner: a pack cannot be swapped with itself ({data.partner})"
        )
    if data.direction == "out":
        bound = state.binding
        if bound is None or (bound.kind, bound.target) != ("vin", data.vin):
            raise LifecycleError(
                f"pack {step.code.code} is in vehicle {bound.target if bound else None}, not in {data.vin}: "
                "a swap takes out the pack the vehicle holds"
            )
        state = _unbound(state, step.at).evolve(custodian=step.actor.id)
        extra = {key: value for key, value in state.extra.items() if key != extras.SWAP_SITE}
        site = {extras.SWAP_SITE: data.site} if data.site is not None else {}
        return state.evolve(extra={**extra, extras.LAST_REMOVAL_REASON: "swap", **site})
    earlier_vins = {b.target for b in state.bindings if b.kind == "vin"}
    if earlier_vins - {data.vin} and state.extra.get(extras.LAST_REMOVAL_REASON) != "swap":
        state = _with_extra(state, **{extras.REUSED: True})
    return state.evolve(bindings=(*state.bindings, Binding(kind="vin", target=data.vin, start=step.at)))


def removed(step: Step) -> PackState:
    data = _payload(step, RemovedData)
    state = _unbound(step.current, step.at).evolve(custodian=step.actor.id)
    return _with_extra(state, **{extras.LAST_REMOVAL_REASON: data.reason})


def serviced(step: Step) -> PackState:
    data = _payload(step, ServicedData)
    for replacement in data.replaced_modules:
        module = step.ctx.pack(replacement.new)
        if module is not None and module.custodian != step.actor.id:
            raise AuthorisationError(
                f"{step.actor.describe()} may not fit module {replacement.new} into {step.code.code}: the module "
                f"has a chain of its own and is held by {module.custodian!r}"
            )
    if data.remanufactured:
        return _with_extra(step.current, **{extras.REMANUFACTURED: True})
    return step.current


def retired(step: Step) -> PackState:
    _payload(step, RetiredData)
    return _with_extra(_unbound(step.current, step.at), **{extras.RETIRED_AT: step.at})


def inspected(step: Step) -> PackState:
    data = _payload(step, InspectedData)
    return step.current.evolve(soh_pct=data.soh_pct, verdict=data.verdict)


def repurposed(step: Step) -> PackState:
    """One pack into one product or, one-to-many, into several (`into` a list): `successor` is the first, and
    `extra["successors"]` lists them all when there are two or more (a one-product repurposing keeps the
    projection it always had)."""
    data = _payload(step, RepurposedData)
    products = data.products
    for into in products:
        if into == step.code.code:
            raise InvalidPayload(
                f"invalid 'repurposed' payload: data.into: a pack cannot be repurposed into itself ({into})"
            )
        if step.ctx.pack(into) is not None:
            raise LifecycleError(
                f"second-life code {into} already exists; {step.code.code} cannot be repurposed into it"
            )
    state = step.current.evolve(successor=products[0])
    return _with_extra(state, **{extras.SUCCESSORS: list(products)}) if len(products) > 1 else state


def lotted(step: Step) -> PackState:
    """The pack goes into a lot of its custodian's (docs/recycling-lots.md): the lot must be open, and the
    poster's own (`lot:<poster>:<lot id>`)."""
    data = _payload(step, LottedData)
    recycler = data.lot.split(":")[1]
    if recycler != step.actor.id:
        raise AuthorisationError(
            f"{step.actor.describe()} may not put pack {step.code.code} into {data.lot}: "
            f"the lot belongs to {recycler!r}"
        )
    lot = step.ctx.pack(data.lot)
    if lot is None:
        raise NotFoundError(f"unknown lot {data.lot}: the recycler opens it with 'lot_opened' first")
    if lot.status != "lot_open":
        raise LifecycleError(f"lot {data.lot} is {lot.status}: packs enter a lot only while it is open (lot_open)")
    return _with_extra(step.current, **{extras.LOT: data.lot})


def unchanged(step: Step) -> PackState:
    return step.current


def flagged(step: Step) -> PackState:
    return _with_flag(step.current, step.event.type)


def gone(step: Step) -> PackState:
    """`lost` or `exported`: whatever it was bound to, it is out of the record's sight now."""
    assert isinstance(step.payload, LostData | ExportedData)
    return _unbound(step.current, step.at).evolve(receiver=None, sender=None)


def transferred(step: Step) -> PackState:
    """Handed over to another platform (docs/federation.md): out of this record's sight, accounted for.
    `to` is an organisation of the other platform, unknown here; that `platform` is a configured peer is
    the service layer's to check (replay does not depend on configuration)."""
    data = _payload(step, TransferredData)
    state = _unbound(step.current, step.at).evolve(receiver=None, sender=None)
    return _with_extra(state, **{extras.TRANSFERRED: {"platform": data.platform, "to": data.to}})


def arrived(step: Step) -> PackState:
    """The genesis of a pack handed over by another platform (docs/federation.md): held by the poster, with
    the facts of the origin's `produced` entry. The transfer entry must hand this code to the poster
    (events.federation); its proof is the ledger's to check."""
    data, code = _payload(step, ArrivedData), step.code
    federation.check_transfer(code.code, step.actor.id, data, None)
    facts = parse_payload(EventType.PRODUCED, data.produced, recorded=True)
    assert isinstance(facts, ProducedData)
    state = PackState(
        code=code.code,
        status=step.status,
        custodian=step.actor.id,
        manufacturer=step.actor.id,
        maker_code=code.manufacturer,
        chemistry=facts.chemistry,
        production_date=code.production_date,
        rated_capacity_kwh=facts.rated_capacity_kwh,
        origins=tuple(facts.origins or ()),
    )
    origin = {"platform": data.platform, "manufacturer": data.manufacturer}
    state = _with_extra(state, **{extras.ARRIVED: origin})
    if facts.imported is not None:
        state = _with_extra(state, **{extras.IMPORTED: facts.imported.model_dump()})
    return _with_extra(state, **{extras.BOX_CODE: facts.box_code}) if facts.box_code is not None else state


def found(step: Step) -> PackState:
    data = _payload(step, FoundData)
    _known_org(step, data.custodian, "custodian")
    return step.current.evolve(custodian=data.custodian)


def ownership_transferred(step: Step) -> PackState:
    data, state = _payload(step, OwnershipTransferredData), step.current
    _known_org(step, data.to, "to")
    if data.to == state.owner:
        raise InvalidPayload(f"invalid 'ownership_transferred' payload: data.to: {data.to!r} already owns this pack")
    new_owner = step.ctx.org(data.to)
    if not new_owner.roles & OWNING_ROLES:
        raise InvalidPayload(
            f"invalid 'ownership_transferred' payload: data.to: {new_owner.describe()} may not own a pack; "
            f"an owner has one of the roles {', '.join(sorted(OWNING_ROLES))}"
        )
    if state.lease is not None:
        raise LifecycleError(
            f"pack {step.code.code} is leased to {state.lease['lessee']!r}: "
            "the lessor stays the owner throughout a lease; end the lease first"
        )
    return _with_extra(state, **{extras.OWNER: data.to})


def leased(step: Step) -> PackState:
    data, state = _payload(step, LeasedData), step.current
    _known_org(step, data.lessee, "lessee")
    if data.lessee == step.actor.id:
        raise InvalidPayload(f"invalid 'leased' payload: data.lessee: {data.lessee!r} cannot lease to itself")
    if data.vin is not None and data.site is not None:
        raise InvalidPayload("invalid 'leased' payload: a lease is for a vehicle (vin) or a site, not both")
    if state.lease is not None:
        raise LifecycleError(
            f"pack {step.code.code} is already leased to {state.lease['lessee']!r} since {state.lease['since']}: "
            "end that lease first"
        )
    given = {"vin": data.vin, "site": data.site, "until": data.until}
    lease = {"lessor": step.actor.id, "lessee": data.lessee, "since": step.at}
    return _with_extra(state, **{extras.LEASE: {**lease, **{k: v for k, v in given.items() if v is not None}}})


def lease_ended(step: Step) -> PackState:
    _payload(step, LeaseEndedData)
    state = step.current
    if state.lease is None:
        raise LifecycleError(f"pack {step.code.code} is not leased: there is no lease to end")
    return state.evolve(extra={key: value for key, value in state.extra.items() if key != extras.LEASE})


def passport_claimed(step: Step) -> PackState:
    """A `passport` claim changes nothing but the passport (events.passport builds it from the chain)."""
    passport_claims.check_claim(_payload(step, PassportData).attributes, step.actor, step.current)
    return step.current


# Whether each ownership event needs an active lease (True), or none (False): `leased` starts one,
# `lease_ended` ends it, and an ownership transfer waits for the lease to end (the lessor stays owner).
NEEDS_LEASE: dict[str, bool] = {
    EventType.OWNERSHIP_TRANSFERRED: False,
    EventType.LEASED: False,
    EventType.LEASE_ENDED: True,
}


# Who holds the pack after an entry of these types (see the effects above): the poster, or the organisation
# the named payload member gives. Every other event leaves custody where it was.
CUSTODY_MOVES: dict[str, str | None] = {
    EventType.PRODUCED.value: None,
    EventType.ARRIVED.value: None,
    EventType.RECEIVED.value: None,
    EventType.REMOVED.value: None,
    EventType.FOUND.value: "custodian",
    EventType.SWAPPED.value: None,  # `out` moves custody to the swap operator; `in` needs its custody
}

EFFECTS: dict[EventType, Callable[[Step], PackState]] = {
    EventType.PRODUCED: produced,
    EventType.SHIPPED: shipped,
    EventType.RECEIVED: received,
    EventType.INSTALLED: installed,
    EventType.REMOVED: removed,
    EventType.SERVICED: serviced,
    EventType.RETIRED: retired,
    EventType.INSPECTED: inspected,
    EventType.REPURPOSED: repurposed,
    EventType.DISMANTLED: unchanged,
    EventType.RECYCLED: unchanged,
    EventType.INCIDENT: flagged,
    EventType.RECALLED: flagged,
    EventType.CORRECTED: flagged,
    EventType.LOST: gone,
    EventType.EXPORTED: gone,
    EventType.FOUND: found,
    EventType.SWAPPED: swapped,
    EventType.OWNERSHIP_TRANSFERRED: ownership_transferred,
    EventType.LEASED: leased,
    EventType.LEASE_ENDED: lease_ended,
    EventType.LOTTED: lotted,
    EventType.PASSPORT: passport_claimed,
    EventType.TRANSFERRED: transferred,
    EventType.ARRIVED: arrived,
}

"""The pack lifecycle as data: `(status, event type) → status` (DESIGN §2.4).

`produced` is the genesis: it has no prior status and is allowed in none. Flag-only events (serviced,
inspected, incident, recalled, corrected) keep the status where the table allows them. `corrected` is
allowed in every status: a correction never changes the past, it adds to it.

Two refinements sit next to the table because they depend on more than the status:
- `installed` goes to `in_vehicle` for a `vin` and to `in_storage_system` for a `site` (INSTALLED_INTO);
- `swapped` takes a pack out of a vehicle (`out`, from `in_vehicle`) or puts one in (`in`, from
  `in_stock`): the table allows it in both statuses, and SWAPPED_FROM says which direction each is for;
- a pack that has been retired never reads `in_stock` again: wherever the table says `in_stock`, a
  retired pack is `retired` (ONCE_RETIRED), so it cannot be installed in a vehicle again.

`python -m events.lifecycle --mermaid` prints the state diagram that docs/lifecycle.md shows.
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from enum import StrEnum

from events.catalogue import EVENT_TYPE_OF, EventType
from events.errors import LifecycleError


class Status(StrEnum):
    PRODUCED = "produced"
    IN_TRANSIT = "in_transit"
    IN_STOCK = "in_stock"
    IN_VEHICLE = "in_vehicle"
    IN_STORAGE_SYSTEM = "in_storage_system"
    RETIRED = "retired"
    REPURPOSED = "repurposed"
    DISMANTLED = "dismantled"
    RECYCLED = "recycled"
    LOST = "lost"
    EXPORTED = "exported"
    IN_LOT = "in_lot"
    TRANSFERRED = "transferred"


S, E = Status, EventType
GENESIS = (E.PRODUCED, S.PRODUCED)
# The other genesis: a pack handed over by another platform starts its chain here held by the receiver
# (docs/federation.md).
ARRIVAL = (E.ARRIVED, S.IN_STOCK)
GENESES: dict[EventType, Status] = dict([GENESIS, ARRIVAL])

TRANSITIONS: dict[tuple[Status, EventType], Status] = {
    (S.PRODUCED, E.SHIPPED): S.IN_TRANSIT,
    (S.PRODUCED, E.INSTALLED): S.IN_VEHICLE,
    (S.PRODUCED, E.RETIRED): S.RETIRED,
    (S.PRODUCED, E.LOST): S.LOST,
    (S.PRODUCED, E.EXPORTED): S.EXPORTED,
    (S.PRODUCED, E.SERVICED): S.PRODUCED,
    (S.PRODUCED, E.INCIDENT): S.PRODUCED,
    (S.PRODUCED, E.RECALLED): S.PRODUCED,
    (S.PRODUCED, E.CORRECTED): S.PRODUCED,
    #
    (S.IN_TRANSIT, E.RECEIVED): S.IN_STOCK,
    (S.IN_TRANSIT, E.LOST): S.LOST,
    (S.IN_TRANSIT, E.INCIDENT): S.IN_TRANSIT,
    (S.IN_TRANSIT, E.RECALLED): S.IN_TRANSIT,
    (S.IN_TRANSIT, E.CORRECTED): S.IN_TRANSIT,
    #
    (S.IN_STOCK, E.SHIPPED): S.IN_TRANSIT,
    (S.IN_STOCK, E.INSTALLED): S.IN_VEHICLE,
    (S.IN_STOCK, E.RETIRED): S.RETIRED,
    (S.IN_STOCK, E.LOST): S.LOST,
    (S.IN_STOCK, E.EXPORTED): S.EXPORTED,
    (S.IN_STOCK, E.SERVICED): S.IN_STOCK,
    (S.IN_STOCK, E.INSPECTED): S.IN_STOCK,
    (S.IN_STOCK, E.INCIDENT): S.IN_STOCK,
    (S.IN_STOCK, E.RECALLED): S.IN_STOCK,
    (S.IN_STOCK, E.CORRECTED): S.IN_STOCK,
    (S.IN_STOCK, E.SWAPPED): S.IN_VEHICLE,
    #
    (S.IN_VEHICLE, E.REMOVED): S.IN_STOCK,
    (S.IN_VEHICLE, E.RETIRED): S.RETIRED,
    (S.IN_VEHICLE, E.LOST): S.LOST,
    (S.IN_VEHICLE, E.EXPORTED): S.EXPORTED,
    (S.IN_VEHICLE, E.SERVICED): S.IN_VEHICLE,
    (S.IN_VEHICLE, E.INCIDENT): S.IN_VEHICLE,
    (S.IN_VEHICLE, E.RECALLED): S.IN_VEHICLE,
    (S.IN_VEHICLE, E.CORRECTED): S.IN_VEHICLE,
    (S.IN_VEHICLE, E.SWAPPED): S.IN_STOCK,
    #
    (S.IN_STORAGE_SYSTEM, E.REMOVED): S.IN_STOCK,
    (S.IN_STORAGE_SYSTEM, E.RETIRED): S.RETIRED,
    (S.IN_STORAGE_SYSTEM, E.LOST): S.LOST,
    (S.IN_STORAGE_SYSTEM, E.SERVICED): S.IN_STORAGE_SYSTEM,
    (S.IN_STORAGE_SYSTEM, E.INSPECTED): S.IN_STORAGE_SYSTEM,
    (S.IN_STORAGE_SYSTEM, E.INCIDENT): S.IN_STORAGE_SYSTEM,
    (S.IN_STORAGE_SYSTEM, E.RECALLED): S.IN_STORAGE_SYSTEM,
    (S.IN_STORAGE_SYSTEM, E.CORRECTED): S.IN_STORAGE_SYSTEM,
    #
    (S.RETIRED, E.SHIPPED): S.IN_TRANSIT,
    (S.RETIRED, E.REPURPOSED): S.REPURPOSED,
    (S.RETIRED, E.DISMANTLED): S.DISMANTLED,
    (S.RETIRED, E.LOST): S.LOST,
    (S.RETIRED, E.EXPORTED): S.EXPORTED,
    (S.RETIRED, E.INSPECTED): S.RETIRED,
    (S.RETIRED, E.INCIDENT): S.RETIRED,
    (S.RETIRED, E.RECALLED): S.RETIRED,
    (S.RETIRED, E.CORRECTED): S.RETIRED,
    #
    (S.REPURPOSED, E.CORRECTED): S.REPURPOSED,
    #
    (S.DISMANTLED, E.RECYCLED): S.RECYCLED,
    (S.DISMANTLED, E.CORRECTED): S.DISMANTLED,
    #
    (S.RECYCLED, E.CORRECTED): S.RECYCLED,
    #
    # a recycler lot (docs/recycling-lots.md): the pack is shredded with the lot's other inputs
    (S.RETIRED, E.LOTTED): S.IN_LOT,
    (S.DISMANTLED, E.LOTTED): S.IN_LOT,
    (S.IN_LOT, E.CORRECTED): S.IN_LOT,
    #
    (S.LOST, E.FOUND): S.IN_STOCK,
    (S.LOST, E.RECALLED): S.LOST,
    (S.LOST, E.CORRECTED): S.LOST,
    #
    (S.EXPORTED, E.FOUND): S.IN_STOCK,
    (S.EXPORTED, E.RECALLED): S.EXPORTED,
    (S.EXPORTED, E.CORRECTED): S.EXPORTED,
    #
    # handed over to another packtrace platform (docs/federation.md): its chain goes on there
    (S.PRODUCED, E.TRANSFERRED): S.TRANSFERRED,
    (S.IN_STOCK, E.TRANSFERRED): S.TRANSFERRED,
    (S.RETIRED, E.TRANSFERRED): S.TRANSFERRED,
    (S.TRANSFERRED, E.RECALLED): S.TRANSFERRED,
    (S.TRANSFERRED, E.CORRECTED): S.TRANSFERRED,
}

# Ownership and leases (车电分离, docs/ownership.md): the owner changes and leases begin and end while the
# pack is anywhere in use or in stock; none of them changes the status (nor custody).
OWNERSHIP_STATUSES: dict[EventType, tuple[Status, ...]] = {
    E.OWNERSHIP_TRANSFERRED: (S.PRODUCED, S.IN_TRANSIT, S.IN_STOCK, S.IN_VEHICLE, S.IN_STORAGE_SYSTEM, S.RETIRED),
    E.LEASED: (S.PRODUCED, S.IN_STOCK, S.IN_VEHICLE, S.IN_STORAGE_SYSTEM),
    E.LEASE_ENDED: (S.PRODUCED, S.IN_TRANSIT, S.IN_STOCK, S.IN_VEHICLE, S.IN_STORAGE_SYSTEM, S.RETIRED, S.LOST),
}
TRANSITIONS.update({(status, event): status for event, statuses in OWNERSHIP_STATUSES.items() for status in statuses})

# The battery passport's claim (docs/passport.md): posted while the pack is a battery held on this platform,
# whatever it is doing (lost included: its maker still answers for its passport); not once it has become
# something else (repurposed: the product's passport continues; dismantled, recycled, in a lot: the passport
# ends with the battery, Art. 77(6)) nor once it left (exported). It never changes the status.
PASSPORT_STATUSES: tuple[Status, ...] = (
    S.PRODUCED, S.IN_TRANSIT, S.IN_STOCK, S.IN_VEHICLE, S.IN_STORAGE_SYSTEM, S.RETIRED, S.LOST,
)  # fmt: skip
TRANSITIONS.update({(status, E.PASSPORT): status for status in PASSPORT_STATUSES})

# The time order of a pack's life (docs/lifecycle.md): the event types that move the pack, changing its
# status (each does wherever the table allows it) or its custody (only ever with the status: received,
# removed, found), come in time order; the others never change the status in the table -- the flag-only
# events -- and may be reported late for an earlier moment. Each refusal has a code of its own.
MOVING_EVENTS: frozenset[EventType] = frozenset(
    {*GENESES, *(event for (source, event), target in TRANSITIONS.items() if target != source)}
)
LATE_REPORTABLE_EVENTS: frozenset[EventType] = frozenset(EventType) - MOVING_EVENTS
AT_BEFORE_2000 = "at_before_2000"  # dated before 2000-01-01T00:00:00Z
AT_BEFORE_PRODUCTION = "at_before_production"  # before the production date in the pack's code (China date)
AT_OUT_OF_ORDER = "at_out_of_order"  # a moving event before the last moving event
INSTALLED_INTO: dict[str, Status] = {"vin": S.IN_VEHICLE, "site": S.IN_STORAGE_SYSTEM}
ONCE_RETIRED: dict[Status, Status] = {S.IN_STOCK: S.RETIRED}
# `swapped`'s direction and the status it starts from (a swap never puts a pack into a storage site)
SWAPPED_FROM: dict[str, Status] = {"out": S.IN_VEHICLE, "in": S.IN_STOCK}
# Status(x) without the enum machinery, like catalogue.EVENT_TYPE_OF
_STATUS_OF: dict[str, Status] = {str(status): status for status in Status}


def allowed_events(status: Status | str | None) -> list[str]:
    """The event types the table allows in `status` (None: the pack does not exist yet), sorted."""
    if status is None:
        return sorted(str(event) for event in GENESES)
    return sorted(str(event) for (source, event) in TRANSITIONS if source == status)


def next_status(
    status: Status | str | None,
    event_type: EventType | str,
    *,
    binding_kind: str = "vin",
    retired: bool = False,
    swap_direction: str | None = None,
) -> Status:
    """The status after `event_type`; LifecycleError names the status, the event and what is allowed.

    `binding_kind` ("vin" or "site") chooses the status after `installed`; `retired` says the pack has
    been retired before (see ONCE_RETIRED); `swap_direction` ("out" or "in") is checked against the
    status `swapped` starts from (SWAPPED_FROM).
    """
    if status is None:
        genesis = GENESES.get(EVENT_TYPE_OF[event_type]) if event_type in EVENT_TYPE_OF else None
        if genesis is not None:
            return genesis
        allowed = ", ".join(allowed_events(None))
        raise LifecycleError(f"pack does not exist yet: '{event_type}' is not allowed; allowed: {allowed}")
    if status not in _STATUS_OF:
        raise LifecycleError(f"unknown pack status '{status}'")
    known = event_type in EVENT_TYPE_OF
    target = TRANSITIONS.get((_STATUS_OF[status], EVENT_TYPE_OF[event_type])) if known else None
    if target is None:
        allowed = ", ".join(allowed_events(status))
        raise LifecycleError(f"pack is {status}: '{event_type}' is not allowed; allowed: {allowed}")
    if event_type == E.INSTALLED:
        if binding_kind not in INSTALLED_INTO:
            raise LifecycleError(f"'installed' binds to a vin or a site, not to '{binding_kind}'")
        target = INSTALLED_INTO[binding_kind]
    if event_type == E.SWAPPED and swap_direction is not None:
        start = SWAPPED_FROM.get(swap_direction)
        if start != status:
            fits = " or ".join(f"'{d}' when {s}" for d, s in SWAPPED_FROM.items())
            raise LifecycleError(f"pack is {status}: 'swapped' {swap_direction!r} is not allowed; a swap is {fits}")
    if retired:
        target = ONCE_RETIRED.get(target, target)
    return target


def terminal_statuses() -> list[Status]:
    """Statuses no event leads out of."""
    leaving = {source for (source, _), target in TRANSITIONS.items() if target != source}
    return [status for status in Status if status not in leaving]


def mermaid_diagram() -> str:
    """The state diagram generated from TRANSITIONS and its two refinements."""
    edges: dict[tuple[Status, Status], list[str]] = defaultdict(list)
    for (source, event), target in TRANSITIONS.items():
        label = f"{event} (vin)" if event == E.INSTALLED else str(event)
        if event == E.SWAPPED:
            label = f"{event} ({next(d for d, start in SWAPPED_FROM.items() if start == source)})"
        edges[(source, target)].append(label)
        if event == E.INSTALLED:
            edges[(source, INSTALLED_INTO["site"])].append(f"{event} (site)")
    for (source, event), target in TRANSITIONS.items():
        if target in ONCE_RETIRED and source in _reachable_once_retired():
            edges[(source, ONCE_RETIRED[target])].append(f"{event} (once retired)")
    order = list(Status)
    lines = ["stateDiagram-v2", *(f"    [*] --> {status} : {event}" for event, status in GENESES.items())]
    for source, target in sorted(edges, key=lambda pair: (order.index(pair[0]), order.index(pair[1]))):
        lines.append(f"    {source} --> {target} : {', '.join(sorted(edges[(source, target)]))}")
    lines += [f"    {status} --> [*]" for status in terminal_statuses()]
    return "\n".join(lines) + "\n"


def _reachable_once_retired() -> set[Status]:
    seen, todo = {S.RETIRED}, [S.RETIRED]
    while todo:
        source = todo.pop()
        for (origin, _), target in TRANSITIONS.items():
            target = ONCE_RETIRED.get(target, target)
            if origin == source and target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m events.lifecycle", description="The pack lifecycle.")
    parser.add_argument("--mermaid", action="store_true", help="print the Mermaid state diagram")
    args = parser.parse_args(argv)
    if args.mermaid:
        print(mermaid_diagram(), end="")
    else:
        parser.print_help()


if __name__ == "__main__":
    main()

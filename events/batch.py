"""Checks across the packs of one atomic batch.

A `repurposed` and the `produced` of each of its second-life codes (with `from` listing the original)
travel together, and the originals' `repurposed` come first: several originals into one product (many-to-one),
one original into several products (`into` a list, one-to-many), or both. The two halves of a swap travel
together too: the `swapped` `out` of the pack leaving a vehicle and the `swapped` `in` of the pack entering
it, by the same swap operator, for the same vehicle, each naming the other as `partner` (SWAP_UNPAIRED when not).
Payloads are read leniently here: a malformed payload is left to `rules.apply`, which refuses that item
with its own message.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Mapping, Sequence
from typing import Any

from events.catalogue import EventType
from events.errors import InputError, LifecycleError, PacktraceError
from events.state import Event

SWAP_UNPAIRED = "swap_unpaired"
_OTHER_DIRECTION = {"out": "in", "in": "out"}


def batch_problems(events: Sequence[Event]) -> list[tuple[int, PacktraceError]]:
    """Every problem, as (position of the item to blame, error), in position order; one per position."""
    problems: dict[int, PacktraceError] = {}

    def blame(position: int, error: PacktraceError) -> None:
        problems.setdefault(position, error)

    into_of: dict[str, tuple[int, tuple[str, ...]]] = {}  # original -> (position, second-life codes)
    origins_of: dict[str, tuple[int, tuple[str, ...]]] = {}  # second-life code -> (position, originals)
    for position, event in enumerate(events):
        if event.type == EventType.REPURPOSED and (products := _into(event)):
            if event.pack in into_of:
                first = into_of[event.pack][0]
                blame(position, InputError(f"the batch repurposes {event.pack} twice (positions {first}, {position})"))
                continue
            into_of[event.pack] = (position, products)
        elif event.type == EventType.PRODUCED and (origins := _origins(event)):
            origins_of[event.pack] = (position, origins)

    for original, (position, products) in into_of.items():
        for into in products:
            partner = origins_of.get(into)
            if partner is None or original not in partner[1]:
                blame(position, LifecycleError(
                    f"'repurposed' of {original} into {into} (position {position}) needs, in the same batch, "
                    f"the 'produced' of {into} listing {original} in 'from'"
                ))  # fmt: skip
            elif partner[0] < position:
                blame(partner[0], LifecycleError(
                    f"'produced' of {into} (position {partner[0]}) comes before the 'repurposed' of its original "
                    f"{original} (position {position}); the originals must be repurposed first"
                ))  # fmt: skip
    for new, (position, originals) in origins_of.items():
        for original in originals:
            if original not in into_of or new not in into_of[original][1]:
                blame(position, LifecycleError(
                    f"'produced' of {new} (position {position}) lists {original} in 'from', "
                    f"but the batch has no 'repurposed' of {original} into {new}"
                ))  # fmt: skip
    for position, error in _swap_problems(events):
        blame(position, error)
    return sorted(problems.items())


def _swap_problems(events: Sequence[Event]) -> list[tuple[int, PacktraceError]]:
    """Each half is paired with the first unpaired half that answers it (a busy station's batch may swap one
    pack out in the morning and into another vehicle in the afternoon); a half left over is blamed."""
    halves = [(position, event, half) for position, event in enumerate(events) if (half := _swap_half(event))]
    waiting: dict[tuple[str, ...], deque[int]] = defaultdict(deque)
    for position, event, (direction, vin, partner) in halves:
        waiting[(event.pack, direction, vin, partner, event.actor)].append(position)
    paired: set[int] = set()
    found: list[tuple[int, PacktraceError]] = []
    for position, event, (direction, vin, partner) in halves:
        if position in paired:
            continue
        waiting[(event.pack, direction, vin, partner, event.actor)].popleft()  # this half: the first left of its kind
        wanted = _OTHER_DIRECTION[direction]
        answers = waiting.get((partner, wanted, vin, event.pack, event.actor))
        if answers:
            paired |= {position, answers.popleft()}
            continue
        found.append((position, LifecycleError(
            f"'swapped' {direction} of {event.pack} (position {position}) needs, in the same batch, the 'swapped' "
            f"{wanted} of {partner} by {event.actor!r} for vehicle {vin} naming {event.pack} as partner",
            code=SWAP_UNPAIRED,
        )))  # fmt: skip
    return found


def batch_end(claims: Sequence[Mapping[str, Any]], start: int, size: int, limit: int) -> int:
    """Where a batch of `claims` (claim objects: `pack`, `type`, `data`) that starts at `start` ends: after
    `size` claims, or later (at most `limit` claims in all) rather than part what must travel together --
    the halves of a swap, the `repurposed` of a product's originals and its `produced`."""
    end = min(start + size, len(claims))
    swapped: set[str] = set()
    into: set[str] = set()
    originals: set[str] = set()
    for claim in claims[start:end]:
        _note(claim, swapped, into, originals)
    while end < len(claims) and end - start < limit and _answers(claims[end], swapped, into, originals):
        _note(claims[end], swapped, into, originals)
        end += 1
    return end


def _note(claim: Mapping[str, Any], swapped: set[str], into: set[str], originals: set[str]) -> None:
    data = claim.get("data")
    data = data if isinstance(data, Mapping) else {}
    if claim.get("type") == EventType.SWAPPED:
        swapped.add(str(claim.get("pack")))
    elif claim.get("type") == EventType.REPURPOSED:
        into.update(_codes(data.get("into")))
        originals.add(str(claim.get("pack")))


def _answers(claim: Mapping[str, Any], swapped: set[str], into: set[str], originals: set[str]) -> bool:
    data = claim.get("data")
    data = data if isinstance(data, Mapping) else {}
    match claim.get("type"):
        case EventType.SWAPPED:
            return data.get("partner") in swapped
        case EventType.REPURPOSED:
            return any(code in into for code in _codes(data.get("into")))
        case EventType.PRODUCED:
            listed = data.get("from")
            return isinstance(listed, list) and any(code in originals for code in listed)
    return False


def _swap_half(event: Event) -> tuple[str, str, str] | None:
    if event.type != EventType.SWAPPED or not isinstance(event.data, Mapping):
        return None
    half = tuple(event.data.get(key) for key in ("direction", "vin", "partner"))
    if half[0] not in _OTHER_DIRECTION or not all(isinstance(value, str) for value in half):
        return None
    return half  # type: ignore[return-value]


def _codes(into: Any) -> tuple[str, ...]:
    """`repurposed.into` read leniently: one code, or the codes of a list (what is not text left out)."""
    if isinstance(into, str):
        return (into,)
    if isinstance(into, list | tuple):
        return tuple(code for code in into if isinstance(code, str))
    return ()


def _into(event: Event) -> tuple[str, ...]:
    return _codes(event.data.get("into") if isinstance(event.data, Mapping) else None)


def _origins(event: Event) -> tuple[str, ...]:
    origins = event.data.get("from") if isinstance(event.data, Mapping) else None
    if not isinstance(origins, list | tuple):
        return ()
    return tuple(code for code in origins if isinstance(code, str))

"""Checks across the packs of one atomic batch.

A `repurposed` and the `produced` of its second-life code (with `from` listing the original) travel
together, and the originals' `repurposed` come first. Payloads are read leniently here: a malformed
payload is left to `rules.apply`, which refuses that item with its own message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from events.catalogue import EventType
from events.errors import InputError, LifecycleError, PacktraceError
from events.state import Event


def batch_problems(events: Sequence[Event]) -> list[tuple[int, PacktraceError]]:
    """Every problem, as (position of the item to blame, error), in position order; one per position."""
    problems: dict[int, PacktraceError] = {}

    def blame(position: int, error: PacktraceError) -> None:
        problems.setdefault(position, error)

    into_of: dict[str, tuple[int, str]] = {}  # original -> (position, second-life code)
    origins_of: dict[str, tuple[int, tuple[str, ...]]] = {}  # second-life code -> (position, originals)
    for position, event in enumerate(events):
        if event.type == EventType.REPURPOSED and (into := _into(event)) is not None:
            if event.pack in into_of:
                first = into_of[event.pack][0]
                blame(position, InputError(f"the batch repurposes {event.pack} twice (positions {first}, {position})"))
                continue
            into_of[event.pack] = (position, into)
        elif event.type == EventType.PRODUCED and (origins := _origins(event)):
            origins_of[event.pack] = (position, origins)

    for original, (position, into) in into_of.items():
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
            if original not in into_of or into_of[original][1] != new:
                blame(position, LifecycleError(
                    f"'produced' of {new} (position {position}) lists {original} in 'from', "
                    f"but the batch has no 'repurposed' of {original} into {new}"
                ))  # fmt: skip
    return sorted(problems.items())


def _into(event: Event) -> str | None:
    into = event.data.get("into") if isinstance(event.data, Mapping) else None
    return into if isinstance(into, str) else None


def _origins(event: Event) -> tuple[str, ...]:
    origins = event.data.get("from") if isinstance(event.data, Mapping) else None
    if not isinstance(origins, list | tuple):
        return ()
    return tuple(code for code in origins if isinstance(code, str))

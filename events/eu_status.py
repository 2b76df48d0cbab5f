"""The battery status of EU Regulation 2023/1542 Annex XIII, derived from the pack's state.

    waste           retired (or dismantled, recycled): collected for treatment, not in use any more.
                    A retired pack stays waste while it is shipped, received, lost or exported.
    repurposed      the original pack after `repurposed` (its life goes on under the new code), and a
                    second-life product (a pack with `origins`) until it is retired itself.
    remanufactured  a `serviced` event declared remanufacturing.
    re-used         put into a second vehicle after a removal that was not a battery swap (swap stations
                    rotate packs between vehicles by design: that is the original use).
    original        everything else.

The first line that matches wins, in this order: repurposed (the original pack), waste, repurposed (a
second-life product), remanufactured, re-used, original.
"""

from __future__ import annotations

from events import extras
from events.lifecycle import Status
from events.state import PackState

EU_STATUSES = ("original", "repurposed", "re-used", "remanufactured", "waste")
_WASTE = frozenset({Status.RETIRED, Status.DISMANTLED, Status.RECYCLED, Status.IN_LOT})


def eu_status(state: PackState) -> str:
    if state.status == Status.REPURPOSED:
        return "repurposed"
    if state.status in _WASTE or extras.RETIRED_AT in state.extra:
        return "waste"
    if state.origins:
        return "repurposed"
    if state.extra.get(extras.REMANUFACTURED):
        return "remanufactured"
    if state.extra.get(extras.REUSED):
        return "re-used"
    return "original"

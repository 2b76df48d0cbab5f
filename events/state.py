"""A pack's derived state (the projection) and the event as the domain sees it.

The ledger stores `PackState.to_dict()` as the pack's projection and rebuilds it by folding
`events.rules.apply` over the pack's entries; both must give equal dictionaries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class Event:
    """One claim, decoded: what happened to which pack, when, by whom."""

    pack: str
    type: str
    at: datetime
    actor: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class Binding:
    """A time interval during which a pack was installed in a vehicle (`vin`) or a storage site (`site`)."""

    kind: str  # "vin" or "site"
    target: str
    start: str  # RFC 3339 of the installing event's `at`
    end: str | None = None  # RFC 3339 of the removing event's `at`, None while bound


@dataclass(frozen=True)
class PackState:
    code: str
    status: str
    custodian: str
    manufacturer: str  # org id of the producer (the maker, or the second-life company)
    maker_code: str  # the 3-character manufacturer code of the battery code
    chemistry: str
    production_date: date | None
    rated_capacity_kwh: float | None
    receiver: str | None = None  # while in transit: the org named in `shipped.to`
    sender: str | None = None  # while in transit: who shipped it
    bindings: tuple[Binding, ...] = ()
    flags: tuple[str, ...] = ()  # sorted, unique: "recalled", "incident", "late", "corrected", ...
    origins: tuple[str, ...] = ()  # second life: the original codes (`produced.from`)
    successor: str | None = None  # original pack: the second-life code it was repurposed into
    soh_pct: float | None = None  # last graded state of health
    verdict: str | None = None  # last inspection verdict
    last_event_at: str | None = None
    events: int = 0  # number of entries folded in
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def binding(self) -> Binding | None:
        """The open binding, if the pack is installed now."""
        if self.bindings and self.bindings[-1].end is None:
            return self.bindings[-1]
        return None

    def evolve(self, **changes: Any) -> PackState:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        # Written out rather than dataclasses.asdict: this runs once per appended entry, and asdict's
        # recursive deep copy cost more than the rest of the projection update.
        return {
            "code": self.code,
            "status": str(self.status),
            "custodian": self.custodian,
            "manufacturer": self.manufacturer,
            "maker_code": self.maker_code,
            "chemistry": self.chemistry,
            "production_date": self.production_date.isoformat() if self.production_date else None,
            "rated_capacity_kwh": self.rated_capacity_kwh,
            "receiver": self.receiver,
            "sender": self.sender,
            "bindings": [{"kind": b.kind, "target": b.target, "start": b.start, "end": b.end} for b in self.bindings],
            "flags": list(self.flags),
            "origins": list(self.origins),
            "successor": self.successor,
            "soh_pct": self.soh_pct,
            "verdict": self.verdict,
            "last_event_at": self.last_event_at,
            "events": self.events,
            "extra": json.loads(json.dumps(self.extra)) if self.extra else {},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PackState:
        values = dict(data)
        pd = values.get("production_date")
        values["production_date"] = date.fromisoformat(pd) if pd else None
        values["bindings"] = tuple(Binding(**b) for b in values.get("bindings", ()))
        values["flags"] = tuple(values.get("flags", ()))
        values["origins"] = tuple(values.get("origins", ()))
        values["extra"] = dict(values.get("extra", {}))
        return cls(**values)


class Context(Protocol):
    """What `rules.apply` may look up beyond the pack itself. The ledger implements it; pending
    changes of the same transaction are visible through it."""

    def org(self, org_id: str) -> Any:  # events.orgs.Org | None
        ...

    def pack(self, code: str) -> PackState | None: ...

    @property
    def now(self) -> datetime: ...


__all__ = ["Binding", "Context", "Event", "PackState"]

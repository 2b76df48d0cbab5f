"""A pack's derived state (the projection) and the event as the domain sees it.

The ledger stores `PackState.to_dict()` as the pack's projection and rebuilds it by folding
`events.rules.apply` over the pack's entries; both must give equal dictionaries.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
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

    @property
    def owner(self) -> str:
        """The owner (所有权人, docs/ownership.md): the producer from genesis (the maker, or the second-life
        company), until an `ownership_transferred` names another; custody moves never change it."""
        owner = self.extra.get("owner")
        return owner if isinstance(owner, str) else self.manufacturer

    @property
    def successors(self) -> tuple[str, ...]:
        """What this pack became (its second-life products): every code `repurposed.into` named, the one
        `successor` when it named one, nothing before it was repurposed."""
        listed = self.extra.get("successors")
        if isinstance(listed, list | tuple) and listed:
            return tuple(str(code) for code in listed)
        return (self.successor,) if self.successor is not None else ()

    @property
    def lease(self) -> Mapping[str, Any] | None:
        """The active lease (`leased`, until `lease_ended`): lessee, lessor, since, and vin, site, until."""
        lease = self.extra.get("lease")
        return lease if isinstance(lease, Mapping) else None

    def evolve(self, **changes: Any) -> PackState:
        # What dataclasses.replace does, without its per-field introspection and __init__ (this runs at
        # least twice per appended entry): PackState has no __post_init__ and no slots, so a copy of the
        # instance dictionary is the whole of a new state. Subclasses and unknown fields go to replace.
        if type(self) is not PackState or not changes.keys() <= _FIELD_NAMES:
            return replace(self, **changes)
        evolved = object.__new__(PackState)
        evolved.__dict__.update(self.__dict__, **changes)
        return evolved

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
            "extra": _json_copy(self.extra) if self.extra else {},
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


_FIELD_NAMES = frozenset(f.name for f in fields(PackState))
_PLAIN = frozenset({str, int, bool, type(None)})  # json.loads(json.dumps(x)) == x, of the same type


def _json_copy(extra: Mapping[str, Any]) -> Any:
    """`json.loads(json.dumps(extra))` without the round trip, for what `rules.apply` keeps in `extra` (text,
    booleans, lists of text: see events.extras); anything else still takes the round trip."""
    if type(extra) is not dict:
        return json.loads(json.dumps(extra))
    copied: dict[str, Any] = {}
    for key, value in extra.items():
        kind = type(value)
        if type(key) is not str:
            return json.loads(json.dumps(extra))
        if kind in _PLAIN:
            copied[key] = value
        elif (kind is list or kind is tuple) and _PLAIN.issuperset(map(type, value)):
            copied[key] = list(value)
        else:
            return json.loads(json.dumps(extra))
    return copied


class Context(Protocol):
    """What `rules.apply` may look up beyond the pack itself. The ledger implements it; pending
    changes of the same transaction are visible through it."""

    def org(self, org_id: str) -> Any:  # events.orgs.Org | None
        ...

    def pack(self, code: str) -> PackState | None: ...

    @property
    def now(self) -> datetime: ...


__all__ = ["Binding", "Context", "Event", "PackState"]

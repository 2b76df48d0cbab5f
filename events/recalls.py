"""Recall campaigns (召回活动) as data: what a campaign's scope may name, which packs it can reach, and
what remedies a recalled pack.

A campaign is a set of `recalled` entries carrying its id (`recalled.campaign`), each signed by the
organisation that recalls: a regulator, or the manufacturer of every pack in scope. Its definition (id,
reason, scope, due date) is the platform's projection of the request that posted them.

A recalled pack is **remedied** once, after its campaign's `recalled` entry (by log index), either
- a `serviced` entry names the same campaign (`serviced.campaign`), or
- it leaves use: an event of REMEDY_EVENTS (retired, repurposed, dismantled, recycled).
A `serviced` entry naming another campaign, an unknown one or none does not remedy it; such an entry is
accepted (the log records what the service shop reports), it only does not count.
A pack not remedied is **overdue** from the day after the campaign's `due` date (China date) on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from events.catalogue import CHEMISTRIES, EventType
from events.codes import parse_code
from events.errors import InputError
from events.lifecycle import TRANSITIONS, Status
from events.makers import check_maker_text

CAMPAIGN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SPEC_CODE = re.compile(r"[A-Z0-9]{2}")
MAX_CODES = 10_000  # an explicit list of codes; also the most packs one campaign reaches (one atomic batch)
REMEDY_EVENTS: frozenset[EventType] = frozenset(
    {EventType.RETIRED, EventType.REPURPOSED, EventType.DISMANTLED, EventType.RECYCLED, EventType.LOTTED}
)
REMEDY_BY_CAMPAIGN = EventType.SERVICED  # remedies when its `campaign` names the pack's campaign
# The statuses a `recalled` entry is allowed in (events.lifecycle): packs in scope in any other status
# (repurposed, dismantled, recycled) are out of use already and left out of the campaign.
RECALLABLE: frozenset[Status] = frozenset(source for (source, event) in TRANSITIONS if event == EventType.RECALLED)
SCOPE_FIELDS = ("maker", "batch", "spec", "produced_from", "produced_to", "chemistry", "codes")


def check_campaign_id(value: str) -> str:
    if not CAMPAIGN_ID.fullmatch(value):
        raise InputError(
            f"campaign id {value!r} must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            code="invalid_campaign",
        )
    return value


@dataclass(frozen=True)
class Scope:
    """Which packs a campaign recalls: every given field must match (an explicit `codes` list too)."""

    maker: str | None = None  # the 3-character maker code or the producer's org id
    batch: str | None = None  # `produced.batch`
    spec: str | None = None  # positions 6-7 of the code
    produced_from: date | None = None
    produced_to: date | None = None
    chemistry: str | None = None
    codes: tuple[str, ...] | None = None

    def checked(self) -> Scope:
        """The scope if it names something valid; InputError (`empty_scope`, `invalid_scope`) otherwise."""
        if not any(getattr(self, name) for name in SCOPE_FIELDS):
            raise InputError(f"a campaign's scope needs at least one of {', '.join(SCOPE_FIELDS)}", code="empty_scope")
        if self.chemistry is not None and self.chemistry not in CHEMISTRIES:
            raise InputError(
                f"unknown chemistry {self.chemistry!r}; chemistries are: {', '.join(CHEMISTRIES)}",
                code="invalid_scope",
            )
        if self.maker is not None:
            try:
                check_maker_text("maker", self.maker)
            except InputError as exc:
                raise InputError(exc.message, code="invalid_scope") from None
        if self.spec is not None and not SPEC_CODE.fullmatch(self.spec):
            raise InputError(
                f"spec {self.spec!r} must be the 2-character spec code of the battery code", code="invalid_scope"
            )
        if self.produced_from and self.produced_to and self.produced_from > self.produced_to:
            raise InputError(
                f"produced_from {self.produced_from} is after produced_to {self.produced_to}", code="invalid_scope"
            )
        if self.codes is not None:
            if len(self.codes) > MAX_CODES:
                raise InputError(f"a scope lists at most {MAX_CODES:,} codes, found {len(self.codes):,}",
                                 code="invalid_scope")  # fmt: skip
            for code in self.codes:
                try:
                    parse_code(code)
                except InputError as exc:
                    raise InputError(f"codes: {exc.message}", code="invalid_scope") from None
            if len(set(self.codes)) != len(self.codes):
                raise InputError("codes: lists a code more than once", code="invalid_scope")
        return self

    def as_dict(self) -> dict[str, Any]:
        """The given fields, JSON-ready (dates as YYYY-MM-DD)."""
        out: dict[str, Any] = {}
        for name in SCOPE_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            out[name] = value.isoformat() if isinstance(value, date) else list(value) if name == "codes" else value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scope:
        def day(name: str) -> date | None:
            return date.fromisoformat(data[name]) if data.get(name) else None

        codes = data.get("codes")
        return cls(
            maker=data.get("maker"),
            batch=data.get("batch"),
            spec=data.get("spec"),
            produced_from=day("produced_from"),
            produced_to=day("produced_to"),
            chemistry=data.get("chemistry"),
            codes=tuple(codes) if codes is not None else None,
        )


def recalled_data(campaign: str, reason: str, due: date | None) -> dict[str, str]:
    """The payload of each `recalled` entry of a campaign (what its claims must carry, exactly)."""
    data = {"campaign": campaign, "reason": reason}
    if due is not None:
        data["due"] = due.isoformat()
    return data


@dataclass(frozen=True)
class PackEvent:
    """An entry of a recalled pack that may bear on its remedy."""

    index: int
    type: str
    at: str
    data: Mapping[str, Any]


def remedy(campaign: str, recalled_index: int, later: Iterable[PackEvent]) -> PackEvent | None:
    """The first entry after the pack's `recalled` entry (index `recalled_index`) that remedies it under
    `campaign`, or None."""
    for event in sorted(later, key=lambda e: e.index):
        if event.index <= recalled_index:
            continue
        if event.type in REMEDY_EVENTS:
            return event
        if event.type == REMEDY_BY_CAMPAIGN and event.data.get("campaign") == campaign:
            return event
    return None


def overdue(due: date | None, remedied: bool, today: date) -> bool:
    """Not remedied and past the campaign's due date (the due date itself is still in time)."""
    return due is not None and not remedied and today > due

"""What a `corrected` entry may change, and what a corrected entry's values are (docs/lifecycle.md,
"Corrections").

The record is never edited: a `corrected` entry names an earlier entry of its pack (`target`) and gives
new values for some members of its payload (`fields`). Reports and projections read a corrected entry's
values as its payload with every correction applied in log order, a later correction overriding an
earlier one member by member (a member's corrected value replaces the whole member, e.g. all of
`recovered_kg`); the result must be a valid payload of the target's type.

A correction may change descriptive values only (`CORRECTABLE`). It never changes custody or status
(who holds the pack, `to`/`from`, a found pack's custodian, destinations), what binds or links packs (VINs
and sites, second-life origins, `repurposed.into`), what decides a deadline, a recall's remedy or the
EU status (`retired.reason`, `removed.reason`, `recalled.due`, `serviced.campaign`), nor the claim's own
`at`, which is not a payload member: the record is judged as it was reported, so a correction never
moves a deadline, and a wrong custody or status is put right by the events that really happened.

Admission (`corrected`) refuses a member not correctable for the target's type (`uncorrectable_field`)
and values the target's payload model refuses (`invalid_correction`); a correction already in the log is
read as recorded (`corrected(..., admitting=False)`): its members that are not correctable are ignored,
and one whose values the payload model refuses changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from events.catalogue import EventType, event_type_of, parse_payload
from events.codes import parse_code
from events.errors import InvalidPayload

E = EventType

CORRECTABLE: dict[EventType, frozenset[str]] = {
    E.PRODUCED: frozenset(
        {"chemistry", "rated_capacity_kwh", "nominal_voltage_v", "mass_kg", "modules", "cells", "batch", "plant"}
    ),
    E.SHIPPED: frozenset({"waybill"}),
    E.SERVICED: frozenset({"description", "replaced_modules"}),
    E.RETIRED: frozenset({"scrap_certificate"}),
    E.INSPECTED: frozenset({"soh_pct", "verdict", "residual_capacity_kwh", "internal_resistance_mohm", "safety_class"}),
    E.DISMANTLED: frozenset({"outputs"}),
    E.RECYCLED: frozenset({"feed_mass_kg", "content_kg", "recovered_kg"}),
    E.INCIDENT: frozenset({"kind", "severity", "description"}),
    E.RECALLED: frozenset({"reason"}),
    E.LOST: frozenset({"reason"}),
    E.EXPORTED: frozenset({"reason"}),
    E.FOUND: frozenset({"note"}),
}

# Why a member is never correctable, and what to do instead (the refusal's second half).
_CUSTODY = "a correction never changes who holds the pack or where it went: record the events that really happened"
_BINDING = "a correction never changes what the pack was installed in: record its removal and the right installation"
_LINK = "a correction never changes how packs are linked: that is the record of the repurposing itself"
_STATUS = "a correction never changes a status or what a deadline counts from: record the events that happened"
_AGAIN = "correct the original entry again: a later correction overrides an earlier one member by member"
NEVER: dict[tuple[EventType, str], str] = {
    (E.PRODUCED, "from"): _LINK,
    (E.SHIPPED, "to"): _CUSTODY,
    (E.RECEIVED, "from"): _CUSTODY,
    (E.INSTALLED, "vin"): _BINDING,
    (E.INSTALLED, "site"): _BINDING,
    (E.REMOVED, "reason"): _STATUS,
    (E.SERVICED, "remanufactured"): _STATUS,
    (E.SERVICED, "campaign"): "a service remedies a recall as recorded: post a `serviced` entry with the campaign",
    (E.RETIRED, "reason"): _STATUS,
    (E.REPURPOSED, "into"): _LINK,
    (E.RECALLED, "campaign"): _STATUS,
    (E.RECALLED, "due"): _STATUS,
    (E.EXPORTED, "destination"): _CUSTODY,
    (E.FOUND, "custodian"): _CUSTODY,
    (E.CORRECTED, "target"): _AGAIN,
    (E.CORRECTED, "reason"): _AGAIN,
    (E.CORRECTED, "fields"): _AGAIN,
    (E.PASSPORT, "attributes"): "a passport claim is never corrected: post a later claim, whose attributes replace "
    "the earlier claim's (latest wins)",
}
_AT = (
    "the claim's `at` is never corrected: the record is judged as it was reported, so a correction never moves "
    "a deadline"
)
_WHEN = frozenset({"at", "occurred_at", "recorded_at"})


class Correction(NamedTuple):
    """A corrected entry's values after one more correction: its whole payload, and the members this
    correction counted (those it changed)."""

    data: dict[str, Any]
    members: tuple[str, ...]


def correctable(event_type: str) -> frozenset[str]:
    """The payload members a correction may change in an entry of `event_type`."""
    return CORRECTABLE.get(event_type_of(event_type), frozenset())


def uncorrectable(event_type: str, member: str) -> InvalidPayload:
    """The refusal of a correction naming `member` of an entry of `event_type`, saying what to do instead."""
    kind = event_type_of(event_type)
    allowed = sorted(CORRECTABLE.get(kind, ()))
    if member in _WHEN:
        why = _AT
    elif (kind, member) in NEVER:
        why = NEVER[(kind, member)]
    elif kind is E.CORRECTED:
        why = _AGAIN
    else:
        why = f"'{kind}' entries have no member {member!r}"
    instead = f"; corrections of '{kind}' entries may change: {', '.join(allowed)}" if allowed else ""
    return InvalidPayload(
        f"'corrected' cannot change {member!r} of '{kind}' entries: {why}{instead}", code="uncorrectable_field"
    )


def corrected(
    pack: str, event_type: str, data: Mapping[str, Any], fields: Mapping[str, Any], *, admitting: bool
) -> Correction | None:
    """The values of an entry of `pack` and `event_type` whose values so far are `data`, after a correction
    giving `fields`; None when the correction changes nothing.

    `admitting`: a correction being appended, refused (InvalidPayload) for a member not correctable
    (`uncorrectable_field`) or values the target's rules refuse (`invalid_correction`). Otherwise one in
    the log already, read as recorded: its members that are not correctable are ignored, and if its values
    are refused it changes nothing (None)."""
    kind = event_type_of(event_type)
    allowed = CORRECTABLE.get(kind, frozenset())
    members = tuple(sorted(m for m in fields if m in allowed))
    if admitting:
        for member in sorted(fields):
            if member not in allowed:
                raise uncorrectable(kind, member)
    merged = {**data, **{m: fields[m] for m in members}}
    members = tuple(m for m in members if m not in data or data[m] != fields[m])
    if not members:
        return None
    try:
        parse_payload(kind, merged, recorded=not admitting)
        _check_against_code(pack, kind, merged)
    except InvalidPayload as exc:
        if not admitting:
            return None
        raise InvalidPayload(
            f"'corrected' gives {', '.join(members)} of the '{kind}' entry values it cannot hold ({exc.message}); "
            "give values that make a valid entry, correcting related members together",
            code="invalid_correction",
        ) from None
    return Correction(merged, members)


def _check_against_code(pack: str, kind: EventType, data: Mapping[str, Any]) -> None:
    """What `produced` checks against the battery code (events.effects.produced) holds after the correction."""
    if kind is not E.PRODUCED:
        return
    code = parse_code(pack, strict=False)
    letter = code.chemistry
    if letter.chemistries and data.get("chemistry") not in letter.chemistries:
        raise InvalidPayload(
            f"data.chemistry: {data.get('chemistry')!r} contradicts the code's chemistry letter "
            f"{code.chemistry_letter!r} ({letter.meaning})"
        )

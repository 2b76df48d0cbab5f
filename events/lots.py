"""Recycler lots (docs/recycling-lots.md): a recycler shreds many packs, and since 2025 imported black mass
(黑粉), into one lot and reports the elements it recovered from the lot as a whole.

A lot is a chain of its own, subject `lot:<recycler org id>:<lot id>`, beside the pack chains:
- `lot_opened` is its genesis, by the whitelisted recycler the subject names; it declares the imported
  black-mass inputs (mass, declared element content, origin country, 报关单号);
- each pack enters with `lotted` on its own chain (events.catalogue.LottedData): the pack is then `in_lot`,
  accounted for (never 流向不明);
- `lot_recovered` closes the lot: the packs it took in (each must be `in_lot` in this lot), the assayed
  content of the feed and the recovered masses per element. Rates per lot come from events.recovery.

The mass balance (`mass_balance`) is read-side: it never refuses a report, it flags a lot whose recovered
mass of an element exceeds what its inputs could contain (by each pack's chemistry and `produced` mass,
`ELEMENT_CONTENT`, plus the black mass as declared), or falls so far below what they must have contained
that the loss is implausible (`LOSS_FLOOR`). The ranges are plausibility bounds, versioned as data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

from pydantic import ConfigDict, Field, ValidationError, field_validator, model_validator

from events import extras
from events.catalogue import (
    Code,
    CountryCode,
    CustomsDeclaration,
    Mass,
    Material,
    NonNegativeMass,
    Payload,
    ShortText,
    Text,
    _describe,
)
from events.elements import ELEMENT_SYMBOLS
from events.errors import AuthorisationError, InputError, InvalidPayload, LifecycleError, NotFoundError
from events.orgs import ORG_ID, Org, Role
from events.state import Context, Event, PackState
from events.timestamps import from_rfc3339, to_rfc3339

LOT_SUBJECT = "lot:"
SUBJECT_MAX = 32  # the width of a chain's code in the projection and report tables (ledger.store.schema)
LOT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
LOT_CHEMISTRY = "lot"  # what a lot's projection row says in place of a pack's chemistry
LOT_BLACK_MASS_KG = "black_mass_kg"  # a lot's projection: the imported black mass it declared, kg
LOT_PACKS = "packs"  # a recovered lot's projection: how many packs it took in


class LotEventType(StrEnum):
    LOT_OPENED = "lot_opened"
    LOT_RECOVERED = "lot_recovered"


class LotStatus(StrEnum):
    OPEN = "lot_open"
    RECOVERED = "lot_recovered"


# The lot's lifecycle, as data: (status or None for a lot not opened yet, event type) -> status.
LOT_TRANSITIONS: dict[tuple[LotStatus | None, LotEventType], LotStatus] = {
    (None, LotEventType.LOT_OPENED): LotStatus.OPEN,
    (LotStatus.OPEN, LotEventType.LOT_RECOVERED): LotStatus.RECOVERED,
}
LOT_EVENT_TYPES = frozenset(str(t) for t in LotEventType)


def lot_subject(recycler: str, lot_id: str) -> str:
    return f"{LOT_SUBJECT}{recycler}:{lot_id}"


def is_lot_subject(value: object) -> bool:
    return isinstance(value, str) and value.startswith(LOT_SUBJECT)


def parse_lot_subject(value: str) -> tuple[str, str]:
    """(recycler org id, lot id) of `lot:<org>:<lot id>`; InputError saying which part is wrong."""
    if not is_lot_subject(value):
        raise InputError(f"{value!r} is not a lot: a lot is 'lot:<recycler org id>:<lot id>'", code="invalid_lot")
    if len(value) > SUBJECT_MAX:
        raise InputError(
            f"{value!r} is {len(value)} characters long; a lot subject has at most {SUBJECT_MAX}", code="invalid_lot"
        )
    org, sep, lot_id = value[len(LOT_SUBJECT) :].partition(":")
    if not sep or not ORG_ID.fullmatch(org):
        raise InputError(f"{value!r}: {org!r} is not an organisation id", code="invalid_lot")
    if not LOT_ID.fullmatch(lot_id):
        raise InputError(
            f"{value!r}: the lot id {lot_id!r} is not 1-64 letters, digits, '.', '_' or '-' (starting with a "
            "letter or digit)",
            code="invalid_lot",
        )
    return org, lot_id


class BlackMassInput(Payload):
    """An imported black-mass lot (黑粉/黑色物质, importable since 2025) fed into the lot."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    mass_kg: Mass
    content_kg: dict[Material, Mass] = Field(min_length=1, description="declared content per element, kg")
    origin: CountryCode = Field(description="country of origin, ISO 3166-1 alpha-2")
    customs_declaration: CustomsDeclaration
    supplier: ShortText | None = None

    @model_validator(mode="after")
    def _within_mass(self) -> Self:
        elements = sum(kg for key, kg in self.content_kg.items() if key in ELEMENT_SYMBOLS)
        if elements > self.mass_kg:
            raise ValueError(f"the declared elements add up to {elements:g} kg, more than mass_kg {self.mass_kg:g}")
        if self.origin == "CN":
            raise ValueError("imported black mass comes from abroad: origin cannot be CN")
        return self


class LotOpenedData(Payload):
    black_mass: tuple[BlackMassInput, ...] = Field(default=(), max_length=100)
    note: Text | None = None


class LotRecoveredData(Payload):
    packs: tuple[Code, ...] = Field(default=(), max_length=10_000, description="the packs the lot took in")
    content_kg: dict[Material, Mass] = Field(min_length=1, description="assayed content of the lot's feed")
    recovered_kg: dict[Material, NonNegativeMass]

    @field_validator("packs")
    @classmethod
    def _unique(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(codes)) != len(codes):
            raise ValueError("lists a pack more than once")
        return codes

    @model_validator(mode="after")
    def _within_content(self) -> Self:
        problems = [f"{key} has no content_kg" for key in self.recovered_kg if key not in self.content_kg]
        problems += [
            f"{key} {kg:g} kg is more than its content_kg {self.content_kg[key]:g}"
            for key, kg in self.recovered_kg.items()
            if key in self.content_kg and kg > self.content_kg[key]
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self


LOT_PAYLOADS: dict[LotEventType, type[Payload]] = {
    LotEventType.LOT_OPENED: LotOpenedData,
    LotEventType.LOT_RECOVERED: LotRecoveredData,
}


def parse_lot_payload(event_type: LotEventType, data: Mapping[str, Any]) -> Payload:
    if not isinstance(data, Mapping):
        raise InvalidPayload(f"'{event_type}' payload must be an object, not {type(data).__name__}")
    try:
        return LOT_PAYLOADS[event_type].model_validate(dict(data))
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise InvalidPayload(f"invalid '{event_type}' payload: {problems}") from None


def lot_event_type(text: str) -> LotEventType:
    if text in LOT_EVENT_TYPES:
        return LotEventType(text)
    raise LifecycleError(
        f"a lot takes only {', '.join(sorted(LOT_EVENT_TYPES))}, not {text!r}; a pack enters a lot with "
        "'lotted' on the pack's own chain"
    )


def apply_lot(state: PackState | None, event: Event, actor: Org, ctx: Context) -> PackState:
    """The lot's state after `event` (its time and actor already checked by events.rules)."""
    recycler, _ = parse_lot_subject(event.pack)
    event_type = lot_event_type(event.type)
    payload = parse_lot_payload(event_type, event.data)
    if actor.id != recycler or not actor.has(Role.RECYCLER) or not actor.whitelisted:
        raise AuthorisationError(
            f"{actor.describe()} may not post '{event_type}' on {event.pack}: requires being the lot's recycler "
            f"({recycler!r}) with the recycler role, whitelisted under 规范条件"
        )
    status = LotStatus(state.status) if state is not None else None
    target = LOT_TRANSITIONS.get((status, event_type))
    if target is None:
        allowed = sorted(str(t) for (s, t) in LOT_TRANSITIONS if s == status)
        where = f"lot {event.pack} is {status}" if status else f"lot {event.pack} is not opened yet"
        raise LifecycleError(f"{where}: '{event_type}' is not allowed; allowed: {', '.join(allowed) or 'nothing'}")
    at = to_rfc3339(event.at)
    if state is None:
        assert isinstance(payload, LotOpenedData)
        black = sum(b.mass_kg for b in payload.black_mass)
        return PackState(
            code=event.pack,
            status=target.value,
            custodian=recycler,
            manufacturer=recycler,
            maker_code="",
            chemistry=LOT_CHEMISTRY,
            production_date=None,
            rated_capacity_kwh=None,
            last_event_at=at,
            events=1,
            extra={extras.STATUS_SINCE: at, extras.AUTHORS: [recycler], LOT_BLACK_MASS_KG: black},
        )
    assert isinstance(payload, LotRecoveredData)
    since = state.extra.get(extras.STATUS_SINCE)
    if since is not None and event.at < from_rfc3339(since):
        raise InvalidPayload(
            f"event time {at} is before {since}, when lot {event.pack} was opened", code="at_out_of_order"
        )
    if not payload.packs and not state.extra.get(LOT_BLACK_MASS_KG):
        raise InvalidPayload(
            f"invalid 'lot_recovered' payload: lot {event.pack} has no inputs: no packs, no black mass"
        )
    for code in payload.packs:
        pack = ctx.pack(code)
        if pack is None:
            raise NotFoundError(f"unknown pack {code}")
        if pack.status != "in_lot" or pack.extra.get(extras.LOT) != event.pack:
            held = pack.extra.get(extras.LOT)
            raise LifecycleError(
                f"pack {code} is {pack.status}" + (f" in {held}" if held else "") + f", not in lot {event.pack}: "
                "a pack enters the lot with 'lotted' before the lot reports its recovery"
            )
    return state.evolve(
        status=target.value,
        last_event_at=at,
        events=state.events + 1,
        extra={**state.extra, extras.STATUS_SINCE: at, LOT_PACKS: len(payload.packs)},
    )


# -- mass balance -------------------------------------------------------------------------------------

# Element content of a traction pack as a fraction of the pack's mass, (at least, at most), by chemistry:
# plausibility bounds from published teardown compositions (cathode 20-30 % of pack mass; NCM811 cathode is
# about 48 % Ni), widened so that an honest lot never exceeds them. An element a chemistry does not list is
# not bounded for it; (0, 0) says the chemistry holds none of it. "other" bounds nothing.
ELEMENT_CONTENT: dict[str, dict[str, dict[str, tuple[float, float]]]] = {
    "2025": {
        "NCM": {"Li": (0.005, 0.03), "Ni": (0.03, 0.15), "Co": (0.005, 0.06), "Mn": (0.005, 0.06), "Cu": (0.02, 0.15)},
        "NCA": {"Li": (0.005, 0.03), "Ni": (0.04, 0.16), "Co": (0.003, 0.04), "Mn": (0.0, 0.0), "Cu": (0.02, 0.15)},
        "LFP": {"Li": (0.003, 0.02), "Ni": (0.0, 0.0), "Co": (0.0, 0.0), "Mn": (0.0, 0.05), "Cu": (0.02, 0.15)},
        "LMO": {"Li": (0.003, 0.02), "Mn": (0.05, 0.2), "Ni": (0.0, 0.05), "Co": (0.0, 0.02), "Cu": (0.02, 0.15)},
        "LTO": {"Li": (0.005, 0.04), "Ni": (0.0, 0.08), "Co": (0.0, 0.03), "Mn": (0.0, 0.08)},
        "NiMH": {"Li": (0.0, 0.0), "Ni": (0.1, 0.4), "Co": (0.0, 0.06), "Mn": (0.0, 0.04)},
        "sodium-ion": {"Li": (0.0, 0.0), "Ni": (0.0, 0.08), "Co": (0.0, 0.01), "Mn": (0.0, 0.1)},
        "other": {},
    }
}
# A lot whose recovered mass of an element is below this fraction of the least its inputs must have held
# lost more than is plausible (the rest went somewhere the record does not show).
LOSS_FLOOR: dict[str, float] = {"2025": 0.5}
MASS_BALANCE_VERSION = "2025"
EXCEEDS_INPUTS = "exceeds_inputs"
IMPLAUSIBLE_LOSS = "implausible_loss"


@dataclass(frozen=True)
class PackInput:
    code: str
    chemistry: str
    mass_kg: float


@dataclass(frozen=True)
class BalanceFlag:
    element: str
    kind: str  # EXCEEDS_INPUTS or IMPLAUSIBLE_LOSS
    recovered_kg: float
    packs_kg: float  # what the packs could hold at most (exceeds) or must have held at least (loss)
    black_mass_kg: float  # what the black mass declared
    limit_kg: float  # exceeds: packs_kg + black_mass_kg; loss: LOSS_FLOOR of that
    message: str


def mass_balance(
    packs: Sequence[PackInput],
    black_mass: Sequence[Mapping[str, float]],
    content_kg: Mapping[str, float],
    recovered_kg: Mapping[str, float],
    version: str = MASS_BALANCE_VERSION,
) -> list[BalanceFlag]:
    """The flags of a lot, per element of its assay (`content_kg`): recovered above what the inputs could
    contain, or below LOSS_FLOOR of what they must have contained (an element the recycler did not assay is
    not judged). `black_mass`: each black-mass input's declared content per element."""
    table = ELEMENT_CONTENT.get(version)
    if table is None:
        raise InputError(f"unknown mass balance version {version!r}; known: {', '.join(sorted(ELEMENT_CONTENT))}")
    floor = LOSS_FLOOR[version]
    elements = sorted(set(content_kg) | set(recovered_kg))
    flags = []
    for element in elements:
        declared = sum(content.get(element, 0.0) for content in black_mass)
        lowest, highest, bounded = 0.0, 0.0, True
        for pack in packs:
            bounds = table.get(pack.chemistry, {}).get(element)
            if bounds is None:
                bounded = False
                continue
            lowest += bounds[0] * pack.mass_kg
            highest += bounds[1] * pack.mass_kg
        recovered = recovered_kg.get(element, 0.0)
        if bounded and recovered > highest + declared + 1e-9:
            limit = highest + declared
            flags.append(
                BalanceFlag(
                    element,
                    EXCEEDS_INPUTS,
                    recovered,
                    highest,
                    declared,
                    limit,
                    f"{element}: recovered {recovered:g} kg, more than the inputs could contain: at most "
                    f"{limit:g} kg ({highest:g} kg in {len(packs)} packs by chemistry and mass, {declared:g} kg "
                    "declared in black mass)",
                )
            )
        least = lowest + declared
        if least > 0 and recovered < floor * least - 1e-9:
            flags.append(
                BalanceFlag(
                    element,
                    IMPLAUSIBLE_LOSS,
                    recovered,
                    lowest,
                    declared,
                    floor * least,
                    f"{element}: recovered {recovered:g} kg, less than {floor:.0%} of the {least:g} kg the inputs "
                    f"must have held ({lowest:g} kg in {len(packs)} packs at least, {declared:g} kg declared in "
                    "black mass): an implausible loss",
                )
            )
    return flags

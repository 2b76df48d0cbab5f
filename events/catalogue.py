"""The event catalogue: one type per thing that can happen to a pack, one payload schema per type.

Payloads reject unknown fields and impossible values. What a payload can only be checked against the
pack or the other organisations (does `to` exist, does `from` name the sender, is the event dated in the
future) is checked in `events.rules`.

`found` is not in DESIGN §2.3's table: it is how a regulator brings a `lost` or `exported` pack back into
the record ("terminal unless found again by a regulator"), naming who holds it now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from events.codes import parse_code
from events.elements import ELEMENT_SYMBOLS, MATERIAL_KEYS
from events.errors import InputError, InvalidPayload
from events.orgs import validate_org_id
from events.vin import validate_vin


class EventType(StrEnum):
    PRODUCED = "produced"
    SHIPPED = "shipped"
    RECEIVED = "received"
    INSTALLED = "installed"
    REMOVED = "removed"
    SERVICED = "serviced"
    RETIRED = "retired"
    INSPECTED = "inspected"
    REPURPOSED = "repurposed"
    DISMANTLED = "dismantled"
    RECYCLED = "recycled"
    INCIDENT = "incident"
    RECALLED = "recalled"
    CORRECTED = "corrected"
    LOST = "lost"
    EXPORTED = "exported"
    FOUND = "found"


def _as_value_error(check: Callable[[str], object]) -> Callable[[str], str]:
    """Run a domain check inside pydantic, which reports only ValueError-family failures per field."""

    def run(value: str) -> str:
        try:
            check(value)
        except InputError as exc:
            raise ValueError(exc.message) from None
        return value

    return run


def _code_of(*kinds: str, second_life: bool | None = None) -> Callable[[str], str]:
    def check(value: str) -> None:
        code = parse_code(value)
        if kinds and code.product_type not in kinds:
            raise InputError(f"{value} is a {code.product_type} code, not a {' or '.join(kinds)} code")
        if second_life is not None and code.second_life != second_life:
            raise InputError(f"{value} is not a second-life code (19 characters ending in R and a product type)")

    return _as_value_error(check)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _material(value: str) -> str:
    if value not in MATERIAL_KEYS:
        raise ValueError(f"{value!r} is not a chemical element symbol (Li, Ni, Co, Mn, ...) or 'electrode_powder'")
    return value


Positive = Annotated[float, Field(strict=True, gt=0)]
NonNegative = Annotated[float, Field(strict=True, ge=0)]
Percent = Annotated[float, Field(strict=True, ge=0, le=100)]
Text = Annotated[str, Field(strict=True, min_length=1, max_length=2000), AfterValidator(_not_blank)]
ShortText = Annotated[str, Field(strict=True, min_length=1, max_length=100), AfterValidator(_not_blank)]
OrgId = Annotated[str, Field(strict=True), AfterValidator(_as_value_error(validate_org_id))]
Vin = Annotated[str, Field(strict=True), AfterValidator(_as_value_error(validate_vin))]
Code = Annotated[str, Field(strict=True), AfterValidator(_code_of())]
ModuleCode = Annotated[str, Field(strict=True), AfterValidator(_code_of("module"))]
CellCode = Annotated[str, Field(strict=True), AfterValidator(_code_of("cell"))]
SecondLifeCode = Annotated[str, Field(strict=True), AfterValidator(_code_of(second_life=True))]
Material = Annotated[str, AfterValidator(_material)]
EntryHash = Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{64}$")]
CountryCode = Annotated[str, Field(strict=True, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]

Chemistry = Literal["LFP", "NCM", "NCA", "LMO", "LTO", "NiMH", "sodium-ion", "other"]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ProducedData(Payload):
    chemistry: Chemistry
    rated_capacity_kwh: Positive
    nominal_voltage_v: Positive
    mass_kg: Positive
    modules: tuple[ModuleCode, ...] = ()
    cells: tuple[CellCode, ...] = ()
    batch: ShortText | None = None
    plant: ShortText | None = None
    origins: tuple[Code, ...] | None = Field(
        default=None, alias="from", min_length=1, description="second life only: the original codes"
    )

    @field_validator("modules", "cells", "origins")
    @classmethod
    def _unique(cls, codes: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if codes and len(set(codes)) != len(codes):
            raise ValueError("lists a code more than once")
        return codes


class ShippedData(Payload):
    to: OrgId
    waybill: ShortText | None = None


class ReceivedData(Payload):
    sender: OrgId = Field(alias="from")


class InstalledData(Payload):
    vin: Vin | None = None
    site: ShortText | None = Field(default=None, description="a stationary storage system")

    @model_validator(mode="after")
    def _one_target(self) -> Self:
        if (self.vin is None) == (self.site is None):
            raise ValueError("give exactly one of 'vin' (a vehicle) or 'site' (a storage system)")
        return self

    @property
    def binding_kind(self) -> str:
        return "vin" if self.vin is not None else "site"

    @property
    def target(self) -> str:
        target = self.vin if self.vin is not None else self.site
        assert target is not None  # _one_target guarantees it
        return target


class RemovedData(Payload):
    reason: Literal["repair", "replacement", "swap", "retirement", "scrap"]


class ModuleReplacement(Payload):
    old: ModuleCode
    new: ModuleCode

    @model_validator(mode="after")
    def _different(self) -> Self:
        if self.old == self.new:
            raise ValueError("a module cannot replace itself")
        return self


class ServicedData(Payload):
    description: Text
    replaced_modules: tuple[ModuleReplacement, ...] = ()
    remanufactured: bool = Field(default=False, strict=True, description="EU 2023/1542 remanufacturing")


class RetiredData(Payload):
    reason: Literal["end_of_life", "vehicle_scrapped", "damaged", "recall", "other"]
    scrap_certificate: ShortText | None = Field(default=None, description="报废汽车回收证明 number")


class InspectedData(Payload):
    soh_pct: Percent
    verdict: Literal["reuse", "repurpose", "recycle"]
    residual_capacity_kwh: NonNegative | None = None
    internal_resistance_mohm: Positive | None = None
    safety_class: ShortText | None = Field(default=None, description="GB/T 38698.1 safety class")


class RepurposedData(Payload):
    into: SecondLifeCode


class DismantledOutput(Payload):
    kind: Literal["module", "cell", "material"]
    code: Code | None = None
    name: ShortText | None = None
    mass_kg: Positive

    @model_validator(mode="after")
    def _code_matches_kind(self) -> Self:
        if self.kind == "material":
            if self.code is not None:
                raise ValueError("a material output has a name, not a code")
            if self.name is None:
                raise ValueError("a material output needs a name")
        elif self.code is not None and parse_code(self.code).product_type != self.kind:
            raise ValueError(f"{self.code} is not a {self.kind} code")
        return self


class DismantledData(Payload):
    outputs: tuple[DismantledOutput, ...]


class RecycledData(Payload):
    feed_mass_kg: Positive
    content_kg: dict[Material, Positive] = Field(min_length=1)
    recovered_kg: dict[Material, NonNegative]

    @field_validator("content_kg")
    @classmethod
    def _within_feed(cls, content: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        feed = info.data.get("feed_mass_kg")
        if feed is None:
            return content
        elements = sum(kg for key, kg in content.items() if key in ELEMENT_SYMBOLS)
        if elements > feed:
            raise ValueError(f"the elements add up to {elements:g} kg, more than feed_mass_kg {feed:g}")
        for key, kg in content.items():
            if kg > feed:
                raise ValueError(f"{key} {kg:g} kg is more than feed_mass_kg {feed:g}")
        return content

    @field_validator("recovered_kg")
    @classmethod
    def _within_content(cls, recovered: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        content = info.data.get("content_kg")
        if content is None:
            return recovered
        problems = [f"{key} has no content_kg" for key in recovered if key not in content]
        problems += [
            f"{key} {kg:g} kg is more than its content_kg {content[key]:g}"
            for key, kg in recovered.items()
            if key in content and kg > content[key]
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return recovered


class IncidentData(Payload):
    kind: Literal["thermal_event", "collision", "flood", "fire", "other"]
    severity: Literal["low", "medium", "high", "critical"]
    description: Text


class RecalledData(Payload):
    campaign: ShortText
    reason: Text


class CorrectedData(Payload):
    target: EntryHash = Field(description="hash of the entry being corrected")
    reason: Text
    fields: dict[str, JsonValue] = Field(default_factory=dict, description="the corrected values")


class LostData(Payload):
    reason: Text


class ExportedData(Payload):
    destination: CountryCode
    reason: Text | None = None

    @model_validator(mode="after")
    def _abroad(self) -> Self:
        if self.destination == "CN":
            raise ValueError("an export goes abroad: destination cannot be CN")
        return self


class FoundData(Payload):
    custodian: OrgId = Field(description="the organisation that holds the pack now")
    note: Text


PAYLOAD_MODELS: dict[EventType, type[Payload]] = {
    EventType.PRODUCED: ProducedData,
    EventType.SHIPPED: ShippedData,
    EventType.RECEIVED: ReceivedData,
    EventType.INSTALLED: InstalledData,
    EventType.REMOVED: RemovedData,
    EventType.SERVICED: ServicedData,
    EventType.RETIRED: RetiredData,
    EventType.INSPECTED: InspectedData,
    EventType.REPURPOSED: RepurposedData,
    EventType.DISMANTLED: DismantledData,
    EventType.RECYCLED: RecycledData,
    EventType.INCIDENT: IncidentData,
    EventType.RECALLED: RecalledData,
    EventType.CORRECTED: CorrectedData,
    EventType.LOST: LostData,
    EventType.EXPORTED: ExportedData,
    EventType.FOUND: FoundData,
}


# EventType(text) for a known name, without the enum machinery around the look-up (members hash and
# compare as their values, so a member finds itself too). Keep EventType(text) for the rest: its error.
EVENT_TYPE_OF: dict[str, EventType] = {str(event_type): event_type for event_type in EventType}


def event_type_of(text: str) -> EventType:
    known = EVENT_TYPE_OF.get(text) if isinstance(text, str) else None
    if known is not None:
        return known
    try:
        return EventType(text)
    except ValueError:
        raise InvalidPayload(
            f"unknown event type {text!r}; event types are: {', '.join(sorted(EventType))}",
            code="unknown_event_type",
        ) from None


def parse_payload(event_type: str, data: Mapping[str, Any]) -> Payload:
    """Validate `data` against the schema of `event_type`; InvalidPayload lists every bad field."""
    model = PAYLOAD_MODELS[event_type_of(event_type)]
    if not isinstance(data, Mapping):
        raise InvalidPayload(f"'{event_type}' payload must be an object, not {type(data).__name__}")
    try:
        # pydantic builds the model from the mapping's items and keeps no reference to a dict it is given
        return model.model_validate(data if type(data) is dict else dict(data))
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise InvalidPayload(f"invalid '{event_type}' payload: {problems}") from None


def payload_schemas() -> dict[str, dict[str, Any]]:
    """JSON Schema of every payload, by event type (for docs and OpenAPI)."""
    return {str(event_type): model.model_json_schema() for event_type, model in PAYLOAD_MODELS.items()}


def _describe(error: ErrorDetails) -> str:
    where = "data"
    for part in error["loc"]:
        if part == "[key]":
            where += " (key)"
        elif isinstance(part, int):
            where += f"[{part}]"
        else:
            where += f".{part}"
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"{where}: unknown field"
    if kind == "missing":
        return f"{where}: required"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    if kind != "value_error" and isinstance(value, str | int | float | bool) and len(repr(value)) <= 40:
        message += f", got {value!r}"
    return f"{where}: {message}"

"""The event catalogue: one type per thing that can happen to a pack, one payload schema per type.

Payloads reject unknown fields and impossible values: NaN and infinities, physical quantities outside
their plausible range (`events.quantities`), free text over its length or holding control characters
(line breaks and tabs are free text's only ones). What a payload can only be checked against the pack or
the other organisations (does `to` exist, does `from` name the sender, is the event dated in the future)
is checked in `events.rules`.

Length limits (characters): `Text` (descriptions, reasons, notes) 2,000; `ShortText` (batch, plant,
waybill, site, campaign, safety class, certificate number, material name) 100; `corrected.fields`: at
most 50 members, keys `ShortText`-long, texts `Text`-long, nested at most 4 deep. Lists: at most 1,000
modules (or module replacements), 10,000 cells, 100 original codes, 10,000 dismantled outputs.

The checks added after entries were first recorded (the plausible ranges, control characters and the
limits of `corrected.fields`) are admission checks: `parse_payload(..., recorded=True)`, which replays
entries already in the log, leaves them out, so a log recorded before them still replays.

`found` is not in DESIGN §2.3's table: it is how a regulator brings a `lost` or `exported` pack back into
the record ("terminal unless found again by a regulator"), naming who holds it now.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal, Self, get_args

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

from events import quantities
from events.codes import parse_code
from events.elements import ELEMENT_SYMBOLS, MATERIAL_KEYS
from events.errors import InputError, InvalidPayload
from events.orgs import validate_org_id
from events.quantities import Bound
from events.text import NO_CONTROL_PATTERN, refused_character
from events.vin import validate_vin

TEXT_MAX = 2_000
SHORT_TEXT_MAX = 100
CORRECTED_FIELDS_MAX = 50
CORRECTED_DEPTH_MAX = 4
_RECORDED = "recorded"  # validation context: the payload of an entry already recorded (replay)
FREE_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"  # JSON Schema form: tab and line breaks only


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
    SWAPPED = "swapped"
    OWNERSHIP_TRANSFERRED = "ownership_transferred"
    LEASED = "leased"
    LEASE_ENDED = "lease_ended"
    LOTTED = "lotted"
    PASSPORT = "passport"
    TRANSFERRED = "transferred"
    ARRIVED = "arrived"


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


def _iso_day(value: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


def _admitting(info: ValidationInfo) -> bool:
    return not (info.context and info.context.get(_RECORDED))


def _within(bound: Bound) -> AfterValidator:
    def check(value: float, info: ValidationInfo) -> float:
        problem = bound.problem(value) if _admitting(info) else None
        if problem is not None:
            raise ValueError(problem)
        return value

    return AfterValidator(check)


def _plain_text(*, free: bool) -> AfterValidator:
    def check(value: str, info: ValidationInfo) -> str:
        bad = refused_character(value, free_text=free) if _admitting(info) else None
        if bad is not None:
            raise ValueError(f"holds {bad}")
        return value

    return AfterValidator(check)


def _material(value: str) -> str:
    if value not in MATERIAL_KEYS:
        raise ValueError(f"{value!r} is not a chemical element symbol (Li, Ni, Co, Mn, ...) or 'electrode_powder'")
    return value


def _schema(bound: Bound) -> dict[str, JsonValue]:
    return {"maximum": bound.maximum, "description": f"{bound.unit}, at most {bound.maximum:,g}: {bound.reason}"}


_MASS, _ENERGY = quantities.MASS_KG, quantities.ENERGY_KWH
_VOLTAGE, _RESISTANCE = quantities.VOLTAGE_V, quantities.RESISTANCE_MOHM
Mass = Annotated[float, Field(strict=True, gt=0, json_schema_extra=_schema(_MASS)), _within(_MASS)]
NonNegativeMass = Annotated[float, Field(strict=True, ge=0, json_schema_extra=_schema(_MASS)), _within(_MASS)]
Energy = Annotated[float, Field(strict=True, gt=0, json_schema_extra=_schema(_ENERGY)), _within(_ENERGY)]
NonNegativeEnergy = Annotated[float, Field(strict=True, ge=0, json_schema_extra=_schema(_ENERGY)), _within(_ENERGY)]
Voltage = Annotated[float, Field(strict=True, gt=0, json_schema_extra=_schema(_VOLTAGE)), _within(_VOLTAGE)]
Resistance = Annotated[float, Field(strict=True, gt=0, json_schema_extra=_schema(_RESISTANCE)), _within(_RESISTANCE)]
Percent = Annotated[float, Field(strict=True, ge=0, le=100)]
Text = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=TEXT_MAX, json_schema_extra={"pattern": FREE_TEXT_PATTERN}),
    AfterValidator(_not_blank),
    _plain_text(free=True),
]
ShortText = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=SHORT_TEXT_MAX, json_schema_extra={"pattern": NO_CONTROL_PATTERN}),
    AfterValidator(_not_blank),
    _plain_text(free=False),
]
OrgId = Annotated[str, Field(strict=True), AfterValidator(_as_value_error(validate_org_id))]
Vin = Annotated[str, Field(strict=True), AfterValidator(_as_value_error(validate_vin))]
Code = Annotated[str, Field(strict=True), AfterValidator(_code_of())]
ModuleCode = Annotated[str, Field(strict=True), AfterValidator(_code_of("module"))]
CellCode = Annotated[str, Field(strict=True), AfterValidator(_code_of("cell"))]
SecondLifeCode = Annotated[str, Field(strict=True), AfterValidator(_code_of(second_life=True))]
Material = Annotated[str, AfterValidator(_material)]
EntryHash = Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{64}$")]
Day = Annotated[
    str,
    Field(strict=True, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="a date, YYYY-MM-DD"),
    AfterValidator(_as_value_error(_iso_day)),
]
CountryCode = Annotated[str, Field(strict=True, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]

# GB/T 40098-2021 电动汽车更换用动力蓄电池箱编码: we could not confirm the code's exact structure (its parts
# and their lengths), so a box code is accepted as what every reading of the standard agrees on: digits and
# upper-case Latin letters, bounded in length.
BOX_CODE_PATTERN = r"^[0-9A-Z]{8,40}$"
BoxCode = Annotated[
    str,
    Field(
        strict=True,
        pattern=BOX_CODE_PATTERN,
        description="GB/T 40098 swap battery box code (电池箱编码): 8 to 40 digits and upper-case letters",
    ),
]

# 报关单号 (the customs declaration number, 海关编号): 18 digits, 1-4 the customs office that accepted the
# declaration (关区代码), 5-8 the year it accepted it, 9 the import/export flag ("1" import, "0" export), 10-18
# a serial. An import's declaration has "1" in the ninth place.
CUSTOMS_DECLARATION_PATTERN = r"^[0-9]{8}1[0-9]{9}$"
CustomsDeclaration = Annotated[
    str,
    Field(
        strict=True,
        pattern=CUSTOMS_DECLARATION_PATTERN,
        description="报关单号: 18 digits, the ninth '1' (an import declaration)",
    ),
]


class ForeignManufacturer(BaseModel):
    """境外生产企业: the foreign maker of an imported pack, as the importer declares it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ShortText
    country: CountryCode


class ImportData(BaseModel):
    """The import of a pack made abroad (进口): who made it, the customs declaration, the day it was declared."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    foreign_manufacturer: ForeignManufacturer
    customs_declaration: CustomsDeclaration
    import_date: Day = Field(description="the day customs accepted the declaration (China time)")


Chemistry = Literal["LFP", "NCM", "NCA", "LMO", "LTO", "NiMH", "sodium-ion", "other"]
CHEMISTRIES: tuple[str, ...] = get_args(Chemistry)


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ProducedData(Payload):
    chemistry: Chemistry
    rated_capacity_kwh: Energy
    nominal_voltage_v: Voltage
    mass_kg: Mass
    modules: tuple[ModuleCode, ...] = Field(default=(), max_length=1_000)
    cells: tuple[CellCode, ...] = Field(default=(), max_length=10_000)
    module_cells: dict[ModuleCode, tuple[CellCode, ...]] = Field(
        default_factory=dict,
        max_length=1_000,
        description="which of `cells` each of `modules` holds (events.components); cells no module lists are "
        "held by the pack itself",
    )
    batch: ShortText | None = None
    plant: ShortText | None = None
    origins: tuple[Code, ...] | None = Field(
        default=None, alias="from", min_length=1, max_length=100, description="second life only: the original codes"
    )
    box_code: BoxCode | None = Field(
        default=None, description="a swappable pack's GB/T 40098 battery box code (换电电池箱编码), bound to the pack"
    )
    imported: ImportData | None = Field(
        default=None, description="an imported pack (进口): the foreign manufacturer and the customs declaration"
    )
    recovered_from: Code | None = Field(
        default=None,
        description="a module's own chain, started by its dismantler: the dismantled pack it was taken out of whole "
        "(docs/modules.md)",
    )

    @field_validator("modules", "cells", "origins")
    @classmethod
    def _unique(cls, codes: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if codes and len(set(codes)) != len(codes):
            raise ValueError("lists a code more than once")
        return codes

    @model_validator(mode="after")
    def _cells_in_modules(self) -> Self:
        modules, cells, placed = set(self.modules), set(self.cells), set[str]()
        for module, held in self.module_cells.items():
            if module not in modules:
                raise ValueError(f"module_cells names module {module}, which is not in modules")
            for cell in held:
                if cell not in cells:
                    raise ValueError(f"module_cells puts cell {cell} in {module}, but cells does not list it")
                if cell in placed:
                    raise ValueError(f"module_cells puts cell {cell} in more than one module")
                placed.add(cell)
        return self


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
    new_cells: tuple[CellCode, ...] = Field(
        default=(),
        max_length=10_000,
        description="the new module's cells, when the record does not hold them yet (events.components)",
    )

    @model_validator(mode="after")
    def _different(self) -> Self:
        if self.old == self.new:
            raise ValueError("a module cannot replace itself")
        if len(set(self.new_cells)) != len(self.new_cells):
            raise ValueError("new_cells lists a code more than once")
        return self


class ServicedData(Payload):
    description: Text
    replaced_modules: tuple[ModuleReplacement, ...] = Field(default=(), max_length=1_000)
    remanufactured: bool = Field(default=False, strict=True, description="EU 2023/1542 remanufacturing")
    campaign: ShortText | None = Field(
        default=None,
        description="the recall campaign this service remedies (events.recalls: it counts only for a pack "
        "recalled under that campaign, and only after its `recalled` entry)",
    )


class RetiredData(Payload):
    reason: Literal["end_of_life", "vehicle_scrapped", "damaged", "recall", "other"]
    scrap_certificate: ShortText | None = Field(default=None, description="报废汽车回收证明 number")


class InspectedData(Payload):
    soh_pct: Percent
    verdict: Literal["reuse", "repurpose", "recycle"]
    residual_capacity_kwh: NonNegativeEnergy | None = None
    internal_resistance_mohm: Resistance | None = None
    safety_class: ShortText | None = Field(default=None, description="GB/T 38698.1 safety class")


REPURPOSED_PRODUCTS_MAX = 100
_SECOND_LIFE_CODE = _code_of(second_life=True)


class RepurposedData(Payload):
    """`into`: the second-life code this pack becomes, or a list of them when one retired pack becomes two or
    more second-life products (one-to-many; several packs into one product is many-to-one, by each original
    naming the same code). Each product's `produced`, listing this pack in `from`, travels in the same batch."""

    into: SecondLifeCode | tuple[SecondLifeCode, ...] = Field(
        description="a second-life code, or a list of distinct second-life codes (one pack into several products)"
    )

    @field_validator("into", mode="wrap")
    @classmethod
    def _products(cls, into: Any, handler: Any) -> str | tuple[str, ...]:
        """Checked here rather than by the union, so that a refusal names the code at fault, not the branch."""
        if isinstance(into, str):
            return _SECOND_LIFE_CODE(into)
        if not isinstance(into, list | tuple) or not all(isinstance(code, str) for code in into):
            raise ValueError("give a second-life code or a list of second-life codes")
        if not 1 <= len(into) <= REPURPOSED_PRODUCTS_MAX:
            raise ValueError(f"lists {len(into)} codes; a pack becomes 1 to {REPURPOSED_PRODUCTS_MAX} products")
        if len(set(into)) != len(into):
            raise ValueError("lists a code more than once")
        return tuple(_SECOND_LIFE_CODE(code) for code in into)

    @property
    def products(self) -> tuple[str, ...]:
        """The second-life codes, in the order given."""
        return (self.into,) if isinstance(self.into, str) else self.into


class DismantledOutput(Payload):
    kind: Literal["module", "cell", "material"]
    code: Code | None = None
    name: ShortText | None = None
    mass_kg: Mass

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
    outputs: tuple[DismantledOutput, ...] = Field(max_length=10_000)


class RecycledData(Payload):
    feed_mass_kg: Mass
    content_kg: dict[Material, Mass] = Field(min_length=1)
    recovered_kg: dict[Material, NonNegativeMass]

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
    due: Day | None = Field(default=None, description="the campaign's deadline for the remedy (China date)")


class CorrectedData(Payload):
    target: EntryHash = Field(description="hash of the entry being corrected")
    reason: Text
    fields: dict[str, JsonValue] = Field(
        default_factory=dict,
        json_schema_extra={"maxProperties": CORRECTED_FIELDS_MAX},
        description=f"the corrected values: at most {CORRECTED_FIELDS_MAX} members, keys of at most "
        f"{SHORT_TEXT_MAX} characters, texts of at most {TEXT_MAX}, nested at most {CORRECTED_DEPTH_MAX} deep",
    )

    @field_validator("fields")
    @classmethod
    def _bounded(cls, fields: dict[str, JsonValue], info: ValidationInfo) -> dict[str, JsonValue]:
        if _admitting(info):
            problem = _json_problem(fields, depth=1)
            if problem is not None:
                raise ValueError(problem)
        return fields


def _json_problem(value: JsonValue, *, depth: int, where: str = "fields") -> str | None:
    """What makes a corrected value unacceptable: nested too deep, too many members, a key or a text too
    long or holding a control character; None if nothing."""
    if isinstance(value, str):
        bad = refused_character(value, free_text=True)
        if bad is not None:
            return f"{where} holds {bad}"
        return f"{where} is over {TEXT_MAX} characters long" if len(value) > TEXT_MAX else None
    if not isinstance(value, dict | list):
        return None
    if depth > CORRECTED_DEPTH_MAX:
        return f"{where} is nested more than {CORRECTED_DEPTH_MAX} deep"
    if len(value) > CORRECTED_FIELDS_MAX:
        return f"{where} has more than {CORRECTED_FIELDS_MAX} members"
    items: list[tuple[str, JsonValue]] = (
        [(f"{where}.{key}", item) for key, item in value.items()]
        if isinstance(value, dict)
        else [(f"{where}[{n}]", item) for n, item in enumerate(value)]
    )
    for key in value if isinstance(value, dict) else ():
        bad = refused_character(key)
        if bad is not None:
            return f"a key of {where} holds {bad}"
        if len(key) > SHORT_TEXT_MAX:
            return f"a key of {where} is over {SHORT_TEXT_MAX} characters long"
    for inner, item in items:
        problem = _json_problem(item, depth=depth + 1, where=inner)
        if problem is not None:
            return problem
    return None


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


class SwappedData(Payload):
    """One half of a battery swap (换电): `out` on the pack leaving the vehicle, `in` on the pack entering it.
    Both halves travel in one batch (events.batch), each naming the other as `partner`."""

    direction: Literal["out", "in"]
    vin: Vin
    partner: Code = Field(description="the other pack of the swap: the incoming one on `out`, the outgoing on `in`")
    site: ShortText | None = Field(default=None, description="the swap station")


class OwnershipTransferredData(Payload):
    """The pack's owner (所有权人) changes; custody does not (docs/ownership.md)."""

    to: OrgId = Field(description="the new owner: a registered organisation whose roles may own a pack")
    reference: ShortText | None = Field(default=None, description="the contract or invoice of the transfer")


class LeasedData(Payload):
    """The owner, a lessor, leases the pack out (车电分离): it stays the owner throughout the lease."""

    lessee: OrgId = Field(description="the organisation that leases the pack (an operator, a fleet)")
    vin: Vin | None = Field(default=None, description="the vehicle the lease is for")
    site: ShortText | None = Field(default=None, description="the storage site the lease is for")
    until: Day | None = Field(default=None, description="the agreed end of the lease")


class LeaseEndedData(Payload):
    reason: Literal["expired", "terminated", "bought_out", "retired", "other"]


# A recycler lot (docs/recycling-lots.md): `lot:<recycler org id>:<lot id>`, checked by events.lots.
LOT_SUBJECT_PATTERN = r"^lot:[a-z0-9][a-z0-9-]{1,62}:[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class LottedData(Payload):
    """The pack goes into a recycler's lot (入批): shredded with the lot's other inputs; the lot reports
    the recovered elements (events.lots)."""

    lot: str = Field(
        strict=True,
        max_length=32,
        pattern=LOT_SUBJECT_PATTERN,
        description="the lot: lot:<recycler org id>:<lot id>, at most 32 characters",
    )


class PassportData(Payload):
    """电池护照声明: the battery passport's attributes only the pack's maker or its custodian knows, as a partial
    Catena-X BatteryPass 6.1.0 document; each is checked against the schema and its supplier by
    events.passport_claims (docs/passport.md)."""

    attributes: dict[str, JsonValue] = Field(
        min_length=1,
        description="a partial BatteryPass document: the sections and attributes claimed, at the paths of the "
        "passport's `passport` member",
    )


# A peer platform's log origin (docs/federation.md): the name of its C2SP note verifier key.
PlatformName = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=SHORT_TEXT_MAX, pattern=r"^[!-*,-~]+$"),
]
# A C2SP note verifier key: a platform's name, `+`, 8 hex digits, `+`, 44 base64 characters (its checks are
# ledger.format.note's); as long as any name PlatformName allows can make it.
PeerKey = Annotated[
    str,
    Field(strict=True, min_length=1, max_length=SHORT_TEXT_MAX + 64, pattern=r"^[!-~]+$"),
]
ArrivalHash = Annotated[str, Field(strict=True, pattern=r"^[0-9a-f]{64}$")]


class TransferredData(Payload):
    """The pack is handed over to an organisation on another packtrace platform (移交外省平台,
    docs/federation.md): `platform` is that platform's log origin, `to` the receiver's id there."""

    platform: PlatformName = Field(description="the receiving platform's log origin (a configured peer)")
    to: OrgId = Field(description="the receiving organisation's id on that platform")
    waybill: ShortText | None = None
    reason: Text | None = None


class ArrivedData(Payload):
    """The genesis of a pack's chain on this platform, handed over by another (外省移交接收,
    docs/federation.md): the origin's `transferred` entry verbatim with its C2SP tlog-proof, the origin
    log's verifier key, the SHA-256 of the origin's bundle this platform stores, and the origin's
    `produced` facts as the origin corrected them."""

    platform: PlatformName = Field(description="the origin platform's log origin")
    platform_key: PeerKey = Field(description="the origin log's C2SP note verifier key (name+hash+key)")
    transfer: dict[str, JsonValue] = Field(description="the origin's `transferred` entry, verbatim")
    proof: str = Field(strict=True, max_length=20_000, description="the C2SP tlog-proof of the transfer entry")
    bundle_sha256: ArrivalHash = Field(description="SHA-256 of the canonical bytes of the origin's bundle")
    produced: dict[str, JsonValue] = Field(
        description="the `data` of the origin's `produced` entry, with the origin's corrections of it applied"
    )
    manufacturer: OrgId = Field(description="who posted the origin's `produced` entry (its id on the origin)")


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
    EventType.SWAPPED: SwappedData,
    EventType.OWNERSHIP_TRANSFERRED: OwnershipTransferredData,
    EventType.LEASED: LeasedData,
    EventType.LEASE_ENDED: LeaseEndedData,
    EventType.LOTTED: LottedData,
    EventType.PASSPORT: PassportData,
    EventType.TRANSFERRED: TransferredData,
    EventType.ARRIVED: ArrivedData,
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


def parse_payload(event_type: str, data: Mapping[str, Any], *, recorded: bool = False) -> Payload:
    """Validate `data` against the schema of `event_type`; InvalidPayload lists every bad field.

    `recorded`: `data` is the payload of an entry already in the log (a replay), which is not held to the
    admission checks added after entries were first recorded (see the module's doc)."""
    model = PAYLOAD_MODELS[event_type_of(event_type)]
    if not isinstance(data, Mapping):
        raise InvalidPayload(f"'{event_type}' payload must be an object, not {type(data).__name__}")
    try:
        # pydantic builds the model from the mapping's items and keeps no reference to a dict it is given
        return model.model_validate(data if type(data) is dict else dict(data), context={_RECORDED: recorded})
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise InvalidPayload(f"invalid '{event_type}' payload: {problems}") from None


def choices(event_type: EventType, field: str) -> tuple[str, ...]:
    """The values a payload field with a closed set of values allows (`removed`'s `reason`, …), in order."""
    return get_args(PAYLOAD_MODELS[event_type].model_fields[field].annotation)


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

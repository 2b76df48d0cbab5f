"""The EU battery passport (Regulation 2023/1542 Art. 77, Annex XIII) as the Catena-X BatteryPass aspect model
6.1.0 (its URN reads 6.0.0): which of its attributes the platform fills, from which signed entries, for which
access tier, which attributes the signed `passport` claims of the pack's maker and custodian supply, and which
required attributes nobody has supplied yet and who must (docs/passport.md).

Rules as data: `FACTS` says, per attribute, the schema definition its value must satisfy and the lowest tier
that sees it, `FILLED_FROM` the entry it comes from; `REQUIRED_PATHS` lists every required attribute of the
schema (objects followed through their required members down to the leaves and arrays; a test derives the
same list from the schema); `SUPPLIERS` says who supplies what the platform does not fill, `CLAIM_TIERS` the
lowest tier that sees each claimed section (EU 2023/1542 Annex XIII). Nothing here invents a value: an
attribute whose entry or member is absent is not filled, and a required one is then `missing`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from events import batterypass
from events.eu_status import eu_status
from events.state import PackState

SPEC_VERSION = "urn:samm:io.catenax.battery.battery_pass:6.0.0#BatteryPass"
CODE_STANDARD = "GB/T 34014-2017"  # the battery code's standard, the key of `identification.codes`
CLAIM_TYPE = "passport"  # the entry type of a claim (events.catalogue.EventType.PASSPORT)
TIERS = ("public", "legitimate_interest", "authority")  # in order: each sees what the ones before it see

# path, schema definition (#/components/schemas/...), lowest tier that sees it; the value comes from
# `_values` below, each from the entry type it names.
FACTS: tuple[tuple[str, str, str], ...] = (
    ("identification.category", "CategoryEnumeration", "public"),
    ("identification.idDmc", "IdentifierCharacteristic", "public"),
    ("identification.chemistry", "Text", "public"),
    ("identification.identification.serial", "LocalIdentifierCharacteristic", "public"),
    ("identification.identification.batch", "LocalIdentifierCharacteristic0", "public"),
    ("identification.identification.codes", "CodeList", "public"),
    ("operation.manufacturer.manufacturingDate", "DateTrait", "public"),
    ("operation.intoServiceDate", "DateTrait", "legitimate_interest"),
    ("characteristics.physicalDimension.weight", "MassCharacteristic", "public"),
    ("performance.rated.energy", "RatedEnergyCharacteristic", "public"),
    ("performance.rated.voltage.nominal", "VoltMeasurement", "public"),
    ("sustainability.status", "StateEnumeration", "public"),
    ("performance.dynamic.energy.soce", "RecordCharacteristic", "legitimate_interest"),
    ("performance.dynamic.energy.remaining", "EnergyCharacteristic", "legitimate_interest"),
    ("performance.dynamic.resistance.remaining.pack", "RemainingResistanceCharacteristicRecord", "legitimate_interest"),
)
DEFINITIONS: dict[str, str] = {path: definition for path, definition, _ in FACTS}
# where each attribute the platform fills comes from; a `passport` claim may not post any of them (nor a
# member inside one, nor a section holding one): the record has one source per attribute
FILLED_FROM: dict[str, str] = {
    "specVersion": "the aspect model's URN",
    "identification.category": "the 'produced' entry (its `from`)",
    "identification.idDmc": "the battery code of the 'produced' entry",
    "identification.chemistry": "the 'produced' entry",
    "identification.identification.serial": "the battery code of the 'produced' entry",
    "identification.identification.batch": "the 'produced' entry",
    "identification.identification.codes": "the battery code of the 'produced' entry",
    "operation.manufacturer.manufacturingDate": "the battery code of the 'produced' entry",
    "operation.intoServiceDate": "the first 'installed' entry",
    "characteristics.physicalDimension.weight": "the 'produced' entry",
    "performance.rated.energy": "the 'produced' entry",
    "performance.rated.voltage.nominal": "the 'produced' entry",
    "sustainability.status": "the pack's whole chain (its EU status)",
    "performance.dynamic.energy.soce": "the last 'inspected' entry",
    "performance.dynamic.energy.remaining": "the last 'inspected' entry",
    "performance.dynamic.resistance.remaining.pack": "the last 'inspected' entry",
}

REQUIRED_PATHS: tuple[str, ...] = (
    "identification.category",
    "identification.idDmc",
    "identification.chemistry",
    "identification.identification.type.manufacturerPartId",
    "identification.identification.type.nameAtManufacturer",
    "identification.identification.codes",
    "identification.identification.dataCarrier.carrierType",
    "identification.identification.dataCarrier.carrierLayout",
    "identification.identification.classification",
    "operation.manufacturer.facility",
    "operation.manufacturer.manufacturer",
    "characteristics.warranty.lifeValue",
    "characteristics.warranty.lifeUnit",
    "characteristics.physicalDimension.weight.value",
    "characteristics.physicalDimension.weight.unit",
    "sustainability.documents.separateCollection",
    "sustainability.documents.wastePrevention",
    "sustainability.carbonFootprint",
    "sustainability.status",
    "materials.active.nickel.location",
    "materials.active.nickel.recycled",
    "materials.active.nickel.documentation",
    "materials.active.nickel.critical",
    "materials.active.lithium.location",
    "materials.active.lithium.recycled",
    "materials.active.lithium.documentation",
    "materials.active.lithium.critical",
    "materials.active.cobalt.location",
    "materials.active.cobalt.recycled",
    "materials.active.cobalt.documentation",
    "materials.active.cobalt.critical",
    "materials.active.lead.impactOfSubstances",
    "materials.active.lead.critical",
    "materials.active.lead.documentation",
    "materials.active.lead.recycled",
    "materials.active.lead.location",
    "materials.active.lead.concentration",
    "materials.active.lead.materialUnit",
    "materials.hazardous.cadmium.impactOfSubstances",
    "materials.hazardous.cadmium.concentration",
    "materials.hazardous.cadmium.location",
    "materials.hazardous.cadmium.materialUnit",
    "materials.hazardous.cadmium.critical",
    "materials.hazardous.cadmium.documentation",
    "materials.hazardous.mercury.impactOfSubstances",
    "materials.hazardous.mercury.concentration",
    "materials.hazardous.mercury.location",
    "materials.hazardous.mercury.materialUnit",
    "materials.hazardous.mercury.critical",
    "materials.hazardous.mercury.documentation",
    "materials.hazardous.lead.impactOfSubstances",
    "materials.hazardous.lead.critical",
    "materials.hazardous.lead.documentation",
    "materials.hazardous.lead.recycled",
    "materials.hazardous.lead.location",
    "materials.hazardous.lead.concentration",
    "materials.hazardous.lead.materialUnit",
    "materials.composition",
    "performance.rated.voltage.min",
    "performance.rated.voltage.max",
    "performance.rated.voltage.nominal",
    "performance.rated.roundTripEfficiency.depthOfDischarge",
    "performance.rated.roundTripEfficiency.initial",
    "performance.rated.roundTripEfficiency.50PercentLife",
    "performance.rated.resistance.cell",
    "performance.rated.resistance.pack",
    "performance.rated.power.value",
    "performance.rated.power.at20SoC",
    "performance.rated.power.at80SoC",
    "performance.rated.capacity.value",
    "performance.rated.capacity.thresholdExhaustion",
    "performance.rated.temperature.lower",
    "performance.rated.temperature.upper",
    "performance.rated.selfDischargingRate",
    "performance.rated.lifetime.expectedYears",
    "performance.rated.lifetime.report",
    "performance.rated.lifetime.cycleLifeTesting.temperature",
    "performance.rated.lifetime.cycleLifeTesting.cycles",
    "performance.rated.lifetime.cycleLifeTesting.depthOfDischarge",
    "performance.rated.lifetime.cycleLifeTesting.appliedChargeRate",
    "performance.rated.lifetime.cycleLifeTesting.appliedDischargeRate",
    "performance.dynamic.stateOfCharge.value",
    "performance.dynamic.stateOfCharge.time",
    "performance.dynamic.fullCycles.time",
    "performance.dynamic.fullCycles.value",
    "performance.dynamic.selfDischargingRate",
    "performance.dynamic.power.fade.value",
    "performance.dynamic.power.fade.time",
    "performance.dynamic.power.remaining.time",
    "performance.dynamic.power.remaining.value",
    "performance.dynamic.capacity.fade.value",
    "performance.dynamic.capacity.fade.time",
    "performance.dynamic.capacity.throughput.time",
    "performance.dynamic.capacity.throughput.value",
    "performance.dynamic.capacity.capacity.time",
    "performance.dynamic.capacity.capacity.value",
    "performance.dynamic.roundTripEfficiency.fade.value",
    "performance.dynamic.roundTripEfficiency.fade.time",
    "performance.dynamic.roundTripEfficiency.remaining.value",
    "performance.dynamic.roundTripEfficiency.remaining.time",
    "performance.dynamic.resistance.increase.pack.value",
    "performance.dynamic.resistance.increase.pack.time",
    "performance.dynamic.resistance.increase.cell.value",
    "performance.dynamic.resistance.increase.cell.time",
    "performance.dynamic.resistance.remaining.pack.time",
    "performance.dynamic.resistance.remaining.pack.value",
    "performance.dynamic.resistance.remaining.cell.time",
    "performance.dynamic.resistance.remaining.cell.value",
    "performance.dynamic.energy.soce.value",
    "performance.dynamic.energy.soce.time",
    "performance.dynamic.energy.remaining.time",
    "performance.dynamic.energy.remaining.value",
    "conformity.declarationOfConformity",
    "conformity.resultOfTestReport",
    "conformity.thirdPartyAssurance",
    "conformity.dueDiligencePolicy",
    "safety.usableExtinguishAgent",
    "safety.safetyMeasures",
    "safety.meaningOfLabels",
    "safety.dismantling",
    "metadata.version",
    "metadata.expirationDate",
    "metadata.issueDate",
    "metadata.economicOperatorId",
    "metadata.passportIdentifier",
    "metadata.predecessor",
    "metadata.backupReference",
    "commercial.purpose",
    "handling.content.producer",
    "handling.content.sparePart",
    "handling.applicable",
)

# who supplies a required attribute the platform does not hold: the first prefix that matches
SUPPLIERS: tuple[tuple[str, str], ...] = (
    ("performance.dynamic.", "custodian"),  # measured in use: the battery management system's operator
    ("", "manufacturer"),  # everything else: the manufacturer (the economic operator placing it on the market)
)
SUPPLIED_VIA = "a signed `passport` claim"

# The lowest tier that sees a claimed attribute, by section (EU 2023/1542 Annex XIII): the first entry whose
# path is the attribute's or one of its sections wins; "" is every other attribute.
CLAIM_TIERS: tuple[tuple[str, str], ...] = (
    ("conformity.resultOfTestReport", "authority"),  # point 3: test results proving compliance
    ("performance.rated.testReport", "authority"),  # point 3
    ("performance.rated.lifetime.report", "authority"),  # point 3: the schema's same test reports, for the lifetime
    ("materials.composition", "legitimate_interest"),  # point 2(a): detailed composition
    ("handling", "legitimate_interest"),  # point 2(b): part numbers, sources of spare parts
    ("safety.dismantling", "legitimate_interest"),  # point 2(c): dismantling information
    ("safety.removalFromAppliance", "legitimate_interest"),  # point 2(c)
    ("safety.safeDischarging", "legitimate_interest"),  # point 2(d): safety measures
    ("safety.safetyMeasures", "legitimate_interest"),  # point 2(d)
    ("performance.dynamic", "legitimate_interest"),  # point 4: state of health, measured in use
    ("sources", "legitimate_interest"),  # the sources of the passport's data
    # point 1, public: identification, the manufacturer, carbon footprint, due diligence, hazardous substances,
    # critical raw materials, recycled content, rated performance and durability, the declaration of
    # conformity, extinguishing agent and the meaning of labels (Annex VI), the passport's metadata
    ("", "public"),
)

# the packtrace record of the later life, beside the BatteryPass: entry type -> members shown
RECORD_MEMBERS: dict[str, tuple[str, ...]] = {
    "inspected": ("soh_pct", "verdict", "residual_capacity_kwh", "internal_resistance_mohm", "safety_class"),
    "retired": ("reason",),
    "repurposed": ("into",),
    "dismantled": ("outputs",),
    "recycled": ("feed_mass_kg", "content_kg", "recovered_kg"),
    "transferred": ("platform",),  # handed over to another platform (docs/federation.md); `to` is a counterparty
    "arrived": ("platform", "manufacturer"),
}
RECORD_TIER = "legitimate_interest"


@dataclass(frozen=True)
class Entry:
    """One entry of the pack's chain: its log index and its signed claim's type, time and data; `corrections`:
    the log indexes of the `corrected` entries whose values `data` holds already (events.corrections)."""

    index: int
    type: str
    at: str
    data: Mapping[str, Any]
    corrections: tuple[int, ...] = ()
    actor: str | None = None  # who signed it (the poster of a `passport` claim)


@dataclass(frozen=True)
class Filled:
    path: str
    definition: str
    tier: str
    value: Any
    entries: tuple[int, ...]
    source: str = "entries"  # "entries": filled by the platform from entries (FACTS); "claim": a `passport` claim
    by: str | None = None  # a claim's poster


@dataclass(frozen=True)
class Missing:
    path: str
    supplier: str
    via: str = SUPPLIED_VIA


@dataclass(frozen=True)
class RecordFact:
    index: int
    type: str
    at: str
    data: dict[str, Any]


@dataclass(frozen=True)
class PassportParts:
    document: dict[str, Any]  # the BatteryPass document, the caller's tier's attributes only
    filled: tuple[Filled, ...]  # the caller's tier's
    withheld: tuple[str, ...]  # filled attributes above the caller's tier
    missing: tuple[Missing, ...]  # required attributes the platform does not hold (whatever the tier)
    record: tuple[RecordFact, ...]  # the later life, empty below RECORD_TIER
    entries: tuple[int, ...]  # log indexes of the entries the shown parts were built from
    complete: bool = False  # nothing required missing, and the whole document (every tier) valid whole


def sees(tier: str, needed: str) -> bool:
    return TIERS.index(tier) >= TIERS.index(needed)


def _first(entries: Sequence[Entry], kind: str) -> Entry | None:
    return next((e for e in entries if e.type == kind), None)


def _last(entries: Sequence[Entry], kind: str) -> Entry | None:
    return next((e for e in reversed(entries) if e.type == kind), None)


def _arrival_facts(entries: Sequence[Entry]) -> Entry | None:
    """A pack handed over by another platform (docs/federation.md): its `arrived` entry carries the origin's
    `produced` data verbatim, signed by the receiver and proven from the origin's log."""
    arrived = _first(entries, "arrived")
    if arrived is None or not isinstance(arrived.data.get("produced"), Mapping):
        return None
    return Entry(arrived.index, arrived.type, arrived.at, arrived.data["produced"], arrived.corrections)


def _values(state: PackState, entries: Sequence[Entry]) -> dict[str, tuple[Any, tuple[int, ...]]]:
    """path -> (value, indexes of the entries it comes from), for the attributes the chain holds."""
    out: dict[str, tuple[Any, tuple[int, ...]]] = {}
    produced = _first(entries, "produced") or _arrival_facts(entries)
    if produced is not None:
        p, at = produced.data, (produced.index, *produced.corrections)
        second_life = bool(p.get("from"))
        out["identification.category"] = ("industrial" if second_life else "EV", at)
        out["identification.idDmc"] = (state.code, at)
        out["identification.chemistry"] = (p["chemistry"], at)
        out["identification.identification.serial"] = ([{"key": "partInstanceId", "value": state.code}], at)
        if p.get("batch"):
            out["identification.identification.batch"] = ([{"key": "batchId", "value": p["batch"]}], at)
        out["identification.identification.codes"] = ([{"key": CODE_STANDARD, "value": state.code}], at)
        if state.production_date is not None:
            out["operation.manufacturer.manufacturingDate"] = (state.production_date.isoformat(), at)
        out["characteristics.physicalDimension.weight"] = ({"value": p["mass_kg"], "unit": "unit:kilogram"}, at)
        out["performance.rated.energy"] = ({"value": p["rated_capacity_kwh"]}, at)
        out["performance.rated.voltage.nominal"] = (p["nominal_voltage_v"], at)
    installed = _first(entries, "installed")
    if installed is not None:
        out["operation.intoServiceDate"] = (installed.at[:10], (installed.index, *installed.corrections))
    out["sustainability.status"] = (eu_status(state), tuple(e.index for e in entries))
    inspected = _last(entries, "inspected")
    if inspected is not None:
        d, at = inspected.data, (inspected.index, *inspected.corrections)
        out["performance.dynamic.energy.soce"] = ({"value": d["soh_pct"], "time": inspected.at}, at)
        if d.get("residual_capacity_kwh") is not None:
            out["performance.dynamic.energy.remaining"] = (
                {"time": inspected.at, "value": d["residual_capacity_kwh"]},
                at,
            )
        if d.get("internal_resistance_mohm") is not None:
            out["performance.dynamic.resistance.remaining.pack"] = (
                {"time": inspected.at, "value": d["internal_resistance_mohm"] / 1000},
                at,
            )
    return out


def _put(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = document
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


def _covered(path: str, filled: Iterable[str]) -> bool:
    return any(path == f or path.startswith(f + ".") for f in filled)


def _within(path: str, section: str) -> bool:
    return not section or path == section or path.startswith(section + ".")


def supplier(path: str) -> str:
    return next(who for prefix, who in SUPPLIERS if path.startswith(prefix))


def claim_tier(path: str) -> str:
    """The lowest tier that sees a claimed attribute (CLAIM_TIERS)."""
    return next(tier for section, tier in CLAIM_TIERS if _within(path, section))


def tiered_claim(attributes: Mapping[str, Any], tier: str) -> tuple[dict[str, Any], list[str]]:
    """A claim's `attributes` as `tier` reads them in the claim's entry (history, EPCIS, bundles): without the
    sections of Annex XIII above it (CLAIM_TIERS), so the entry shows no more than the passport does; and the
    paths of the sections removed, in CLAIM_TIERS order."""
    shown: dict[str, Any] = dict(attributes)
    removed: list[str] = []
    for section, needed in CLAIM_TIERS:
        if section and not sees(tier, needed):
            shown, hit = _without(shown, section.split("."))
            removed += [section] if hit else []
    return shown, removed


def without_path(document: Mapping[str, Any], path: str) -> dict[str, Any]:
    """`document` without the member at the dotted `path` (copied along the way only)."""
    return _without(document, path.split("."))[0]


def _without(node: Mapping[str, Any], keys: list[str]) -> tuple[dict[str, Any], bool]:
    """`node` without the member at `keys` (copied along the way only), and whether it was there."""
    first, rest = keys[0], keys[1:]
    if first not in node:
        return dict(node), False
    if not rest:
        return {k: v for k, v in node.items() if k != first}, True
    child = node[first]
    if not isinstance(child, Mapping):
        return dict(node), False
    inner, hit = _without(child, rest)
    return {**node, first: inner}, hit


def filled_by_platform(path: str) -> str | None:
    """The attribute the platform fills that `path` is, is inside or holds; None if none."""
    return next((f for f in FILLED_FROM if _within(path, f) or _within(f, path)), None)


def _holds_required(path: str) -> bool:
    return any(required.startswith(path + ".") for required in REQUIRED_PATHS)


def split_attributes(
    document: Mapping[str, Any], section: str = ""
) -> tuple[list[tuple[str, Any]], list[tuple[str, str]]]:
    """A claim's partial BatteryPass document as its attributes, `(path, value)`, and its problems, `(path,
    what)`. An attribute is a member of the schema that holds no required attribute: a required attribute
    (REQUIRED_PATHS) or an optional member whole (`characteristics.physicalDimension.height` with its value and
    unit); the sections that hold required attributes are followed down to them."""
    attributes: list[tuple[str, Any]] = []
    problems: list[tuple[str, str]] = []
    known = batterypass.members(section) or {}
    for key, value in document.items():
        path = f"{section}.{key}" if section else key
        if key not in known:
            problems.append((path, "the BatteryPass has no such attribute"))
        elif _holds_required(path):
            if isinstance(value, Mapping) and value:
                inner, trouble = split_attributes(value, path)
                attributes += inner
                problems += trouble
            else:
                wanted = ", ".join(batterypass.members(path) or ())
                problems.append((path, f"must be an object holding some of its attributes ({wanted})"))
        else:
            attributes.append((path, value))
    return attributes, problems


def _claimed(entries: Sequence[Entry]) -> dict[str, tuple[Any, tuple[int, ...], str | None]]:
    """path -> (value, the claim's log index and its corrections, its poster): the latest claim wins."""
    out: dict[str, tuple[Any, tuple[int, ...], str | None]] = {}
    for e in entries:
        attributes = e.data.get("attributes") if e.type == CLAIM_TYPE else None
        if isinstance(attributes, Mapping):
            for path, value in split_attributes(attributes)[0]:
                if filled_by_platform(path) is None:  # never, as admitted; a correction may have added one
                    out[path] = (value, (e.index, *e.corrections), e.actor)
    return out


def build(state: PackState, entries: Sequence[Entry], tier: str) -> PassportParts:
    """The passport of the pack whose chain is `entries` (in `seq` order) and whose state is `state`, as
    `tier` sees it: the platform's attributes (FACTS) and the claimed ones."""
    values = _values(state, entries)
    claimed = _claimed(entries)
    document: dict[str, Any] = {"specVersion": SPEC_VERSION}
    whole: dict[str, Any] = {"specVersion": SPEC_VERSION}
    filled: list[Filled] = []
    withheld: list[str] = []
    used: set[int] = set()
    candidates = [
        Filled(path, definition, needed, *values[path]) for path, definition, needed in FACTS if path in values
    ]
    candidates += [
        Filled(path, batterypass.definition_of(path) or "", claim_tier(path), value, sources, "claim", by)
        for path, (value, sources, by) in claimed.items()
    ]
    for item in candidates:
        _put(whole, item.path, item.value)
        if not sees(tier, item.tier):
            withheld.append(item.path)
            continue
        _put(document, item.path, item.value)
        filled.append(item if item.by is None or sees(tier, "legitimate_interest") else replace(item, by=None))
        used.update(item.entries)
    held = [*values, *claimed]
    missing = tuple(_missing(p) for p in REQUIRED_PATHS if not _covered(p, held))
    record: list[RecordFact] = []
    if sees(tier, RECORD_TIER):
        for e in entries:
            members = RECORD_MEMBERS.get(e.type)
            if members is not None:
                record.append(RecordFact(e.index, e.type, e.at, {k: e.data[k] for k in members if k in e.data}))
                used.update((e.index, *e.corrections))
    complete = not missing and not batterypass.document_problems(whole)
    return PassportParts(
        document, tuple(filled), tuple(withheld), missing, tuple(record), tuple(sorted(used)), complete
    )


def _missing(path: str) -> Missing:
    source = filled_by_platform(path)
    if source is not None:
        return Missing(path, supplier(path), f"{FILLED_FROM[source]} (filled by the platform)")
    return Missing(path, supplier(path))

"""Payload schemas: one valid example per event type, and refusals that name every bad field."""

from __future__ import annotations

from typing import Any

import pytest

from events.catalogue import PAYLOAD_MODELS, EventType, parse_payload, payload_schemas
from events.errors import InvalidPayload
from tests.events.events_world import (
    RECYCLED_DATA,
    VIN_A,
    exact,
    module_code,
    pack_code,
    produced_data,
    second_life_code,
)

HASH = "ab" * 32

VALID: dict[str, dict[str, Any]] = {
    "produced": produced_data(modules=[module_code(1), module_code(2)], batch="B-2026-03", plant="宁德基地"),
    "shipped": {"to": "byd", "waybill": "SF123"},
    "received": {"from": "catl"},
    "installed": {"vin": VIN_A},
    "removed": {"reason": "swap"},
    "serviced": {
        "description": "replaced a module", "replaced_modules": [{"old": module_code(1), "new": module_code(3)}],
    },
    "retired": {"reason": "vehicle_scrapped", "scrap_certificate": "FJ-2026-000123"},
    "inspected": {
        "soh_pct": 72.5, "verdict": "repurpose", "residual_capacity_kwh": 43.0, "internal_resistance_mohm": 1.8,
    },
    "repurposed": {"into": second_life_code(1)},
    "dismantled": {"outputs": [
        {"kind": "module", "code": module_code(1), "mass_kg": 30},
        {"kind": "material", "name": "casing", "mass_kg": 40},
    ]},
    "recycled": RECYCLED_DATA,
    "incident": {"kind": "thermal_event", "severity": "high", "description": "smoke at the depot"},
    "recalled": {"campaign": "R-2026-07", "reason": "BMS firmware"},
    "corrected": {"target": HASH, "reason": "wrong VIN", "fields": {"vin": VIN_A}},
    "lost": {"reason": "stolen from the depot"},
    "exported": {"destination": "DE", "reason": "vehicle exported"},
    "found": {"custodian": "gem-collect", "note": "recovered by police"},
    "swapped": {"direction": "out", "vin": VIN_A, "partner": pack_code(2), "site": "厦门海沧换电站"},
    "ownership_transferred": {"to": "fj-baas", "reference": "转让合同 2026-017"},
    "leased": {"lessee": "nio-power", "vin": VIN_A, "until": "2031-12-31"},
    "lotted": {"lot": "lot:gem-recycling:2026-001"},
    "transferred": {"platform": "packtrace.hb.example/log", "to": "hb-recycler", "waybill": "SF1"},
    "arrived": {"platform": "packtrace.fj.example/log", "platform_key": "packtrace.fj.example/log+01234567+AAAA",
                "transfer": {}, "proof": "c2sp.org/tlog-proof@v1\nindex 0\n\n", "bundle_sha256": "0" * 64,
                "produced": {"chemistry": "LFP"}, "manufacturer": "catl"},
    "lease_ended": {"reason": "expired"},
    "passport": {"attributes": {"characteristics": {"warranty": {"lifeValue": 8, "lifeUnit": "unit:year"}}}},
}  # fmt: skip


def test_every_event_type_has_a_model_and_an_example() -> None:
    assert set(PAYLOAD_MODELS) == set(EventType) == set(VALID)


@pytest.mark.parametrize("event_type", sorted(VALID))
def test_valid_examples_parse(event_type: str) -> None:
    payload = parse_payload(event_type, VALID[event_type])
    assert type(payload) is PAYLOAD_MODELS[EventType(event_type)]
    assert payload.model_dump(by_alias=True, exclude_unset=True) == _as_dumped(VALID[event_type])


def _as_dumped(data: dict[str, Any]) -> dict[str, Any]:
    """Lists come back as tuples, ints in float fields as floats: compare through that lens."""

    def norm(value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(norm(v) for v in value)
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        return value

    return norm(data)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("event_type", "data", "message"),
    [
        ("inspected", {"soh_pct": 100.5, "verdict": "maybe", "colour": "red"},
         "invalid 'inspected' payload: data.soh_pct: Input should be less than or equal to 100, got 100.5; "
         "data.verdict: Input should be 'reuse', 'repurpose' or 'recycle', got 'maybe'; data.colour: unknown field"),
        ("inspected", {"soh_pct": -1, "verdict": "reuse"},
         "invalid 'inspected' payload: data.soh_pct: Input should be greater than or equal to 0, got -1"),
        ("produced", produced_data(mass_kg=0, rated_capacity_kwh="60", nominal_voltage_v=True),
         "invalid 'produced' payload: data.rated_capacity_kwh: Input should be a valid number, got '60'; "
         "data.nominal_voltage_v: Input should be a valid number, got True; "
         "data.mass_kg: Input should be greater than 0, got 0"),
        ("produced", produced_data(chemistry="LiFePO4"),
         "invalid 'produced' payload: data.chemistry: Input should be 'LFP', 'NCM', 'NCA', 'LMO', 'LTO', 'NiMH', "
         "'sodium-ion' or 'other', got 'LiFePO4'"),
        ("produced", produced_data(mass_kg=float("nan")),
         "invalid 'produced' payload: data.mass_kg: Input should be a finite number, got nan"),
        ("produced", produced_data(modules=[pack_code(1)], cells=["0RJCB"]),
         f"invalid 'produced' payload: data.modules[0]: {pack_code(1)} is a pack code, not a module code; "
         "data.cells[0]: battery code 0RJCB: 5 characters; a battery code has 24 (or 19 for a second-life code)"),
        ("produced", produced_data(**{"from": [pack_code(1), pack_code(1)]}),
         "invalid 'produced' payload: data.from: lists a code more than once"),
        ("produced", produced_data(origins=[pack_code(1)]), "invalid 'produced' payload: data.origins: unknown field"),
        ("produced", {}, "invalid 'produced' payload: data.chemistry: required; data.rated_capacity_kwh: required; "
         "data.nominal_voltage_v: required; data.mass_kg: required"),
        ("shipped", {"to": "Acme Corp"}, "invalid 'shipped' payload: data.to: organisation id 'Acme Corp' must be "
         "2-63 characters of lower-case letters, digits and '-', starting with a letter or digit"),
        ("received", {"sender": "catl"}, "invalid 'received' payload: data.from: required; data.sender: unknown field"),
        ("installed", {"vin": VIN_A, "site": "Xiamen storage 1"},
         "invalid 'installed' payload: data: give exactly one of 'vin' (a vehicle) or 'site' (a storage system)"),
        ("installed", {"vin": "LSJA24U61MS000001"},
         "invalid 'installed' payload: data.vin: VIN 'LSJA24U61MS000001': check digit (position 9) expected '4', "
         "found '1'"),
        ("removed", {"reason": "bored"}, "invalid 'removed' payload: data.reason: Input should be 'repair', "
         "'replacement', 'swap', 'retirement' or 'scrap', got 'bored'"),
        ("serviced", {"description": "   "}, "invalid 'serviced' payload: data.description: must not be blank"),
        ("serviced", {"description": "x", "replaced_modules": [{"old": module_code(1), "new": module_code(1)}]},
         "invalid 'serviced' payload: data.replaced_modules[0]: a module cannot replace itself"),
        ("retired", {"reason": "tired", "scrap_certificate": ""},
         "invalid 'retired' payload: data.reason: Input should be 'end_of_life', 'vehicle_scrapped', 'damaged', "
         "'recall' or 'other', got 'tired'; data.scrap_certificate: String should have at least 1 character, got ''"),
        ("repurposed", {"into": pack_code(9)},
         f"invalid 'repurposed' payload: data.into: {pack_code(9)} is not a second-life code "
         "(19 characters ending in R and a product type)"),
        ("dismantled", {}, "invalid 'dismantled' payload: data.outputs: required"),
        ("dismantled",
         {"outputs": [{"kind": "material", "mass_kg": -2}, {"kind": "cell", "code": module_code(1), "mass_kg": 1}]},
         "invalid 'dismantled' payload: data.outputs[0].mass_kg: Input should be greater than 0, got -2; "
         f"data.outputs[1]: {module_code(1)} is not a cell code"),
        ("dismantled", {"outputs": [{"kind": "material", "code": module_code(1), "mass_kg": 2}]},
         "invalid 'dismantled' payload: data.outputs[0]: a material output has a name, not a code"),
        ("recycled", RECYCLED_DATA | {"content_kg": {"Li": 5.0, "Xy": 1.0}, "recovered_kg": {"Li": 4.0}},
         "invalid 'recycled' payload: data.content_kg.Xy (key): 'Xy' is not a chemical element symbol "
         "(Li, Ni, Co, Mn, ...) or 'electrode_powder'"),
        ("recycled", RECYCLED_DATA | {"recovered_kg": {"Li": 5.5, "Co": 1.0}},
         "invalid 'recycled' payload: data.recovered_kg: Co has no content_kg; Li 5.5 kg is more than its "
         "content_kg 5"),
        ("recycled", RECYCLED_DATA | {"feed_mass_kg": 50.0},
         "invalid 'recycled' payload: data.content_kg: the elements add up to 65 kg, more than feed_mass_kg 50"),
        ("recycled", RECYCLED_DATA | {"content_kg": {"Li": 0.0}, "recovered_kg": {"Li": -1.0}},
         "invalid 'recycled' payload: data.content_kg.Li: Input should be greater than 0, got 0.0; "
         "data.recovered_kg.Li: Input should be greater than or equal to 0, got -1.0"),
        ("incident", {"kind": "fire", "severity": "apocalyptic", "description": "x"},
         "invalid 'incident' payload: data.severity: Input should be 'low', 'medium', 'high' or 'critical', "
         "got 'apocalyptic'"),
        ("recalled", {"campaign": "R1"}, "invalid 'recalled' payload: data.reason: required"),
        ("corrected", {"target": "AB" * 32, "reason": "typo"},  # a long value is not repeated in the message
         "invalid 'corrected' payload: data.target: String should match pattern '^[0-9a-f]{64}$'"),
        ("exported", {"destination": "CN"}, "invalid 'exported' payload: data: an export goes abroad: "
         "destination cannot be CN"),
        ("exported", {"destination": "Germany"}, "invalid 'exported' payload: data.destination: String should "
         "match pattern '^[A-Z]{2}$', got 'Germany'"),
        ("found", {"custodian": "gem-collect"}, "invalid 'found' payload: data.note: required"),
    ],
)  # fmt: skip
def test_refusals_list_every_bad_field(event_type: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidPayload) as caught:
        parse_payload(event_type, data)
    assert caught.value.message == message
    assert caught.value.code == "invalid_payload"


def test_unknown_event_type_names_the_allowed_types() -> None:
    with pytest.raises(InvalidPayload) as caught:
        parse_payload("exploded", {})
    assert caught.value.message == (
        "unknown event type 'exploded'; event types are: arrived, corrected, dismantled, exported, found, incident, "
        "inspected, installed, lease_ended, leased, lost, lotted, ownership_transferred, passport, produced, recalled, "
        "received, recycled, removed, repurposed, retired, serviced, shipped, swapped, transferred"
    )
    assert caught.value.code == "unknown_event_type"


def test_a_payload_must_be_an_object() -> None:
    with pytest.raises(InvalidPayload, match=exact("'shipped' payload must be an object, not list")):
        parse_payload("shipped", ["byd"])  # type: ignore[arg-type]


def test_payloads_are_frozen() -> None:
    payload = parse_payload("removed", {"reason": "swap"})
    with pytest.raises(ValueError, match="frozen"):
        payload.reason = "repair"  # type: ignore[attr-defined]


def test_schemas_cover_every_type_and_forbid_unknown_fields() -> None:
    schemas = payload_schemas()
    assert set(schemas) == {str(t) for t in EventType}
    assert all(schema["additionalProperties"] is False for schema in schemas.values())
    assert schemas["received"]["required"] == ["from"]
    assert "from" in schemas["produced"]["properties"]
    assert schemas["inspected"]["properties"]["soh_pct"]["maximum"] == 100
    assert schemas["recycled"]["properties"]["feed_mass_kg"]["exclusiveMinimum"] == 0

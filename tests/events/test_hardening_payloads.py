"""Issue 11, item 2 (plausible ranges of every physical quantity, no NaN or infinity) and item 10 (the
documented lengths of free text in payloads)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from events import quantities
from events.catalogue import SHORT_TEXT_MAX, TEXT_MAX, parse_payload, payload_schemas
from events.errors import InvalidPayload
from tests.events.events_world import RECYCLED_DATA, exact, module_code, produced_data
from tests.events.test_payloads import VALID

DOCS = Path(__file__).resolve().parents[2] / "docs"

# (event type, payload, the field at fault, its bound): one case per field holding a physical quantity
QUANTITIES: list[tuple[str, str, quantities.Bound, Any]] = [
    ("produced", "mass_kg", quantities.MASS_KG, lambda v: produced_data(mass_kg=v)),
    ("produced", "rated_capacity_kwh", quantities.ENERGY_KWH, lambda v: produced_data(rated_capacity_kwh=v)),
    ("produced", "nominal_voltage_v", quantities.VOLTAGE_V, lambda v: produced_data(nominal_voltage_v=v)),
    ("inspected", "residual_capacity_kwh", quantities.ENERGY_KWH,
     lambda v: {"soh_pct": 70.0, "verdict": "reuse", "residual_capacity_kwh": v}),
    ("inspected", "internal_resistance_mohm", quantities.RESISTANCE_MOHM,
     lambda v: {"soh_pct": 70.0, "verdict": "reuse", "internal_resistance_mohm": v}),
    ("dismantled", "outputs[0].mass_kg", quantities.MASS_KG,
     lambda v: {"outputs": [{"kind": "material", "name": "casing", "mass_kg": v}]}),
    ("recycled", "feed_mass_kg", quantities.MASS_KG, lambda v: {**RECYCLED_DATA, "feed_mass_kg": v}),
    ("recycled", "content_kg.Li", quantities.MASS_KG,
     lambda v: {"feed_mass_kg": 10_000.0, "content_kg": {"Li": v}, "recovered_kg": {}}),
    ("recycled", "recovered_kg.Li", quantities.MASS_KG,
     lambda v: {"feed_mass_kg": 10_000.0, "content_kg": {"Li": 10_000.0}, "recovered_kg": {"Li": v}}),
]  # fmt: skip
IDS = [f"{event_type}.{field}" for event_type, field, _, _ in QUANTITIES]


@pytest.mark.parametrize(("event_type", "field", "bound", "payload"), QUANTITIES, ids=IDS)
def test_item2_every_physical_quantity_is_bounded(
    event_type: str, field: str, bound: quantities.Bound, payload: Any
) -> None:
    parse_payload(event_type, payload(float(bound.maximum)))  # the bound itself is plausible
    over = bound.maximum + 1
    reason = f"must be at most {bound.maximum:,g} {bound.unit} ({bound.reason}), got {over:g}"
    with pytest.raises(InvalidPayload) as refused:
        parse_payload(event_type, payload(over))
    assert f"data.{field}: {reason}" in refused.value.message
    assert refused.value.code == "invalid_payload"


def test_item2_the_attack_masses_are_refused() -> None:
    attack = {"feed_mass_kg": 1e308, "content_kg": {"Li": 1e308}, "recovered_kg": {"Li": 1e308}}
    with pytest.raises(InvalidPayload) as refused:
        parse_payload("recycled", attack)
    assert refused.value.message.startswith(
        "invalid 'recycled' payload: data.feed_mass_kg: must be at most 10,000 kg (a pack is under 10 t), got 1e+308"
    )


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize(("event_type", "field", "bound", "payload"), QUANTITIES, ids=IDS)
def test_item2_nan_and_infinity_are_refused(
    event_type: str, field: str, bound: quantities.Bound, payload: Any, value: float
) -> None:
    with pytest.raises(InvalidPayload, match=re.escape(f"data.{field}: Input should be a finite number")):
        parse_payload(event_type, payload(value))


def test_item2_nan_is_refused_inside_corrected_values() -> None:
    with pytest.raises(InvalidPayload, match=re.escape("data.fields.mass_kg.float: Input should be a finite number")):
        parse_payload("corrected", {"target": "ab" * 32, "reason": "typo", "fields": {"mass_kg": float("nan")}})


def test_item2_the_schemas_state_the_bounds() -> None:
    schemas = payload_schemas()
    assert schemas["produced"]["properties"]["mass_kg"]["maximum"] == 10_000
    assert schemas["produced"]["properties"]["nominal_voltage_v"]["maximum"] == 1_500
    assert schemas["produced"]["properties"]["rated_capacity_kwh"]["maximum"] == 5_000
    assert schemas["recycled"]["properties"]["feed_mass_kg"]["maximum"] == 10_000
    resistance = schemas["inspected"]["properties"]["internal_resistance_mohm"]["anyOf"][0]
    assert resistance["maximum"] == 100_000 and resistance["exclusiveMinimum"] == 0


def test_item2_the_glossary_lists_every_bound_with_its_reason() -> None:
    glossary = (DOCS / "glossary.md").read_text(encoding="utf-8")
    assert "a pack is under 10 t" in glossary
    for fields, bound in quantities.BOUNDS.items():
        row = f"| {fields} | {bound.maximum:,g} {bound.unit} | {bound.reason} |"
        assert row in glossary, row


def test_item2_a_recorded_payload_is_replayed_without_the_later_bounds() -> None:
    huge = {"feed_mass_kg": 1e308, "content_kg": {"Li": 1e308}, "recovered_kg": {"Li": 1e308}}
    assert parse_payload("recycled", huge, recorded=True).feed_mass_kg == 1e308  # type: ignore[attr-defined]
    with pytest.raises(InvalidPayload, match="Input should be a finite number"):  # never a NaN
        parse_payload("recycled", {**huge, "feed_mass_kg": float("nan")}, recorded=True)


# -- item 10: free text in payloads -------------------------------------------------------------------

SHORT_TEXTS = [
    ("produced", "batch"), ("produced", "plant"), ("shipped", "waybill"), ("installed", "site"),
    ("retired", "scrap_certificate"), ("inspected", "safety_class"), ("recalled", "campaign"),
]  # fmt: skip
TEXTS = [
    ("serviced", "description"), ("incident", "description"), ("recalled", "reason"), ("corrected", "reason"),
    ("lost", "reason"), ("exported", "reason"), ("found", "note"),
]  # fmt: skip


def _with(event_type: str, field: str, value: Any) -> dict[str, Any]:
    payload = dict(VALID[event_type])
    if event_type == "installed":
        payload.pop("vin")
    payload[field] = value
    return payload


@pytest.mark.parametrize(("event_type", "field"), SHORT_TEXTS)
def test_item10_short_text_fields_have_a_length_limit(event_type: str, field: str) -> None:
    parse_payload(event_type, _with(event_type, field, "x" * SHORT_TEXT_MAX))
    with pytest.raises(InvalidPayload, match=re.escape(f"data.{field}: String should have at most 100 characters")):
        parse_payload(event_type, _with(event_type, field, "x" * (SHORT_TEXT_MAX + 1)))


@pytest.mark.parametrize(("event_type", "field"), TEXTS)
def test_item10_free_text_fields_have_a_length_limit(event_type: str, field: str) -> None:
    parse_payload(event_type, _with(event_type, field, "x" * TEXT_MAX))
    with pytest.raises(InvalidPayload, match=re.escape(f"data.{field}: String should have at most 2000 characters")):
        parse_payload(event_type, _with(event_type, field, "x" * (TEXT_MAX + 1)))


def test_item10_the_material_name_of_a_dismantled_output_is_short_text() -> None:
    output = {"kind": "material", "name": "x" * 101, "mass_kg": 1.0}
    with pytest.raises(InvalidPayload, match=re.escape("data.outputs[0].name: String should have at most 100")):
        parse_payload("dismantled", {"outputs": [output]})


@pytest.mark.parametrize(("event_type", "field"), SHORT_TEXTS + TEXTS)
def test_item10_payload_text_holds_no_control_character(event_type: str, field: str) -> None:
    with pytest.raises(InvalidPayload, match=exact(
        f"invalid '{event_type}' payload: data.{field}: holds U+0000 (a control character) at position 1"
    )):  # fmt: skip
        parse_payload(event_type, _with(event_type, field, "a\x00b"))


def test_item10_free_text_may_hold_line_breaks_and_tabs_but_short_text_may_not() -> None:
    parse_payload("incident", _with("incident", "description", "smoke\n\tthen fire\r\n"))
    with pytest.raises(InvalidPayload, match=re.escape("data.waybill: holds U+000A (a control character)")):
        parse_payload("shipped", {"to": "byd", "waybill": "SF\n123"})


def test_item10_corrected_values_are_bounded() -> None:
    base = {"target": "ab" * 32, "reason": "typo"}
    parse_payload("corrected", {**base, "fields": {f"f{n}": "x" * TEXT_MAX for n in range(50)}})
    cases = {
        "has more than 50 members": {f"f{n}": 1 for n in range(51)},
        "fields.note is over 2000 characters long": {"note": "x" * (TEXT_MAX + 1)},
        "a key of fields is over 100 characters long": {"k" * 101: 1},
        "fields.a.b.c.d is nested more than 4 deep": {"a": {"b": {"c": {"d": {"e": 1}}}}},
        "fields.list[1] holds U+001B (a control character) at position 0": {"list": ["ok", "\x1b[2J"]},
    }
    for message, fields in cases.items():
        with pytest.raises(InvalidPayload, match=re.escape(message)):
            parse_payload("corrected", {**base, "fields": fields})


def test_item10_lists_in_payloads_are_bounded() -> None:
    with pytest.raises(InvalidPayload, match=re.escape("data.modules: Tuple should have at most 1000 items")):
        parse_payload("produced", produced_data(modules=[module_code(n) for n in range(1, 1002)]))


def test_item10_the_schemas_state_lengths_and_characters() -> None:
    schemas = payload_schemas()
    waybill = schemas["shipped"]["properties"]["waybill"]["anyOf"][0]
    description = schemas["incident"]["properties"]["description"]
    assert (waybill["maxLength"], description["maxLength"]) == (SHORT_TEXT_MAX, TEXT_MAX)
    assert re.search(waybill["pattern"], "SF 123") and not re.search(waybill["pattern"], "SF\n1")
    assert re.search(description["pattern"], "a\n\tb") and not re.search(description["pattern"], "a\x00b")


def test_item10_the_lengths_are_documented() -> None:
    doc = (DOCS / "glossary.md").read_text(encoding="utf-8")
    for line in (
        f"| short text | {SHORT_TEXT_MAX} characters |",
        f"| free text | {TEXT_MAX:,} characters |",
    ):
        assert line in doc, line

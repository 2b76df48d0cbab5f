"""events.corrections: what a correction may change, and an entry's values after its corrections."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from events.catalogue import PAYLOAD_MODELS, EventType
from events.codes import make_code
from events.corrections import CORRECTABLE, NEVER, Correction, corrected
from events.errors import InvalidPayload

LFP_PACK = make_code("001", "pack", "B", "12", "ABCDEFG", date(2026, 1, 15), 1)  # B: LFP only
ANY_PACK = make_code("001", "pack", "A", "12", "ABCDEFG", date(2026, 1, 15), 1)  # A: unconfirmed letter
PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0, "batch": "B1"}
RECYCLED = {"feed_mass_kg": 300.0, "content_kg": {"Li": 3.0, "Co": 10.0}, "recovered_kg": {"Li": 2.0, "Co": 9.9}}


def test_every_correctable_member_is_a_member_of_its_payload() -> None:
    for kind, members in CORRECTABLE.items():
        model = PAYLOAD_MODELS[kind]
        names = {field.alias or name for name, field in model.model_fields.items()}
        assert members <= names, kind
    for (kind, member), _ in NEVER.items():
        assert member not in CORRECTABLE.get(kind, frozenset()), (kind, member)


def test_custody_status_and_links_are_never_correctable() -> None:
    never = {("shipped", "to"), ("received", "from"), ("installed", "vin"), ("installed", "site"),
             ("found", "custodian"), ("exported", "destination"), ("produced", "from"), ("repurposed", "into"),
             ("retired", "reason"), ("removed", "reason"), ("recalled", "due")}  # fmt: skip
    for kind, member in never:
        assert member not in CORRECTABLE.get(EventType(kind), frozenset())


def test_a_correction_overrides_the_members_it_names() -> None:
    first = corrected(ANY_PACK, "produced", PRODUCED, {"batch": "B2", "mass_kg": 395.0}, admitting=True)
    assert first == Correction({**PRODUCED, "batch": "B2", "mass_kg": 395.0}, ("batch", "mass_kg"))
    later = corrected(ANY_PACK, "produced", first.data, {"batch": "B3", "chemistry": "NCM"}, admitting=True)
    assert later == Correction(
        {**PRODUCED, "batch": "B3", "mass_kg": 395.0, "chemistry": "NCM"}, ("batch", "chemistry")
    )


def test_a_corrected_member_replaces_the_whole_member() -> None:
    result = corrected(LFP_PACK, "recycled", RECYCLED, {"recovered_kg": {"Li": 2.9}}, admitting=True)
    assert result is not None and result.data["recovered_kg"] == {"Li": 2.9}


def test_a_correction_that_changes_nothing_is_none() -> None:
    assert corrected(LFP_PACK, "produced", PRODUCED, {}, admitting=True) is None
    assert corrected(LFP_PACK, "produced", PRODUCED, {"batch": "B1"}, admitting=True) is None
    assert corrected(LFP_PACK, "shipped", {"to": "byd"}, {}, admitting=True) is None


def test_an_uncorrectable_member_is_refused_saying_what_to_do_instead() -> None:
    with pytest.raises(InvalidPayload) as exc:
        corrected(LFP_PACK, "shipped", {"to": "byd"}, {"to": "geely"}, admitting=True)
    assert exc.value.code == "uncorrectable_field"
    assert exc.value.message == (
        "'corrected' cannot change 'to' of 'shipped' entries: a correction never changes who holds the pack or "
        "where it went: record the events that really happened; corrections of 'shipped' entries may change: waybill"
    )
    incident = {"kind": "fire", "severity": "low", "description": "x"}
    with pytest.raises(InvalidPayload) as exc:
        corrected(LFP_PACK, "incident", incident, {"at": "2026-01-01T00:00:00Z"}, admitting=True)
    assert exc.value.message == (
        "'corrected' cannot change 'at' of 'incident' entries: the claim's `at` is never corrected: the record is "
        "judged as it was reported, so a correction never moves a deadline; corrections of 'incident' entries "
        "may change: description, kind, severity"
    )
    with pytest.raises(InvalidPayload) as exc:
        corrected(LFP_PACK, "installed", {"vin": "x"}, {"vin": "y"}, admitting=True)
    assert exc.value.message == (
        "'corrected' cannot change 'vin' of 'installed' entries: a correction never changes what the pack was "
        "installed in: record its removal and the right installation"
    )
    with pytest.raises(InvalidPayload) as exc:
        corrected(LFP_PACK, "produced", PRODUCED, {"colour": "red"}, admitting=True)
    assert exc.value.message == (
        "'corrected' cannot change 'colour' of 'produced' entries: 'produced' entries have no member 'colour'; "
        "corrections of 'produced' entries may change: batch, cells, chemistry, mass_kg, modules, "
        "nominal_voltage_v, plant, rated_capacity_kwh"
    )


def test_values_the_target_cannot_hold_are_refused_naming_the_member() -> None:
    with pytest.raises(InvalidPayload) as exc:
        corrected(LFP_PACK, "recycled", RECYCLED, {"recovered_kg": {"Li": 5.0, "Co": 9.9}}, admitting=True)
    assert exc.value.code == "invalid_correction"
    assert exc.value.message == (
        "'corrected' gives recovered_kg of the 'recycled' entry values it cannot hold (invalid 'recycled' payload: "
        "data.recovered_kg: Li 5 kg is more than its content_kg 3); give values that make a valid entry, "
        "correcting related members together"
    )
    with pytest.raises(InvalidPayload, match="contradicts the code's chemistry letter 'B'") as exc:
        corrected(LFP_PACK, "produced", PRODUCED, {"chemistry": "NCM"}, admitting=True)
    assert exc.value.code == "invalid_correction"


def test_a_recorded_correction_ignores_what_it_may_not_change() -> None:
    result = corrected(ANY_PACK, "produced", PRODUCED, {"batch": "B9", "from": ["x"]}, admitting=False)
    assert result == Correction({**PRODUCED, "batch": "B9"}, ("batch",))
    assert corrected(LFP_PACK, "shipped", {"to": "byd"}, {"to": "geely"}, admitting=False) is None
    assert corrected(LFP_PACK, "recycled", RECYCLED, {"recovered_kg": {"Li": 5.0}}, admitting=False) is None


def test_docs_list_the_correctable_members_as_the_table_holds_them() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    section = doc.split("## Corrections", 1)[1]
    rows = re.findall(r"^\| `(\w+)` \| ((?:`\w+`(?:, )?)+) \|$", section, flags=re.MULTILINE)
    documented = {kind: frozenset(re.findall(r"`(\w+)`", members)) for kind, members in rows}
    assert documented == {str(kind): members for kind, members in CORRECTABLE.items()}

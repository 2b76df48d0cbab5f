"""events.passport alone: a second-life product's category, the later life in the record, what the public tier
withholds, and the record's members being real payload members."""

from __future__ import annotations

from datetime import date

from events import passport
from events.catalogue import PAYLOAD_MODELS
from events.lifecycle import EventType, Status
from events.state import PackState
from tests.api.test_passport import at_path, definition_errors

ORIGINAL = "001PB12ABCDEFGG1F0000001"
SECOND_LIFE = "001PB12G1F000001RP"  # the passport only copies the code


def state(status: Status, **changes: object) -> PackState:
    base = PackState(
        code=ORIGINAL, status=status, custodian="recycler", manufacturer="manufacturer", maker_code="001",
        chemistry="LFP", production_date=date(2026, 1, 15), rated_capacity_kwh=60.0,
    )  # fmt: skip
    return base.evolve(**changes) if changes else base


PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0,
            "batch": "B-17"}  # fmt: skip
CHAIN = [
    passport.Entry(10, "produced", "2026-01-15T08:00:00+08:00", PRODUCED),
    passport.Entry(11, "retired", "2026-05-01T08:00:00+08:00", {"reason": "end_of_life"}),
    passport.Entry(12, "inspected", "2026-05-02T08:00:00+08:00", {"soh_pct": 71.0, "verdict": "recycle"}),
    passport.Entry(
        13,
        "dismantled",
        "2026-05-03T08:00:00+08:00",
        {"outputs": [{"kind": "material", "name": "black mass", "mass_kg": 200.0}]},
    ),
]


def test_the_record_keeps_the_later_life_and_the_status_is_waste() -> None:
    parts = passport.build(state(Status.DISMANTLED), CHAIN, "legitimate_interest")

    assert [(r.index, r.type) for r in parts.record] == [(11, "retired"), (12, "inspected"), (13, "dismantled")]
    assert parts.record[2].data == {"outputs": [{"kind": "material", "name": "black mass", "mass_kg": 200.0}]}
    assert parts.document["sustainability"]["status"] == "waste"
    assert parts.document["identification"]["identification"]["batch"] == [{"key": "batchId", "value": "B-17"}]
    assert parts.document["performance"]["dynamic"]["energy"] == {
        "soce": {"value": 71.0, "time": "2026-05-02T08:00:00+08:00"}
    }  # no residual capacity graded: `remaining` not filled
    assert parts.entries == (10, 11, 12, 13)
    for filled in parts.filled:
        assert definition_errors(at_path(parts.document, filled.path), filled.definition) == [], filled.path


def test_the_public_tier_sees_no_record_and_the_grade_is_withheld() -> None:
    parts = passport.build(state(Status.DISMANTLED), CHAIN, "public")

    assert parts.record == ()
    assert parts.withheld == ("performance.dynamic.energy.soce",)
    assert "dynamic" not in parts.document["performance"]
    assert parts.missing == passport.build(state(Status.DISMANTLED), CHAIN, "authority").missing


def test_a_second_life_product_is_an_industrial_battery() -> None:
    chain = [passport.Entry(20, "produced", "2026-06-01T08:00:00+08:00", {**PRODUCED, "from": [ORIGINAL]})]
    parts = passport.build(state(Status.PRODUCED, code=SECOND_LIFE, origins=(ORIGINAL,)), chain, "public")

    assert parts.document["identification"]["category"] == "industrial"
    assert parts.document["identification"]["idDmc"] == SECOND_LIFE
    assert parts.document["sustainability"]["status"] == "repurposed"


def test_the_record_shows_only_members_the_payloads_have() -> None:
    for kind, members in passport.RECORD_MEMBERS.items():
        fields = PAYLOAD_MODELS[EventType(kind)].model_fields
        assert set(members) <= set(fields), kind

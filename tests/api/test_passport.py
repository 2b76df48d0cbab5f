"""GET /v1/packs/{code}/passport: the EU battery passport (Catena-X BatteryPass 6.1.0) from signed entries, tiered
like the pack view, every filled attribute valid against its schema definition, the missing ones named."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import jsonschema_rs
import pytest

from events import passport
from events.orgs import Role
from tests.api.parties import T0, VIN, Party
from tests.api.problem import assert_problem
from tests.api.scenario import code, in_vehicle, post
from tests.vectors import load

SCHEMA = load("catenax-batterypass-6.1.0-schema.json")
DEFINITIONS = SCHEMA["components"]["schemas"]


def definition_errors(value: Any, definition: str) -> list[str]:
    """The schema's complaints about `value` as an instance of `#/components/schemas/<definition>`."""
    schema = {"$schema": SCHEMA["$schema"], "components": SCHEMA["components"], "allOf": [
        {"$ref": f"#/components/schemas/{definition}"}
    ]}  # fmt: skip
    return [error.message for error in jsonschema_rs.Draft4Validator(schema).iter_errors(value)]


def required_paths(node: dict[str, Any], path: tuple[str, ...] = ()) -> list[str]:
    """Every required attribute of the schema, following objects through their required members."""
    while "$ref" in node:
        node = DEFINITIONS[node["$ref"].rsplit("/", 1)[1]]
    if node.get("type") == "object" and "properties" in node:
        return [p for key in node.get("required", []) for p in required_paths(node["properties"][key], (*path, key))]
    return [".".join(path)]


def at_path(document: dict[str, Any], path: str) -> Any:
    for key in path.split("."):
        document = document[key]
    return document


def get(client: httpx.Client, party: Party | None, pack: str = code(1)) -> dict[str, Any]:
    response = client.get(f"/v1/packs/{pack}/passport", headers=party.auth if party else {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def graded_pack(client: httpx.Client, parties: dict[Role, Party]) -> list[str]:
    return grade_pack(client, parties)


def grade_pack(client: httpx.Client, parties: dict[Role, Party]) -> list[str]:
    """Pack 1 in a vehicle, retired, shipped to the recycler, received and inspected: the entry hashes."""
    automaker, recycler = parties[Role.AUTOMAKER], parties[Role.RECYCLER]
    pack, later = code(1), T0 + timedelta(hours=1)
    hashes = in_vehicle(client, parties, 1)
    hashes.append(post(client, automaker, automaker.claim(pack, "retired", {"reason": "end_of_life"}, at=later)))
    hashes.append(
        post(client, automaker, automaker.claim(pack, "shipped", {"to": recycler.id}, at=later + timedelta(hours=1)))
    )
    hashes.append(
        post(client, recycler, recycler.claim(pack, "received", {"from": automaker.id}, at=later + timedelta(hours=2)))
    )
    grade = {"soh_pct": 72.5, "verdict": "repurpose", "residual_capacity_kwh": 43.0, "internal_resistance_mohm": 1.8}
    hashes.append(post(client, recycler, recycler.claim(pack, "inspected", grade, at=later + timedelta(hours=3))))
    return hashes


def test_the_required_paths_table_is_the_schemas() -> None:
    assert list(passport.REQUIRED_PATHS) == required_paths(SCHEMA)


def test_every_filled_attribute_validates_against_its_schema_definition(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]
) -> None:
    body = get(client, parties[Role.REGULATOR])

    no_batch = [path for path, _, _ in passport.FACTS if path != "identification.identification.batch"]
    assert [f["path"] for f in body["filled"]] == no_batch  # the scenario's `produced` names no batch
    for filled in body["filled"]:
        value = at_path(body["passport"], filled["path"])
        assert DEFINITIONS[filled["definition"]], filled
        assert definition_errors(value, filled["definition"]) == [], filled["path"]
    whole = body["passport"]
    assert definition_errors(whole["characteristics"]["physicalDimension"], "PhysicalDimensionCharacteristic") == []
    assert definition_errors(whole["sustainability"]["status"], "StateEnumeration") == []
    assert whole["performance"]["dynamic"]["energy"]["soce"] == {"value": 72.5, "time": "2026-03-02T05:00:00Z"}
    assert whole["performance"]["dynamic"]["resistance"]["remaining"]["pack"]["value"] == 0.0018
    assert whole["sustainability"]["status"] == "waste"


def test_a_value_the_schema_refuses_is_caught_by_the_check() -> None:
    assert definition_errors({"value": 380.0, "unit": "kg"}, "MassCharacteristic") != []
    assert definition_errors("2026-1-15", "DateTrait") != []
    assert definition_errors("scrap", "StateEnumeration") != []


def test_the_tiers_differ_as_designed(client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]) -> None:
    public, interest, authority = (
        get(client, None),
        get(client, parties[Role.AUTOMAKER]),
        get(client, parties[Role.REGULATOR]),
    )

    assert (public["tier"], interest["tier"], authority["tier"]) == ("public", "legitimate_interest", "authority")
    assert public["withheld"] == [
        "operation.intoServiceDate",
        "performance.dynamic.energy.soce",
        "performance.dynamic.energy.remaining",
        "performance.dynamic.resistance.remaining.pack",
    ]
    assert "dynamic" not in public["passport"]["performance"] and public["record"] is None
    assert interest["withheld"] == [] and interest["passport"] == authority["passport"]
    assert interest["passport"]["operation"]["intoServiceDate"] == "2026-03-02"
    assert [(r["type"], r["data"]) for r in interest["record"]] == [
        ("retired", {"reason": "end_of_life"}),
        ("inspected", {"soh_pct": 72.5, "verdict": "repurpose", "residual_capacity_kwh": 43.0,
                       "internal_resistance_mohm": 1.8}),
    ]  # fmt: skip
    assert public["missing"] == authority["missing"]  # what nobody supplied is missing whatever the tier
    for text in (VIN, "automaker", "recycler"):
        assert text not in str(public)


def test_the_missing_list_is_exact_and_names_who_supplies(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]
) -> None:
    filled_here = {
        "identification.category", "identification.idDmc", "identification.chemistry",
        "identification.identification.codes", "characteristics.physicalDimension.weight.value",
        "characteristics.physicalDimension.weight.unit", "sustainability.status", "performance.rated.voltage.nominal",
        "performance.dynamic.energy.soce.value", "performance.dynamic.energy.soce.time",
        "performance.dynamic.energy.remaining.time", "performance.dynamic.energy.remaining.value",
        "performance.dynamic.resistance.remaining.pack.time", "performance.dynamic.resistance.remaining.pack.value",
    }  # fmt: skip
    body = get(client, None)

    missing = [(m["path"], m["supplier"]) for m in body["missing"]]
    assert [path for path, _ in missing] == [p for p in required_paths(SCHEMA) if p not in filled_here]
    assert ("operation.manufacturer.manufacturer", "manufacturer") in missing
    assert ("performance.dynamic.stateOfCharge.value", "custodian") in missing
    assert {m["via"] for m in body["missing"]} == {passport.SUPPLIED_VIA}


def test_a_pack_just_produced_misses_what_later_entries_bring(client: httpx.Client, parties: dict[Role, Party]) -> None:
    in_vehicle(client, parties, 2)
    body = get(client, parties[Role.REGULATOR], code(2))

    paths = {m["path"] for m in body["missing"]}
    assert {"performance.dynamic.energy.soce.value", "performance.dynamic.energy.remaining.value"} <= paths
    assert body["passport"]["sustainability"]["status"] == "original"
    assert body["record"] == []


def test_the_passport_refers_to_the_proof_of_its_entries(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]
) -> None:
    body = get(client, parties[Role.REGULATOR])
    history = client.get(f"/v1/packs/{code(1)}/events", headers=parties[Role.REGULATOR].auth).json()["events"]

    source = body["source"]
    assert source["entries"] == [e["index"] for e in history]
    assert source["tree_size"] > max(source["entries"])
    assert source["checkpoint"].splitlines()[1] == str(source["tree_size"])
    assert source["proof"] == f"/v1/packs/{code(1)}/proof"
    assert client.get(source["proof"], headers=parties[Role.REGULATOR].auth).status_code == 200
    for filled in body["filled"]:
        assert set(filled["entries"]) <= set(source["entries"])


def test_an_unknown_pack_has_no_passport(client: httpx.Client) -> None:
    response = client.get(f"/v1/packs/{code(9)}/passport")
    assert_problem(response, 404, "unknown_pack", f"unknown pack {code(9)}")


def test_a_corrected_value_shows_as_corrected_with_its_correction_among_the_sources(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    maker = parties[Role.MANUFACTURER]
    made = in_vehicle(client, parties, 3)[0]
    fix = {"target": made, "reason": "mass misread at the line", "fields": {"mass_kg": 385.0}}
    post(client, maker, maker.claim(code(3), "corrected", fix, at=T0 + timedelta(hours=1)))
    body = get(client, parties[Role.REGULATOR], code(3))

    history = client.get(f"/v1/packs/{code(3)}/events", headers=parties[Role.REGULATOR].auth).json()["events"]
    produced_at, corrected_at = history[0]["index"], history[-1]["index"]
    assert body["passport"]["characteristics"]["physicalDimension"]["weight"] == {
        "value": 385.0,
        "unit": "unit:kilogram",
    }
    weight = next(f for f in body["filled"] if f["path"] == "characteristics.physicalDimension.weight")
    assert weight["entries"] == [produced_at, corrected_at]
    assert (
        definition_errors(body["passport"]["characteristics"]["physicalDimension"]["weight"], "MassCharacteristic")
        == []
    )

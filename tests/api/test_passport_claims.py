"""The signed `passport` claim (POST /v1/events, type `passport`): the maker's attributes and the custodian's
measured values merged into the battery passport, which then validates whole against the Catena-X BatteryPass
6.1.0 schema; every refusal with its exact message (docs/passport.md)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from api.passport_demo import custodian_attributes, maker_attributes
from events import batterypass, passport
from events.lifecycle import TRANSITIONS
from events.orgs import Role
from ledger.format.bundle import verify_bundle
from ledger.log import Ledger
from tests import vectors
from tests.api.parties import T0, VIN, Party
from tests.api.problem import assert_problem
from tests.api.scenario import code, in_vehicle, post
from tests.api.test_passport import SCHEMA, at_path, definition_errors, get, grade_pack

PACK = code(1)
LATER = T0 + timedelta(days=1)


@pytest.fixture
def graded_pack(client: httpx.Client, parties: dict[Role, Party]) -> list[str]:
    return grade_pack(client, parties)


def maker_claim(maker: Party, pack: str = PACK, **changes: Any) -> dict[str, Any]:
    attributes = maker_attributes(pack, "LFP", 60.0, 350.0, date(2026, 1, 15))
    return maker.claim(pack, "passport", {"attributes": {**attributes, **changes}}, at=LATER)


def custodian_claim(custodian: Party, pack: str = PACK) -> dict[str, Any]:
    attributes = custodian_attributes(60.0, 350.0, 72.5, datetime(2026, 3, 2, 9, 0))
    return custodian.claim(pack, "passport", {"attributes": attributes}, at=LATER)


def whole_errors(document: dict[str, Any]) -> list[str]:
    return [error.message for error in jsonschema_rs.Draft4Validator(SCHEMA).iter_errors(document)]


def refused(client: httpx.Client, party: Party, attributes: dict[str, Any], pack: str = PACK) -> httpx.Response:
    return client.post(
        "/v1/events", json=party.claim(pack, "passport", {"attributes": attributes}, at=LATER), headers=party.auth
    )


def test_the_maker_and_the_custodian_complete_the_passport_which_validates_whole(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]
) -> None:
    maker, recycler = parties[Role.MANUFACTURER], parties[Role.RECYCLER]
    before = get(client, parties[Role.REGULATOR])
    assert before["complete"] is False and whole_errors(before["passport"]) != []

    post(client, maker, maker_claim(maker))
    half = get(client, parties[Role.REGULATOR])
    assert half["complete"] is False
    assert {m["supplier"] for m in half["missing"]} == {"custodian"}
    post(client, recycler, custodian_claim(recycler))
    body = get(client, parties[Role.REGULATOR])

    assert body["missing"] == [] and body["complete"] is True and body["withheld"] == []
    assert whole_errors(body["passport"]) == []
    claimed = [f for f in body["filled"] if f["source"] == "claim"]
    assert {f["by"] for f in claimed} == {maker.id, recycler.id}
    for filled in body["filled"]:
        assert definition_errors(at_path(body["passport"], filled["path"]), filled["definition"]) == [], filled
        assert filled["by"] is None if filled["source"] == "entries" else filled["by"]
    warranty = next(f for f in claimed if f["path"] == "characteristics.warranty.lifeValue")
    assert warranty["definition"] == "LifeValueCharacteristic" and warranty["by"] == maker.id
    history = client.get(f"/v1/packs/{PACK}/events", headers=parties[Role.REGULATOR].auth).json()["events"]
    assert warranty["entries"] == [history[-2]["index"]]
    assert body["passport"]["sustainability"]["carbonFootprint"][0]["value"] == 4500.0
    assert client.get(f"/v1/packs/{PACK}", headers=maker.auth).json()["status"] == "retired"  # flag-only


def test_the_tiers_see_the_claimed_sections_of_annex_xiii(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]
) -> None:
    maker, recycler = parties[Role.MANUFACTURER], parties[Role.RECYCLER]
    post(client, maker, maker_claim(maker))
    post(client, recycler, custodian_claim(recycler))
    public, interest = get(client, None), get(client, parties[Role.AUTOMAKER])

    assert public["complete"] is True and interest["complete"] is True  # of the passport, whatever the tier
    assert "carbonFootprint" in public["passport"]["sustainability"]
    assert public["passport"]["materials"]["hazardous"]["cadmium"]["concentration"] == 0.0
    assert "composition" not in public["passport"]["materials"] and "handling" not in public["passport"]
    assert "dismantling" not in public["passport"]["safety"] and "dynamic" not in public["passport"]["performance"]
    assert "resultOfTestReport" not in public["passport"]["conformity"]
    above = {"materials.composition", "handling.content.producer", "safety.dismantling",
             "performance.dynamic.stateOfCharge.value", "conformity.resultOfTestReport"}  # fmt: skip
    assert above <= set(public["withheld"])
    assert interest["withheld"] == ["conformity.resultOfTestReport", "performance.rated.lifetime.report"]
    assert interest["passport"]["materials"]["composition"][0]["id"][0]["type"] == "CAS"
    assert {f["by"] for f in public["filled"]} == {None}
    texts = strings({k: public[k] for k in ("passport", "filled", "record", "withheld")})
    assert not [text for text in texts if VIN in text]
    assert not texts & {maker.id, recycler.id, parties[Role.AUTOMAKER].id}


def test_the_history_epcis_and_bundle_withhold_the_claims_authority_sections_from_legitimate_interest(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str], ledger: Ledger
) -> None:
    """Annex XIII point 3 (test results) is for authorities: a reader the passport withholds it from does not
    read it in the claim's entry either, however it asks (history, EPCIS, bundle)."""
    maker, automaker, regulator = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER], parties[Role.REGULATOR]
    post(client, maker, maker_claim(maker))
    claimed = {path for path, _ in passport.split_attributes(maker_claim(maker)["claim"]["data"]["attributes"])[0]}
    assert {"conformity.resultOfTestReport", "conformity.declarationOfConformity", "materials.composition"} <= claimed

    interest = client.get(f"/v1/packs/{PACK}/events", headers=automaker.auth).json()["events"][-1]
    assert interest["type"] == "passport"
    assert interest["redacted"][-2:] == [
        "data.attributes.conformity.resultOfTestReport", "data.attributes.performance.rated.lifetime.report"
    ]  # fmt: skip
    assert all(path.endswith(".location") for path in interest["redacted"][:-2])  # rule 2 over-redacts 'location'
    assert "report" not in interest["data"]["attributes"]["performance"]["rated"]["lifetime"]
    assert "resultOfTestReport" not in interest["data"]["attributes"]["conformity"]
    assert "declarationOfConformity" in interest["data"]["attributes"]["conformity"]  # point 1, public
    assert "composition" in interest["data"]["attributes"]["materials"]  # point 2(a), legitimate interest
    authority = client.get(f"/v1/packs/{PACK}/events", headers=regulator.auth).json()["events"][-1]
    assert "resultOfTestReport" in authority["data"]["attributes"]["conformity"] and authority["redacted"] == []

    report = "GB 38031-2025 test report"  # the test report's header (api.passport_demo)
    epcis = client.get(f"/v1/packs/{PACK}/epcis", headers=automaker.auth)
    assert epcis.status_code == 200 and report not in epcis.text and "EU declaration of conformity" in epcis.text
    assert report in client.get(f"/v1/packs/{PACK}/epcis", headers=regulator.auth).text

    bundle = client.get(f"/v1/packs/{PACK}/bundle", headers=automaker.auth).json()
    assert bundle["items"][-1] == {"seq": len(graded_pack), "withheld": True}  # the maker's claim, whole
    assert report not in json.dumps(bundle)
    assert [item["entry"]["seq"] for item in bundle["items"] if "entry" in item] == [0, 2, 3, 4, 5]  # produced, its own
    assert verify_bundle(bundle, ledger.signer.verifier_key).disclosed == 5
    own = client.get(f"/v1/packs/{PACK}/bundle", headers=maker.auth).json()
    assert "entry" in own["items"][-1]  # the maker's own claim: every byte of it its own
    assert verify_bundle(own, ledger.signer.verifier_key).pack == PACK


def test_a_passport_claim_is_replaced_by_a_later_claim_not_corrected(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]
) -> None:
    maker = parties[Role.MANUFACTURER]
    target = post(client, maker, maker_claim(maker))
    attributes = {"characteristics": {"warranty": {"lifeValue": 9}}}
    fix = {"target": target, "reason": "typo", "fields": {"attributes": attributes}}
    response = client.post("/v1/events", json=maker.claim(PACK, "corrected", fix, at=LATER), headers=maker.auth)
    assert_problem(
        response,
        422,
        "uncorrectable_field",
        "'corrected' cannot change 'attributes' of 'passport' entries: a passport claim is never corrected: post "
        "a later claim, whose attributes replace the earlier claim's (latest wins)",
    )


def test_the_passport_names_no_counterparty_to_an_organisation_the_history_hides_it_from(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]
) -> None:
    """A claim's poster is shown to the reader that posted it and as the pack's (public) maker, else only to
    the authority tier, as the history shows an entry's actor."""
    maker, recycler, dealer = parties[Role.MANUFACTURER], parties[Role.RECYCLER], parties[Role.DEALER]
    post(client, maker, maker_claim(maker))
    post(client, recycler, custodian_claim(recycler))
    assert {e["actor"] for e in client.get(f"/v1/packs/{PACK}/events", headers=dealer.auth).json()["events"]} == {None}
    posters = {f["by"] for f in get(client, dealer)["filled"] if f["source"] == "claim"}
    assert posters == {maker.id, None}  # the maker is public; the custodian, a counterparty, is not named
    assert {f["by"] for f in get(client, recycler)["filled"] if f["source"] == "claim"} == {maker.id, recycler.id}
    assert {f["by"] for f in get(client, parties[Role.REGULATOR])["filled"] if f["source"] == "claim"} == {
        maker.id,
        recycler.id,
    }


def test_the_passport_record_withholds_what_the_history_withholds(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]
) -> None:
    recycler, dealer, automaker = parties[Role.RECYCLER], parties[Role.DEALER], parties[Role.AUTOMAKER]
    outputs = [{"kind": "material", "name": f"black mass ex {VIN}", "mass_kg": 100.0},
               {"kind": "material", "name": f"casing for {automaker.id}", "mass_kg": 10.0},
               {"kind": "material", "name": "copper foil", "mass_kg": 5.0}]  # fmt: skip
    post(client, recycler, recycler.claim(PACK, "dismantled", {"outputs": outputs}, at=LATER))
    history = client.get(f"/v1/packs/{PACK}/events", headers=dealer.auth).json()["events"]
    shown = next(e["data"] for e in history if e["type"] == "dismantled")
    record = next(r["data"] for r in get(client, dealer)["record"] if r["type"] == "dismantled")
    assert record == shown
    assert [out.get("name") for out in record["outputs"]] == [None, None, "copper foil"]
    regulator = next(r["data"] for r in get(client, parties[Role.REGULATOR])["record"] if r["type"] == "dismantled")
    assert regulator == {"outputs": outputs}


def test_a_claimed_text_holding_a_vin_is_withheld_below_the_authority_tier(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]
) -> None:
    maker = parties[Role.MANUFACTURER]
    named = {"type": {"manufacturerPartId": "P-60", "nameAtManufacturer": f"pack for vehicle {VIN}"}}
    post(client, maker, maker_claim(maker, identification={"identification": named}))
    path = "identification.identification.type.nameAtManufacturer"
    for reader in (None, parties[Role.DEALER]):
        body = get(client, reader)
        assert VIN not in str(body) and path in body["withheld"], body["tier"]
        assert body["passport"]["identification"]["identification"]["type"] == {"manufacturerPartId": "P-60"}
    authority = get(client, parties[Role.REGULATOR])
    assert at_path(authority["passport"], path) == f"pack for vehicle {VIN}"


def strings(value: Any) -> set[str]:
    """Every text value (not member name) in `value`."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, dict):
        value = list(value.values())
    return {text for item in value for text in strings(item)} if isinstance(value, list) else set()


def test_a_later_claim_replaces_an_attribute_and_becomes_its_entry(
    client: httpx.Client, parties: dict[Role, Party], graded_pack: list[str]
) -> None:
    maker = parties[Role.MANUFACTURER]
    post(client, maker, maker_claim(maker))
    later = maker.claim(
        PACK, "passport", {"attributes": {"characteristics": {"warranty": {"lifeValue": 10}}}}, at=LATER
    )
    post(client, maker, later)
    body = get(client, parties[Role.REGULATOR])

    history = client.get(f"/v1/packs/{PACK}/events", headers=maker.auth).json()["events"]
    first, second = history[-2]["index"], history[-1]["index"]
    assert body["passport"]["characteristics"]["warranty"] == {"lifeValue": 10, "lifeUnit": "unit:year"}
    entries = {f["path"]: f["entries"] for f in body["filled"]}
    assert entries["characteristics.warranty.lifeValue"] == [second]
    assert entries["characteristics.warranty.lifeUnit"] == [first]


def test_a_claim_naming_what_the_batterypass_does_not_have_is_refused(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    in_vehicle(client, parties, 1)
    maker = parties[Role.MANUFACTURER]
    response = refused(client, maker, {"identification": {"colour": "red"}, "warranty": 8})
    assert_problem(
        response,
        422,
        "invalid_payload",
        "invalid 'passport' payload: data.attributes.identification.colour: the BatteryPass has no such attribute; "
        "data.attributes.warranty: the BatteryPass has no such attribute",
    )
    response = refused(client, maker, {"characteristics": {"warranty": 8}})
    assert_problem(
        response,
        422,
        "invalid_payload",
        "invalid 'passport' payload: data.attributes.characteristics.warranty: must be an object holding some of "
        "its attributes (lifeValue, lifeUnit)",
    )


def test_an_attribute_the_platform_fills_cannot_be_claimed(client: httpx.Client, parties: dict[Role, Party]) -> None:
    in_vehicle(client, parties, 1)
    maker = parties[Role.MANUFACTURER]
    attributes = {"performance": {"rated": {"energy": {"value": 70.0}}}, "sustainability": {"status": "original"}}
    assert_problem(
        refused(client, maker, attributes),
        422,
        "invalid_payload",
        "invalid 'passport' payload: data.attributes.performance.rated.energy: filled by the platform from the "
        "'produced' entry; a claim cannot post it; data.attributes.sustainability.status: filled by the platform "
        "from the pack's whole chain (its EU status); a claim cannot post it",
    )
    soce = {"performance": {"dynamic": {"energy": {"soce": {"value": 90.0}}}}}
    assert_problem(
        refused(client, parties[Role.AUTOMAKER], soce),
        422,
        "invalid_payload",
        "invalid 'passport' payload: data.attributes.performance.dynamic.energy.soce.value: filled by the platform "
        "from the last 'inspected' entry; a claim cannot post it",
    )


def test_an_attribute_is_supplied_only_by_its_supplier(client: httpx.Client, parties: dict[Role, Party]) -> None:
    in_vehicle(client, parties, 1)
    maker, automaker = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER]
    mixed = {"characteristics": {"warranty": {"lifeValue": 8}},
             "performance": {"dynamic": {"selfDischargingRate": 2.0}}}  # fmt: skip
    assert_problem(
        refused(client, automaker, mixed),
        403,
        "forbidden",
        "org 'automaker' (automaker) may not supply passport attribute 'characteristics.warranty.lifeValue': the "
        "pack's maker ('manufacturer') supplies it",
    )
    assert_problem(
        refused(client, maker, mixed),
        403,
        "forbidden",
        "org 'manufacturer' (manufacturer) may not supply passport attribute "
        "'performance.dynamic.selfDischargingRate': the pack's current custodian ('automaker') supplies it",
    )
    assert_problem(
        refused(client, parties[Role.RECYCLER], {"characteristics": {"warranty": {"lifeValue": 8}}}),
        403,
        "forbidden",
        "org 'recycler' (recycler) may not post 'passport': requires being the pack's manufacturer ('manufacturer'), "
        "or custody; the custodian is 'automaker'",
    )
    measured = {"performance": mixed["performance"]}
    post(client, automaker, automaker.claim(PACK, "passport", {"attributes": measured}, at=LATER))


def test_every_attribute_is_checked_against_its_definition(client: httpx.Client, parties: dict[Role, Party]) -> None:
    in_vehicle(client, parties, 1)
    maker = parties[Role.MANUFACTURER]
    attributes = {"characteristics": {"warranty": {"lifeUnit": "unit:decade"}},
                  "operation": {"manufacturer": {"manufacturer": "CATL"}},
                  "sustainability": {"carbonFootprint": [{"value": -1.0}]}}  # fmt: skip
    assert_problem(
        refused(client, maker, attributes),
        422,
        "invalid_payload",
        "invalid 'passport' payload: data.attributes.characteristics.warranty.lifeUnit: not a valid LifeEnumeration "
        '("unit:decade" is not one of "unit:day", "unit:month" or 3 other candidates); '
        "data.attributes.operation.manufacturer.manufacturer: not a valid BpnlTrait "
        '("CATL" does not match "^BPNL[a-zA-Z0-9]{12}$"); '
        "data.attributes.sustainability.carbonFootprint: not a valid FootprintList "
        '([0]: "rulebook" is a required property; [0]: "lifecycle" is a required property; [0]: "unit" is a '
        'required property; [0]: "type" is a required property; [0]: "manufacturingPlant" is a required property; '
        '[0]: "declaration" is a required property; [0].value: -1.0 is less than the minimum of 0.0)',
    )


def test_a_pack_that_is_no_longer_a_battery_here_takes_no_claim(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    in_vehicle(client, parties, 1)
    automaker = parties[Role.AUTOMAKER]
    post(client, automaker, automaker.claim(PACK, "exported", {"destination": "TH"}, at=LATER))
    response = refused(client, parties[Role.MANUFACTURER], {"characteristics": {"warranty": {"lifeValue": 8}}})
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "illegal_transition"
    assert response.json()["detail"].startswith("pack is exported: 'passport' is not allowed; allowed: ")


def test_the_claim_is_allowed_wherever_the_pack_is_a_battery_on_this_platform() -> None:
    allowed = {str(s) for (s, e), target in TRANSITIONS.items() if e == passport.CLAIM_TYPE and s == target}
    claims = {str(s) for (s, e) in TRANSITIONS if e == passport.CLAIM_TYPE}
    assert allowed == claims == {"produced", "in_transit", "in_stock", "in_vehicle", "in_storage_system", "retired",
                                 "lost"}  # fmt: skip


def test_the_shipped_schema_is_the_vectors_byte_for_byte() -> None:
    shipped = (files("events") / "catenax" / batterypass.SCHEMA_FILE).read_bytes()
    assert shipped == (Path(vectors.__file__).parent / batterypass.SCHEMA_FILE).read_bytes()
    assert batterypass.schema() == SCHEMA

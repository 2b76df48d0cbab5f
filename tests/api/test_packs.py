"""GET /v1/packs/{code}, …/events, …/bundle and GET /v1/packs: what each access tier sees."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from events.lifecycle import Status
from events.orgs import Role
from ledger.format.bundle import verify_bundle
from ledger.log import Ledger
from ledger.usecases.views import COARSE_STATUS
from tests.api.parties import OTHER_VIN, VIN, Party
from tests.api.problem import assert_problem
from tests.api.scenario import NCM, code, in_vehicle, post, produced

IDENTITY = {
    "code": code(1),
    "manufacturer": "manufacturer",
    "maker_code": "001",
    "chemistry": "LFP",
    "production_date": "2026-01-15",
    "rated_capacity_kwh": 60.0,
    "eu_status": "original",
}
HIDDEN_FROM_PUBLIC = (
    "custodian", "vin", "technical", "soh_pct", "verdict", "origins", "successor", "successors", "last_event_at",
    "events",
    "sender", "receiver", "bindings", "box_code", "foreign_manufacturer", "import_date", "customs_declaration",
    "owner", "lease", "handed_over",
)  # fmt: skip


@pytest.fixture
def vehicle_pack(client: httpx.Client, parties: dict[Role, Party]) -> list[str]:
    return in_vehicle(client, parties, 1)


def view(client: httpx.Client, party: Party | None, pack: str = code(1)) -> dict[str, Any]:
    response = client.get(f"/v1/packs/{pack}", headers=party.auth if party else {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_public_view_of_a_pack_in_a_vehicle_has_no_vin_and_no_counterparty(
    client: httpx.Client, vehicle_pack: list[str]
) -> None:
    public = view(client, None)

    assert public == {
        **IDENTITY,
        "tier": "public",
        "status": "in_use",
        "head": vehicle_pack[-1],
        "flags": [],
        "corrected": None,
        **dict.fromkeys(HIDDEN_FROM_PUBLIC),
    }
    assert VIN not in str(public) and "automaker" not in str(public)


def test_the_regulators_view_has_the_vin_and_the_counterparties(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    regulator = view(client, parties[Role.REGULATOR])

    assert regulator["tier"] == "authority"
    assert (regulator["status"], regulator["vin"], regulator["custodian"]) == ("in_vehicle", VIN, "automaker")
    assert regulator["bindings"] == [{"kind": "vin", "target": VIN, "start": "2026-03-02T01:00:00Z", "end": None}]
    assert regulator["technical"] == {
        "chemistry": "LFP",
        "rated_capacity_kwh": 60,
        "nominal_voltage_v": 350,
        "mass_kg": 380,
    }
    assert view(client, parties[Role.ADMIN])["vin"] == VIN  # the administrator is an authority too


def test_legitimate_interest_sees_technical_data_but_no_vin_nor_others_custody(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    recycler = view(client, parties[Role.RECYCLER])

    assert recycler["tier"] == "legitimate_interest"
    assert recycler["status"] == "in_vehicle"
    assert recycler["technical"]["mass_kg"] == 380
    assert (recycler["events"], recycler["last_event_at"]) == (4, "2026-03-02T01:00:00Z")
    assert (recycler["vin"], recycler["custodian"], recycler["bindings"], recycler["sender"]) == (None,) * 4
    # the custodian is a party: it sees its own custody, still without the VIN
    custodian = view(client, parties[Role.AUTOMAKER])
    assert (custodian["custodian"], custodian["vin"]) == ("automaker", None)


def test_the_parties_to_a_shipment_see_each_other(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker = parties[Role.MANUFACTURER]
    produced(client, parties, 1)
    post(client, maker, maker.claim(code(1), "shipped", {"to": "collector"}))

    parties_view = [view(client, parties[role]) for role in (Role.MANUFACTURER, Role.COLLECTOR)]
    assert [(v["custodian"], v["sender"], v["receiver"]) for v in parties_view] == [
        ("manufacturer", "manufacturer", "collector")
    ] * 2
    outsider = view(client, parties[Role.RECYCLER])
    assert (outsider["custodian"], outsider["sender"], outsider["receiver"]) == (None, None, None)


def test_a_recall_is_public_other_flags_are_not(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker, regulator = parties[Role.MANUFACTURER], parties[Role.REGULATOR]
    produced(client, parties, 1)
    post(client, maker, maker.claim(code(1), "recalled", {"campaign": "R-2026-01", "reason": "cell defect"}))
    post(
        client,
        regulator,
        regulator.claim(code(1), "incident", {"kind": "fire", "severity": "high", "description": "x"}),
    )

    assert view(client, None)["flags"] == ["recalled"]
    assert view(client, parties[Role.COLLECTOR])["flags"] == ["incident", "recalled"]


@pytest.mark.parametrize(
    ("events", "coarse"),
    [
        ([], "in_circulation"),
        ([("manufacturer", "retired", {"reason": "damaged"})], "retired"),
        ([("manufacturer", "lost", {"reason": "fell off a truck"})], "lost"),
        ([("manufacturer", "exported", {"destination": "DE"})], "exported"),
    ],
)
def test_the_public_sees_the_coarse_status(
    client: httpx.Client, parties: dict[Role, Party], events: list[tuple[str, str, dict[str, Any]]], coarse: str
) -> None:
    produced(client, parties, 1)
    for role, type_, data in events:
        party = parties[Role(role)]
        post(client, party, party.claim(code(1), type_, data))
    assert view(client, None)["status"] == coarse


def test_unknown_and_malformed_codes(client: httpx.Client) -> None:
    assert_problem(client.get(f"/v1/packs/{code(404)}"), 404, "unknown_pack", f"unknown pack {code(404)}")
    malformed = client.get("/v1/packs/001XB12ABCDEFGG1F0000001")
    body = assert_problem(
        malformed,
        422,
        "invalid_code",
        "battery code 001XB12ABCDEFGG1F0000001: product type 'X' is not P (pack), M (module) or C (cell)",
    )
    assert body["field"] == "product_type"


# -- history ---------------------------------------------------------------------------------------------


def history(client: httpx.Client, party: Party) -> list[dict[str, Any]]:
    response = client.get(f"/v1/packs/{code(1)}/events", headers=party.auth)
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def test_the_history_needs_a_token(client: httpx.Client, vehicle_pack: list[str]) -> None:
    response = client.get(f"/v1/packs/{code(1)}/events")
    assert_problem(response, 401, "unauthenticated", "reading a pack's history needs a bearer token")
    assert response.headers["www-authenticate"] == "Bearer"


def test_legitimate_interest_sees_the_history_without_personal_data(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    events = history(client, parties[Role.COLLECTOR])

    assert [(e["seq"], e["hash"], e["type"]) for e in events] == list(
        zip(range(4), vehicle_pack, ["produced", "shipped", "received", "installed"], strict=True)
    )
    assert [e["prev"] for e in events] == [None, *vehicle_pack[:3]]
    assert [e["redacted"] for e in events] == [[], ["data.to", "data.waybill"], ["data.from"], ["data.vin"]]
    assert [e["data"] for e in events][1:] == [{}, {}, {}]
    assert [e["actor"] for e in events] == [None] * 4
    assert [e["actor_roles"] for e in events] == [["manufacturer"]] * 2 + [["automaker"]] * 2
    assert all(e["entry"] is None for e in events)
    assert VIN not in str(events) and "automaker" not in str([e["data"] for e in events])


def test_an_org_sees_its_own_events_as_its_own(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    events = history(client, parties[Role.MANUFACTURER])
    assert [e["actor"] for e in events] == ["manufacturer", "manufacturer", None, None]


def test_the_regulator_sees_every_entry_verbatim(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    events = history(client, parties[Role.REGULATOR])

    assert [e["actor"] for e in events] == ["manufacturer", "manufacturer", "automaker", "automaker"]
    assert events[3]["data"] == {"vin": VIN} and events[3]["redacted"] == []
    assert events[1]["data"] == {"to": "automaker", "waybill": "SF123"}
    assert [e["entry"]["seq"] for e in events] == [0, 1, 2, 3]
    assert events[3]["entry"]["claim"]["data"]["vin"] == VIN


def test_a_correction_of_a_vin_is_refused(client: httpx.Client, parties: dict[Role, Party]) -> None:
    hashes = in_vehicle(client, parties, 1)
    automaker = parties[Role.AUTOMAKER]
    fix = {"target": hashes[3], "reason": "typo", "fields": {"vin": OTHER_VIN}}
    response = client.post("/v1/events", json=automaker.claim(code(1), "corrected", fix), headers=automaker.auth)
    assert_problem(
        response,
        422,
        "uncorrectable_field",
        "'corrected' cannot change 'vin' of 'installed' entries: a correction never changes what the pack was "
        "installed in: record its removal and the right installation",
    )


@pytest.mark.usefixtures("corrections_as_recorded")
def test_a_recorded_correction_of_a_vin_is_redacted_too(client: httpx.Client, parties: dict[Role, Party]) -> None:
    hashes = in_vehicle(client, parties, 1)
    automaker = parties[Role.AUTOMAKER]
    fix = {"target": hashes[3], "reason": "typo", "fields": {"vin": OTHER_VIN, "note": "kept"}}
    post(client, automaker, automaker.claim(code(1), "corrected", fix))

    corrected = history(client, parties[Role.SECOND_LIFE])[-1]
    assert corrected["data"] == {"target": hashes[3], "reason": "typo", "fields": {"note": "kept"}}
    assert corrected["redacted"] == ["data.fields.vin"]


# -- bundle ----------------------------------------------------------------------------------------------


def test_the_regulator_gets_the_full_bundle_and_the_custodian_a_redacted_one_both_verify(
    client: httpx.Client, parties: dict[Role, Party], base: int, vehicle_pack: list[str], ledger: Ledger
) -> None:
    response = client.get(f"/v1/packs/{code(1)}/bundle", headers=parties[Role.REGULATOR].auth)
    assert response.status_code == 200
    bundle = response.json()
    assert bundle["format"] == "packtrace-bundle/3"
    assert [e["seq"] for e in bundle["entries"]] == [0, 1, 2, 3]
    summary = verify_bundle(bundle, ledger.signer.verifier_key)
    # the log committed to every chain's head (entry base+4) before it wrote the bundle
    assert (summary.pack, summary.entries, summary.disclosed, summary.tree_size) == (code(1), 4, 4, base + 5)
    assert (summary.complete_through, summary.commitment) == (3, base + 4)

    # the custodian (the automaker): the maker's `produced` and its own entries; the shipment withheld
    redacted = client.get(f"/v1/packs/{code(1)}/bundle", headers=parties[Role.AUTOMAKER].auth).json()
    assert redacted["format"] == "packtrace-redacted-bundle/3"
    assert redacted["items"][1] == {"seq": 1, "withheld": True}
    summary = verify_bundle(redacted, ledger.signer.verifier_key)
    assert (summary.pack, summary.entries, summary.disclosed, summary.tree_size) == (code(1), 4, 3, base + 5)
    assert "SF123" not in str(redacted)
    # the keys are proven by the registry chains of the disclosed entries' signers only: no counterparty's
    signers = sorted({item["entry"]["claim"]["actor"] for item in redacted["items"] if "entry" in item})
    assert [chain["subject"] for chain in redacted["registry"]] == [f"org:{org}" for org in signers]
    assert [chain["subject"] for chain in bundle["registry"]] == sorted(
        f"org:{entry['claim']['actor']}" for entry in {e["claim"]["actor"]: e for e in bundle["entries"]}.values()
    )


def test_a_bundle_needs_a_token(client: httpx.Client, vehicle_pack: list[str]) -> None:
    assert_problem(
        client.get(f"/v1/packs/{code(1)}/bundle"),
        401,
        "unauthenticated",
        "fetching a pack's bundle needs a bearer token",
    )


def test_the_bundle_of_an_unknown_pack_is_404_before_anything_is_sent(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    for party in (parties[Role.REGULATOR], parties[Role.COLLECTOR]):
        response = client.get(f"/v1/packs/{code(9)}/bundle", headers=party.auth)
        assert_problem(response, 404, "unknown_pack", f"unknown pack {code(9)}")
        assert client.get("/v1/packs/NOTACODE/bundle", headers=party.auth).status_code == 422


# -- list ------------------------------------------------------------------------------------------------


def codes(client: httpx.Client, party: Party, **params: Any) -> list[str]:
    response = client.get("/v1/packs", params=params, headers=party.auth)
    assert response.status_code == 200, response.text
    return [p["code"] for p in response.json()["packs"]]


@pytest.fixture
def fleet(client: httpx.Client, parties: dict[Role, Party]) -> None:
    """code(1) in a vehicle (automaker), code(2) with the maker, code(3) NCM with the maker."""
    in_vehicle(client, parties, 1)
    produced(client, parties, 2)
    produced(client, parties, 3, NCM)


def test_the_regulator_filters_every_pack(client: httpx.Client, parties: dict[Role, Party], fleet: None) -> None:
    regulator = parties[Role.REGULATOR]
    pack3 = code(3, chemistry="E")
    assert codes(client, regulator) == [code(1), code(2), pack3]
    assert codes(client, regulator, status="in_vehicle") == [code(1)]
    assert codes(client, regulator, custodian="manufacturer") == [code(2), pack3]
    assert codes(client, regulator, vin=VIN) == [code(1)]
    assert codes(client, regulator, chemistry="NCM") == [pack3]
    assert codes(client, regulator, manufacturer="001") == codes(client, regulator, manufacturer="manufacturer")
    assert codes(client, regulator, produced_from="2026-01-15", produced_to="2026-01-15") == [code(1), code(2), pack3]
    assert codes(client, regulator, produced_from="2026-01-16") == []


def test_pages_follow_the_cursor(client: httpx.Client, parties: dict[Role, Party], fleet: None) -> None:
    regulator = parties[Role.REGULATOR]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/packs", params=params, headers=regulator.auth).json()
        seen += [p["code"] for p in page["packs"]]
        pages, cursor = pages + 1, page["next"]
        if cursor is None:
            break
    assert (seen, pages) == ([code(1), code(2), code(3, chemistry="E")], 2)


def test_an_org_lists_only_its_own_custody(client: httpx.Client, parties: dict[Role, Party], fleet: None) -> None:
    assert codes(client, parties[Role.AUTOMAKER]) == [code(1)]
    assert codes(client, parties[Role.MANUFACTURER], status="produced") == [code(2), code(3, chemistry="E")]
    assert codes(client, parties[Role.RECYCLER]) == []
    listed = client.get("/v1/packs", headers=parties[Role.AUTOMAKER].auth).json()["packs"][0]
    assert (listed["custodian"], listed["vin"], listed["tier"]) == ("automaker", None, "legitimate_interest")


def test_an_org_may_not_look_into_others_custody_or_search_vins(
    client: httpx.Client, parties: dict[Role, Party], fleet: None
) -> None:
    automaker = parties[Role.AUTOMAKER]
    assert_problem(
        client.get("/v1/packs", params={"custodian": "manufacturer"}, headers=automaker.auth),
        403,
        "forbidden",
        "only a regulator may list packs in another organisation's custody; you are org 'automaker' (automaker)",
    )
    assert_problem(
        client.get("/v1/packs", params={"vin": VIN}, headers=automaker.auth),
        403,
        "forbidden",
        "only a regulator may search packs by VIN; you are org 'automaker' (automaker)",
    )


def test_every_status_has_a_coarse_status() -> None:
    assert set(COARSE_STATUS) == set(Status)

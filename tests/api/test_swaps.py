"""Battery swaps over HTTP (issue 16): one batch request records both halves, or neither; the station's pool
(GET /v1/orgs/{org}/pool) for the operator and regulators; the GB/T 40098 box code on the authority view."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from events.orgs import Role
from tests.api.parties import OTHER_VIN, VIN, Party
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code, post

A, B, C = code(1), code(2), code(3)
BOX = "NIO75KWH2026000123"


@pytest.fixture
def station(client: httpx.Client, parties: dict[Role, Party]) -> Party:
    """A in vehicle VIN (the swap operator installed it); B (with a box code) and C in the operator's stock."""
    maker, swap = parties[Role.MANUFACTURER], parties[Role.SWAP_OPERATOR]
    for pack in (A, B, C):
        post(client, maker, maker.claim(pack, "produced", {**PRODUCED, "box_code": BOX} if pack == B else PRODUCED))
        post(client, maker, maker.claim(pack, "shipped", {"to": swap.id}))
        post(client, swap, swap.claim(pack, "received", {"from": maker.id}))
    post(client, swap, swap.claim(A, "installed", {"vin": VIN}))
    return swap


def swap_halves(swap: Party, outgoing: str, incoming: str, vin: str = VIN, **extra: Any) -> dict[str, Any]:
    return {"events": [
        swap.claim(outgoing, "swapped", {"direction": "out", "vin": vin, "partner": incoming, **extra}),
        swap.claim(incoming, "swapped", {"direction": "in", "vin": vin, "partner": outgoing}),
    ]}  # fmt: skip


def test_a_swap_is_one_request_and_both_chains_show_it(
    client: httpx.Client, parties: dict[Role, Party], station: Party
) -> None:
    response = client.post(
        "/v1/events/batch", json=swap_halves(station, A, B, site="厦门海沧换电站"), headers=station.auth
    )
    assert response.status_code == 201, response.text
    regulator = parties[Role.REGULATOR]
    for pack, direction, partner in ((A, "out", B), (B, "in", A)):
        history = client.get(f"/v1/packs/{pack}/events", headers=regulator.auth).json()["events"]
        last = history[-1]
        assert (last["type"], last["data"]["direction"], last["data"]["partner"]) == ("swapped", direction, partner)
    out = client.get(f"/v1/packs/{A}", headers=regulator.auth).json()
    into = client.get(f"/v1/packs/{B}", headers=regulator.auth).json()
    assert (out["status"], out["custodian"], out["vin"]) == ("in_stock", station.id, None)
    assert (into["status"], into["vin"], into["box_code"]) == ("in_vehicle", VIN, BOX)


def test_if_either_half_is_illegal_neither_is_recorded(
    client: httpx.Client, parties: dict[Role, Party], station: Party
) -> None:
    size = client.get("/healthz").json()["log_size"]
    response = client.post("/v1/events/batch", json=swap_halves(station, A, B, vin=OTHER_VIN), headers=station.auth)
    body = assert_problem(response, 422, "batch_rejected")
    assert [(e["position"], e["code"], e["detail"]) for e in body["errors"]] == [
        (0, "illegal_transition", f"pack {A} is in vehicle {VIN}, not in {OTHER_VIN}: a swap takes out the pack "
                                  "the vehicle holds"),
    ]  # fmt: skip
    lone = {"events": swap_halves(station, A, B)["events"][:1]}
    body = assert_problem(client.post("/v1/events/batch", json=lone, headers=station.auth), 422, "batch_rejected")
    assert [(e["position"], e["code"]) for e in body["errors"]] == [(0, "swap_unpaired")]
    assert client.get("/healthz").json()["log_size"] == size
    regulator = parties[Role.REGULATOR]
    assert client.get(f"/v1/packs/{A}", headers=regulator.auth).json()["status"] == "in_vehicle"
    assert client.get(f"/v1/packs/{B}", headers=regulator.auth).json()["status"] == "in_stock"


def test_the_pool_lists_the_packs_in_stock_with_where_they_came_from(
    client: httpx.Client, parties: dict[Role, Party], station: Party
) -> None:
    post_ok = client.post(
        "/v1/events/batch", json=swap_halves(station, A, B, site="厦门海沧换电站"), headers=station.auth
    )
    assert post_ok.status_code == 201, post_ok.text
    for reader in (station, parties[Role.REGULATOR]):
        pool = client.get(f"/v1/orgs/{station.id}/pool", headers=reader.auth)
        assert pool.status_code == 200, pool.text
        packs = {p["code"]: p for p in pool.json()["packs"]}
        assert sorted(packs) == [A, C]
        assert (packs[A]["vehicle"], packs[A]["site"]) == (VIN, "厦门海沧换电站")
        assert (packs[C]["vehicle"], packs[C]["site"]) == (None, None)
        assert packs[A]["since"] == packs[C]["since"] == "2026-03-02T01:00:00Z"  # every claim here is at T0
    paged = client.get(f"/v1/orgs/{station.id}/pool", params={"limit": 1}, headers=station.auth).json()
    assert [p["code"] for p in paged["packs"]] == [A] and paged["next"]
    rest = client.get(f"/v1/orgs/{station.id}/pool", params={"cursor": paged["next"]}, headers=station.auth).json()
    assert [p["code"] for p in rest["packs"]] == [C] and rest["next"] is None


def test_others_may_not_read_a_pool(client: httpx.Client, parties: dict[Role, Party], station: Party) -> None:
    automaker = parties[Role.AUTOMAKER]
    assert_problem(
        client.get(f"/v1/orgs/{station.id}/pool", headers=automaker.auth), 403, "forbidden",
        f"only {station.id!r} itself or a regulator may read its pool; you are org 'automaker' (automaker)",
    )  # fmt: skip
    assert_problem(
        client.get("/v1/orgs/nobody/pool", headers=parties[Role.REGULATOR].auth), 404, "unknown_org",
        "unknown organisation 'nobody'",
    )  # fmt: skip


def test_the_box_code_is_for_the_authority_tier(
    client: httpx.Client, parties: dict[Role, Party], station: Party
) -> None:
    assert client.get(f"/v1/packs/{B}", headers=parties[Role.REGULATOR].auth).json()["box_code"] == BOX
    assert client.get(f"/v1/packs/{B}", headers=station.auth).json()["box_code"] is None
    assert client.get(f"/v1/packs/{B}").json()["box_code"] is None
    for path in ("", "/events", "/epcis", "/bundle"):  # nor through the `produced` payload, in any view of it
        answer = client.get(f"/v1/packs/{B}{path}", headers=parties[Role.AUTOMAKER].auth)
        assert answer.status_code == 200 and BOX not in answer.text, path
    produced = client.get(f"/v1/packs/{B}/events", headers=parties[Role.AUTOMAKER].auth).json()["events"][0]
    assert "data.box_code" in produced["redacted"]


def test_below_the_authority_tier_a_swap_names_no_vehicle_and_no_station(
    client: httpx.Client, parties: dict[Role, Party], station: Party
) -> None:
    response = client.post(
        "/v1/events/batch", json=swap_halves(station, A, B, site="厦门海沧换电站"), headers=station.auth
    )
    assert response.status_code == 201, response.text
    dealer = parties[Role.DEALER]
    last = client.get(f"/v1/packs/{A}/events", headers=dealer.auth).json()["events"][-1]
    assert last["data"] == {"direction": "out", "partner": B}
    assert last["redacted"] == ["data.site", "data.vin"]
    assert VIN not in client.get(f"/v1/packs/{A}/bundle", headers=dealer.auth).text

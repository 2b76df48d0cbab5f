"""Recycler lots over HTTP (issue 16): the lot's events go through POST /v1/events like any claim; the
regulator reads GET /v1/reports/lots (JSON and CSV); others may not."""

from __future__ import annotations

import httpx
import pytest

from events.orgs import Role
from tests.api.parties import Party
from tests.api.problem import assert_problem
from tests.api.scenario import in_a_recovered_lot

LOT = "lot:recycler:2026-07"
BLACK_MASS = {"mass_kg": 500.0, "content_kg": {"Ni": 60.0}, "origin": "KR", "customs_declaration": "310120251000000001"}


@pytest.fixture
def recovered_lot(client: httpx.Client, parties: dict[Role, Party]) -> list[str]:
    return in_a_recovered_lot(client, parties, LOT, BLACK_MASS)


def test_the_regulator_reads_the_lot_with_its_rates(
    client: httpx.Client, parties: dict[Role, Party], recovered_lot: list[str]
) -> None:
    regulator = parties[Role.REGULATOR]
    body = client.get("/v1/reports/lots", headers=regulator.auth).json()
    (lot,) = body["lots"]
    assert (lot["lot"], lot["recycler"], lot["status"], lot["input_mass_kg"]) == (
        LOT,
        "recycler",
        "lot_recovered",
        1340.0,
    )
    assert [p["code"] for p in lot["packs"]] == recovered_lot
    assert [(r["element"], r["rate"], r["below"]) for r in lot["rates"]] == [("Ni", 99.0, False)]
    assert lot["flags"] == []
    pack = client.get(f"/v1/packs/{recovered_lot[0]}", headers=regulator.auth).json()
    assert pack["status"] == "in_lot"
    listed = client.get("/v1/packs", headers=regulator.auth).json()
    assert LOT not in [p["code"] for p in listed["packs"]]  # a lot is not a pack
    csv = client.get("/v1/reports/lots?format=csv", headers=regulator.auth)
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0].startswith("\ufefflot,recycler,status,packs,black_mass_kg,input_mass_kg,element,")
    assert lines[1].startswith(f"{LOT},recycler,lot_recovered,2,500.0,1340.0,Ni,150.0,148.5,99.0,98.0,false,")


def test_only_a_regulator_reads_the_lots(
    client: httpx.Client, parties: dict[Role, Party], recovered_lot: list[str]
) -> None:
    response = client.get("/v1/reports/lots", headers=parties[Role.RECYCLER].auth)
    assert_problem(response, 403, "forbidden")
    assert "only a regulator may read the recycler lots" in response.json()["detail"]


def test_a_lot_claim_from_another_org_is_refused(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker = parties[Role.MANUFACTURER]
    response = client.post("/v1/events", json=maker.claim("lot:recycler:x", "lot_opened", {}), headers=maker.auth)
    assert_problem(response, 403, "forbidden")
    assert "requires being the lot's recycler ('recycler')" in response.json()["detail"]

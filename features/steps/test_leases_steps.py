"""Steps of features/leases.feature: ownership transfers and leases (车电分离) posted over the API, the
owner and the lease read by the regulator (pack view, page, history), the lessee and an outsider."""

from __future__ import annotations

import re

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from events.orgs import Org, Role
from events.vin import vin_with_check_digit
from features.conftest import AppDesk
from tests.support import PRODUCED, add_actor, code
from tests.web.login import session_cookie

scenarios("leases.feature")

REGULATOR = "fj-miit"
VINS = {"V1": vin_with_check_digit("LSJA24U60MS000001")}


@pytest.fixture
def lessor(app_desk: AppDesk) -> AppDesk:
    return app_desk


@given(parsers.parse('the lessor "{org}" is registered'))
def _lessor_registered(lessor: AppDesk, org: str) -> None:
    lessor.actors[org] = add_actor(lessor.ledger, Org(org, "福建车电分离电池租赁", frozenset({Role.LESSOR})))


@given(parsers.parse('"{maker}" has sold pack "{name}" to "{owner}", which installed it in vehicle "{vehicle}"'))
def _sold(lessor: AppDesk, maker: str, name: str, owner: str, vehicle: str) -> None:
    lessor.packs[name] = code(71)
    sale = {"to": owner, "reference": "购销合同 BAAS-00071"}
    lessor.post(
        maker, (name, "produced", PRODUCED), (name, "ownership_transferred", sale), (name, "shipped", {"to": owner})
    )
    lessor.post(owner, (name, "received", {"from": maker}), (name, "installed", {"vin": VINS[vehicle]}))


@given(parsers.parse('pack "{name}" is in the stock of "{org}"'))
def _in_stock(lessor: AppDesk, name: str, org: str) -> None:
    lessor.packs[name] = code(72)
    lessor.post("catl", (name, "produced", PRODUCED), (name, "shipped", {"to": org}))
    lessor.post(org, (name, "received", {"from": "catl"}))


@when(parsers.parse('"{org}" leases pack "{name}" to "{lessee}" for vehicle "{vehicle}" until "{until}"'))
def _leases(lessor: AppDesk, org: str, name: str, lessee: str, vehicle: str, until: str) -> None:
    response = lessor.send(org, name, "leased", {"lessee": lessee, "vin": VINS[vehicle], "until": until})
    assert response.status_code == 201, response.text


@when(parsers.parse('"{org}" swaps pack "{name}" out of vehicle "{vehicle}" for pack "{other}"'))
def _swaps(lessor: AppDesk, org: str, name: str, vehicle: str, other: str) -> None:
    vin, actor = VINS[vehicle], lessor.actors[org]
    outgoing, incoming = lessor.packs[name], lessor.packs[other]
    halves = [
        actor.claim(outgoing, "swapped", {"direction": "out", "vin": vin, "partner": incoming}),
        actor.claim(incoming, "swapped", {"direction": "in", "vin": vin, "partner": outgoing}),
    ]
    body = {"events": [{"claim": claim, "sig": sig} for claim, sig in halves]}
    response = lessor.client.post("/v1/events/batch", json=body, headers=lessor.auth(org))
    assert response.status_code == 201, response.text


@when(parsers.parse('"{org}" ends the lease of pack "{name}"'))
def _ends(lessor: AppDesk, org: str, name: str) -> None:
    response = lessor.send(org, name, "lease_ended", {"reason": "expired"})
    assert response.status_code == 201, response.text


@when(parsers.parse('"{org}" transfers pack "{name}" to "{to}"'))
def _transfers(lessor: AppDesk, org: str, name: str, to: str) -> None:
    lessor.send(org, name, "ownership_transferred", {"to": to})


@then(parsers.parse('pack "{name}" is owned by "{owner}" and held by "{custodian}", leased to "{lessee}"'))
def _leased(lessor: AppDesk, name: str, owner: str, custodian: str, lessee: str) -> None:
    state = lessor.state(name)
    assert (state.owner, state.custodian) == (owner, custodian)
    assert state.lease is not None and (state.lease["lessor"], state.lease["lessee"]) == (owner, lessee)


@then(parsers.parse('pack "{name}" is owned by "{owner}" and held by "{custodian}", not leased'))
def _not_leased(lessor: AppDesk, name: str, owner: str, custodian: str) -> None:
    state = lessor.state(name)
    assert (state.owner, state.custodian, state.lease) == (owner, custodian, None)


@then(parsers.parse('the regulator\'s page of pack "{name}" shows the owner "{owner}", the custodian "{custodian}" '
                    'and the lease to "{lessee}"'))  # fmt: skip
def _regulator_page(lessor: AppDesk, name: str, owner: str, custodian: str, lessee: str) -> None:
    view = lessor.client.get(f"/v1/packs/{lessor.packs[name]}", headers=lessor.auth(REGULATOR)).json()
    assert (view["owner"], view["custodian"]) == (owner, custodian)
    assert {k: view["lease"][k] for k in ("lessor", "lessee", "vin", "until", "site")} == {
        "lessor": owner, "lessee": lessee, "vin": VINS["V1"], "until": "2031-12-31", "site": None
    }  # fmt: skip
    cookie = session_cookie(lessor.ledger, lessor.actors[REGULATOR].token)
    page = lessor.client.get(f"/regulator/packs/{lessor.packs[name]}", headers=cookie)
    assert page.status_code == 200, page.text[:300]
    owner_name, lessee_name = (lessor.ledger.org(o).name for o in (owner, lessee))  # type: ignore[union-attr]
    assert re.search(rf'<dd id="owner">{owner_name}</dd>', page.text)  # organisations by name
    lease = re.search(r'<dd id="lease">(.*?)</dd>', page.text, flags=re.DOTALL)
    assert lease is not None and f"出租方 {owner_name} → 承租方 {lessee_name}" in lease.group(1)
    assert VINS["V1"] in lease.group(1)
    assert "所有权人" in page.text


@then(parsers.parse('the regulator\'s history of pack "{name}" lists the sale and the lease'))
def _history(lessor: AppDesk, name: str) -> None:
    events = lessor.client.get(f"/v1/packs/{lessor.packs[name]}/events", headers=lessor.auth(REGULATOR)).json()
    kinds = [(e["type"], e["actor"]) for e in events["events"]]
    assert ("ownership_transferred", "catl") in kinds and ("leased", "fj-baas") in kinds
    sale = next(e for e in events["events"] if e["type"] == "ownership_transferred")
    assert sale["data"] == {"to": "fj-baas", "reference": "购销合同 BAAS-00071"}


@then(parsers.parse('"{lessee}" reads the owner and the lease of pack "{name}", and "{outsider}" reads neither'))
def _tiers(lessor: AppDesk, lessee: str, name: str, outsider: str) -> None:
    seen = lessor.client.get(f"/v1/packs/{lessor.packs[name]}", headers=lessor.auth(lessee)).json()
    assert seen["tier"] != "authority" and seen["owner"] == "fj-baas" and seen["lease"]["lessee"] == lessee
    other = lessor.client.get(f"/v1/packs/{lessor.packs[name]}", headers=lessor.auth(outsider)).json()
    assert other["tier"] != "authority" and (other["owner"], other["lease"]) == (None, None)
    history = lessor.client.get(f"/v1/packs/{lessor.packs[name]}/events", headers=lessor.auth(outsider)).json()
    lease = next(e for e in history["events"] if e["type"] == "leased")
    assert lease["data"] == {"until": "2031-12-31"} and lease["redacted"] == ["data.lessee", "data.vin"]


@then(parsers.parse('the request is refused with {status:d}: "{detail}"'))
def _refused(lessor: AppDesk, status: int, detail: str) -> None:
    assert lessor.answer is not None and lessor.answer.status_code == status, lessor.answer.text
    assert lessor.answer.json()["detail"] == detail.replace("{A}", lessor.packs["A"])

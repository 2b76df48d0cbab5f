"""Steps of features/swaps.feature: a swap posted from the scan page (the platform-held key signs both
halves in one request) and over the API; the pool read by the station, the regulator and an outsider."""

from __future__ import annotations

import re

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from events.vin import vin_with_check_digit
from features.conftest import SEALING_KEY, AppDesk
from ledger.usecases import custodial
from ledger.usecases.verify import verify_database
from tests.support import PRODUCED, code

scenarios("swaps.feature")

REGULATOR = "fj-miit"
VINS = {"V1": vin_with_check_digit("LSJA24U60MS000001")}


@pytest.fixture
def station(app_desk: AppDesk) -> AppDesk:
    return app_desk


@given("the province's organisations are registered with their signing keys")
def _registered(station: AppDesk) -> None:
    assert {"catl", "nio-swap", "byd-auto", "fz-service", REGULATOR} <= set(station.actors)


@given(parsers.parse('pack "{a}" is in vehicle "{vehicle}", installed by "{swap}", and packs "{b}" and "{c}" are in '
                     'the stock of "{owner}"'))  # fmt: skip
def _ready(station: AppDesk, a: str, vehicle: str, swap: str, b: str, c: str, owner: str) -> None:
    assert swap == owner
    for serial, name in enumerate((a, b, c), start=61):
        station.packs[name] = code(serial)
        station.post("catl", (name, "produced", PRODUCED), (name, "shipped", {"to": swap}))
        station.post(swap, (name, "received", {"from": "catl"}))
    station.post(swap, (a, "installed", {"vin": VINS[vehicle]}))
    custodial.create_platform_key(station.ledger, swap, sealing_key=SEALING_KEY)


@given(parsers.parse('pack "{name}" has gone to "{org}"'))
def _gone(station: AppDesk, name: str, org: str) -> None:
    state = station.state(name)
    station.post(state.custodian, (name, "shipped", {"to": org}))
    station.post(org, (name, "received", {"from": state.custodian}))


@when(parsers.parse('"{org}" scans pack "{name}" on the scan page'))
def _scans(station: AppDesk, org: str, name: str) -> None:
    response = station.client.get("/scan", params={"code": station.packs[name]}, headers=station.session(org))
    assert response.status_code == 200, response.text[:300]
    station.page = response.text


@then(parsers.parse('the page offers the swap, with "{b}" and "{c}" in the pool'))
def _offers(station: AppDesk, b: str, c: str) -> None:
    assert 'data-action="swapped"' in station.page and "换电（换出此包）" in station.page
    assert 'list="pool-codes"' in station.page
    offered = re.findall(r'<option value="([0-9A-Z]{24})">', station.page)
    assert offered == sorted([station.packs[b], station.packs[c]])
    assert "换电站电池池" in station.page


@when(parsers.parse('"{org}" swaps in pack "{name}" at "{site}"'))
def _swaps_in(station: AppDesk, org: str, name: str, site: str) -> None:
    head = re.search(r'name="prev" value="([0-9a-f]{64})"', station.page)
    assert head is not None
    outgoing = re.search(r'id="pack-code">([0-9A-Z]{24})<', station.page)
    assert outgoing is not None
    form = {"code": outgoing.group(1), "action": "swapped", "prev": head.group(1), "partner": station.packs[name],
            "site": site}  # fmt: skip
    station.size = station.ledger.size()
    done = station.client.post("/scan/act", data=form, headers=station.session(org))
    assert done.status_code == 303, done.text[:500]
    after = station.client.get(done.headers["location"], headers=station.session(org)).text
    assert "已上报: 换电" in after


@then(parsers.parse('pack "{name}" is {status} with "{org}", out of vehicle "{vehicle}"'))
def _out(station: AppDesk, name: str, status: str, org: str, vehicle: str) -> None:
    state = station.state(name)
    assert (state.status, state.custodian, state.binding) == (status, org, None)
    assert state.bindings[-1].target == VINS[vehicle] and state.extra["last_removal_reason"] == "swap"


@then(parsers.parse('pack "{name}" is {status} in vehicle "{vehicle}"'))
def _in(station: AppDesk, name: str, status: str, vehicle: str) -> None:
    state = station.state(name)
    assert state.status == status and state.binding is not None and state.binding.target == VINS[vehicle]


@then("both chains end with the same swap, and the log verifies")
def _both_chains(station: AppDesk) -> None:
    assert station.ledger.size() == station.size + 2  # one request, two entries
    ends = {}
    for name in ("A", "B"):
        events = station.client.get(f"/v1/packs/{station.packs[name]}/events", headers=station.auth(REGULATOR))
        ends[name] = events.json()["events"][-1]
    assert {ends[n]["type"] for n in ends} == {"swapped"}
    assert (ends["A"]["data"]["partner"], ends["B"]["data"]["partner"]) == (station.packs["B"], station.packs["A"])
    assert ends["A"]["data"]["vin"] == ends["B"]["data"]["vin"] == VINS["V1"]
    assert verify_database(station.ledger.engine, station.ledger.signer.verifier_key).problems == []


@then(parsers.parse('the pool of "{org}" lists "{a}" from vehicle "{vehicle}" at "{site}", and "{c}"'))
def _pool(station: AppDesk, org: str, a: str, vehicle: str, site: str, c: str) -> None:
    for reader in (org, REGULATOR):
        response = station.client.get(f"/v1/orgs/{org}/pool", headers=station.auth(reader))
        assert response.status_code == 200, response.text
        rows = {row["code"]: (row["vehicle"], row["site"]) for row in response.json()["packs"]}
        assert rows == {station.packs[a]: (VINS[vehicle], site), station.packs[c]: (None, None)}


@then("the regulator sees the same pool on its page, linked from the organisations page")
def _regulator_page(station: AppDesk) -> None:
    cookie = station.session(REGULATOR)
    listing = station.client.get("/regulator/organisations", headers=cookie).text
    assert 'href="/regulator/organisations/nio-swap/pool"' in listing
    page = station.client.get("/regulator/organisations/nio-swap/pool", headers=cookie)
    assert page.status_code == 200
    assert sorted(re.findall(r'href="/regulator/packs/([0-9A-Z]{24})"', page.text)) == sorted(
        [station.packs["A"], station.packs["C"]]
    )
    assert VINS["V1"] in page.text and "换电站电池池" in page.text


@then(parsers.parse('"{org}" may not read the pool of "{owner}"'))
def _refused_pool(station: AppDesk, org: str, owner: str) -> None:
    response = station.client.get(f"/v1/orgs/{owner}/pool", headers=station.auth(org))
    assert response.status_code == 403
    assert response.json()["detail"] == (
        f"only {owner!r} itself or a regulator may read its pool; you are org {org!r} (automaker)"
    )


@when(parsers.parse('"{org}" posts a swap of pack "{a}" for pack "{c}" in one request'))
def _posts_swap(station: AppDesk, org: str, a: str, c: str) -> None:
    station.before = {name: station.ledger.pack_state(station.packs[name]) for name in (a, c)}
    station.size = station.ledger.size()
    vin, actor = VINS["V1"], station.actors[org]
    halves = [
        actor.claim(station.packs[a], "swapped", {"direction": "out", "vin": vin, "partner": station.packs[c]}),
        actor.claim(station.packs[c], "swapped", {"direction": "in", "vin": vin, "partner": station.packs[a]}),
    ]
    body = {"events": [{"claim": claim, "sig": sig} for claim, sig in halves]}
    station.answer = station.client.post("/v1/events/batch", json=body, headers=station.auth(org))


@then(parsers.parse('the request is refused with 403: the incoming half, because "{holder}" holds pack "{name}"'))
def _refused(station: AppDesk, holder: str, name: str) -> None:
    assert station.answer is not None and station.answer.status_code == 403  # its only error is a 403
    errors = station.answer.json()["errors"]
    assert [(e["position"], e["code"], e["detail"]) for e in errors] == [
        (1, "forbidden", "org 'nio-swap' (swap_operator) may not post 'swapped': requires custody and the "
                         f"swap_operator role; the custodian is {holder!r}"),
    ]  # fmt: skip


@then(parsers.parse('packs "{a}" and "{c}" are as they were, and the log did not grow'))
def _unchanged(station: AppDesk, a: str, c: str) -> None:
    assert {name: station.ledger.pack_state(station.packs[name]) for name in (a, c)} == station.before
    assert station.ledger.size() == station.size

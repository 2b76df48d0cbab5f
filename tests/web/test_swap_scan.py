"""A swap station on the scan page of the demo-like province (issue 16): its pool under the result, the swap
offered on a pack in a vehicle only, one form posting both halves, a refusal said on the page; the pool for
a city regulator within its city only."""

from __future__ import annotations

import re

import httpx
import pytest

from ledger.usecases import custodial
from tests.web.conftest import SEALING_KEY, World
from tests.web.login import session_cookie

SWAP = "nio-swap"


@pytest.fixture(scope="module")
def station(world: World) -> dict[str, str]:
    """nio-swap with a platform-held key, and its session."""
    custodial.create_platform_key(world.ledger, SWAP, sealing_key=SEALING_KEY)
    return session_cookie(world.ledger, world.province.token(SWAP))


def pool_codes(web_client: httpx.Client, world: World, reader: str = SWAP) -> list[str]:
    response = web_client.get(f"/v1/orgs/{SWAP}/pool", headers=world.auth(reader))
    assert response.status_code == 200, response.text
    return [row["code"] for row in response.json()["packs"]]


def in_vehicle_swap_pack(world: World) -> str:
    packs = world.province.paths["swap"] + world.province.paths["swap_spare"]
    return next(p for p in packs if (s := world.ledger.pack_state(p)) is not None and s.status == "in_vehicle")


def test_the_scan_page_shows_the_pool_and_offers_the_swap_on_a_pack_in_a_vehicle(
    world: World, web_client: httpx.Client, station: dict[str, str]
) -> None:
    pool = pool_codes(web_client, world)
    assert pool, "the province's swap path leaves packs in the station's pool"
    page = web_client.get("/scan", params={"code": in_vehicle_swap_pack(world)}, headers=station).text
    assert 'data-action="swapped"' in page and 'list="pool-codes"' in page
    assert re.findall(r'<option value="([0-9A-Z]{24})">', page) == pool
    in_stock = web_client.get("/scan", params={"code": pool[0]}, headers=station).text
    assert 'id="pool"' in in_stock and 'data-action="swapped"' not in in_stock  # a swap starts from the vehicle


def test_one_form_swaps_both_packs(world: World, web_client: httpx.Client, station: dict[str, str]) -> None:
    outgoing, incoming = in_vehicle_swap_pack(world), pool_codes(web_client, world)[0]
    before = world.ledger.pack_state(outgoing)
    assert before is not None and before.binding is not None
    size = world.ledger.size()
    form = {"code": outgoing, "action": "swapped", "partner": incoming, "site": "厦门海沧换电站"}
    done = web_client.post("/scan/act", data=form, headers=station)
    assert done.status_code == 303 and done.headers["location"] == f"/scan?code={outgoing}&done=swapped"
    assert world.ledger.size() == size + 2
    out, into = world.ledger.pack_state(outgoing), world.ledger.pack_state(incoming)
    assert out is not None and (out.status, out.custodian) == ("in_stock", SWAP)
    assert into is not None and into.binding is not None and into.binding.target == before.binding.target
    assert outgoing in pool_codes(web_client, world) and incoming not in pool_codes(web_client, world)


def test_a_refused_swap_is_said_on_the_page_and_records_nothing(
    world: World, web_client: httpx.Client, station: dict[str, str]
) -> None:
    outgoing = in_vehicle_swap_pack(world)
    stranger = world.province.paths["in_stock"][0]  # in an automaker's stock
    holder = world.ledger.pack_state(stranger)
    assert holder is not None
    size = world.ledger.size()
    form = {"code": outgoing, "action": "swapped", "partner": stranger}
    page = web_client.post("/scan/act", data=form, headers=station)
    assert page.status_code == 403 and "您当前的身份不能对此电池进行“{}”操作。".format("换电") in page.text
    page = web_client.post("/scan/act?lang=en", data=form, headers=station)
    assert page.status_code == 403
    assert (
        "org &#39;nio-swap&#39; (swap_operator) may not post &#39;swapped&#39;: requires custody and the swap_operator "
        f"role; the custodian is &#39;{holder.custodian}&#39;"
    ) in page.text
    assert world.ledger.size() == size
    missing = web_client.post("/scan/act", data={"code": outgoing, "action": "swapped"}, headers=station)
    assert missing.status_code == 422 and "请填写“换入电池包编码（扫码或从本站电池池中选）”。" in missing.text


def test_a_city_regulator_reads_the_pools_of_its_city_only(world: World, web_client: httpx.Client) -> None:
    assert pool_codes(web_client, world, reader="xm-miit") == pool_codes(web_client, world)
    response = web_client.get("/v1/orgs/gem/pool", headers=world.auth("xm-miit"))
    assert response.status_code == 403 and response.json()["code"] == "out_of_jurisdiction"
    assert response.json()["detail"] == (
        "'gem' is not located in your jurisdiction, 350200 (Xiamen), so you may not read its pool"
    )

"""Repurposing both ways on the pages of the demo-like province (issue 16): the regulator's page of an original
split into two products lists both under "became", each product's page lists the original under "made from";
the API's pack view carries the same (`successors`, `origins`); the public tier sees neither. And the owner
of a pack is offered the ownership actions on the scan page."""

from __future__ import annotations

import re

import httpx
import pytest

from ledger.usecases import custodial
from tests.web.conftest import SEALING_KEY, World
from tests.web.login import session_cookie

REGULATOR = "fj-miit"


def split_original(world: World) -> str:
    originals = world.province.paths["second_life_split"]
    return next(c for c in originals if (s := world.ledger.pack_state(c)) is not None and len(s.successors) == 2)


def linked(page: str, member: str) -> list[str]:
    found = re.search(rf'<dd id="{member}">(.*?)</dd>', page, re.S)
    assert found is not None, member
    return re.findall(r'<a class="code" href="/regulator/packs/([0-9A-Z]+)">', found.group(1))


def test_the_dossier_of_a_split_original_lists_both_products(world: World, web_client: httpx.Client) -> None:
    original = split_original(world)
    state = world.ledger.pack_state(original)
    assert state is not None
    regulator = session_cookie(world.ledger, world.province.token(REGULATOR))
    page = web_client.get(f"/regulator/packs/{original}", headers=regulator).text
    assert linked(page, "became") == list(state.successors) and 'id="made-from"' not in page
    assert "<dt>梯次利用为</dt>" in page
    english = web_client.get(f"/regulator/packs/{original}", params={"lang": "en"}, headers=regulator).text
    assert "<dt>Became</dt>" in english
    for product in state.successors:
        made = web_client.get(f"/regulator/packs/{product}", headers=regulator).text
        assert linked(made, "made-from") == [original] and "<dt>改制自</dt>" in made
        assert 'id="became"' not in made


def test_the_scan_page_of_the_second_life_company_shows_both_directions(world: World, web_client: httpx.Client) -> None:
    original = split_original(world)
    state = world.ledger.pack_state(original)
    assert state is not None
    company = session_cookie(world.ledger, world.province.token("fj-s2l"))
    page = web_client.get("/scan", params={"code": original}, headers=company).text
    assert f'<dt>梯次利用为</dt><dd class="code" id="became">{" ".join(state.successors)}</dd>' in page
    product = web_client.get("/scan", params={"code": state.successors[1], "lang": "en"}, headers=company).text
    assert f'<dt>Made from</dt><dd class="code" id="made-from">{original}</dd>' in product


def test_the_api_reads_both_directions_and_the_public_neither(world: World, web_client: httpx.Client) -> None:
    original = split_original(world)
    body = web_client.get(f"/v1/packs/{original}", headers=world.auth(REGULATOR)).json()
    first, second = body["successors"]
    assert (body["status"], body["successor"]) == ("repurposed", first)
    for product in (first, second):
        made = web_client.get(f"/v1/packs/{product}", headers=world.auth(REGULATOR)).json()
        assert (made["origins"], made["successors"]) == ([original], [])
    public = web_client.get(f"/v1/packs/{original}").json()
    assert (public["successor"], public["successors"], public["origins"]) == (None, None, None)


@pytest.fixture(scope="module")
def maker_session(world: World) -> tuple[str, dict[str, str]]:
    """The maker of a pack in transit to a collection point (the province's `for_scan` path), scanning it on
    its phone: the owner, as nobody bought it yet."""
    pack = world.province.paths["for_scan"][0]
    state = world.ledger.pack_state(pack)
    assert state is not None and state.owner == state.manufacturer
    custodial.create_platform_key(world.ledger, state.manufacturer, sealing_key=SEALING_KEY)
    return pack, session_cookie(world.ledger, world.province.token(state.manufacturer))


def test_the_owner_is_offered_the_transfer_and_a_maker_no_lease(
    world: World, web_client: httpx.Client, maker_session: tuple[str, dict[str, str]]
) -> None:
    pack, cookie = maker_session
    page = web_client.get("/scan", params={"code": pack}, headers=cookie).text
    assert 'data-action="ownership_transferred"' in page and ">转移所有权</summary>" in page
    assert "新所有权人" in page and "合同编号（可空）" in page
    picker = page.split('id="ownership_transferred-to"', 1)[1].split("</select>", 1)[0]
    assert '<option value="nio-swap">蔚来换电</option>' in picker  # picked by name, not typed
    assert 'data-action="leased"' not in page and 'data-action="lease_ended"' not in page  # not a lessor
    english = web_client.get("/scan", params={"code": pack, "lang": "en"}, headers=cookie).text
    assert ">Transfer ownership</summary>" in english and "New owner" in english
    outsider = session_cookie(world.ledger, world.province.token("xm-collect"))
    assert 'data-action="ownership_transferred"' not in web_client.get("/scan", params={"code": pack},
                                                                       headers=outsider).text  # fmt: skip


def test_the_transfer_form_posts_and_a_refusal_is_said(
    world: World, web_client: httpx.Client, maker_session: tuple[str, dict[str, str]]
) -> None:
    pack, cookie = maker_session
    size = world.ledger.size()
    refused = web_client.post(
        "/scan/act", data={"code": pack, "action": "ownership_transferred", "to": "xm-collect"}, headers=cookie
    )
    assert refused.status_code == 422 and world.ledger.size() == size
    assert (
        "“xm-collect”不能成为所有权人：所有权人须为生产、汽车生产、进口、销售、租赁、换电运营或梯次利用企业。"
        in refused.text
    )
    english = web_client.post(
        "/scan/act?lang=en", data={"code": pack, "action": "ownership_transferred", "to": "xm-collect"}, headers=cookie
    )
    assert (
        "invalid &#39;ownership_transferred&#39; payload: data.to: org &#39;xm-collect&#39; (collector) may not own "
        "a pack" in english.text
    )
    missing = web_client.post("/scan/act", data={"code": pack, "action": "ownership_transferred"}, headers=cookie)
    assert missing.status_code == 422 and "请填写“新所有权人”。" in missing.text
    form = {"code": pack, "action": "ownership_transferred", "to": "byd-auto", "reference": "购销合同 2026-17"}
    done = web_client.post("/scan/act", data=form, headers=cookie)
    assert done.status_code == 303 and done.headers["location"] == f"/scan?code={pack}&done=ownership_transferred"
    state = world.ledger.pack_state(pack)
    assert state is not None and (state.owner, world.ledger.size()) == ("byd-auto", size + 1)

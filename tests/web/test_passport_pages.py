"""The battery passport over the demo province: the public page links to it, and for every demo pack the
authority's passport holds only attributes valid against their Catena-X BatteryPass 6.1.0 definitions, while
the public tier's holds no VIN, counterparty or personal data (issue 17, acceptance 1, the platform's part)."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema_rs

from api.passport_demo import DEMO_BPNL
from tests.api.test_passport import SCHEMA, at_path, definition_errors, required_paths
from tests.web.conftest import World
from tests.web.test_pages import BROWSER, REGULATOR, a_pack, session


def test_the_public_page_links_to_the_passport(world: World, web_client: httpx.Client) -> None:
    pack = a_pack(world, "in_vehicle")
    page = web_client.get(f"/p/{pack}", headers=BROWSER).text
    link = f'<a id="passport-link" href="/v1/packs/{pack}/passport">欧盟电池护照（Catena-X BatteryPass，JSON）</a>'
    assert link in page
    english = web_client.get(f"/p/{pack}?lang=en", headers=BROWSER).text
    assert "EU battery passport (Catena-X BatteryPass, JSON)" in english
    assert web_client.get(f"/v1/packs/{pack}/passport").json()["tier"] == "public"


def test_every_demo_packs_passport_validates_and_the_public_tier_hides_the_parties(
    world: World, web_client: httpx.Client
) -> None:
    packs = [pack for codes in world.province.paths.values() for pack in codes]
    orgs = list(world.province.orgs)
    assert len(packs) > 10
    for pack in packs:
        authority = web_client.get(f"/v1/packs/{pack}/passport", headers=world.auth(REGULATOR)).json()
        assert authority["tier"] == "authority", pack
        for filled in authority["filled"]:
            value = at_path(authority["passport"], filled["path"])
            assert definition_errors(value, filled["definition"]) == [], (pack, filled["path"])
        public = web_client.get(f"/v1/packs/{pack}/passport").json()
        shown = str({k: public[k] for k in ("passport", "filled", "record")})
        assert "LSV" not in shown and not [org for org in orgs if f"'{org}'" in shown], pack
        assert public["record"] is None


def test_the_missing_list_of_a_demo_pack_in_a_vehicle_is_exact(world: World, web_client: httpx.Client) -> None:
    pack = a_pack(world, "in_vehicle")
    body = web_client.get(f"/v1/packs/{pack}/passport", headers=world.auth(REGULATOR)).json()

    filled_by_produced_and_status = {
        "identification.category", "identification.idDmc", "identification.chemistry",
        "identification.identification.codes", "characteristics.physicalDimension.weight.value",
        "characteristics.physicalDimension.weight.unit", "sustainability.status", "performance.rated.voltage.nominal",
    }  # fmt: skip
    expected = [p for p in required_paths(SCHEMA) if p not in filled_by_produced_and_status]
    assert [m["path"] for m in body["missing"]] == expected
    assert len(expected) == 123
    history = web_client.get(f"/v1/packs/{pack}/events", headers=world.auth(REGULATOR)).json()["events"]
    installed = next(e for e in history if e["type"] == "installed")
    assert body["passport"]["operation"]["intoServiceDate"] == installed["at"][:10]


def test_the_demo_pack_with_claims_has_a_complete_passport_that_validates_whole(
    world: World, web_client: httpx.Client
) -> None:
    (pack,) = world.province.paths["passport_complete"]
    authority = web_client.get(f"/v1/packs/{pack}/passport", headers=world.auth(REGULATOR)).json()

    assert authority["complete"] is True and authority["missing"] == [] and authority["withheld"] == []
    assert whole_errors(authority["passport"]) == []
    maker = web_client.get(f"/v1/packs/{pack}", headers=world.auth(REGULATOR)).json()["manufacturer"]
    claimed = [f for f in authority["filled"] if f["source"] == "claim"]
    assert len(claimed) == 121 and {f["by"] for f in claimed} == {maker}  # the second-life company, maker and holder
    assert authority["passport"]["identification"]["category"] == "industrial"
    assert authority["passport"]["sustainability"]["status"] == "repurposed"
    assert authority["passport"]["metadata"]["economicOperatorId"] == DEMO_BPNL
    assert all(
        "演示数据 demo data" in d["content"] for d in authority["passport"]["conformity"]["declarationOfConformity"]
    )
    public = web_client.get(f"/v1/packs/{pack}/passport").json()
    assert public["complete"] is True and public["tier"] == "public"
    assert whole_errors(public["passport"]) != []  # the public part alone is not the whole passport
    shown = str({k: public[k] for k in ("passport", "filled", "record")})
    assert "LSV" not in shown and not [org for org in world.province.orgs if f"'{org}'" in shown]


def whole_errors(document: dict[str, Any]) -> list[str]:
    return [error.message for error in jsonschema_rs.Draft4Validator(SCHEMA).iter_errors(document)]


def test_the_regulators_pack_page_shows_the_claims_and_who_posted_them(world: World, web_client: httpx.Client) -> None:
    (pack,) = world.province.paths["passport_complete"]
    page = web_client.get(f"/regulator/packs/{pack}", headers=session(world, REGULATOR)).text
    english = web_client.get(f"/regulator/packs/{pack}?lang=en", headers=session(world, REGULATOR)).text

    assert page.count("电池护照声明") == 2 and english.count("battery passport claim") == 2
    assert "声明的电池护照属性（按章节计数）" in page
    claims = re.findall(r'声明的电池护照属性（按章节计数）</b> <span translate="no">([^<]*)</span>', page)
    assert claims == [
        "characteristics 5 · commercial 2 · conformity 4 · handling 3 · identification 5 · materials 39 · "
        "metadata 7 · operation 2 · performance 22 · safety 4 · sustainability 3",
        "performance 25",  # the custodian's measured values
    ]
    maker = world.province.orgs[web_client.get(f"/v1/packs/{pack}", headers=world.auth(REGULATOR)).json()["owner"]]
    assert page.count(maker.name) >= 3  # the poster of each claim, by name

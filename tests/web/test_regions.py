"""Issue 15, acceptance 7: places and scope. A city's regulator (xm-miit, registered in Xiamen, 350200) sees
only the packs that touch Xiamen and the organisations located there, in the API, the reports and the pages;
the province's regulator (fj-miit, 350000) sees everything, and may ask for any region. Every figure is checked
against an independent recount from GET /v1/log/entries (tests/web/recount.py): which packs touch a region is
worked out here from the raw entries, not by the platform's query."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from typing import Any

import httpx
import pytest

from ledger.usecases import workspace
from ledger.usecases.access import Caller
from tests.web.conftest import World
from tests.web.login import login_cookie
from tests.web.recount import Recount, fetch_log

PROVINCE, CITY = "fj-miit", "xm-miit"
XIAMEN = "350200"


@pytest.fixture(scope="module")
def recount(world: World, web_client: httpx.Client) -> Recount:
    return Recount(world.province.orgs, fetch_log(web_client, world.province.token(PROVINCE)))


def located(world: World, prefix: str) -> set[str]:
    """The organisations whose registered region starts with `prefix` (a city: its four digits)."""
    return {o.id for o in world.province.orgs.values() if o.region is not None and o.region.startswith(prefix)}


def touching(recount: Recount, orgs: set[str]) -> set[str]:
    """Packs one of `orgs` made, holds now, or recorded an entry of: from the raw log."""
    found = {e["pack"] for e in recount.events if e["claim"]["actor"] in orgs}
    return found | {code for code, p in recount.packs.items() if p.custodian in orgs or p.manufacturer in orgs}


def get(client: httpx.Client, world: World, org: str, path: str, **params: Any) -> httpx.Response:
    return client.get(path, params=params, headers=world.auth(org))


def ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def listed(client: httpx.Client, world: World, org: str, **params: Any) -> set[str]:
    codes: set[str] = set()
    cursor = None
    while True:
        page = ok(get(client, world, org, "/v1/packs", limit=1000, **params, **({"cursor": cursor} if cursor else {})))
        codes |= {p["code"] for p in page["packs"]}
        cursor = page["next"]
        if cursor is None:
            return codes


def test_the_city_is_a_real_part_of_the_province(world: World, recount: Recount) -> None:
    """Guard against a vacuous pass: Xiamen holds some packs and not all, and some of its packs are 流向不明."""
    xiamen = touching(recount, located(world, "3502"))
    assert 0 < len(xiamen) < len(recount.packs)
    unaccounted = {p["pack"] for p in recount.unaccounted(world.province.now)}
    assert unaccounted & xiamen and unaccounted - xiamen


def test_a_city_regulator_lists_only_the_packs_that_touch_its_city(
    world: World, web_client: httpx.Client, recount: Recount
) -> None:
    assert listed(web_client, world, CITY) == touching(recount, located(world, "3502"))
    assert listed(web_client, world, PROVINCE) == set(recount.packs)
    assert listed(web_client, world, PROVINCE, region=XIAMEN) == touching(recount, located(world, "3502"))
    haicang = located(world, "350205")
    assert haicang and listed(web_client, world, CITY, region="350205") == touching(recount, haicang)


def test_the_city_compliance_report_equals_the_recount(
    world: World, web_client: httpx.Client, recount: Recount
) -> None:
    orgs = located(world, "3502")
    report = ok(get(web_client, world, CITY, "/v1/reports/compliance"))
    assert report["region"] == XIAMEN
    expected_by_org = {
        org: (recount.timed[org], sum(n for (o, _), n in recount.late_by.items() if o == org))
        for org in orgs
        if recount.timed[org]
    }
    assert {o["org"]: (o["timed"], o["late"]) for o in report["by_org"]} == expected_by_org
    assert report["late_total"] == sum(late for _, late in expected_by_org.values())
    assert {e["org"] for e in report["late"]} <= orgs
    now = datetime.fromisoformat(report["as_of"])
    xiamen = touching(recount, orgs)
    expected = [p for p in recount.unaccounted(now) if p["pack"] in xiamen]
    assert expected
    assert [(p["pack"], p["reason"]) for p in report["unaccounted"]] == [(p["pack"], p["reason"]) for p in expected]
    assert report["unaccounted_by_reason"] == {
        reason: sum(p["reason"] == reason for p in expected) for reason in report["unaccounted_by_reason"]
    }
    # the province's regulator asking for Xiamen gets the same report
    asked = ok(get(web_client, world, PROVINCE, "/v1/reports/compliance", region=XIAMEN))
    assert {k: v for k, v in asked.items() if k != "as_of"} == {k: v for k, v in report.items() if k != "as_of"}


def test_the_city_organisation_recovery_and_warning_reports_cover_its_city(
    world: World, web_client: httpx.Client, recount: Recount
) -> None:
    orgs = located(world, "3502")
    stats = ok(get(web_client, world, CITY, "/v1/reports/organisations"))
    assert stats["region"] == XIAMEN
    assert [o["org"] for o in stats["orgs"]] == sorted(orgs)
    custody = recount.custody()
    assert {o["org"]: (o["entries"], o["custody"]) for o in stats["orgs"]} == {
        org: (recount.posted[org], custody[org]) for org in orgs
    }
    recovery = ok(get(web_client, world, PROVINCE, "/v1/reports/recovery", region="350500"))  # Quanzhou: gem
    assert {row["recycler"] for row in recovery["rows"]} == {"gem"}
    assert ok(get(web_client, world, CITY, "/v1/reports/recovery"))["rows"] == []  # no recycler in Xiamen
    warnings = ok(get(web_client, world, CITY, "/v1/reports/warnings"))
    xiamen = touching(recount, orgs)
    assert warnings["region"] == XIAMEN
    assert warnings["packs"] == sum(1 for code in xiamen if recount.packs[code].production_date is not None)
    assert warnings["incidents"] == sum(
        1 for e in recount.events if e["claim"]["type"] == "incident" and e["pack"] in xiamen
    )


def test_the_overview_gives_figures_per_city(world: World, web_client: httpx.Client, recount: Recount) -> None:
    overview = workspace.overview(world.ledger, Caller(org=world.province.orgs[PROVINCE]))
    custody = recount.custody()
    expected: dict[str | None, Counter[str]] = {}
    for org in world.province.orgs.values():
        if org.region is None:  # the platform's administrator: outside Fujian's regulator's jurisdiction
            continue
        city = org.region[:4] + "00" if org.region and not org.region.endswith("0000") else org.region
        sums = expected.setdefault(city, Counter())
        sums["orgs"] += 1
        sums["custody"] += custody[org.id]
        sums["entries"] += recount.posted[org.id]
    actual = {c.region: Counter(orgs=c.orgs, custody=c.custody, entries=c.entries) for c in overview.cities}
    assert actual == expected
    names = {c.region: c.name_zh for c in overview.cities}
    assert names["350200"] == "厦门市" and names["350000"] == "福建省" and None not in names
    city = workspace.overview(world.ledger, Caller(org=world.province.orgs[CITY]))
    assert [c.region for c in city.cities] == [XIAMEN]
    assert city.jurisdiction == XIAMEN and city.region == XIAMEN
    xiamen = touching(recount, located(world, "3502"))
    assert city.packs == len(xiamen)
    assert {s.status: s.count for s in city.by_status} == dict(Counter(recount.packs[c].status for c in xiamen))


@pytest.mark.parametrize(
    ("org", "path", "params", "status", "code", "detail"),
    [
        (CITY, "/v1/reports/compliance", {"region": "350100"}, 403, "out_of_jurisdiction",
         "region 350100 (Fuzhou) is outside your jurisdiction, 350200 (Xiamen)"),
        (CITY, "/v1/reports/warnings", {"region": "350000"}, 403, "out_of_jurisdiction",
         "region 350000 (Fujian) is outside your jurisdiction, 350200 (Xiamen)"),
        (CITY, "/v1/packs", {"region": "350500"}, 403, "out_of_jurisdiction",
         "region 350500 (Quanzhou) is outside your jurisdiction, 350200 (Xiamen)"),
        (PROVINCE, "/v1/reports/organisations", {"region": "3502"}, 422, "invalid_filter",
         "region '3502' must be a 6-digit GB/T 2260 division code, e.g. 350000 (Fujian) or 350200 (Xiamen)"),
        (CITY, "/v1/log/entries", {}, 403, "out_of_jurisdiction",
         "only a regulator of a whole province may read the log's entries; your jurisdiction is 350200 (Xiamen): "
         "read its packs, reports and bundles instead"),
    ],
)  # fmt: skip
def test_what_lies_outside_a_jurisdiction_is_refused(
    world: World, web_client: httpx.Client, org: str, path: str, params: dict[str, str], status: int, code: str,
    detail: str,
) -> None:  # fmt: skip
    response = get(web_client, world, org, path, **params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (response.json()["code"], response.json()["detail"]) == (code, detail)


def test_a_pack_outside_the_city_is_read_as_an_ordinary_organisation(
    world: World, web_client: httpx.Client, recount: Recount
) -> None:
    xiamen = touching(recount, located(world, "3502"))
    inside = min(xiamen)
    outside = min(set(recount.packs) - xiamen)
    assert ok(get(web_client, world, CITY, f"/v1/packs/{inside}"))["tier"] == "authority"
    view = ok(get(web_client, world, CITY, f"/v1/packs/{outside}"))
    assert view["tier"] == "legitimate_interest" and view["vin"] is None
    assert ok(get(web_client, world, CITY, f"/v1/packs/{outside}/events"))["tier"] == "legitimate_interest"
    assert ok(get(web_client, world, PROVINCE, f"/v1/packs/{outside}"))["tier"] == "authority"
    cookie = login_cookie(web_client, world.province.token(CITY))
    page = web_client.get(f"/regulator/packs/{outside}", headers=cookie)
    assert page.status_code == 403
    assert "该内容超出您的辖区" in page.text and "仅对监管部门开放" not in page.text
    assert f"电池 {outside} 从未进入您的辖区，您无权查看其档案。" in page.text
    page = web_client.get(f"/regulator/packs/{outside}?lang=en", headers=cookie)
    assert f"pack {outside} has never touched your jurisdiction, 350200 (Xiamen), so you may not open its dossier" in (
        page.text
    )
    assert web_client.get(f"/regulator/packs/{inside}", headers=cookie).status_code == 200


def test_a_city_regulator_cannot_open_a_recall_campaign(world: World, web_client: httpx.Client) -> None:
    body = {"id": "XM-1", "reason": "test", "scope": {"maker": "catl"}}
    response = web_client.post("/v1/recalls/scope", json=body, headers=world.auth(CITY))
    assert response.status_code == 403, response.text
    assert response.json()["code"] == "out_of_jurisdiction"
    assert response.json()["detail"].startswith("a recall campaign covers every pack in its scope wherever it is")


PAGES = [
    "/regulator",
    "/regulator/compliance",
    "/regulator/recovery",
    "/regulator/organisations",
    "/regulator/warnings",
]


@pytest.mark.parametrize("path", PAGES)
def test_the_pages_show_the_jurisdiction_and_offer_only_its_regions(
    world: World, web_client: httpx.Client, path: str
) -> None:
    city = web_client.get(path, headers=login_cookie(web_client, world.province.token(CITY)))
    assert city.status_code == 200
    assert "您的辖区：厦门市（350200）" in city.text
    options = re.findall(r'<option value="(\d*)"', city.text)
    assert options and all(code.startswith("3502") for code in options), options
    province = web_client.get(f"{path}?region=350500", headers=login_cookie(web_client, world.province.token(PROVINCE)))
    assert province.status_code == 200
    assert "您的辖区：福建省（350000）" in province.text
    assert '<option value="350500" selected>' in province.text
    refused = web_client.get(f"{path}?region=350100", headers=login_cookie(web_client, world.province.token(CITY)))
    assert refused.status_code == 403 and "该内容超出您的辖区" in refused.text


def test_the_city_csv_holds_the_city_rows(world: World, web_client: httpx.Client) -> None:
    cookie = login_cookie(web_client, world.province.token(CITY))
    csv_text = web_client.get("/regulator/organisations.csv", headers=cookie).content.decode("utf-8-sig")
    rows = csv_text.splitlines()[1:]
    assert sorted(row.split(",")[0] for row in rows) == sorted(located(world, "3502"))


def test_the_city_overview_page_counts_the_citys_entries(
    world: World, web_client: httpx.Client, recount: Recount
) -> None:
    page = web_client.get("/regulator", headers=login_cookie(web_client, world.province.token(CITY)))
    shown = re.search(r'id="stat-entries">([\d,]+)</span><span>([^<]+)<', page.text)
    assert shown is not None
    expected = sum(recount.posted[org] for org in located(world, "3502"))
    assert (int(shown.group(1).replace(",", "")), shown.group(2)) == (expected, "本地区企业上报记录")
    assert "再生利用回收率（厦门市）" in page.text
    assert re.findall(r'<tr data-region="(\d*)">', page.text) == [XIAMEN]

"""The regulator's recovery page shows the recycler lots (docs/recycling-lots.md): each lot's inputs and
rates, the mass-balance flag with its numbers, and the lot rates per recycler; in Chinese and in English."""

from __future__ import annotations

import re

import httpx

from ledger.usecases.reports.lots import lots_report
from tests.support import regulator_caller
from tests.web.conftest import World
from tests.web.test_pages import REGULATOR, session


def test_the_recovery_page_shows_the_lots_and_the_flag(world: World, web_client: httpx.Client) -> None:
    report = lots_report(world.ledger, regulator_caller())
    flagged = [lot for lot in report.lots if lot.flags]
    balanced = [lot for lot in report.lots if lot.rates and not lot.flags]
    assert [lot.lot_id for lot in flagged] == ["DEMO-B"] and [lot.lot_id for lot in balanced] == ["DEMO-A"]
    assert balanced[0].black_mass[0].origin == "KR"
    page = web_client.get("/regulator/recovery", headers=session(world, REGULATOR)).text
    assert "回收批次与物料平衡" in page and '<table id="lot-rows">' in page
    flag = flagged[0].flags[0]
    said = f"⚠ Ni：上报回收 {flag.recovered_kg:.1f} kg，超过投料可能含有的量"
    assert f'data-kind="exceeds_inputs" data-element="Ni">{said}' in page
    assert re.search(r'<td class="code">DEMO-A</td><td>[^<a-z]+</td><td>已上报回收</td>', page)
    english = web_client.get("/regulator/recovery?lang=en", headers=session(world, REGULATOR)).text
    assert "Recycler lots and mass balance" in english and "Lot recovery per recycler" in english
    assert '<td class="code">DEMO-A</td>' in english and ">recovered</td>" in english
    assert f"⚠ Ni: recovered {flag.recovered_kg:.1f} kg, more than the inputs could contain: at most" in english


def test_a_city_regulator_sees_the_lots_of_its_city_only(world: World, web_client: httpx.Client) -> None:
    """brunp, whose lots they are, is located in 宁德 (350900): Xiamen's regulator sees none of them, the
    province's regulator asking for 宁德 sees them all."""
    xiamen = web_client.get("/v1/reports/lots", headers=world.auth("xm-miit")).json()
    assert (xiamen["region"], xiamen["lots"], xiamen["recyclers"]) == ("350200", [], [])
    ningde = web_client.get("/v1/reports/lots", params={"region": "350900"}, headers=world.auth(REGULATOR)).json()
    assert ningde["region"] == "350900" and {lot["recycler"] for lot in ningde["lots"]} == {"brunp"}
    assert len(ningde["lots"]) == len(lots_report(world.ledger, regulator_caller()).lots)

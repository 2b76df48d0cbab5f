"""Steps of features/warnings.feature: the warning page over a generated province
(tests/warnings/province.py), checked against the JSON report and the recall trace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from tests.warnings.conftest import Generated, generated
from tests.web.login import session_cookie

scenarios("warnings.feature")

REGULATOR = "fj-miit"


@dataclass
class Desk:
    world: Generated
    cookie: dict[str, str] = field(default_factory=dict)
    page: str = ""
    report: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def warning_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    thermal = {"B1": 6, "B12": 1, "B25": 1}
    with generated(tmp_path_factory.mktemp("warnings"), batches=31, size=100, thermal=thermal) as world:
        yield world


@given(
    parsers.parse(
        'a province of {batches:d} batches of {size:d} packs where batch "{batch}" has {n:d} thermal events '
        "and the others {others:d}"
    ),
    target_fixture="desk",
)
def _province(warning_world: Generated, batches: int, size: int, batch: str, n: int, others: int) -> Desk:
    world = warning_world
    assert len(world.made.batches) == batches and {len(codes) for codes in world.made.batches.values()} == {size}
    report = world.client.get("/v1/reports/warnings", headers=world.auth(REGULATOR)).json()
    assert (report["packs"], report["incidents"]) == (batches * size, n + others)
    return Desk(world)


@given("the regulator is logged in to the workspace")
def _logged_in(desk: Desk) -> None:
    desk.cookie = session_cookie(desk.world.ledger, desk.world.made.actors[REGULATOR].token)


@when("the regulator opens the quality early warning page")
def _open(desk: Desk) -> None:
    response = desk.world.client.get("/regulator/warnings", headers=desk.cookie)
    assert response.status_code == 200
    desk.page = response.text
    desk.report = desk.world.client.get("/v1/reports/warnings", headers=desk.world.auth(REGULATOR)).json()


@when(parsers.parse('the regulator opens the quality early warning page for "{day}"'))
def _open_on(desk: Desk, day: str) -> None:
    response = desk.world.client.get("/regulator/warnings", params={"as_of": day}, headers=desk.cookie)
    assert response.status_code == 200
    desk.page = response.text


def _rows(page: str) -> list[str]:
    table = page.split('<table id="warnings-alarms">')[1].split("</table>")[0]
    return re.findall(r"<tr class=\"below\">(.*?)</tr>", table, flags=re.S)


@then(
    parsers.parse(
        'batch "{batch}" of maker "{maker}" alarms with {n:d} incidents, {weighted:d} weighted, over {days} pack-days'
    )
)
def _alarms(desk: Desk, batch: str, maker: str, n: int, weighted: int, days: str) -> None:
    [row] = _rows(desk.page)
    maker_org = desk.world.ledger.org(maker)
    assert maker_org is not None and f"<td>企业 {maker_org.name} · 批次 {batch}</td>" in row  # the maker by name
    assert f'<td class="n">{n} (热事故 {n}; 加权 {weighted})</td>' in row
    assert f'<td class="n">{days}</td>' in row
    [alarm] = desk.report["alarms"]
    assert (alarm["group"], alarm["incidents"], alarm["weighted_incidents"]) == (
        {"maker": maker, "batch": batch},
        n,
        weighted,
    )
    assert alarm["exposure_pack_days"] == int(days.replace(",", ""))


@then("no other group alarms")
def _no_other(desk: Desk) -> None:
    assert len(_rows(desk.page)) == len(desk.report["alarms"]) == 1
    assert '<h2 id="warnings-count">1 个预警</h2>' in desk.page


@then("the alarm's rate, baseline rate, ratio and p-value are those of the JSON report")
def _figures(desk: Desk) -> None:
    [alarm] = desk.report["alarms"]
    [row] = _rows(desk.page)
    cells = re.findall(r'<td class="n">([^<]*)</td>', row)
    rate, baseline, ratio, p_value = cells[-4:]
    assert rate == f"{alarm['rate']:,.2f}" and baseline == f"{alarm['baseline_rate']:,.2f}"
    assert ratio == f"{alarm['statistic']:,.1f}" and p_value == f"{alarm['p_value']:.2g}"


@then(parsers.parse('the alarm\'s link opens the recall trace of the {n:d} packs of batch "{batch}"'))
def _trace(desk: Desk, n: int, batch: str) -> None:
    href = re.findall(r'<a class="trace" href="([^"]+)">', desk.page)[0].replace("&amp;", "&")
    trace = desk.world.client.get(href, headers=desk.cookie).text
    assert f'<h2 id="recall-count">共 {n} 块电池</h2>' in trace
    listed = set(re.findall(r'<a class="code" href="/regulator/packs/([^"]+)">', trace))
    assert listed == set(desk.world.made.batches[batch])


@then("the page says no group is significantly above the rest")
def _none(desk: Desk) -> None:
    assert '<p id="warnings-none">没有显著偏高的组别。</p>' in desk.page
    assert '<h2 id="warnings-count">0 个预警</h2>' in desk.page

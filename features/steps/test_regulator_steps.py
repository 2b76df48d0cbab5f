"""Steps of features/regulator.feature: the regulator's web pages over a province built through the
ledger (tests/web/province.py), the answers checked against the API's reports and the raw log."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from api.web.i18n import Words
from api.web.session import SESSION_COOKIE
from tests.api.inprocess import in_process_client
from tests.api.parties import ADMIN_TOKEN
from tests.web.conftest import World, make_world, module_database_url  # noqa: F401  (a fixture)
from tests.web.login import session_cookie
from tests.web.recount import Recount, fetch_log

scenarios("regulator.feature")

REGULATOR = "fj-miit"


@dataclass
class Desk:
    """The regulator's browser session and what the steps saw."""

    world: World
    client: httpx.Client
    page: str = ""
    report: dict[str, Any] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    pack: str = ""
    cookie: dict[str, str] = field(default_factory=dict)

    def get(self, path: str, **params: str) -> httpx.Response:
        cookie = session_cookie(self.world.ledger, self.world.province.token(REGULATOR))
        return self.client.get(path, params=params, headers=cookie)

    def api(self, path: str, **params: str) -> Any:
        response = self.client.get(path, params=params, headers=self.world.auth(REGULATOR))
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def regulator_world(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:  # noqa: F811
    made, close = make_world(module_database_url, tmp_path_factory.mktemp("regulator"))
    yield made
    close()


@pytest.fixture
def desk(regulator_world: World) -> Iterator[Desk]:
    with in_process_client(regulator_world.app) as http:
        yield Desk(regulator_world, http)


@given("a province of makers, automakers, collection points and recyclers, some of them reporting late")
def _province(desk: Desk) -> None:
    assert desk.api("/v1/reports/compliance")["late_total"] > 0


@given("the regulator is logged in to the workspace")
def _logged_in(desk: Desk) -> None:
    response = desk.get("/regulator")
    assert response.status_code == 200 and "监管概览" in response.text


@when(
    parsers.parse('the regulator traces the "{chemistry}" packs of maker "{maker}" produced from "{start}" to "{end}"')
)
def _trace(desk: Desk, chemistry: str, maker: str, start: str, end: str) -> None:
    desk.params = {"manufacturer": maker, "chemistry": chemistry, "produced_from": start, "produced_to": end}
    response = desk.get("/regulator/recall", **desk.params)
    assert response.status_code == 200
    desk.page = response.text


@then("every pack of that batch is listed with its status, custodian and vehicle")
def _batch_listed(desk: Desk) -> None:
    entries = fetch_log(desk.client, desk.world.province.token(REGULATOR))
    expected = Recount(desk.world.province.orgs, entries).recall(
        maker=desk.params["manufacturer"],
        chemistry=desk.params["chemistry"],
        produced_from=date.fromisoformat(desk.params["produced_from"]),
        produced_to=date.fromisoformat(desk.params["produced_to"]),
    )
    assert expected
    rows = re.findall(r'<tr><td><a class="code" href="/regulator/packs/([0-9A-Z]+)"', desk.page)
    assert rows == [pack["code"] for pack in expected]
    names = {org.id: org.name for org in desk.world.province.orgs.values()}
    for pack in expected:
        row = desk.page.split(f'href="/regulator/packs/{pack["code"]}"')[1].split("</tr>")[0]
        assert names[pack["custodian"]] in row
        assert (pack["vin"] or pack["site"] or "") in row


@then("the batch's CSV download lists the same packs")
def _batch_csv(desk: Desk) -> None:
    response = desk.get("/regulator/recall.csv", **desk.params, lang="en")
    assert response.headers["content-disposition"] == 'attachment; filename="recall.csv"'
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    listed = re.findall(r'<tr><td><a class="code" href="/regulator/packs/([0-9A-Z]+)"', desk.page)
    assert [row["code"] for row in rows] == listed
    assert all(row["status"] and row["custodian"] for row in rows)


@when("the regulator opens the compliance page")
def _compliance(desk: Desk) -> None:
    response = desk.get("/regulator/compliance")
    assert response.status_code == 200
    desk.page = response.text
    desk.report = desk.api("/v1/reports/compliance")


@then("every organisation that reported late is listed with its late reports per rule")
def _late_orgs(desk: Desk) -> None:
    recount = Recount(desk.world.province.orgs, fetch_log(desk.client, desk.world.province.token(REGULATOR)))
    late_orgs = {org for org, _ in recount.late_by}
    assert late_orgs
    for org in late_orgs:
        row = desk.page.split(f'data-org="{org}"')[1].split("</tr>")[0]
        for (who, rule), count in recount.late_by.items():
            if who == org:
                assert f"{Words('zh').rule(rule)}: {count}" in row  # the rule by its name


@then("each late report names the rule, the pack and how many working days late it was")
def _late_rows(desk: Desk) -> None:
    table = desk.page.split('<table id="late-entries">')[1].split("</table>")[0]
    for late in desk.report["late"][:200]:
        assert f'data-rule="{late["rule"]}">{Words("zh").rule(late["rule"])}<' in table and late["pack"] in table
    assert all(late["working_days_late"] > 0 for late in desk.report["late"])


def _unaccounted_rows(desk: Desk) -> dict[str, str]:
    table = desk.page.split('<table id="unaccounted-packs">')[1].split("</table>")[0]
    return {
        m.group(1): m.group(2)
        for m in re.finditer(r'href="/regulator/packs/([0-9A-Z]+)">.*?</a></td><td>(.*?)</td>', table)
    }


@then("the packs shipped but not received for over 30 days are listed as 流向不明")
def _shipped_lost(desk: Desk) -> None:
    rows = _unaccounted_rows(desk)
    for pack in desk.world.province.paths["in_transit_unknown"]:
        assert rows[pack].startswith("已发货未被接收")


@then("the packs retired but not collected for over 30 days are listed as 流向不明")
def _retired_lost(desk: Desk) -> None:
    rows = _unaccounted_rows(desk)
    for pack in desk.world.province.paths["retired_unknown"] + desk.world.province.paths["retired_shipped_unknown"]:
        assert rows[pack].startswith("退役后未被回收网点")


@then("no pack that was received or collected in time is listed")
def _only_lost(desk: Desk) -> None:
    rows = _unaccounted_rows(desk)
    for path in ("recycling", "in_vehicle", "in_stock", "second_life"):
        assert not set(desk.world.province.paths[path]) & set(rows), path


@when("the regulator searches for the code of a pack that was repaired")
def _search(desk: Desk) -> None:
    desk.pack = desk.world.province.paths["repair"][1]
    response = desk.get("/regulator/packs", q=desk.pack)
    assert response.status_code == 303
    opened = desk.client.get(
        response.headers["location"], headers=session_cookie(desk.world.ledger, desk.world.province.token(REGULATOR))
    )
    assert opened.status_code == 200
    desk.page = opened.text


@then("the pack's record opens with a badge saying it is verified")
def _verified(desk: Desk) -> None:
    badge = desk.page.split('id="verification"')[1].split("</div>")[0]
    assert "已验证" in badge
    checkpoint = desk.client.get("/v1/log/checkpoint").text
    assert checkpoint.split("\n")[1] in badge  # verified against the latest checkpoint's tree size


@then("its timeline shows every event of the pack in order")
def _timeline(desk: Desk) -> None:
    history = desk.api(f"/v1/packs/{desk.pack}/events")["events"]
    timeline = desk.page.split('id="timeline"')[1].split("</ol>")[0]
    shown = re.findall(r"日志序号 (\d+)", timeline)
    assert [int(i) for i in shown] == [event["index"] for event in history]


@then("its vehicles and custody history are shown")
def _vehicles(desk: Desk) -> None:
    pack = desk.api(f"/v1/packs/{desk.pack}")
    bindings = desk.page.split('id="bindings"')[1].split("</table>")[0]
    for binding in pack["bindings"]:
        assert binding["target"] in bindings
    custody = desk.page.split('id="custody"')[1].split("</table>")[0]
    assert "福州维修" in custody and custody.count("<tr>") >= 3


@when("the platform administrator logs in with the admin token")
def _admin_logs_in(desk: Desk) -> None:
    response = desk.client.post("/login", data={"token": ADMIN_TOKEN, "next": ""})
    desk.client.cookies.clear()  # each request below names its session, as the other steps do
    assert response.status_code == 303
    desk.params = {"landing": response.headers["location"]}
    desk.cookie = {"Cookie": f"{SESSION_COOKIE}={response.cookies[SESSION_COOKIE]}"}


@then("the administrator lands on the scan page")
def _admin_lands(desk: Desk) -> None:
    assert desk.params["landing"] == "/scan"
    response = desk.client.get("/scan", headers=desk.cookie)
    assert response.status_code == 200
    desk.page = response.text


@then("every link the administrator is shown opens, and none leads into the workspace")
def _admin_links(desk: Desk) -> None:
    header = desk.page.split('<header class="top">')[1].split("</header>")[0]
    links = {href for href in re.findall(r'href="(/[^"?]*)', header) if not href.startswith("/static/")}
    assert links and not any(link.startswith("/regulator") for link in links)
    assert {link: desk.client.get(link, headers=desk.cookie).status_code for link in links} == dict.fromkeys(links, 200)

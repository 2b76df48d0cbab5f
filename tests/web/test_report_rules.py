"""The compliance report under a chosen deadline rule version (`?rules=`, events.deadlines.RULESETS): the
default, the importer version, an unknown version refused with its own message; over the API, its CSV and
the regulator's page."""

from __future__ import annotations

import httpx
import pytest

from events.deadlines import DEFAULT_VERSION, RULESETS
from tests.api.problem import assert_problem
from tests.web.conftest import World
from tests.web.login import session_cookie

REGULATOR = "fj-miit"
KNOWN = "2018-interim, 2018-interim-importers"


def report(client: httpx.Client, world: World, **params: str) -> httpx.Response:
    return client.get("/v1/reports/compliance", params=params, headers=world.auth(REGULATOR))


def test_the_default_and_a_chosen_version(world: World, web_client: httpx.Client) -> None:
    default = report(web_client, world).json()
    assert (default["ruleset"], [r["rule"] for r in default["by_rule"]]) == (
        DEFAULT_VERSION, [r.id for r in RULESETS[DEFAULT_VERSION].rules]
    )  # fmt: skip
    chosen = report(web_client, world, rules="2018-interim-importers").json()
    importers = RULESETS["2018-interim-importers"]
    assert (chosen["ruleset"], chosen["ruleset_title"]) == (importers.version, importers.title)
    assert [r["rule"] for r in chosen["by_rule"]] == [r.id for r in importers.rules]
    # the province has no importer: the same late entries, counted under the importer version's rows
    assert chosen["late_total"] == default["late_total"]
    only = report(web_client, world, rules="2018-interim-importers", rule="import-15wd").json()
    assert (only["late_total"], [r["rule"] for r in only["by_rule"]]) == (0, ["import-15wd"])


@pytest.mark.parametrize(
    ("rules", "shown"),
    [("2019-final", "'2019-final'"), ("2018-INTERIM", "'2018-INTERIM'"), ("x" * 60, repr("x" * 40))],
)
def test_an_unknown_version_is_refused_by_name(world: World, web_client: httpx.Client, rules: str, shown: str) -> None:
    assert_problem(
        report(web_client, world, rules=rules), 422, "invalid_filter",
        f"unknown deadline rule set {shown}; known: {KNOWN}",
    )  # fmt: skip


def test_a_rule_of_another_version_is_unknown_under_the_default(world: World, web_client: httpx.Client) -> None:
    rules = ", ".join(r.id for r in RULESETS[DEFAULT_VERSION].rules)
    assert_problem(
        report(web_client, world, rule="import-15wd"), 422, "invalid_filter",
        f"unknown rule 'import-15wd'; rules are: {rules}",
    )  # fmt: skip


def test_the_csv_and_the_page_take_the_version(world: World, web_client: httpx.Client) -> None:
    csv = report(web_client, world, rules="2018-interim-importers", section="by_rule", format="csv")
    assert csv.status_code == 200 and "import-15wd" in csv.text
    cookie = session_cookie(world.ledger, world.province.token(REGULATOR))
    page = web_client.get("/regulator/compliance", params={"rules": "2018-interim-importers"}, headers=cookie)
    assert page.status_code == 200 and "新能源汽车动力蓄电池回收利用溯源管理暂行规定 (2018)，含进口商时限" in page.text
    refused = web_client.get("/regulator/compliance", params={"rules": "2019-final"}, headers=cookie)
    assert refused.status_code == 422 and f"没有“2019-final”这一时限规则版本；可选：{KNOWN}。" in refused.text
    page_csv = web_client.get(
        "/regulator/compliance.csv", params={"rules": "2018-interim-importers", "section": "by_rule"}, headers=cookie
    )
    assert page_csv.status_code == 200 and "进口商通关后 15 个工作日" in page_csv.text
    english_csv = web_client.get(
        "/regulator/compliance.csv",
        params={"rules": "2018-interim-importers", "section": "by_rule", "lang": "en"},
        headers=cookie,
    )
    assert english_csv.status_code == 200 and "import-15wd" in english_csv.text

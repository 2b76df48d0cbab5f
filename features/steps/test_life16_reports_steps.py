"""Steps of features/owner_duties.feature (who answers for a 流向不明 pack), features/report_versions.feature
(the compliance report's `?rules=`) and features/imported_reports.feature (the foreign manufacturer in the
recall trace and the quality warnings), over the API and the regulator's pages."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta
from typing import Any

from pytest_bdd import given, parsers, scenarios, then, when

from events.codes import make_code
from events.orgs import Org, Role
from events.vin import vin_with_check_digit
from features.conftest import AppDesk
from tests.support import PRODUCED, T0, Clock, add_actor, code

scenarios("owner_duties.feature", "report_versions.feature", "imported_reports.feature")

REGULATOR = "fj-miit"
VINS = {"V1": vin_with_check_digit("LSJA24U60MS000001")}
SERIALS = {"A": 61, "B": 62}
THERMAL = {"kind": "thermal_event", "severity": "high", "description": "热失控 thermal runaway"}


def _report(app_desk: AppDesk, **params: str) -> dict[str, Any]:
    app_desk.answer = app_desk.client.get("/v1/reports/compliance", params=params, headers=app_desk.auth(REGULATOR))
    body: dict[str, Any] = app_desk.answer.json()
    return body


def _rows(app_desk: AppDesk, **params: str) -> dict[str, dict[str, Any]]:
    report = _report(app_desk, **params)
    assert app_desk.answer is not None and app_desk.answer.status_code == 200, app_desk.answer.text
    return {row["pack"]: row for row in report["unaccounted"]}


# -- owner_duties.feature ------------------------------------------------------------------------------------


@given(parsers.parse('the lessor "{org}" is registered'))
def _lessor(app_desk: AppDesk, org: str) -> None:
    app_desk.actors[org] = add_actor(app_desk.ledger, Org(org, "福建车电分离电池租赁", frozenset({Role.LESSOR})))


@given(parsers.parse(
    '"{maker}" has sold pack "{name}" to "{owner}", which installed it in vehicle "{vehicle}" and leased it to '
    '"{lessee}"'
))  # fmt: skip
def _sold(app_desk: AppDesk, maker: str, name: str, owner: str, vehicle: str, lessee: str) -> None:
    app_desk.packs[name] = code(SERIALS[name])
    sale = {"to": owner, "reference": "购销合同 BAAS-00061"}
    app_desk.post(maker, (name, "produced", PRODUCED), (name, "ownership_transferred", sale),
                  (name, "shipped", {"to": owner}))  # fmt: skip
    app_desk.post(owner, (name, "received", {"from": maker}), (name, "installed", {"vin": VINS[vehicle]}),
                  (name, "leased", {"lessee": lessee, "vin": VINS[vehicle]}))  # fmt: skip


@given(parsers.parse('"{shop}" has taken pack "{name}" out of vehicle "{vehicle}" and retired it'))
def _retired_at_shop(app_desk: AppDesk, shop: str, name: str, vehicle: str) -> None:
    assert app_desk.state(name).binding is not None and app_desk.state(name).binding.target == VINS[vehicle]  # type: ignore[union-attr]
    app_desk.post(shop, (name, "removed", {"reason": "retirement"}), (name, "retired", {"reason": "end_of_life"}))


@given(parsers.parse('"{maker}" has shipped pack "{name}" to "{automaker}", which retired it'))
def _retired_at_automaker(app_desk: AppDesk, maker: str, name: str, automaker: str) -> None:
    app_desk.packs[name] = code(SERIALS[name])
    app_desk.post(maker, (name, "produced", PRODUCED), (name, "shipped", {"to": automaker}))
    app_desk.post(automaker, (name, "received", {"from": maker}))
    retired = app_desk.actors[automaker].claim(app_desk.packs[name], "retired", {"reason": "end_of_life"},
                                               at=T0 + timedelta(hours=1))  # after the receipt  # fmt: skip
    app_desk.ledger.append_one(*retired)


@when(parsers.parse("{days:d} days have passed"))
def _passed(app_desk: AppDesk, days: int) -> None:
    app_desk.ledger.clock = Clock(T0 + timedelta(days=days))


@then(parsers.parse(
    'the compliance report lists pack "{name}" as "{reason}", held by "{custodian}", owned by "{owner}", answered '
    'for by "{answerable}"'
))  # fmt: skip
def _listed(app_desk: AppDesk, name: str, reason: str, custodian: str, owner: str, answerable: str) -> None:
    row = _rows(app_desk)[app_desk.packs[name]]
    assert (row["reason"], row["custodian"], row["owner"], row["answerable"]) == (reason, custodian, owner, answerable)


@then(parsers.parse('the compliance report for "{org}" lists pack "{listed}" and not pack "{other}"'))
def _for_org(app_desk: AppDesk, org: str, listed: str, other: str) -> None:
    rows = _rows(app_desk, org=org)
    assert app_desk.packs[listed] in rows and app_desk.packs[other] not in rows


@then(
    parsers.parse(
        'the regulator\'s compliance page names "{org}" as answerable for pack "{name}", in Chinese "{label}"'
    )
)
def _page(app_desk: AppDesk, org: str, name: str, label: str) -> None:
    page = app_desk.client.get("/regulator/compliance", headers=app_desk.session(REGULATOR)).text
    row = re.search(rf'<tr data-reason="[a-z-]+"><td><a class="code" href="/regulator/packs/{app_desk.packs[name]}">'
                    r"(.*?)</tr>", page, re.S)  # fmt: skip
    assert row is not None
    name = app_desk.ledger.org(org).name  # type: ignore[union-attr]
    assert f'<span class="small" data-answerable="{org}">{label}: {name}</span>' in row.group(1)


@then(parsers.parse('the compliance report lists neither pack "{a}" nor pack "{b}"'))
def _neither(app_desk: AppDesk, a: str, b: str) -> None:
    rows = _rows(app_desk)
    assert app_desk.packs[a] not in rows and app_desk.packs[b] not in rows


# -- report_versions.feature -----------------------------------------------------------------------------------


@when("the regulator asks for the compliance report")
def _default(app_desk: AppDesk) -> None:
    _report(app_desk)


@when(parsers.parse('the regulator asks for the compliance report with rules "{rules}"'))
def _with_rules(app_desk: AppDesk, rules: str) -> None:
    _report(app_desk, rules=rules)


@then(parsers.parse('the report is counted under "{version}", without the rule "{rule}"'))
def _counted_without(app_desk: AppDesk, version: str, rule: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == 200
    body = app_desk.answer.json()
    assert body["ruleset"] == version and rule not in [r["rule"] for r in body["by_rule"]]


@then(parsers.parse('the report is counted under "{version}", with the rule "{rule}" first'))
def _counted_with(app_desk: AppDesk, version: str, rule: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == 200
    body = app_desk.answer.json()
    assert body["ruleset"] == version and body["by_rule"][0]["rule"] == rule


@then(parsers.parse('the request is refused with {status:d}: "{message}"'))
def _refused(app_desk: AppDesk, status: int, message: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == status
    assert (app_desk.answer.json()["code"], app_desk.answer.json()["detail"]) == ("invalid_filter", message)


# -- imported_reports.feature ----------------------------------------------------------------------------------


@given(parsers.parse(
    'the importer "{org}" with maker code "{prefix}" has registered {n:d} packs made by "{maker}" of "{country}"'
))  # fmt: skip
def _imports(app_desk: AppDesk, org: str, prefix: str, n: int, maker: str, country: str) -> None:
    app_desk.actors[org] = add_actor(
        app_desk.ledger, Org(org, "厦门进口汽车", frozenset({Role.IMPORTER}), frozenset({prefix}))
    )
    imported = {"foreign_manufacturer": {"name": maker, "country": country},
                "customs_declaration": "370120261000004711", "import_date": "2026-02-20"}  # fmt: skip
    for serial in range(1, n + 1):
        app_desk.packs[f"I{serial}"] = make_code(prefix, "pack", "B", "12", "ABCDEFG", date(2026, 1, 15), serial)
        app_desk.post(org, (f"I{serial}", "produced", {**PRODUCED, "imported": imported}))


@when(parsers.parse('the regulator traces the packs of maker "{prefix}"'))
def _trace(app_desk: AppDesk, prefix: str) -> None:
    app_desk.answer = app_desk.client.get(
        "/v1/reports/recall", params={"manufacturer": prefix}, headers=app_desk.auth(REGULATOR)
    )


@then(parsers.parse('every pack of the trace is from "{importer}", made abroad by "{foreign}"'))
def _traced(app_desk: AppDesk, importer: str, foreign: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == 200, app_desk.answer.text
    packs = app_desk.answer.json()["packs"]
    imported = sorted(code for name, code in app_desk.packs.items() if name.startswith("I"))
    assert [p["code"] for p in packs] == imported
    assert {(p["manufacturer"], p["foreign_manufacturer"]) for p in packs} == {(importer, foreign)}


@then(parsers.parse('the regulator\'s recall page shows "{text}"'))
def _recall_page(app_desk: AppDesk, text: str) -> None:
    page = app_desk.client.get(
        "/regulator/recall", params={"manufacturer": "0XM"}, headers=app_desk.session(REGULATOR)
    ).text
    shown = [
        html.unescape(s) for s in re.findall(r"<span class=\"small\" data-foreign-manufacturer>(.*?)</span>", page)
    ]
    assert shown and set(shown) == {text}


@given(parsers.parse(
    'each of the imported packs had {k:d} thermal events and {n:d} packs of "{maker}" had {m:d} collision in all'
))  # fmt: skip
def _incidents(app_desk: AppDesk, k: int, n: int, maker: str, m: int) -> None:
    for name in [name for name in app_desk.packs if name.startswith("I")]:
        app_desk.post(REGULATOR, *[(name, "incident", THERMAL)] * k)
    for serial in range(100, 100 + n):
        app_desk.post(maker, (code(serial), "produced", PRODUCED))
    for serial in range(100, 100 + m):
        app_desk.post(REGULATOR, (code(serial), "incident", {**THERMAL, "kind": "collision"}))


@when("the regulator reads the quality warnings")
def _warnings(app_desk: AppDesk) -> None:
    app_desk.answer = app_desk.client.get("/v1/reports/warnings", headers=app_desk.auth(REGULATOR))


@then(parsers.parse('the alarm of maker "{maker}" names "{foreign}"'))
def _alarm(app_desk: AppDesk, maker: str, foreign: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == 200, app_desk.answer.text
    alarms = app_desk.answer.json()["alarms"]
    [alarm] = [a for a in alarms if a["group"] == {"maker": maker}]
    assert alarm["foreign_manufacturers"] == [foreign]

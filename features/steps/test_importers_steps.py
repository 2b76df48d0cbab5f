"""Steps of features/importers.feature: an importer registers imported packs over the API; the regulator and
an automaker read them; the importer deadline is counted from the ledger's entry under two rule versions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from events.codes import make_code
from events.deadlines import RULESETS, lateness
from events.orgs import Org, Role
from events.timestamps import from_rfc3339
from events.vin import vin_with_check_digit
from features.conftest import AppDesk
from tests.support import PRODUCED, Clock, add_actor
from tests.web.login import session_cookie

scenarios("importers.feature")

REGULATOR = "fj-miit"
VINS = {"V1": vin_with_check_digit("LSJA24U60MS000001")}
SERIALS = {"P": 71, "Q": 72, "R": 73, "L": 74}


@pytest.fixture
def desk(app_desk: AppDesk) -> AppDesk:
    return app_desk


def imported(name: str = "LG Energy Solution", country: str = "KR", customs: str = "370120261000004711",
             day: str = "2026-02-20") -> dict[str, Any]:  # fmt: skip
    return {"imported": {"foreign_manufacturer": {"name": name, "country": country},
                         "customs_declaration": customs, "import_date": day}}  # fmt: skip


@given("the province's organisations are registered with their signing keys")
def _registered(desk: AppDesk) -> None:
    assert {"catl", "byd-auto", REGULATOR} <= set(desk.actors)


@given(parsers.parse('the importer "{org}" is registered with maker code "{prefix}"'))
def _importer(desk: AppDesk, org: str, prefix: str) -> None:
    desk.actors[org] = add_actor(desk.ledger, Org(org, "厦门进口汽车", frozenset({Role.IMPORTER}), frozenset({prefix})))
    for name, serial in SERIALS.items():
        desk.packs[name] = make_code(prefix, "pack", "B", "12", "ABCDEFG", date(2026, 1, 15), serial)


@given(parsers.parse("the platform records on {day} (China time)"))
def _records_on(desk: AppDesk, day: str) -> None:
    desk.ledger.clock = Clock(datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC))  # 10:00 China time


@when(parsers.parse('"{org}" registers pack "{name}" made by "{maker}" of "{country}" under customs declaration '
                    '"{customs}"'))  # fmt: skip
def _register(desk: AppDesk, org: str, name: str, maker: str, country: str, customs: str) -> None:
    response = desk.send(org, name, "produced", {**PRODUCED, **imported(maker, country, customs)})
    assert response.status_code == 201, response.text


@when(parsers.parse('"{org}" registers pack "{name}" without naming the import'))
def _register_plain(desk: AppDesk, org: str, name: str) -> None:
    desk.send(org, name, "produced", PRODUCED)


@when(parsers.parse('"{org}" registers pack "{name}" under catl\'s maker code "{prefix}"'))
def _register_foreign_prefix(desk: AppDesk, org: str, name: str, prefix: str) -> None:
    desk.packs[name] = make_code(prefix, "pack", "B", "12", "ABCDEFG", date(2026, 1, 15), SERIALS[name])
    desk.send(org, name, "produced", {**PRODUCED, **imported()})


@when(parsers.parse('"{org}" registers pack "{name}" cleared on {day} (China time)'))
def _register_cleared(desk: AppDesk, org: str, name: str, day: str) -> None:
    at = datetime.fromisoformat(day).replace(hour=1, tzinfo=UTC)  # 09:00 China time
    claim, sig = desk.actors[org].claim(desk.packs[name], "produced", {**PRODUCED, **imported(day=day)}, at=at)
    desk.ledger.append_one(claim, sig)


@when(parsers.parse('"{org}" ships pack "{name}" to "{automaker}", which installs it in vehicle "{vehicle}"'))
def _ship_and_install(desk: AppDesk, org: str, name: str, automaker: str, vehicle: str) -> None:
    for actor, type_, data in ((org, "shipped", {"to": automaker}), (automaker, "received", {"from": org}),
                               (automaker, "installed", {"vin": VINS[vehicle]})):  # fmt: skip
        assert desk.send(actor, name, type_, data).status_code == 201, desk.answer.text if desk.answer else ""


@then(parsers.parse('pack "{name}" is produced, made and held by "{org}"'))
def _produced(desk: AppDesk, name: str, org: str) -> None:
    view = desk.view(REGULATOR, name)
    assert (view["status"], view["manufacturer"], view["custodian"]) == ("produced", org, org)


@then(parsers.parse('the regulator sees the foreign manufacturer "{maker}" and the customs declaration "{customs}"'))
def _regulator_sees(desk: AppDesk, maker: str, customs: str) -> None:
    view = desk.view(REGULATOR, "P")
    foreign = view["foreign_manufacturer"]
    assert (f"{foreign['name']} ({foreign['country']})", view["customs_declaration"]) == (maker, customs)
    cookie = session_cookie(desk.ledger, desk.actors[REGULATOR].token)
    page = desk.client.get(f"/regulator/packs/{desk.packs['P']}", headers=cookie)
    assert page.status_code == 200, page.text
    assert f'<dd class="code" id="customs-declaration">{customs}</dd>' in page.text
    assert f'<dd id="foreign-manufacturer">{maker}</dd>' in page.text


@then(parsers.parse('"{org}" sees the foreign manufacturer "{maker}" but no customs declaration'))
def _automaker_sees(desk: AppDesk, org: str, maker: str) -> None:
    view = desk.view(org, "P")
    foreign = view["foreign_manufacturer"]
    assert (view["tier"], f"{foreign['name']} ({foreign['country']})") == ("legitimate_interest", maker)
    assert view["customs_declaration"] is None and "customs_declaration" not in view["technical"]["imported"]


@then(parsers.parse('pack "{name}" is in_vehicle in vehicle "{vehicle}"'))
def _in_vehicle(desk: AppDesk, name: str, vehicle: str) -> None:
    view = desk.view(REGULATOR, name)
    assert (view["status"], view["vin"]) == ("in_vehicle", VINS[vehicle])


@then(parsers.parse('the regulator filtering packs by maker "{value}" finds pack "{name}"'))
def _filter(desk: AppDesk, value: str, name: str) -> None:
    page = desk.client.get("/v1/packs", params={"manufacturer": value}, headers=desk.auth(REGULATOR)).json()
    assert [pack["code"] for pack in page["packs"]] == [desk.packs[name]]


@then(parsers.parse('the request is refused with {status:d}: "{message}"'))
def _refused(desk: AppDesk, status: int, message: str) -> None:
    assert desk.answer is not None
    assert (desk.answer.status_code, desk.answer.json()["detail"]) == (status, message)


def _late(desk: AppDesk, ruleset: str) -> Any:
    entry = json.loads(desk.ledger.pack_entries(desk.packs["L"])[0].body)
    claim = entry["claim"]
    actor = desk.ledger.org(claim["actor"])
    assert actor is not None
    return lateness(claim["type"], actor, from_rfc3339(claim["at"]), from_rfc3339(entry["recorded_at"]),
                    RULESETS[ruleset])  # fmt: skip


@then(parsers.parse('under rule set "{ruleset}" the registration is {days:d} working day late by "{rule}", due {due}'))
def _late_under(desk: AppDesk, ruleset: str, days: int, rule: str, due: str) -> None:
    late = _late(desk, ruleset)
    assert late is not None
    assert (late.rule, late.working_days_late, late.due.isoformat()) == (rule, days, due)


@then(parsers.parse('under the default rule set "{ruleset}" the registration is not late'))
def _not_late(desk: AppDesk, ruleset: str) -> None:
    assert _late(desk, ruleset) is None

"""Steps of features/owner_scan.feature: the owner's ownership actions (ownership_transferred, leased,
lease_ended) offered and posted on the scan page, signed with the lessor's platform-held key."""

from __future__ import annotations

import html
import re

from pytest_bdd import given, parsers, scenarios, then, when

from events.orgs import Org, Role
from events.vin import vin_with_check_digit
from features.conftest import SEALING_KEY, AppDesk
from ledger.usecases import custodial
from tests.support import PRODUCED, add_actor, code

scenarios("owner_scan.feature")

VINS = {"V1": vin_with_check_digit("LSJA24U60MS000001")}


@given(parsers.parse('the lessor "{org}" is registered, with a platform-held key'))
def _lessor(app_desk: AppDesk, org: str) -> None:
    app_desk.actors[org] = add_actor(app_desk.ledger, Org(org, "福建车电分离电池租赁", frozenset({Role.LESSOR})))
    custodial.create_platform_key(app_desk.ledger, org, sealing_key=SEALING_KEY)


@given(parsers.parse('"{maker}" has sold pack "{name}" to "{owner}", which installed it in vehicle "{vehicle}"'))
def _sold(app_desk: AppDesk, maker: str, name: str, owner: str, vehicle: str) -> None:
    app_desk.packs[name] = code(91)
    sale = {"to": owner, "reference": "购销合同 BAAS-00091"}
    app_desk.post(
        maker, (name, "produced", PRODUCED), (name, "ownership_transferred", sale), (name, "shipped", {"to": owner})
    )
    app_desk.post(owner, (name, "received", {"from": maker}), (name, "installed", {"vin": VINS[vehicle]}))


def _scan(app_desk: AppDesk, org: str, name: str) -> None:
    response = app_desk.client.get("/scan", params={"code": app_desk.packs[name]}, headers=app_desk.session(org))
    assert response.status_code == 200, response.text
    app_desk.page = response.text


@when(parsers.parse('"{org}" scans pack "{name}" on the scan page'))
def _scans(app_desk: AppDesk, org: str, name: str) -> None:
    _scan(app_desk, org, name)


def _buttons(page: str) -> list[str]:
    return re.findall(r'<summary class="button">([^<]+)</summary>', page)


@then(parsers.re(r'the page offers "(?P<first>[^"]+)" and "(?P<second>[^"]+)", and not "(?P<absent>[^"]+)"'))
def _offers_two(app_desk: AppDesk, first: str, second: str, absent: str) -> None:
    buttons = _buttons(app_desk.page)
    assert first in buttons and second in buttons and absent not in buttons, buttons


@then(parsers.re(r'the page offers "(?P<present>[^"]+)", and not "(?P<absent>[^"]+)"'))
def _offers(app_desk: AppDesk, present: str, absent: str) -> None:
    buttons = _buttons(app_desk.page)
    assert present in buttons and absent not in buttons, buttons


def _act(app_desk: AppDesk, org: str, name: str, action: str, **fields: str) -> None:
    app_desk.size = app_desk.ledger.size()
    form = {"code": app_desk.packs[name], "action": action, **fields}
    app_desk.answer = app_desk.client.post("/scan/act", data=form, headers=app_desk.session(org))
    if app_desk.answer.status_code == 303:
        _scan(app_desk, org, name)


@when(parsers.re(
    r'"(?P<org>[^"]+)" leases pack "(?P<name>[^"]+)" to "(?P<lessee>[^"]*)" for vehicle "(?P<vehicle>[^"]+)" until '
    r'"(?P<until>[^"]*)" on the scan page'
))  # fmt: skip
def _leases(app_desk: AppDesk, org: str, name: str, lessee: str, vehicle: str, until: str) -> None:
    _act(app_desk, org, name, "leased", lessee=lessee, vin=VINS[vehicle], until=until)


@when(parsers.parse(
    '"{org}" leases pack "{name}" to "{lessee}" for vehicle "{vehicle}" and site "{site}" on the scan page'
))  # fmt: skip
def _leases_both(app_desk: AppDesk, org: str, name: str, lessee: str, vehicle: str, site: str) -> None:
    _act(app_desk, org, name, "leased", lessee=lessee, vin=VINS[vehicle], site=site)


@when(parsers.parse('"{org}" leases pack "{name}" to "{lessee}" on the scan page, typing no vehicle'))
def _leases_here(app_desk: AppDesk, org: str, name: str, lessee: str) -> None:
    _act(app_desk, org, name, "leased", lessee=lessee)


@when(parsers.parse('"{org}" ends the lease of pack "{name}" on the scan page, because it "{reason}"'))
def _ends(app_desk: AppDesk, org: str, name: str, reason: str) -> None:
    _act(app_desk, org, name, "lease_ended", reason=reason)


@then(parsers.re(
    r'pack "(?P<name>[^"]+)" is owned by "(?P<owner>[^"]+)", leased to "(?P<lessee>[^"]+)" for vehicle '
    r'"(?P<vehicle>[^"]+)" until "(?P<until>[^"]*)"'
))  # fmt: skip
def _leased(app_desk: AppDesk, name: str, owner: str, lessee: str, vehicle: str, until: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == 303, app_desk.answer.text
    state = app_desk.state(name)
    assert state.lease is not None
    lease = state.lease
    assert (state.owner, lease["lessor"], lease["lessee"], lease.get("vin"), lease.get("until")) == (
        owner, owner, lessee, VINS[vehicle], until or None
    )  # fmt: skip


@then(parsers.parse('pack "{name}" is owned by "{owner}" and not leased'))
def _not_leased(app_desk: AppDesk, name: str, owner: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == 303, app_desk.answer.text
    assert (app_desk.state(name).owner, app_desk.state(name).lease) == (owner, None)


@then(parsers.parse('the page says "{message}" and the log did not grow'))
def _says(app_desk: AppDesk, message: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == 422, app_desk.answer.text
    assert message in html.unescape(app_desk.answer.text)
    assert app_desk.ledger.size() == app_desk.size

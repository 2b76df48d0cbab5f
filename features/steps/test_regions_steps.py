"""Steps of features/regions.feature (issue 15, acceptance 7): organisations located in regions, a city's
regulator scoped to its city, the province's regulator seeing everything."""

from __future__ import annotations

import re
from typing import Any

import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from api.errors import status_of
from events.errors import PacktraceError
from events.orgs import Org, Role
from ledger.log import Ledger
from ledger.store.packrows import PackFilter
from ledger.usecases import orgkeys, packreads
from ledger.usecases.access import ADMIN, Caller
from ledger.usecases.reports.compliance import compliance
from ledger.usecases.reports.organisations import organisations
from tests.support import Actor, add_actor, code

scenarios("regions.feature")


@pytest.fixture
def seen() -> dict[str, Any]:
    return {}


def caller(ledger: Ledger, org_id: str) -> Caller:
    org = ledger.org(org_id)
    assert org is not None
    return Caller(org=org)


@given(parsers.parse("the organisations are located: {places}"))
def _located(ledger: Ledger, places: str) -> None:
    for org_id, region in re.findall(r'"([a-z0-9-]+)" in "(\d{6})"', places):
        orgkeys.update_org(ledger, ADMIN, org_id, region=region)


@given(parsers.parse('a regulator "{org_id}" is registered in "{region}"'))
def _city_regulator(ledger: Ledger, actors: dict[str, Actor], org_id: str, region: str) -> None:
    actors[org_id] = add_actor(ledger, Org(org_id, "厦门市工信局", frozenset({Role.REGULATOR}), region=region))


@when(parsers.parse('"{org_id}" lists the packs'))
def _list(ledger: Ledger, seen: dict[str, Any], org_id: str) -> None:
    page = packreads.list_packs(ledger, caller(ledger, org_id), PackFilter())
    seen["codes"] = {p.code for p in page.packs}


@when(parsers.parse('"{org_id}" lists the packs of region "{region}"'))
def _list_region(ledger: Ledger, seen: dict[str, Any], org_id: str, region: str) -> None:
    page = packreads.list_packs(ledger, caller(ledger, org_id), PackFilter(), region=region)
    seen["codes"] = {p.code for p in page.packs}


@then(parsers.parse("it sees pack {a:d} and not pack {b:d}"))
def _sees_one(seen: dict[str, Any], a: int, b: int) -> None:
    assert code(a) in seen["codes"] and code(b) not in seen["codes"]


@then(parsers.parse("it sees pack {a:d} and pack {b:d}"))
def _sees_both(seen: dict[str, Any], a: int, b: int) -> None:
    assert {code(a), code(b)} <= seen["codes"]


@when(parsers.parse('"{org_id}" reads pack {n:d}'))
def _read(ledger: Ledger, seen: dict[str, Any], org_id: str, n: int) -> None:
    seen["view"] = packreads.get_pack_view(ledger, caller(ledger, org_id), code(n))


@then(parsers.parse('it reads it at the "{tier}" tier'))
def _tier(seen: dict[str, Any], tier: str) -> None:
    assert seen["view"].tier == tier


@when(parsers.parse('"{org_id}" reads the organisation statistics'))
def _stats(ledger: Ledger, seen: dict[str, Any], org_id: str) -> None:
    seen["stats"] = organisations(ledger, caller(ledger, org_id))


@then(parsers.parse('the statistics list only "{first}" and "{second}" and cover region "{region}"'))
def _stats_cover(seen: dict[str, Any], first: str, second: str, region: str) -> None:
    assert [o.org for o in seen["stats"].orgs] == [first, second]
    assert seen["stats"].region == region


@when(parsers.parse('"{org_id}" reads the compliance report of region "{region}"'))
def _compliance_region(ledger: Ledger, seen: dict[str, Any], org_id: str, region: str) -> None:
    with pytest.raises(PacktraceError) as refused:
        compliance(ledger, caller(ledger, org_id), region=region)
    seen["error"] = refused.value


@then(parsers.parse('it is refused with 403 "{code_}": "{message}"'))
def _refused(seen: dict[str, Any], code_: str, message: str) -> None:
    error = seen["error"]
    assert (status_of(error), error.code, error.message) == (403, code_, message)

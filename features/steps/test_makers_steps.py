"""Steps of features/makers.feature: the maker filters of the API and the regulator's pages over the
scenario province (tests/support.province), answers compared with the exact packs produced."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from markupsafe import escape
from pytest_bdd import given, parsers, scenarios, then, when

from api.app import create_app
from api.settings import Settings
from events.orgs import Org, Role
from ledger.log import Ledger
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from tests.api.inprocess import in_process_client
from tests.api.parties import raw_public
from tests.api.problem import assert_problem
from tests.support import PRODUCED, T0, Actor, code
from tests.web.login import session_cookie

scenarios("makers.feature")

REGULATOR = "fj-miit"
ROW = re.compile(r'<tr><td><a class="code" href="/regulator/packs/([0-9A-Z]+)"')


@dataclass
class Desk:
    """The regulator's API token and browser session, and what the last step asked and got."""

    client: httpx.Client
    token: str
    cookie: dict[str, str]
    maker: str = ""
    params: dict[str, str] = field(default_factory=dict)

    def api(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(path, params=params, headers={"Authorization": f"Bearer {self.token}"})

    def page(self, path: str, **params: str) -> httpx.Response:
        return self.client.get(path, params=params, headers=self.cookie)


@pytest.fixture
def desk(ledger: Ledger, actors: dict[str, Actor], tmp_path: Path) -> Iterator[Desk]:
    settings = Settings(database_url="sqlite:///unused.db", log_key_file=tmp_path / "log.key")
    token = actors[REGULATOR].token
    with in_process_client(create_app(ledger, settings=settings)) as http:
        yield Desk(http, token, session_cookie(ledger, token))


def codes(body: dict[str, Any]) -> list[str]:
    return [pack["code"] for pack in body["packs"]]


@given(parsers.parse('"{maker}" has produced packs 1 to 3 of batch "{first}" and pack 4 of batch "{second}"'))
def _produced(ledger: Ledger, actors: dict[str, Actor], maker: str, first: str, second: str) -> None:
    for n, batch in ((1, first), (2, first), (3, first), (4, second)):
        ledger.append_one(*actors[maker].claim(code(n), "produced", {**PRODUCED, "batch": batch}))


@given(parsers.parse("the regulator has reported an incident on pack {n:d}"))
def _incident(ledger: Ledger, actors: dict[str, Actor], n: int) -> None:
    data = {"kind": "thermal_event", "severity": "high", "description": "冒烟"}
    ledger.append_one(*actors[REGULATOR].claim(code(n), "incident", data, at=T0 + timedelta(hours=1)))


@given(parsers.parse('a maker "{org_id}" registered as "{name}" with code "{maker_code}"'))
def _registered(ledger: Ledger, org_id: str, name: str, maker_code: str) -> None:
    org = Org(org_id, name, frozenset({Role.MANUFACTURER}), frozenset({maker_code}))
    public = raw_public(Ed25519PrivateKey.generate())
    orgkeys.register_many(ledger, ADMIN, [(org, [(f"{org_id}/1", public)])])


@when(parsers.parse('the regulator traces maker "{value}"'))
def _trace(desk: Desk, value: str) -> None:
    desk.maker = value


@then("the trace, its CSV, the pack list and the recall page all list packs 1 to 4")
def _same_packs(desk: Desk) -> None:
    expected = [code(n) for n in range(1, 5)]
    trace = desk.api("/v1/reports/recall", manufacturer=desk.maker)
    assert trace.status_code == 200 and codes(trace.json()) == expected
    assert (trace.json()["maker"], trace.json()["count"]) == ("catl", 4)
    csv = desk.api("/v1/reports/recall", manufacturer=desk.maker, format="csv").content.decode("utf-8-sig")
    assert [line.split(",")[0] for line in csv.splitlines()[1:]] == expected
    assert codes(desk.api("/v1/packs", manufacturer=desk.maker).json()) == expected
    page = desk.page("/regulator/recall", manufacturer=desk.maker).text
    assert ROW.findall(page) == expected and "共 4 块电池" in page and "生产企业：宁德时代（catl）" in page


@then(parsers.parse('the trace names the maker "{org_id}", "{name}", with no packs'))
def _named(desk: Desk, org_id: str, name: str) -> None:
    report = desk.api("/v1/reports/recall", manufacturer=desk.maker).json()
    assert (report["maker"], report["maker_name"], report["count"], report["packs"]) == (org_id, name, 0, [])


@then(parsers.parse('the trace, the pack list and the recall page refuse it with 422 "{problem}": "{detail}"'))
def _refused_everywhere(desk: Desk, problem: str, detail: str) -> None:
    assert_problem(desk.api("/v1/reports/recall", manufacturer=desk.maker), 422, problem, detail)
    assert_problem(desk.api("/v1/packs", manufacturer=desk.maker), 422, problem, detail)
    page = desk.page("/regulator/recall", manufacturer=desk.maker, lang="en")
    assert page.status_code == 422 and str(escape(detail)) in page.text and ROW.findall(page.text) == []
    page = desk.page("/regulator/recall", manufacturer=desk.maker)  # in Chinese, naming what was typed
    assert page.status_code == 422 and f"没有与“{desk.maker}”相符的生产企业" in page.text


@then(parsers.parse('the trace refuses it with 422 "{problem}": "{detail}"'))
def _refused(desk: Desk, problem: str, detail: str) -> None:
    assert_problem(desk.api("/v1/reports/recall", manufacturer=desk.maker), 422, problem, detail)


@when("the regulator opens the recall page")
def _recall_page(desk: Desk) -> None:
    desk.maker = ""


@then(
    parsers.parse(
        'the maker field offers "{first}" as "{first_label}" and "{second}" as "{second_label}", '
        "and no other organisation"
    )
)
def _offered(desk: Desk, first: str, first_label: str, second: str, second_label: str) -> None:
    page = desk.page("/regulator/recall").text
    offered = re.findall(r'<option value="([a-z0-9-]+)" label="([^"]*)">', page)
    assert offered == [(first, first_label), (second, second_label)]
    assert 'name="manufacturer" value="" list="makers"' in page


@when(parsers.parse('the regulator searches the packs page for "{query}"'))
def _search(desk: Desk, query: str) -> None:
    desk.params = {"q": query}


@then("the search lists packs 1 to 4")
def _searched(desk: Desk) -> None:
    assert ROW.findall(desk.page("/regulator/packs", **desk.params).text) == [code(n) for n in range(1, 5)]


@when(parsers.parse('the regulator lists packs with flag "{flag}" and batch "{batch}"'))
def _list(desk: Desk, flag: str, batch: str) -> None:
    desk.params = {"flag": flag, "batch": batch}


@then(parsers.parse("only pack {n:d} is listed, on the API and on the packs page"))
def _only(desk: Desk, n: int) -> None:
    assert codes(desk.api("/v1/packs", **desk.params).json()) == [code(n)]
    assert ROW.findall(desk.page("/regulator/packs", **desk.params).text) == [code(n)]


@then(parsers.parse('a flag "{flag}" is refused with 422 "{problem}": "{detail}"'))
def _flag_refused(desk: Desk, flag: str, problem: str, detail: str) -> None:
    assert_problem(desk.api("/v1/packs", **{**desk.params, "flag": flag}), 422, problem, detail)

"""Steps of features/recalls.feature: campaigns created and followed over the API, the `recalled` claims
signed by the regulator's (or the maker's) own key, the page compared with its CSV."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from api.app import create_app
from api.settings import Settings
from events.codes import make_code
from events.orgs import Org, Role
from ledger.log import Ledger
from ledger.usecases.verify import verify_database
from tests.api.inprocess import in_process_client
from tests.api.parties import ADMIN_TOKEN
from tests.support import PRODUCED, Actor, add_actors
from tests.web.login import session_cookie

scenarios("recalls.feature")

REGULATOR = "fj-miit"
_DAY = date(2026, 1, 15)


@dataclass
class Desk:
    client: httpx.Client
    actors: dict[str, Actor]
    packs: dict[str, list[str]] = field(default_factory=dict)  # codes by batch
    answer: httpx.Response | None = None

    def auth(self, org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.actors[org].token}"}

    def batch(self, org: str, claims: list[tuple[dict[str, Any], str]]) -> None:
        events = [{"claim": claim, "sig": sig} for claim, sig in claims]
        response = self.client.post("/v1/events/batch", json={"events": events}, headers=self.auth(org))
        assert response.status_code == 201, response.text[:300]

    def campaign(self, campaign: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/recalls/{campaign}", headers=self.auth(REGULATOR))
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found


@pytest.fixture
def desk(ledger: Ledger, actors: dict[str, Actor], tmp_path: Path) -> Iterator[Desk]:
    settings = Settings(
        database_url="sqlite:///unused.db", log_key_file=tmp_path / "log.key", admin_token=ADMIN_TOKEN,
        max_body_bytes=4 * 1024 * 1024,
    )  # fmt: skip
    with in_process_client(create_app(ledger, settings=settings)) as client:
        yield Desk(client, actors)


def _produce(desk: Desk, maker: str, count: int, batch: str, prefix: str) -> None:
    start = sum(len(codes) for codes in desk.packs.values()) + 1
    codes = [make_code(prefix, "pack", "B", "12", "ABCDEFG", _DAY, n) for n in range(start, start + count)]
    desk.batch(maker, [desk.actors[maker].claim(c, "produced", {**PRODUCED, "batch": batch}) for c in codes])
    desk.packs.setdefault(batch, []).extend(codes)


@given(parsers.parse('"catl" has produced {count:d} packs of batch "{b7}" and {more:d} packs of batch "{b8}"'))
def _catl_produced(desk: Desk, count: int, b7: str, more: int, b8: str) -> None:
    _produce(desk, "catl", count, b7, "001")
    _produce(desk, "catl", more, b8, "001")


@given(parsers.parse('"maker-two" has produced {count:d} packs of batch "{batch}"'))
def _other_produced(desk: Desk, ledger: Ledger, count: int, batch: str) -> None:
    org = Org("maker-two", "另一电池厂", frozenset({Role.MANUFACTURER}), frozenset({"002"}))
    desk.actors.update(add_actors(ledger, [org]))
    _produce(desk, "maker-two", count, batch, "002")


def _draft(campaign: str, batch: str, due: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": campaign, "reason": "电芯批次缺陷", "scope": {"batch": batch}}
    if due is not None:
        body["due"] = due
    return body


@when(
    parsers.parse(
        'the regulator creates campaign "{campaign}" over batch "{batch}" due "{due}", signing each recalled entry'
    )
)
def _create(desk: Desk, campaign: str, batch: str, due: str) -> None:
    body = _draft(campaign, batch, due)
    plan = desk.client.post("/v1/recalls/scope", json=body, headers=desk.auth(REGULATOR))
    assert plan.status_code == 200, plan.text
    regulator = desk.actors[REGULATOR]
    claims = []
    for code in plan.json()["codes"]:
        claim, sig = regulator.claim(code, "recalled", plan.json()["data"])
        claims.append({"claim": claim, "sig": sig})
    created = desk.client.post("/v1/recalls", json={**body, "claims": claims}, headers=desk.auth(REGULATOR))
    assert created.status_code == 201, created.text


@when(parsers.parse('"{org}" asks for the scope of campaign "{campaign}" over batch "{batch}"'))
@when(parsers.parse('the regulator asks for the scope of campaign "{campaign}" over batch "{batch}"'))
def _ask(desk: Desk, campaign: str, batch: str, org: str = REGULATOR) -> None:
    desk.answer = desk.client.post("/v1/recalls/scope", json=_draft(campaign, batch), headers=desk.auth(org))


@then(parsers.parse('it is refused with {status:d} "{code}"'))
def _refused(desk: Desk, status: int, code: str) -> None:
    assert desk.answer is not None
    assert (desk.answer.status_code, desk.answer.json()["code"]) == (status, code), desk.answer.text


@then(
    parsers.parse(
        "the campaign lists {packs:d} packs, {remedied:d} remedied, completion {rate:g} and {overdue:d} overdue"
    )
)
def _figures(desk: Desk, packs: int, remedied: int, rate: float, overdue: int) -> None:
    report = desk.campaign("R-B7")
    assert (report["packs"], report["remedied"], report["completion"], report["overdue"]) == (
        packs, remedied, rate, overdue,
    )  # fmt: skip
    assert len(report["overdue_packs"]) == overdue


@when(parsers.parse('"catl" services {fixed:d} of them with the campaign id and {other:d} without it'))
def _service(desk: Desk, fixed: int, other: int) -> None:
    catl, codes = desk.actors["catl"], desk.packs["B7"]
    claims = [catl.claim(c, "serviced", {"description": "更换电芯", "campaign": "R-B7"}) for c in codes[:fixed]]
    claims += [catl.claim(c, "serviced", {"description": "保养"}) for c in codes[fixed : fixed + other]]
    desk.batch("catl", claims)


@then("the campaign page and its CSV show the same packs, remedied and overdue")
def _page_matches_csv(desk: Desk, ledger: Ledger) -> None:
    cookie = session_cookie(ledger, desk.actors[REGULATOR].token)
    html = desk.client.get("/regulator/campaigns/R-B7", headers=cookie).text
    shown = re.findall(r'data-code="([^"]+)" data-remedied="(true|false)" data-overdue="(true|false)"', html)
    text = desk.client.get("/regulator/campaigns/R-B7.csv?lang=en", headers=cookie).text.lstrip("\ufeff")
    rows = [(r["code"], r["remedied"], r["overdue"]) for r in csv.DictReader(io.StringIO(text))]
    assert shown == rows and len(rows) == 1000
    assert '<span id="campaign-completion">60.0%</span>' in html


@then("the log verifies with the campaign's entries")
def _verifies(ledger: Ledger) -> None:
    assert verify_database(ledger.engine, ledger.signer.verifier_key).problems == []

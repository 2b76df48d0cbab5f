"""Steps of features/modules.feature: module replacements posted over the API, the recall trace by cell
code read by the regulator over the API and on its recall page."""

from __future__ import annotations

import itertools
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
from events.vin import vin_with_check_digit
from ledger.log import Ledger
from ledger.usecases.verify import verify_database
from tests.api.inprocess import in_process_client
from tests.api.parties import ADMIN_TOKEN
from tests.support import PRODUCED, Actor, code
from tests.web.login import session_cookie

scenarios("modules.feature")

REGULATOR = "fj-miit"
_DAY = date(2026, 1, 15)
VIN = vin_with_check_digit("LSJA24U60MS000001")


@dataclass
class Bench:
    ledger: Ledger
    client: httpx.Client
    actors: dict[str, Actor]
    codes: dict[str, str] = field(default_factory=dict)  # name in the feature -> battery code
    answer: httpx.Response | None = None

    def code(self, name: str, kind: str = "pack") -> str:
        if name not in self.codes:
            serial = 81 + len(self.codes)
            self.codes[name] = (
                code(serial) if kind == "pack" else make_code("0RJ", kind, "B", "12", "ABCDEFG", _DAY, serial)
            )
        return self.codes[name]

    def auth(self, org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.actors[org].token}"}

    def post(self, org: str, pack: str, type_: str, data: dict[str, Any]) -> httpx.Response:
        claim, sig = self.actors[org].claim(self.codes[pack], type_, data)
        return self.client.post("/v1/events", json={"claim": claim, "sig": sig}, headers=self.auth(org))

    def trace(self, cell: str) -> dict[str, Any]:
        answer = self.client.get(
            "/v1/reports/recall", params={"component": self.codes[cell]}, headers=self.auth(REGULATOR)
        )
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found


@pytest.fixture
def bench(ledger: Ledger, actors: dict[str, Actor], tmp_path: Path) -> Iterator[Bench]:
    settings = Settings(database_url="sqlite:///unused.db", log_key_file=tmp_path / "log.key", admin_token=ADMIN_TOKEN)
    with in_process_client(create_app(ledger, settings=settings)) as client:
        yield Bench(ledger, client, actors)


def _produce(bench: Bench, pack: str, modules: dict[str, list[str]]) -> None:
    module_codes = {bench.code(m, "module"): [bench.code(c, "cell") for c in cells] for m, cells in modules.items()}
    data = PRODUCED | {
        "modules": list(module_codes),
        "cells": [c for cells in module_codes.values() for c in cells],
        "module_cells": {m: cells for m, cells in module_codes.items() if cells},
    }
    bench.code(pack)
    assert bench.post("catl", pack, "produced", data).status_code == 201


@given(parsers.parse('pack "{pack}" was produced by "catl" with module "{m1}" holding cells "{x}" and "{y}", '
                     'and module "{m2}"'))  # fmt: skip
def _pack_a(bench: Bench, pack: str, m1: str, x: str, y: str, m2: str) -> None:
    _produce(bench, pack, {m1: [x, y], m2: []})


@given(parsers.parse('packs "{b}", "{c}" and "{d}" were produced by "catl" with modules "{k}", "{n}" and "{q}"'))
def _packs(bench: Bench, b: str, c: str, d: str, k: str, n: str, q: str) -> None:
    for pack, held in ((b, k), (c, n), (d, q)):
        _produce(bench, pack, {held: []})


@given(parsers.parse('"{shop}" has taken packs "{a}", "{b}", "{c}" and "{d}" out of their vehicles for repair'))
def _in_the_shop(bench: Bench, shop: str, a: str, b: str, c: str, d: str) -> None:
    for pack in (a, b, c, d):
        for org, type_, data in (
            ("catl", "shipped", {"to": "byd-auto"}),
            ("byd-auto", "received", {"from": "catl"}),
            ("byd-auto", "installed", {"vin": VIN}),
            (shop, "removed", {"reason": "repair"}),
        ):
            assert bench.post(org, pack, type_, data).status_code == 201


def _replacement(bench: Bench, old: str, new: str) -> dict[str, Any]:
    return {
        "description": "模组更换 module replaced",
        "replaced_modules": [{"old": bench.code(old, "module"), "new": bench.code(new, "module")}],
    }


@when(parsers.parse('"{shop}" replaces module "{old}" of pack "{pack}" with "{new}" over the API'))
def _replace(bench: Bench, shop: str, old: str, pack: str, new: str) -> None:
    bench.answer = bench.post(shop, pack, "serviced", _replacement(bench, old, new))


@when(parsers.parse('"{recycler}" dismantles pack "{pack}", taking module "{module}" out whole'))
def _dismantle(bench: Bench, recycler: str, pack: str, module: str) -> None:
    assert bench.answer is not None and bench.answer.status_code == 201, bench.answer and bench.answer.text
    for org, type_, data in (
        ("fz-service", "retired", {"reason": "end_of_life"}),
        ("fz-service", "shipped", {"to": recycler}),
        (recycler, "received", {"from": "fz-service"}),
        (recycler, "dismantled", {"outputs": [{"kind": "module", "code": bench.codes[module], "mass_kg": 30.0}]}),
    ):
        answer = bench.post(org, pack, type_, data)
        assert answer.status_code == 201, answer.text


@when(parsers.parse('"{recycler}" gives module "{module}" a chain of its own and sells it to "{shop}"'))
def _recover(bench: Bench, recycler: str, module: str, shop: str) -> None:
    recovered = {"chemistry": "LFP", "rated_capacity_kwh": 5.0, "nominal_voltage_v": 51.2, "mass_kg": 30.0}
    for org, type_, data in (
        (recycler, "produced", recovered | {"recovered_from": bench.codes["B"]}),
        (recycler, "shipped", {"to": shop}),
        (shop, "received", {"from": recycler}),
    ):
        answer = bench.post(org, module, type_, data)
        assert answer.status_code == 201, answer.text
    state = bench.ledger.pack_state(bench.codes[module])
    assert state is not None and (state.custodian, state.extra["recovered_from"]) == (shop, bench.codes["B"])


@then(
    parsers.parse('the regulator\'s recall trace for cell "{cell}" lists packs "{a}", "{b}" and "{c}", and not "{d}"')
)
def _three(bench: Bench, cell: str, a: str, b: str, c: str, d: str) -> None:
    assert bench.answer is not None and bench.answer.status_code == 201, bench.answer and bench.answer.text
    report = bench.trace(cell)
    assert report["component"] == bench.codes[cell]
    assert [p["code"] for p in report["packs"]] == sorted(bench.codes[n] for n in (a, b, c))
    assert bench.codes[d] not in {p["code"] for p in report["packs"]}


@then(parsers.parse('"{a}", "{b}" and "{c}" held it through module "{module}" one after the other, and "{last}" '
                    "holds it still"))  # fmt: skip
def _in_turn(bench: Bench, a: str, b: str, c: str, module: str, last: str) -> None:
    holdings = bench.trace("X")["holdings"]
    assert [(h["pack"], h["via"]) for h in holdings] == [(bench.codes[n], bench.codes[module]) for n in (a, b, c)]
    assert [h["held_until"] is None for h in holdings] == [False, False, True]
    assert holdings[-1]["pack"] == bench.codes[last]
    for earlier, later in itertools.pairwise(holdings):
        assert earlier["until_entry"] < later["from_entry"] and earlier["held_until"] <= later["held_from"]


@then(parsers.parse('the regulator\'s recall page for cell "{cell}" shows the same packs and holdings'))
def _page(bench: Bench, cell: str) -> None:
    cookie = session_cookie(bench.ledger, bench.actors[REGULATOR].token)
    html = bench.client.get("/regulator/recall", params={"component": bench.codes[cell]}, headers=cookie).text
    report = bench.trace(cell)
    table = html[html.index('id="recall-results"') : html.index('id="recall-holdings"')]
    assert sorted(set(re.findall(r"/regulator/packs/([0-9A-Z]{24})", table))) == [p["code"] for p in report["packs"]]
    holdings = html[html.index('id="recall-holdings"') :]
    assert re.findall(r"/regulator/packs/([0-9A-Z]{24})", holdings) == [h["pack"] for h in report["holdings"]]
    assert f"曾装有 {bench.codes[cell]} 的电池包" in holdings


@then(parsers.parse('the regulator\'s page of pack "{pack}" lists module "{module}" among what it holds, linked to '
                    "its recall trace"))  # fmt: skip
def _dossier(bench: Bench, pack: str, module: str) -> None:
    cookie = session_cookie(bench.ledger, bench.actors[REGULATOR].token)
    html = bench.client.get(f"/regulator/packs/{bench.codes[pack]}", headers=cookie).text
    held = html[html.index('id="held-components"') :]
    held = held[: held.index("</dd>")]
    assert re.findall(r'href="/regulator/recall\?component=([0-9A-Z]{24})"', held) == [bench.codes[module]]
    assert "模组" in held


@then("the log verifies with its links")
def _verifies(bench: Bench) -> None:
    assert verify_database(bench.ledger.engine, bench.ledger.signer.verifier_key).problems == []


@then(parsers.parse('the request is refused with {status:d} "{problem}", naming pack "{holder}"'))
def _refused(bench: Bench, status: int, problem: str, holder: str) -> None:
    assert bench.answer is not None
    assert bench.answer.status_code == status, bench.answer.text
    body = bench.answer.json()
    assert body["code"] == problem
    assert body["detail"].startswith(f"module {bench.codes['M1']} is in {bench.codes[holder]} since ")


@then(parsers.parse('the regulator\'s recall trace for cell "{cell}" lists only pack "{a}", not "{c}"'))
def _one(bench: Bench, cell: str, a: str, c: str) -> None:
    report = bench.trace(cell)
    assert [p["code"] for p in report["packs"]] == [bench.codes[a]]
    assert [h["pack"] for h in report["holdings"]] == [bench.codes[a]]
    assert bench.codes[c] not in {p["code"] for p in report["packs"]}

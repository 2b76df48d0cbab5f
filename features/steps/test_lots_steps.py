"""Steps of features/lots.feature: lots posted through the HTTP API by the recycler's signed claims, read
by the regulator through GET /v1/reports/lots and on the recovery page."""

from __future__ import annotations

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
from ledger.log import Ledger
from ledger.usecases.verify import verify_database
from tests.api.inprocess import in_process_client
from tests.api.parties import ADMIN_TOKEN
from tests.support import Actor
from tests.web.login import session_cookie

scenarios("lots.feature")

REGULATOR, RECYCLER = "fj-miit", "gem-recycling"
NCM = {"chemistry": "NCM", "rated_capacity_kwh": 75.0, "nominal_voltage_v": 400.0, "mass_kg": 400.0}


def lot(recycler: str, lot_id: str) -> str:
    return f"lot:{recycler}:{lot_id}"


@dataclass
class Plant:
    ledger: Ledger
    client: httpx.Client
    actors: dict[str, Actor]
    packs: list[str] = field(default_factory=list)
    lots: dict[str, list[str]] = field(default_factory=dict)  # lot id -> the packs put into it
    answer: httpx.Response | None = None

    def auth(self, org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.actors[org].token}"}

    def post(self, org: str, subject: str, type_: str, data: dict[str, Any]) -> httpx.Response:
        claim, sig = self.actors[org].claim(subject, type_, data)
        return self.client.post("/v1/events", json={"claim": claim, "sig": sig}, headers=self.auth(org))

    def batch(self, org: str, claims: list[tuple[str, str, dict[str, Any]]]) -> None:
        events = []
        for subject, type_, data in claims:
            claim, sig = self.actors[org].claim(subject, type_, data)
            events.append({"claim": claim, "sig": sig})
        response = self.client.post("/v1/events/batch", json={"events": events}, headers=self.auth(org))
        assert response.status_code == 201, response.text

    def lot_row(self, lot_id: str) -> dict[str, Any]:
        report = self.client.get("/v1/reports/lots", headers=self.auth(REGULATOR)).json()
        (row,) = [row for row in report["lots"] if row["lot_id"] == lot_id]
        return dict(row)


@pytest.fixture
def plant(ledger: Ledger, actors: dict[str, Actor], tmp_path: Path) -> Iterator[Plant]:
    settings = Settings(database_url="sqlite:///unused.db", log_key_file=tmp_path / "log.key", admin_token=ADMIN_TOKEN)
    with in_process_client(create_app(ledger, settings=settings)) as client:
        yield Plant(ledger, client, actors)


@given("the province's organisations are registered with their signing keys")
def _registered(plant: Plant) -> None:
    assert {"catl", RECYCLER, "grey-recycling", REGULATOR} <= set(plant.actors)


@given(parsers.parse('{n:d} NCM packs of 400 kg have been retired at "{recycler}"'))
def _retired(plant: Plant, n: int, recycler: str) -> None:
    plant.packs = [make_code("001", "pack", "E", "12", "ABCDEFG", date(2026, 1, 15), s) for s in range(1, n + 1)]
    for org, type_, data in [
        ("catl", "produced", NCM),
        ("catl", "shipped", {"to": recycler}),
        (recycler, "received", {"from": "catl"}),
        (recycler, "retired", {"reason": "end_of_life"}),
    ]:
        plant.batch(org, [(pack, type_, data) for pack in plant.packs])


@given(parsers.parse('"{recycler}" opens lot "{lot_id}" with {kg:g} kg of black mass from "{origin}" declaring '
                     '{ni:g} kg of nickel'))  # fmt: skip
def _opened_with_black_mass(plant: Plant, recycler: str, lot_id: str, kg: float, origin: str, ni: float) -> None:
    black = {"mass_kg": kg, "content_kg": {"Ni": ni, "Li": 40.0}, "origin": origin,
             "customs_declaration": "310120251000012345"}  # fmt: skip
    response = plant.post(recycler, lot(recycler, lot_id), "lot_opened", {"black_mass": [black]})
    assert response.status_code == 201, response.text


@given(parsers.parse('"{recycler}" opens lot "{lot_id}" without black mass and puts the other {n:d} packs into it'))
def _opened_with_packs(plant: Plant, recycler: str, lot_id: str, n: int) -> None:
    assert plant.post(recycler, lot(recycler, lot_id), "lot_opened", {}).status_code == 201
    _into(plant, recycler, n, lot_id, packs=plant.packs[-n:])


@when(parsers.parse('"{recycler}" puts {n:d} of the packs into lot "{lot_id}"'))
def _into(plant: Plant, recycler: str, n: int, lot_id: str, packs: list[str] | None = None) -> None:
    chosen = packs if packs is not None else plant.packs[:n]
    plant.batch(recycler, [(pack, "lotted", {"lot": lot(recycler, lot_id)}) for pack in chosen])
    plant.lots[lot_id] = chosen


@then(parsers.parse('those packs are in_lot in lot "{lot_id}", and none of them is 流向不明'))
def _in_lot(plant: Plant, lot_id: str) -> None:
    for pack in plant.lots[lot_id]:
        state = plant.ledger.pack_state(pack)
        assert state is not None and (state.status, state.extra["lot"]) == ("in_lot", lot(RECYCLER, lot_id))
    report = plant.client.get("/v1/reports/compliance", headers=plant.auth(REGULATOR)).json()
    assert not {u["pack"] for u in report["unaccounted"]} & set(plant.lots[lot_id])


@when(parsers.parse('"{recycler}" reports lot "{lot_id}": {ni:g} kg of nickel recovered of {ni_in:g} kg, and '
                    '{li:g} kg of lithium of {li_in:g} kg'))  # fmt: skip
def _reports_two(plant: Plant, recycler: str, lot_id: str, ni: float, ni_in: float, li: float, li_in: float) -> None:
    data = {"packs": plant.lots[lot_id], "content_kg": {"Ni": ni_in, "Li": li_in}, "recovered_kg": {"Ni": ni, "Li": li}}
    response = plant.post(recycler, lot(recycler, lot_id), "lot_recovered", data)
    assert response.status_code == 201, response.text


@when(parsers.parse('"{recycler}" reports lot "{lot_id}": {ni:g} kg of nickel recovered of {ni_in:g} kg'))
def _reports_nickel(plant: Plant, recycler: str, lot_id: str, ni: float, ni_in: float) -> None:
    data = {"packs": plant.lots[lot_id], "content_kg": {"Ni": ni_in}, "recovered_kg": {"Ni": ni}}
    response = plant.post(recycler, lot(recycler, lot_id), "lot_recovered", data)
    assert response.status_code == 201, response.text


@then(parsers.parse('the regulator reads lot "{lot_id}" with {n:d} packs, an input of {kg:g} kg, and no '
                    'mass-balance flag'))  # fmt: skip
def _read(plant: Plant, lot_id: str, n: int, kg: float) -> None:
    row = plant.lot_row(lot_id)
    assert (len(row["packs"]), row["input_mass_kg"], row["flags"], row["status"]) == (n, kg, [], "lot_recovered")


@then(parsers.parse("its nickel rate is {ni:.2f} % against {ni_min:g} %, and its lithium rate {li:.2f} % is below "
                    "{li_min:g} %"))  # fmt: skip
def _rates(plant: Plant, ni: float, ni_min: float, li: float, li_min: float) -> None:
    (lot_id,) = plant.lots
    rates = {r["element"]: r for r in plant.lot_row(lot_id)["rates"]}
    assert (round(rates["Ni"]["rate"], 2), rates["Ni"]["threshold"], rates["Ni"]["below"]) == (ni, ni_min, False)
    assert (round(rates["Li"]["rate"], 2), rates["Li"]["threshold"], rates["Li"]["below"]) == (li, li_min, True)


@then("the log verifies")
def _verifies(plant: Plant) -> None:
    assert verify_database(plant.ledger.engine, plant.ledger.signer.verifier_key).problems == []


@then(parsers.parse('the regulator reads lot "{lot_id}" flagged: "{message}"'))
def _flagged(plant: Plant, lot_id: str, message: str) -> None:
    assert [f["message"] for f in plant.lot_row(lot_id)["flags"]] == [message]


@then("the recovery page shows the flag")
def _page(plant: Plant) -> None:
    cookies = session_cookie(plant.ledger, plant.actors[REGULATOR].token)
    page = plant.client.get("/regulator/recovery", headers=cookies).text
    flag = re.search(r'<div class="flag" data-kind="exceeds_inputs" data-element="Ni">(.*?)</div>', page)
    assert flag is not None and flag.group(1) == (
        "⚠ Ni：上报回收 450.0 kg，超过投料可能含有的量，最多 300.0 kg"
        "（5 块电池包按类型和重量最多 300.0 kg，黑粉申报 0.0 kg）"
    )
    english = plant.client.get("/regulator/recovery", params={"lang": "en"}, headers=cookies).text
    assert (
        "⚠ Ni: recovered 450.0 kg, more than the inputs could contain: at most 300.0 kg (300.0 kg in 5 packs by "
        "chemistry and mass, 0.0 kg declared in black mass)"
    ) in english


@when(parsers.parse('"{recycler}" opens lot "{lot_id}" of its own'))
def _opens_own(plant: Plant, recycler: str, lot_id: str) -> None:
    plant.answer = plant.post(recycler, lot(recycler, lot_id), "lot_opened", {})


@when(parsers.parse('"{recycler}" reports lot "{lot_id}" listing a pack that is not in it'))
def _reports_outsider(plant: Plant, recycler: str, lot_id: str) -> None:
    data = {"packs": plant.packs[:1], "content_kg": {"Ni": 10.0}, "recovered_kg": {"Ni": 9.0}}
    plant.answer = plant.post(recycler, lot(recycler, lot_id), "lot_recovered", data)


@then(parsers.parse('it is refused with {status:d}: "{message}"'))
def _refused(plant: Plant, status: int, message: str) -> None:
    assert plant.answer is not None and plant.answer.status_code == status, plant.answer
    assert message in plant.answer.json()["detail"]

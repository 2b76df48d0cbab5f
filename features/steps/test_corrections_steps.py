"""Steps of features/corrections.feature (issue 15, "Corrections count"): corrections of a `produced` and a
`recycled` entry seen on the regulator's pages and in the API, and a correction of custody refused."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_bdd import given, parsers, scenarios, then, when

from api.app import create_app
from api.settings import Settings
from ledger.log import Ledger
from ledger.usecases.access import ADMIN
from ledger.usecases.callers import rotate_token
from tests.api.inprocess import in_process_client
from tests.support import PRODUCED, Actor, code
from tests.web.login import session_cookie

scenarios("corrections.feature")

RECYCLED = {"feed_mass_kg": 400.0, "content_kg": {"Li": 5.0, "Co": 20.0}, "recovered_kg": {"Li": 4.0, "Co": 19.8}}


class Desk:
    """The regulator's browser session on an app over the scenario's ledger, and what the steps saw."""

    def __init__(self, ledger: Ledger, client: httpx.Client) -> None:
        self.ledger = ledger
        self.client = client
        self.tokens: dict[str, str] = {}
        self.cookie = session_cookie(ledger, self.token("fj-miit"))
        self.hashes: dict[tuple[int, str], str] = {}  # (pack, event type) -> entry hash
        self.indexes: dict[tuple[int, str], int] = {}  # (pack, event type) -> entry index
        self.response: httpx.Response | None = None

    def page(self, path: str) -> httpx.Response:
        response = self.client.get(path, headers=self.cookie)
        assert response.status_code == 200, response.text
        return response

    def token(self, org: str) -> str:
        """The organisation's API token, issued once (issuing another would end the sessions of the first)."""
        if org not in self.tokens:
            self.tokens[org] = rotate_token(self.ledger, ADMIN, org).token
        return self.tokens[org]

    def bearer(self, org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(org)}"}


@pytest.fixture
def desk(ledger: Ledger, database_url: str, tmp_path: Path) -> Iterator[Desk]:
    app = create_app(ledger, settings=Settings(database_url=database_url, log_key_file=tmp_path / "log.key"))
    with in_process_client(app) as client:
        yield Desk(ledger, client)


def append(desk: Desk, actor: Actor, n: int, kind: str, data: dict[str, Any]) -> int:
    appended = desk.ledger.append_one(*actor.claim(code(n), kind, data))
    desk.hashes[(n, kind)] = appended.hash
    desk.indexes[(n, kind)] = appended.index
    return appended.index


@given("the regulator is logged in to the workspace")
def _logged_in(desk: Desk) -> None:
    assert "监管概览" in desk.page("/regulator").text


@given(parsers.parse('"{maker}" has produced pack {n:d} with a rated capacity of {kwh:g} kWh'))
def _produced(desk: Desk, actors: dict[str, Actor], maker: str, n: int, kwh: float) -> None:
    append(desk, actors[maker], n, "produced", {**PRODUCED, "rated_capacity_kwh": kwh})


@given(parsers.parse('"{recycler}" has recycled pack {n:d}, recovering 4.0 of 5.0 kg of lithium'))
def _recycled(desk: Desk, actors: dict[str, Actor], recycler: str, n: int) -> None:
    maker = actors["catl"]
    steps = ((maker, "produced", PRODUCED), (maker, "retired", {"reason": "end_of_life"}),
             (maker, "shipped", {"to": recycler}), (actors[recycler], "received", {"from": "catl"}),
             (actors[recycler], "dismantled", {"outputs": []}), (actors[recycler], "recycled", RECYCLED))  # fmt: skip
    for actor, kind, data in steps:
        append(desk, actor, n, kind, data)


@given(parsers.parse('"{sender}" has shipped pack {n:d} to "{receiver}", which received it'))
def _handed_over(desk: Desk, actors: dict[str, Actor], sender: str, n: int, receiver: str) -> None:
    append(desk, actors[sender], n, "shipped", {"to": receiver})
    append(desk, actors[receiver], n, "received", {"from": sender})


def correct(desk: Desk, actor: Actor, n: int, kind: str, fields: dict[str, Any]) -> None:
    data = {"target": desk.hashes[(n, kind)], "reason": "录入错误 keyed in wrong", "fields": fields}
    append(desk, actor, n, "corrected", data)


@when(parsers.parse('"{maker}" corrects the rated capacity of pack {n:d} to {kwh:g} kWh'))
def _correct_capacity(desk: Desk, actors: dict[str, Actor], maker: str, n: int, kwh: float) -> None:
    correct(desk, actors[maker], n, "produced", {"rated_capacity_kwh": kwh})


@when(parsers.parse('"{recycler}" corrects the recovered lithium of pack {n:d} to {kg:g} kg'))
def _correct_recovered(desk: Desk, actors: dict[str, Actor], recycler: str, n: int, kg: float) -> None:
    correct(desk, actors[recycler], n, "recycled", {"recovered_kg": {**RECYCLED["recovered_kg"], "Li": kg}})


@when(parsers.parse('"{org}" posts a correction of the shipment of pack {n:d} naming "{receiver}" as its receiver'))
def _correct_custody(desk: Desk, actors: dict[str, Actor], org: str, n: int, receiver: str) -> None:
    data = {"target": desk.hashes[(n, "shipped")], "reason": "wrong receiver", "fields": {"to": receiver}}
    claim, sig = actors[org].claim(code(n), "corrected", data)
    desk.response = desk.client.post("/v1/events", json={"claim": claim, "sig": sig}, headers=desk.bearer(org))


@then(parsers.parse('the dossier of pack {n:d} shows a rated capacity of "{shown}" marked "{mark}"'))
def _dossier_figure(desk: Desk, n: int, shown: str, mark: str) -> None:
    page = desk.page(f"/regulator/packs/{code(n)}").text
    correction = desk.indexes[(n, "corrected")]
    figure = re.search(r'<dd>([^<]*) kWh <a class="badge flag corrected" href="([^"]+)">([^<]+)</a></dd>', page)
    assert figure is not None, page
    assert (figure[1], figure[2], figure[3]) == (shown.removesuffix(" kWh"), f"/regulator/entries/{correction}", mark)


@then(parsers.parse('its "{kind}" entry shows "{text}" with a link to the correction'))
def _entry_values(desk: Desk, kind: str, text: str) -> None:
    page = desk.page(f"/regulator/packs/{code(1)}").text
    items = dict(re.findall(r'<li class="[^"]*" id="e(\d+)">(.*?)</li>', page, re.S))
    entry, correction = items[str(desk.indexes[(1, kind)])], desk.indexes[(1, "corrected")]
    assert text in entry
    assert f'<a class="correction" href="/regulator/entries/{correction}">更正记录 #{correction}</a>' in entry


@then(parsers.parse('the link opens the dossier at the correction, which links back to the "{kind}" entry'))
def _link_back(desk: Desk, kind: str) -> None:
    index, target = desk.indexes[(1, "corrected")], desk.indexes[(1, kind)]
    response = desk.client.get(f"/regulator/entries/{index}", headers=desk.cookie)
    assert response.status_code == 303
    assert response.headers["location"] == f"/regulator/packs/{code(1)}#e{index}"
    page = desk.page(response.headers["location"].split("#")[0]).text
    correction = re.search(rf'<li class="[^"]*" id="e{index}">(.*?)</li>', page, re.S)
    assert correction is not None
    assert f'<a class="corrects" href="/regulator/entries/{target}">更正第 {target} 条记录</a>' in correction[1]
    events = desk.client.get(f"/v1/packs/{code(1)}/events", headers=desk.bearer("fj-miit")).json()["events"]
    assert events[-1]["corrects"] == {"index": target, "seq": 0, "hash": desk.hashes[(1, kind)]}


@then(parsers.parse("the API's pack view gives a rated capacity of {kwh:g} kWh, recorded as {recorded:g}"))
def _api_view(desk: Desk, kwh: float, recorded: float) -> None:
    view = desk.client.get(f"/v1/packs/{code(1)}", headers=desk.bearer("fj-miit")).json()
    link = {"index": desk.indexes[(1, "corrected")], "seq": 1, "hash": desk.hashes[(1, "corrected")]}
    assert view["rated_capacity_kwh"] == kwh
    assert view["corrected"] == {"values": {"rated_capacity_kwh": kwh}, "recorded": {"rated_capacity_kwh": recorded},
                                 "corrections": [link]}  # fmt: skip


@then(
    parsers.parse(
        'the recovery report gives "{recycler}" a lithium rate of {rate:g} %, {n:d} entry of it counted as corrected'
    )
)
def _recovery(desk: Desk, recycler: str, rate: float, n: int) -> None:
    report = desk.client.get("/v1/reports/recovery", headers=desk.bearer("fj-miit")).json()
    [li] = [r for r in report["rows"] if r["recycler"] == recycler and r["element"] == "Li"]
    correction = desk.indexes[(2, "corrected")]
    assert (li["rate"], li["below"], li["corrected"], li["corrections"]) == (rate, False, n, [correction])


@then("the recovery page and its CSV name the correction")
def _recovery_page(desk: Desk) -> None:
    correction = desk.indexes[(2, "corrected")]
    page = desk.page("/regulator/recovery").text
    assert f'<a class="correction" href="/regulator/entries/{correction}">#{correction}</a>' in page
    rows = list(csv.DictReader(io.StringIO(desk.page("/regulator/recovery.csv?lang=en").text.lstrip("\ufeff"))))
    [li] = [r for r in rows if r["element"] == "Li"]
    assert (li["rate"], li["corrected"], li["corrections"]) == ("95", "1", str(correction))  # rounded for people


@then(parsers.parse('it is refused with 422 "{problem}": "{message}"'))
def _refused(desk: Desk, problem: str, message: str) -> None:
    assert desk.response is not None
    assert desk.response.status_code == 422, desk.response.text
    assert (desk.response.json()["code"], desk.response.json()["detail"]) == (problem, message)


@then(parsers.parse('pack {n:d} is held by "{org}"'))
def _held(desk: Desk, n: int, org: str) -> None:
    state = desk.ledger.pack_state(code(n))
    assert state is not None and state.custodian == org

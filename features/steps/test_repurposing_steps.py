"""Steps of features/repurposing.feature: one pack into two products and two packs into one, each posted in one
request (POST /v1/events/batch); what a pack became and a product was made from, over the API and on the
regulator's pack page."""

from __future__ import annotations

import re
from datetime import date

from pytest_bdd import given, parsers, scenarios, then, when

from events.codes import make_second_life_code
from features.conftest import AppDesk
from tests.support import PRODUCED, code

scenarios("repurposing.feature")

REGULATOR = "fj-miit"
SERIALS = {"A": 81, "B": 82}


def _product(name: str) -> str:
    return make_second_life_code("S2L", "pack", "B", "A1", date(2026, 3, 1), int(name[1:]))


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",")]


@given(parsers.parse('packs "{a}" and "{b}" are retired and held by "{s2l}"'))
def _retired(app_desk: AppDesk, a: str, b: str, s2l: str) -> None:
    for name in (a, b):
        app_desk.packs[name] = code(SERIALS[name])
        app_desk.post("catl", (name, "produced", PRODUCED), (name, "retired", {"reason": "end_of_life"}),
                      (name, "shipped", {"to": s2l}))  # fmt: skip
        app_desk.post(s2l, (name, "received", {"from": "catl"}))


def _send(app_desk: AppDesk, org: str, originals: list[str], products: list[str], genesis: list[str]) -> None:
    for name in products:
        app_desk.packs[name] = _product(name)
    actor = app_desk.actors[org]
    into = [app_desk.packs[p] for p in products]
    claims = [
        actor.claim(app_desk.packs[o], "repurposed", {"into": into[0] if len(into) == 1 else into}) for o in originals
    ]
    claims += [
        actor.claim(app_desk.packs[p], "produced", {**PRODUCED, "from": [app_desk.packs[o] for o in originals]})
        for p in genesis
    ]
    app_desk.size = app_desk.ledger.size()
    body = {"events": [{"claim": claim, "sig": sig} for claim, sig in claims]}
    app_desk.answer = app_desk.client.post("/v1/events/batch", json=body, headers=app_desk.auth(org))


@when(parsers.parse('"{org}" repurposes pack "{a}" into products "{p1}" and "{p2}" in one request'))
def _split(app_desk: AppDesk, org: str, a: str, p1: str, p2: str) -> None:
    _send(app_desk, org, [a], [p1, p2], [p1, p2])


@when(
    parsers.parse('"{org}" repurposes pack "{a}" into products "{p1}" and "{p2}" but sends the genesis of "{p}" only')
)
def _split_short(app_desk: AppDesk, org: str, a: str, p1: str, p2: str, p: str) -> None:
    _send(app_desk, org, [a], [p1, p2], [p])


@when(parsers.parse('"{org}" repurposes packs "{a}" and "{b}" into product "{p}" in one request'))
def _join(app_desk: AppDesk, org: str, a: str, b: str, p: str) -> None:
    _send(app_desk, org, [a, b], [p], [p])


@then(parsers.parse("the request records {n:d} entries"))
def _recorded(app_desk: AppDesk, n: int) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == 201, app_desk.answer.text
    assert app_desk.ledger.size() == app_desk.size + n


@then(parsers.parse('pack "{name}" is repurposed and became "{products}"'))
def _became(app_desk: AppDesk, name: str, products: str) -> None:
    codes = [app_desk.packs[p] for p in _names(products)]
    assert (app_desk.state(name).status, list(app_desk.state(name).successors)) == ("repurposed", codes)
    view = app_desk.view(REGULATOR, name)
    assert (view["successor"], view["successors"]) == (codes[0], codes)


@then(parsers.parse('product "{name}" was made from "{originals}"'))
def _made_from(app_desk: AppDesk, name: str, originals: str) -> None:
    codes = [app_desk.packs[o] for o in _names(originals)]
    assert list(app_desk.state(name).origins) == codes
    view = app_desk.view(REGULATOR, name)
    assert (view["status"], view["origins"], view["successors"]) == ("produced", codes, [])


def _listed(page: str, member: str, label: str) -> list[str]:
    found = re.search(rf"<dt>{label}</dt><dd id=\"{member}\">(.*?)</dd>", page, re.S)
    assert found is not None, (member, label)
    return re.findall(r'href="/regulator/packs/([0-9A-Z]+)"', found.group(1))


@then(parsers.parse(
    'the regulator\'s page of pack "{name}" lists "{products}" under "{became}", and the page of "{product}" lists '
    '"{original}" under "{made_from}"'
))  # fmt: skip
def _pages(app_desk: AppDesk, name: str, products: str, became: str, product: str, original: str,
           made_from: str) -> None:  # fmt: skip
    cookie = app_desk.session(REGULATOR)
    page = app_desk.client.get(f"/regulator/packs/{app_desk.packs[name]}", headers=cookie).text
    assert _listed(page, "became", became) == [app_desk.packs[p] for p in _names(products)]
    made = app_desk.client.get(f"/regulator/packs/{app_desk.packs[product]}", headers=cookie).text
    assert _listed(made, "made-from", made_from) == [app_desk.packs[original]]


@then(parsers.parse('the request is refused with {status:d} at position {position:d}: "{message}"'))
def _refused(app_desk: AppDesk, status: int, position: int, message: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == status, app_desk.answer.text
    first = app_desk.answer.json()["errors"][0]
    expected = message.format(**app_desk.packs)
    assert (first["position"], first["detail"]) == (position, expected)


@then(parsers.parse('pack "{name}" is still retired, "{product}" does not exist and the log did not grow'))
def _nothing(app_desk: AppDesk, name: str, product: str) -> None:
    assert app_desk.state(name).status == "retired"
    assert app_desk.ledger.pack_state(app_desk.packs[product]) is None
    assert app_desk.ledger.size() == app_desk.size

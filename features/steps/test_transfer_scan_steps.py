"""Steps of features/transfer_scan.feature: a hand-over to another platform (`transferred`) posted on the scan
page, signed with the holder's platform-held key, offered only when the server has peer platforms."""

from __future__ import annotations

import html
import json
import re

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytest_bdd import given, parsers, scenarios, then, when

from features.conftest import SEALING_KEY, AppDesk
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.usecases import custodial
from tests.support import PRODUCED, Actor, code

scenarios("transfer_scan.feature")

PACKS = {"A": code(95)}


@given(parsers.parse('"{org}" has a platform-held key and holds pack "{name}", retired'))
def _holds(ledger: Ledger, actors: dict[str, Actor], org: str, name: str) -> None:
    custodial.create_platform_key(ledger, org, sealing_key=SEALING_KEY)
    pack, maker = PACKS[name], actors["catl"]
    for claim in (maker.claim(pack, "produced", PRODUCED), maker.claim(pack, "shipped", {"to": org})):
        ledger.append_one(*claim)
    ledger.append_one(*actors[org].claim(pack, "received", {"from": "catl"}))
    ledger.append_one(*actors[org].claim(pack, "retired", {"reason": "end_of_life"}))


@given(parsers.parse('this platform\'s peer is "{origin}"'), target_fixture="app_peers")
def _peer(origin: str) -> str:
    return f"{LogSigner(origin, Ed25519PrivateKey.generate()).verifier_key}=http://127.0.0.1:9"


@when(parsers.parse('"{org}" scans pack "{name}" on the scan page'))
def _scans(app_desk: AppDesk, org: str, name: str) -> None:
    response = app_desk.client.get("/scan", params={"code": PACKS[name]}, headers=app_desk.session(org))
    assert response.status_code == 200, response.text
    app_desk.page = response.text


def _buttons(page: str) -> list[str]:
    return re.findall(r'<summary class="button">([^<]+)</summary>', page)


@then(parsers.parse('the page offers "{button}", picking the platform from "{origin}"'))
def _offers(app_desk: AppDesk, button: str, origin: str) -> None:
    assert button in _buttons(app_desk.page)
    form = app_desk.page[app_desk.page.index('data-action="transferred"') :]
    form = form[: form.index("</form>")]
    assert re.findall(r'<option value="([^"]*)"', form) == [origin]


@then(parsers.parse('the page does not offer "{button}"'))
def _does_not_offer(app_desk: AppDesk, button: str) -> None:
    buttons = _buttons(app_desk.page)
    assert buttons and button not in buttons, buttons


@when(parsers.parse('"{org}" hands pack "{name}" over to "{receiver}" on "{origin}" on the scan page'))
def _hands_over(app_desk: AppDesk, org: str, name: str, receiver: str, origin: str) -> None:
    app_desk.size = app_desk.ledger.size()
    form = {"code": PACKS[name], "action": "transferred", "platform": origin, "to": receiver}
    app_desk.answer = app_desk.client.post("/scan/act", data=form, headers=app_desk.session(org))


@then(parsers.parse('pack "{name}" is transferred to "{receiver}" on "{origin}"'))
def _transferred(app_desk: AppDesk, name: str, receiver: str, origin: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == 303, app_desk.answer.text
    state = app_desk.ledger.pack_state(PACKS[name])
    assert state is not None and state.status == "transferred"
    entry = json.loads(app_desk.ledger.pack_entries(PACKS[name])[-1][2])
    assert (entry["claim"]["type"], entry["claim"]["data"]) == ("transferred", {"platform": origin, "to": receiver})


@then(parsers.parse('the page says "{message}" and the log did not grow'))
def _says(app_desk: AppDesk, message: str) -> None:
    assert app_desk.answer is not None and app_desk.answer.status_code == 422, app_desk.answer.text
    assert message in html.unescape(app_desk.answer.text)
    assert app_desk.ledger.size() == app_desk.size

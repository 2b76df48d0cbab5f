"""Steps of features/federation.feature: two served platforms (tests/api/platforms.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from typer.testing import CliRunner

from api.cli import app as cli
from events.orgs import Role
from tests.api.platforms import (
    CONTROL,
    ORIGIN_A,
    ORIGIN_B,
    PACK,
    Federation,
    one_byte_of_an_entry,
    tampered,
    two_platforms,
)
from tests.web.login import login_cookie

pytestmark = pytest.mark.served

scenarios("federation.feature")

RECYCLED = {"feed_mass_kg": 380.0, "content_kg": {"Li": 5.0, "Ni": 20.0}, "recovered_kg": {"Li": 4.6, "Ni": 19.7}}


@pytest.fixture
def answers() -> dict[str, Any]:
    return {}


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    a_roles = [Role.MANUFACTURER, Role.AUTOMAKER, Role.REGULATOR]
    b_roles = [Role.RECYCLER, Role.REGULATOR]
    with two_platforms(tmp_path, a_roles, b_roles) as platforms:
        yield platforms


@given('two platforms, "fj" and "hb", each with its own database and log key, that know each other\'s keys')
def _two(fed: Federation) -> None:
    assert fed.a.ledger.signer.verifier_key != fed.b.ledger.signer.verifier_key


@given('a pack made in "fj", installed in a vehicle, retired and transferred to "hb"\'s recycler')
def _transferred(fed: Federation) -> None:
    fed.transfer()


@then('"fj"\'s compliance report does not list the pack as 流向不明, but lists a pack retired and kept there')
def _accounted(fed: Federation) -> None:
    assert fed.unaccounted_after(days=90) == [CONTROL]  # a pack retired in "fj" and kept there is listed


@then(parsers.parse('the pack is "{status}" on "{side}"'))
def _status(fed: Federation, status: str, side: str) -> None:
    platform = fed.a if side == "fj" else fed.b
    pack = platform.http.get(f"/v1/packs/{PACK}", headers=platform.parties[Role.REGULATOR].auth).json()
    assert pack["status"] == status


@when('"hb"\'s recycler fetches the handover document from "fj" and records the arrival')
def _arrive(fed: Federation) -> None:
    answer = fed.arrive(fed.arrival(fed.fetch()))
    assert answer.status_code == 201, answer.text


@when('"hb"\'s recycler retires, dismantles and recycles the pack')
def _recycle(fed: Federation) -> None:
    recycler = fed.b.parties[Role.RECYCLER]
    steps = [("retired", {"reason": "end_of_life"}), ("dismantled", {"outputs": []}), ("recycled", RECYCLED)]
    for hours, (kind, data) in enumerate(steps, start=11):
        answer = fed.b.post(recycler, PACK, kind, data, hours)
        assert answer.status_code == 201, answer.text


@then('"hb"\'s regulator sees the whole life on the pack page, "fj"\'s part verified against its log key')
def _page(fed: Federation) -> None:
    cookie = login_cookie(fed.b.http, fed.b.parties[Role.REGULATOR].token)
    html = fed.b.http.get(f"/regulator/packs/{PACK}?lang=en", headers=cookie).text
    assert f"verified against {ORIGIN_A}&#39;s log key" in html
    assert "this platform&#39;s record is verified" in html
    for step in ("produced", "installed", "retired", "handed over to another platform",
                 "received from another platform", "recycled"):  # fmt: skip
        assert step in html, step


@then('"verify-bundle" on "hb"\'s bundle with "fj"\'s key as a peer says the origin part is verified')
def _verify_bundle(fed: Federation, tmp_path: Path) -> None:
    bundle = fed.b.http.get(f"/v1/packs/{PACK}/bundle", headers=fed.b.parties[Role.REGULATOR].auth)
    path = tmp_path / "bundle.json"
    path.write_text(bundle.text, encoding="utf-8")
    args = ["verify-bundle", str(path), "--log-key", fed.b.ledger.signer.verifier_key]
    result = CliRunner().invoke(cli, [*args, "--peer", fed.a.ledger.signer.verifier_key])
    assert result.exit_code == 0, result.output
    assert f"verified against {ORIGIN_A}'s log key (--peer, --peer-policy)" in result.output


@when(parsers.parse("\"hb\"'s recycler records the arrival with the handover document's {part} changed"))
def _tampered(fed: Federation, answers: dict[str, httpx.Response], part: str) -> None:
    answers["arrival"] = fed.arrive(fed.arrival(tampered(fed.fetch(), part)))


@then(parsers.parse('the arrival is refused with 422 "{message}"'))
def _refused(answers: dict[str, httpx.Response], message: str) -> None:
    answer = answers["arrival"]
    assert answer.status_code == 422
    assert answer.json()["detail"].startswith(f"refused handover of pack {PACK}: ")
    assert message in answer.json()["detail"]


@then('the pack is unknown on "hb"')
def _unknown(fed: Federation) -> None:
    assert fed.b.http.get(f"/v1/packs/{PACK}", headers=fed.b.parties[Role.REGULATOR].auth).status_code == 404


def _origin_page(fed: Federation) -> str:
    """The part of "fj"'s regulator page (English) from "hb"'s part on."""
    cookie = login_cookie(fed.a.http, fed.a.parties[Role.REGULATOR].token)
    page = fed.a.http.get(f"/regulator/packs/{PACK}?lang=en", headers=cookie)
    assert page.status_code == 200, page.text
    own, _, onward = page.text.partition('id="onward-part"')
    assert "this platform&#39;s record is verified" in own and "handed over to another platform" in own
    return onward


@then('"fj"\'s regulator sees "hb"\'s part after its own on the pack page, verified against "hb"\'s log key')
def _onward_verified(fed: Federation) -> None:
    html = _origin_page(fed)
    assert f"The receiving platform&#39;s record: {ORIGIN_B}" in html
    assert f"verified against {ORIGIN_B}&#39;s log key" in html
    for step in ("received from another platform", "retired", "dismantled", "recycled"):
        assert step in html, step


@when('what "hb" answers "fj" has one byte of an entry changed')
def _tamper_answer(fed: Federation) -> None:
    fed.relay.change = one_byte_of_an_entry


@when('"hb" is down')
def _down(fed: Federation) -> None:
    fed.relay.stop()


@then(parsers.parse('"fj"\'s regulator sees "hb"\'s part not verified: "{message}"'))
def _onward_unverified(fed: Federation, message: str) -> None:
    html = _origin_page(fed)
    assert "The receiving platform&#39;s record is not verified:" in html
    assert message.replace("'", "&#39;") in html
    assert f"verified against {ORIGIN_B}&#39;s log key" not in html


@then(parsers.parse('"fj"\'s regulator sees "hb"\'s part unavailable: "{message}"'))
def _onward_unavailable(fed: Federation, message: str) -> None:
    html = _origin_page(fed)
    assert "The receiving platform&#39;s record is unavailable:" in html and message in html


@then(parsers.parse('"hb"\'s recall trace lists the pack by the recycler, its producer "{producer}"'))
def _recall_trace(fed: Federation, producer: str) -> None:
    regulator = fed.b.parties[Role.REGULATOR]
    trace = fed.b.http.get("/v1/reports/recall", params={"chemistry": "LFP"}, headers=regulator.auth)
    assert trace.status_code == 200, trace.text
    rows = [(p["code"], p["manufacturer"], p["foreign_manufacturer"]) for p in trace.json()["packs"]]
    assert rows == [(PACK, "recycler", producer)]


@then(parsers.parse('"hb"\'s pack list for the batch "{batch}" holds the pack'))
def _by_batch(fed: Federation, batch: str) -> None:
    found = fed.b.http.get("/v1/packs", params={"batch": batch}, headers=fed.b.parties[Role.REGULATOR].auth)
    assert found.status_code == 200, found.text
    assert [p["code"] for p in found.json()["packs"]] == [PACK]

"""A whitelisted recycler on the scan page puts a retired pack it holds into an open lot of its own
(docs/recycling-lots.md): the page offers the action with its lot field; a lot of another recycler is
refused on the page with the domain's message."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from events.codes import make_code
from ledger.format.claims import make_signed_claim
from tests.web.conftest import World
from tests.web.login import session_cookie
from tests.web.province import NOW

RECYCLER, LOT = "brunp", "lot:brunp:SCAN-1"  # brunp signs from the scan page (a platform-held key)


def post(world: World, org: str, subject: str, type_: str, data: dict[str, object], minutes: int) -> None:
    claim = make_signed_claim(
        world.province.keys[org], pack=subject, type=type_, actor=org, key=f"{org}/1", data=data,
        at=NOW - timedelta(minutes=minutes),
    )  # fmt: skip
    world.ledger.append_one(*claim)


def retired_at(world: World, holder: str, batch: str, serial: int = 1, *, retired: bool = True) -> str:
    """A pack catl made and shipped to `holder`, which received it (and retired it): its code."""
    pack = make_code("001", "pack", "E", "12", batch, NOW.date() - timedelta(days=90), serial)
    produced = {"chemistry": "NCM", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}
    steps = [
        ("catl", "produced", produced),
        ("catl", "shipped", {"to": holder}),
        (holder, "received", {"from": "catl"}),
    ]
    steps += [(holder, "retired", {"reason": "end_of_life"})] if retired else []
    for minutes, (org, type_, data) in zip(range(50, 0, -10), steps, strict=False):
        post(world, org, pack, type_, data, minutes)
    return pack


@pytest.fixture(scope="module")
def held(world: World) -> str:
    """A pack retired at brunp, and brunp's open lot."""
    pack = retired_at(world, RECYCLER, "LOTSCAN")
    post(world, RECYCLER, LOT, "lot_opened", {}, 5)
    return pack


def test_the_scan_page_puts_a_pack_into_a_lot(world: World, web_client: httpx.Client, held: str) -> None:
    session = session_cookie(world.ledger, world.province.token(RECYCLER))
    page = web_client.get("/scan", params={"code": held}, headers=session).text
    assert 'data-action="lotted"' in page and "投入回收批次" in page and 'name="lot"' in page
    refused = web_client.post("/scan/act", data={"code": held, "action": "lotted", "lot": "lot:gem:X"}, headers=session)
    assert refused.status_code == 403
    said = f"电池 {held} 不能投入批次 lot:gem:X：该批次属于 gem，只有它能向其中投料。"
    assert f'id="scan-error">{said}</p>' in refused.text
    done = web_client.post("/scan/act", data={"code": held, "action": "lotted", "lot": LOT}, headers=session)
    assert done.status_code == 303 and done.headers["location"] == f"/scan?code={held}&done=lotted"
    state = world.ledger.pack_state(held)
    assert state is not None and (state.status, state.extra["lot"]) == ("in_lot", LOT)

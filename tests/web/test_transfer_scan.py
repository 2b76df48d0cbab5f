"""The scan page hands a pack over to an organisation on another packtrace platform (docs/federation.md): the
page offers `transferred` only when the server has peer platforms (PACKTRACE_PEERS), picks the platform from
them and takes the receiver's id there; a platform that is not a peer is refused on the page with the API's
rule, in Chinese."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.app import create_app
from api.settings import Settings
from ledger.format.logkey import LogSigner
from tests.api.inprocess import in_process_client
from tests.api.parties import ADMIN_TOKEN
from tests.web.conftest import SEALING_KEY, World
from tests.web.login import session_cookie
from tests.web.test_lot_scan import retired_at

HOLDER = "brunp"  # signs from the scan page (a platform-held key)
PEER = "hb.packtrace.test/log"


@pytest.fixture(scope="module")
def retired(world: World) -> str:
    """A pack retired at brunp."""
    return retired_at(world, HOLDER, "FEDSCAN")


@pytest.fixture(scope="module")
def with_peer(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """The same province served by an app that has one peer platform."""
    peer_key = LogSigner(PEER, Ed25519PrivateKey.generate()).verifier_key
    config = Settings(
        database_url=world.settings.database_url,
        log_key_file=Path(tmp_path_factory.mktemp("peer")) / "log.key",
        admin_token=ADMIN_TOKEN,
        peers=f"{peer_key}=http://127.0.0.1:9",
    )
    app = create_app(world.ledger, settings=config)
    app.state.sealing_key = SEALING_KEY
    with in_process_client(app) as client:
        yield client


def test_without_peer_platforms_the_page_offers_no_hand_over(
    world: World, web_client: httpx.Client, retired: str
) -> None:
    session = session_cookie(world.ledger, world.province.token(HOLDER))
    page = web_client.get("/scan", params={"code": retired}, headers=session).text
    assert 'data-action="retired"' not in page and 'data-action="dismantled"' in page  # the page offers actions
    assert 'data-action="transferred"' not in page and "移交外省平台" not in page


def test_the_scan_page_hands_a_pack_over_to_a_peer_platform(
    world: World, with_peer: httpx.Client, retired: str
) -> None:
    session = session_cookie(world.ledger, world.province.token(HOLDER))
    page = with_peer.get("/scan", params={"code": retired}, headers=session).text
    assert 'data-action="transferred"' in page and '<summary class="button">移交外省平台</summary>' in page
    assert f'<option value="{PEER}" translate="no">{PEER}</option>' in page
    assert "对方平台上的收货单位标识" in page
    english = with_peer.get("/scan", params={"code": retired, "lang": "en"}, headers=session).text
    assert '<summary class="button">Hand over to another platform</summary>' in english

    size = world.ledger.size()
    form = {"code": retired, "action": "transferred", "to": "hb-recycler"}
    stranger = with_peer.post("/scan/act", data={**form, "platform": "gd.packtrace.test/log"}, headers=session)
    assert stranger.status_code == 422
    said = f"“gd.packtrace.test/log”不是与本平台对接的追溯平台；已对接的平台（PACKTRACE_PEERS）：{PEER}。"
    assert f'id="scan-error">{said}</p>' in stranger.text
    blank = with_peer.post("/scan/act", data={**form, "platform": PEER, "to": ""}, headers=session)
    assert 'id="scan-error">请填写“对方平台上的收货单位标识”。</p>' in blank.text
    assert world.ledger.size() == size  # nothing recorded

    done = with_peer.post("/scan/act", data={**form, "platform": PEER, "waybill": "SF88"}, headers=session)
    assert done.status_code == 303 and done.headers["location"] == f"/scan?code={retired}&done=transferred"
    state = world.ledger.pack_state(retired)
    assert state is not None and state.status == "transferred"
    entry = world.ledger.pack_entries(retired)[-1]
    assert b'"platform":"hb.packtrace.test/log","to":"hb-recycler","waybill":"SF88"' in entry[2]


def test_a_server_without_peers_refuses_a_forged_hand_over(world: World, web_client: httpx.Client) -> None:
    pack = retired_at(world, HOLDER, "FEDSCAN", 2, retired=False)  # in stock at brunp
    session = session_cookie(world.ledger, world.province.token(HOLDER))
    form = {"code": pack, "action": "transferred", "platform": PEER, "to": "hb-recycler"}
    refused = web_client.post("/scan/act", data=form, headers=session)
    assert refused.status_code == 422
    said = f"本平台未配置对接的追溯平台（PACKTRACE_PEERS），不能移交至“{PEER}”。"
    assert f'id="scan-error">{said}</p>' in refused.text
    state = world.ledger.pack_state(pack)
    assert state is not None and state.status == "in_stock"

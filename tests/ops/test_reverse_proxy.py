"""Behind a reverse proxy that rewrites Host and terminates TLS (docs/operations.md §2): with the proxy's
address in PACKTRACE_TRUSTED_PROXIES, a scan-page action through it is recorded; the same forwarded headers
from an address that is not a trusted proxy are ignored, so the form is refused as posted from another site.
A real hop each way: the app and the proxy are uvicorn servers on loopback addresses."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.app import create_app
from api.web.session import SESSION_COOKIE
from ledger.log import Ledger
from ledger.usecases import callers, custodial
from tests.ops.served import PUBLIC_HOST, PUBLIC_URL, deployment_settings, forwarding_proxy, served
from tests.support import PRODUCED, code, province

pytestmark = pytest.mark.served

PROXY_ADDRESS = "127.0.0.1"  # the address the proxy connects to the app from
OTHER_ADDRESS = "127.0.0.2"  # a client on the same network that is not the proxy
CROSS_SITE = "表单来自其他网站，已拒绝。请从本站页面重新提交。"  # cross_site_post, in the page's Chinese
INCIDENT = {"action": "incident", "kind": "thermal_event", "severity": "low", "description": "外壳过热"}


@dataclass
class Deployment:
    ledger: Ledger
    url: str  # the app's own address
    session: dict[str, str]  # the maker's web session cookie


def deploy(database_url: str, keys: Path, trusted: str) -> Iterator[Deployment]:
    app = create_app(deployment_settings(database_url, keys, trusted_proxies=trusted))
    ledger: Ledger = app.state.ledger
    maker = province(ledger)["catl"]
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    custodial.create_platform_key(ledger, "catl", sealing_key=app.state.sealing_key)
    _, secret = callers.open_web_session(ledger, maker.token, admin_token=None)
    with served(app) as url:
        yield Deployment(ledger, url, {"Cookie": f"{SESSION_COOKIE}={secret}"})


@pytest.fixture
def trusting(database_url: str, tmp_path: Path) -> Iterator[Deployment]:
    yield from deploy(database_url, tmp_path, PROXY_ADDRESS)


@pytest.fixture
def trusting_none(database_url: str, tmp_path: Path) -> Iterator[Deployment]:
    yield from deploy(database_url, tmp_path, "")


def browser_post(base: str, session: dict[str, str], *, source: str = "127.0.0.1", **headers: str) -> httpx.Response:
    """What a phone's browser posts from the scan page of https://trace.example.cn."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(base_url=base, transport=transport, timeout=30) as browser:
        return browser.post(
            "/scan/act",
            data={"code": code(1), **INCIDENT},
            headers={"Host": PUBLIC_HOST, "Origin": PUBLIC_URL, **session, **headers},
        )


def test_a_scan_page_action_through_a_trusted_proxy_is_recorded(trusting: Deployment) -> None:
    size = trusting.ledger.size()
    with served(forwarding_proxy(trusting.url, source=PROXY_ADDRESS), "127.0.0.3", lifespan="off") as proxy:
        done = browser_post(proxy, trusting.session)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/scan?code={code(1)}&done=incident"
    assert trusting.ledger.size() == size + 1
    state = trusting.ledger.pack_state(code(1))
    assert state is not None and list(state.flags) == ["incident"] and state.events == 2


def test_forwarded_headers_from_an_address_that_is_not_a_trusted_proxy_are_ignored(trusting: Deployment) -> None:
    size = trusting.ledger.size()
    port = trusting.url.rsplit(":", 1)[1]
    refused = browser_post(
        trusting.url,
        trusting.session,
        source=OTHER_ADDRESS,
        Host=f"127.0.0.1:{port}",
        **{"X-Forwarded-Host": PUBLIC_HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": PROXY_ADDRESS},
    )
    assert refused.status_code == 403 and CROSS_SITE in refused.text
    assert trusting.ledger.size() == size


def test_without_trusted_proxies_the_proxy_that_rewrites_host_is_refused(trusting_none: Deployment) -> None:
    """The issue's finding: PACKTRACE_TRUSTED_PROXIES unset, every scan-page action through such a proxy is
    refused (what docs/operations.md §2 tells the operator to set)."""
    size = trusting_none.ledger.size()
    with served(forwarding_proxy(trusting_none.url, source=PROXY_ADDRESS), "127.0.0.3", lifespan="off") as proxy:
        refused = browser_post(proxy, trusting_none.session)
    assert refused.status_code == 403 and CROSS_SITE in refused.text
    assert trusting_none.ledger.size() == size

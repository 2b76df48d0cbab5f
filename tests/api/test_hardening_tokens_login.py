"""Issue 11 item 11: the web login is rate-limited. Ten failed logins in five minutes from one client
address, or against one token prefix (`pt_<org>_`, whichever address they come from), and the login page
answers 429 with Retry-After and says so in Chinese or English, without checking the token."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import anyio.from_thread
import httpx
import limits.storage.memory
import pytest
from fastapi import FastAPI

import api.web.session
from events.orgs import Role
from ledger.log import Ledger
from tests.api.inprocess import InProcessTransport
from tests.api.parties import Party, make_party

THROTTLED_ZH = "登录失败次数过多，请 5 分钟后再试。"
THROTTLED_EN = "Too many failed logins: try again in 5 minutes."


class FakeTime:
    """`time.time` for the limiter's window, moved by the test."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(limits.storage.memory, "time", fake)
    monkeypatch.setattr(api.web.session, "time", fake)
    return fake


@pytest.fixture
def collector(ledger: Ledger) -> Party:
    return make_party(ledger, Role.COLLECTOR)


@pytest.fixture
def recycler(ledger: Ledger) -> Party:
    return make_party(ledger, Role.RECYCLER)


class FromAddress(InProcessTransport):
    """The in-process transport, with the request coming from `address`."""

    def __init__(self, app: FastAPI, portal: anyio.from_thread.BlockingPortal, address: str) -> None:
        super().__init__(app, portal)
        self._asgi = httpx.ASGITransport(app=app, client=(address, 40_000))


@pytest.fixture
def browser(app: FastAPI) -> Iterator[object]:
    """`browser(address)`: a client whose requests come from that address."""
    with anyio.from_thread.start_blocking_portal() as portal:

        @contextmanager
        def at(address: str) -> Iterator[httpx.Client]:
            with httpx.Client(transport=FromAddress(app, portal, address), base_url="http://testserver") as http:
                yield http

        yield at


def attempt(http: httpx.Client, token: str, *, lang: str = "zh") -> httpx.Response:
    return http.post("/login", data={"token": token, "next": ""}, headers={"Cookie": f"lang={lang}"})


def guess(org: str) -> str:
    return f"pt_{org}_{secrets.token_urlsafe(24)}"


def assert_throttled(response: httpx.Response, words: str, *, retry_after: int = 300) -> None:
    assert response.status_code == 429
    assert response.headers["retry-after"] == str(retry_after)
    assert words in response.text and "set-cookie" not in response.headers


def test_item11_failed_logins_are_limited_per_client_address(
    browser: object, clock: FakeTime, collector: Party
) -> None:
    at = browser  # type: ignore[assignment]
    with at("203.0.113.7") as attacker, at("198.51.100.2") as other:
        for n in range(10):  # different prefixes: only the address is common to them
            assert attempt(attacker, f"{n:02d}-wrong-token-{n}").status_code == 401
            clock.now += 1
        assert_throttled(attempt(attacker, collector.token), THROTTLED_ZH, retry_after=290)
        assert_throttled(attempt(attacker, "anything", lang="en"), THROTTLED_EN, retry_after=290)
        assert attempt(other, collector.token).status_code == 303  # another address logs in
        clock.now += 291  # the oldest failures leave the five-minute window
        assert attempt(attacker, collector.token).status_code == 303


def test_item11_failed_logins_are_limited_per_token_prefix(
    browser: object, clock: FakeTime, collector: Party, recycler: Party
) -> None:
    at = browser  # type: ignore[assignment]
    for n in range(10):  # one guess from each of ten addresses, all at the collector's token
        with at(f"192.0.2.{n + 1}") as http:
            assert attempt(http, guess(collector.id)).status_code == 401
    with at("192.0.2.200") as fresh:
        assert_throttled(attempt(fresh, collector.token), THROTTLED_ZH)
        assert attempt(fresh, recycler.token).status_code == 303  # another organisation's prefix
    clock.now += 301
    with at("192.0.2.201") as later:
        assert attempt(later, collector.token).status_code == 303


def test_item11_a_correct_login_is_not_counted(browser: object, clock: FakeTime, collector: Party) -> None:
    at = browser  # type: ignore[assignment]
    with at("203.0.113.9") as http:
        for _ in range(15):
            assert attempt(http, collector.token).status_code == 303
            http.cookies.clear()

"""Issue 11 item 11: the web login is rate-limited. Ten failed logins in five minutes from one client
address (an IPv6 address counted by its /64), or against one token prefix (`pt_<org>_`, whichever address
they come from; every token not of that shape shares one bucket), and further failures are answered 429
with Retry-After, said in Chinese or English. The token is looked up first: a correct token logs in
whatever its prefix's count (failures against the public prefix cannot lock an organisation out), but an
address over its limit is answered 429 before its token is looked at, a correct one included.

Also: logging in again ends the session the cookie named, and the cookie is Secure for an https public URL
however its scheme is spelt."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import anyio.from_thread
import httpx
import limits.storage.memory
import pytest
from fastapi import FastAPI

import api.web.session
from api.app import create_app
from api.settings import Settings
from api.web.session import SESSION_COOKIE, LoginThrottle, LoginThrottled
from events.orgs import Role
from ledger.log import Ledger
from tests.api.inprocess import InProcessTransport, in_process_client
from tests.api.parties import ADMIN_TOKEN, Party, make_party

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
        assert_throttled(attempt(fresh, guess(collector.id)), THROTTLED_ZH)
        assert attempt(fresh, guess(recycler.id)).status_code == 401  # another organisation's prefix
    clock.now += 301
    with at("192.0.2.201") as later:
        assert attempt(later, guess(collector.id)).status_code == 401


def test_item11_a_correct_login_is_not_counted(browser: object, clock: FakeTime, collector: Party) -> None:
    at = browser  # type: ignore[assignment]
    with at("203.0.113.9") as http:
        for _ in range(15):
            assert attempt(http, collector.token).status_code == 303
            http.cookies.clear()


def test_item11_a_full_prefix_bucket_does_not_lock_out_the_correct_token(
    browser: object, clock: FakeTime, collector: Party
) -> None:
    """The prefix `pt_<org>_` is public: anyone can fill its bucket, so the bucket holds back only guesses."""
    at = browser  # type: ignore[assignment]
    for n in range(12):  # the last two are over the limit already
        with at(f"192.0.2.{n + 1}") as http:
            assert attempt(http, guess(collector.id)).status_code == (401 if n < 10 else 429)
    with at("192.0.2.200") as holder:
        for _ in range(3):
            assert attempt(holder, collector.token).status_code == 303
            holder.cookies.clear()
        assert_throttled(attempt(holder, guess(collector.id), lang="en"), THROTTLED_EN)


def test_item11_tokens_not_shaped_like_an_organisations_share_one_bucket(
    browser: object, clock: FakeTime, collector: Party
) -> None:
    """Guesses at the admin token (or anything else) cannot dodge the limit by changing their first
    characters; the admin token itself still logs in."""
    at = browser  # type: ignore[assignment]
    shapes = [secrets.token_hex(16), f"pt_{secrets.token_hex(4)}", f"pt_X_{secrets.token_urlsafe(24)}"]
    for n in range(10):
        with at(f"198.51.100.{n + 1}") as http:
            assert attempt(http, shapes[n % 3] + str(n)).status_code == 401
    with at("198.51.100.200") as fresh:
        assert_throttled(attempt(fresh, secrets.token_hex(20)), THROTTLED_ZH)
        assert_throttled(attempt(fresh, f"pt_{collector.id}_short"), THROTTLED_ZH)  # not of the shape
        assert attempt(fresh, guess(collector.id)).status_code == 401  # the organisation's own bucket
        assert attempt(fresh, ADMIN_TOKEN).status_code == 303
    assert api.web.session.token_prefix(guess(collector.id)) == f"pt_{collector.id}_"
    assert api.web.session.token_prefix(ADMIN_TOKEN) == api.web.session.OTHER_TOKENS


def test_item11_an_ipv6_client_is_counted_by_its_64(browser: object, clock: FakeTime, collector: Party) -> None:
    at = browser  # type: ignore[assignment]
    for n in range(10):  # ten addresses of one /64, each guessing at another (unknown) organisation
        with at(f"2001:db8:1:2::{n + 1:x}") as http:
            assert attempt(http, guess(f"nobody-{n}")).status_code == 401
    with at("2001:db8:1:2:ffff:ffff:ffff:ffff") as same, at("2001:db8:1:3::1") as neighbour:
        assert_throttled(attempt(same, collector.token), THROTTLED_ZH)  # even the correct token
        assert attempt(neighbour, collector.token).status_code == 303  # the next /64 is another client


def test_item11_failures_are_checked_and_counted_at_once() -> None:
    """Many failures at once: exactly LOGIN_FAILURES are counted and answered as failures, the rest are
    throttled (no check-then-count race lets more through)."""
    limiter, start = LoginThrottle(), threading.Barrier(40)
    outcomes: list[str] = []

    def fail(n: int) -> None:
        start.wait()
        try:
            limiter.failed(f"203.0.113.{n}", "pt_xm-collect_" + "A" * 32)
        except LoginThrottled as exc:
            outcomes.append(f"throttled {exc.retry_after}")
        else:
            outcomes.append("counted")

    threads = [threading.Thread(target=fail, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["counted"] * 10 + ["throttled 300"] * 30


def test_item11_logging_in_again_ends_the_session_the_cookie_named(
    browser: object, clock: FakeTime, collector: Party, recycler: Party
) -> None:
    at = browser  # type: ignore[assignment]
    with at("203.0.113.20") as http:
        first = attempt(http, collector.token)
        old = first.cookies[SESSION_COOKIE]
        http.cookies.clear()
        again = http.post(
            "/login", data={"token": recycler.token, "next": ""}, headers={"Cookie": f"{SESSION_COOKIE}={old}"}
        )
        assert again.status_code == 303 and again.cookies[SESSION_COOKIE] != old
        new = again.cookies[SESSION_COOKIE]
        http.cookies.clear()
        stale = http.get("/scan", headers={"Accept": "text/html", "Cookie": f"{SESSION_COOKIE}={old}"})
        assert stale.status_code == 303 and stale.headers["location"] == "/login?next=%2Fscan"
        live = http.get("/scan", headers={"Accept": "text/html", "Cookie": f"{SESSION_COOKIE}={new}"})
        assert live.status_code == 200


@pytest.mark.parametrize(
    ("public_url", "secure"),
    [("HTTPS://packtrace.example", True), ("Https://packtrace.example", True), ("http://packtrace.example", False)],
)
def test_item11_the_cookie_is_secure_for_an_https_public_url_in_any_case(
    ledger: Ledger, settings: Settings, collector: Party, public_url: str, secure: bool
) -> None:
    app = create_app(ledger, settings=settings.model_copy(update={"public_url": public_url}))
    with in_process_client(app) as http:
        response = attempt(http, collector.token)
    assert response.status_code == 303
    attributes = [part.strip().lower() for part in response.headers["set-cookie"].split(";")]
    assert ("secure" in attributes) is secure

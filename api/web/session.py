"""The web pages' login: a session of its own in a cookie (HttpOnly, SameSite=Strict, Secure when the
public URL is https), never the API token itself.

Logging in with an organisation's API token (or the admin token) opens a web session (ledger/usecases/websessions.py):
the cookie holds a random secret, stored hashed and bound to the token's hash, valid for
`callers.SESSION_TTL`. Logging out deletes it, and rotating the token ends it, so a copied cookie is worth
nothing afterwards.

Logging in again ends the session the cookie already named. Failed logins are throttled: LOGIN_FAILURES
in a moving window per client address (an IPv6 address counted by its /64) and per token prefix
(`pt_<org>_` for a token of an organisation's shape; every other token, the admin token's guesses
included, shares one bucket). The token is looked up first (by its hash, the admin token compared in
constant time): a correct token logs in whatever its prefix's count, so failures against a public prefix
cannot lock its organisation out; a wrong one is counted, atomically with the check (the limiter's own
lock), and answered 429 with Retry-After once its address or prefix is over the limit. An address over the
limit is answered 429 before its token is looked at, a correct one included: otherwise a single address
could go on guessing and learn which guess was right. Attempts from one address already in flight when it
reaches the limit are still checked (each such failure is answered 429 and not counted), so the overshoot
is at most the attempts in flight. The counts live in the server process (each worker has its own).

SameSite=Strict keeps the cookie off cross-site requests, so another site cannot post a form as the
logged-in organisation; form posts also must come from our own origin when the browser names one.
"""

from __future__ import annotations

import ipaddress
import math
import re
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.settings import Settings
from events.errors import AuthorisationError
from events.orgs import ORG_ID
from ledger.log import Ledger
from ledger.usecases import callers
from ledger.usecases.access import ANONYMOUS, Caller, Unauthenticated

SESSION_COOKIE = "packtrace_session"
SESSION_SECONDS = int(callers.SESSION_TTL.total_seconds())
LOGIN_FAILURES = RateLimitItemPerMinute(10, 5)  # failed logins per address, and per token prefix
OTHER_TOKENS = "other"  # the one prefix bucket of every token not shaped like an organisation's
# pt_<org>_<secrets.token_urlsafe(24)>: the shape of an organisation's token (ledger/usecases/registration.py new_token)
_ORG_TOKEN = re.compile(rf"(pt_{ORG_ID.pattern}_)[A-Za-z0-9_-]{{32}}")
_IPV6_COUNTED_BITS = 64  # an IPv6 client is counted by its /64 (one subscriber usually holds a whole one)


def session_caller(request: Request, ledger: Ledger, settings: Settings) -> Caller:
    """The caller the session cookie names; the anonymous caller without one or with an ended one."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return ANONYMOUS
    try:
        return callers.web_session_caller(ledger, secret, admin_token=settings.admin_token)
    except Unauthenticated:
        return ANONYMOUS


@dataclass(frozen=True)
class Login:
    caller: Caller
    secret: str  # the new session's: set it with `set_session`


class LoginThrottled(Exception):
    """Too many failed logins from this address or for this token prefix: try again in `retry_after` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed logins; try again in {retry_after} s")
        self.retry_after = retry_after


class LoginThrottle:
    """Failed logins in a moving window (the `limits` library, in memory), per address and per prefix."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def _wait(self, key: tuple[str, str]) -> int:
        reset = self._limiter.get_window_stats(LOGIN_FAILURES, *key).reset_time
        return max(1, math.ceil(reset - time.time()))

    def check_address(self, address: str) -> None:
        """LoginThrottled if `address` has used up its failures (checked before the token is)."""
        key = ("address", address)
        if not self._limiter.test(LOGIN_FAILURES, *key):
            raise LoginThrottled(self._wait(key))

    def failed(self, address: str, token: str) -> None:
        """Count a failed login against its address and its token's prefix; LoginThrottled if either was
        already at the limit (that failure is then not counted: each count is checked and taken at once)."""
        keys = [("address", address), ("prefix", token_prefix(token))]
        full = [key for key in keys if not self._limiter.hit(LOGIN_FAILURES, *key)]
        if full:
            raise LoginThrottled(max(self._wait(key) for key in full))


def token_prefix(token: str) -> str:
    """The bucket of a token's failures: `pt_<org>_` for a token of an organisation's shape (guesses at one
    organisation's token are counted together), OTHER_TOKENS for anything else (the admin token's guesses
    among them, whatever their first characters)."""
    shaped = _ORG_TOKEN.fullmatch(token)
    return shaped.group(1) if shaped else OTHER_TOKENS


def client_address(request: Request) -> str:
    """The address failures are counted against: the client's, an IPv6 one as its /64 network."""
    host = request.client.host if request.client else "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, _IPV6_COUNTED_BITS), strict=False))
    return str(ip)


def throttle(request: Request) -> LoginThrottle:
    """The app's login throttle, made on first use."""
    state = request.app.state
    found: LoginThrottle | None = getattr(state, "login_throttle", None)
    if found is None:
        found = state.login_throttle = LoginThrottle()
    return found


def login(request: Request, ledger: Ledger, settings: Settings, token: str) -> Login:
    """Open a web session for the token, ending the one the cookie already names. LoginThrottled when the
    address is over the failure limit (the token is then not checked) or when a wrong token's address or
    prefix is; Unauthenticated (counted as a failure) for a token that names nobody. A correct token is
    never refused for its prefix's failures."""
    token = token.strip()
    address = client_address(request)
    limiter = throttle(request)
    limiter.check_address(address)
    try:
        caller, secret = callers.open_web_session(ledger, token, admin_token=settings.admin_token)
    except Unauthenticated:
        limiter.failed(address, token)
        raise
    if previous := request.cookies.get(SESSION_COOKIE):
        callers.close_web_session(ledger, previous)
    return Login(caller, secret)


def logout(request: Request, ledger: Ledger) -> None:
    """End the session the cookie names, if any."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        callers.close_web_session(ledger, secret)


def set_session(response: Response, secret: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=urlsplit(settings.public_url).scheme.lower() == "https",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")


def check_same_origin(request: Request) -> None:
    """Refuse a form post whose Origin (sent by every current browser on POST) is another site's."""
    origin = request.headers.get("origin")
    if origin is None or (origin == "null" and request.headers.get("sec-fetch-site") == "same-origin"):
        return
    host = request.headers.get("host", "")
    if urlsplit(origin).netloc != host:
        raise AuthorisationError(f"form posted from {origin!r}, not from this site", code="cross_site_post")

"""The web pages' login: a session of its own in a cookie (HttpOnly, SameSite=Strict, Secure when the
public URL is https), never the API token itself.

Logging in with an organisation's API token (or the admin token) opens a web session (ledger/websessions.py):
the cookie holds a random secret, stored hashed and bound to the token's hash, valid for
`service.SESSION_TTL`. Logging out deletes it, and rotating the token ends it, so a copied cookie is worth
nothing afterwards.

Failed logins are throttled: LOGIN_FAILURES per client address and per token prefix (`pt_<org>_`, or the
first characters of anything else) in a moving window; past it the login page answers 429 with
Retry-After, without checking the token. The counts live in the server process (each worker has its own).

SameSite=Strict keeps the cookie off cross-site requests, so another site cannot post a form as the
logged-in organisation; form posts also must come from our own origin when the browser names one.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from fastapi import Request, Response
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.settings import Settings
from events.errors import AuthorisationError
from ledger import service
from ledger.access import ANONYMOUS, Caller, Unauthenticated
from ledger.log import Ledger

SESSION_COOKIE = "packtrace_session"
SESSION_SECONDS = int(service.SESSION_TTL.total_seconds())
LOGIN_FAILURES = RateLimitItemPerMinute(10, 5)  # failed logins per address, and per token prefix
_PREFIX_CHARS = 8  # of a token that is not of the form pt_<org>_<secret>
_SECRET_CHARS = 32  # secrets.token_urlsafe(24), the random part of an organisation's token


def session_caller(request: Request, ledger: Ledger, settings: Settings) -> Caller:
    """The caller the session cookie names; the anonymous caller without one or with an ended one."""
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return ANONYMOUS
    try:
        return service.web_session_caller(ledger, secret, admin_token=settings.admin_token)
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

    @staticmethod
    def _keys(address: str, token: str) -> list[tuple[str, str]]:
        return [("address", address), ("prefix", token_prefix(token))]

    def check(self, address: str, token: str) -> None:
        waits = [
            self._limiter.get_window_stats(LOGIN_FAILURES, *key).reset_time - time.time()
            for key in self._keys(address, token)
            if not self._limiter.test(LOGIN_FAILURES, *key)
        ]
        if waits:
            raise LoginThrottled(max(1, math.ceil(max(waits))))

    def failed(self, address: str, token: str) -> None:
        for key in self._keys(address, token):
            self._limiter.hit(LOGIN_FAILURES, *key)


def token_prefix(token: str) -> str:
    """What a token says about whose it claims to be: `pt_<org>_` for an organisation's token shape,
    else its first few characters (so guesses at one organisation's token are counted together)."""
    if token.startswith("pt_") and len(token) > _SECRET_CHARS + 3:
        return token[:-_SECRET_CHARS]
    return token[:_PREFIX_CHARS]


def throttle(request: Request) -> LoginThrottle:
    """The app's login throttle, made on first use."""
    state = request.app.state
    found: LoginThrottle | None = getattr(state, "login_throttle", None)
    if found is None:
        found = state.login_throttle = LoginThrottle()
    return found


def login(request: Request, ledger: Ledger, settings: Settings, token: str) -> Login:
    """Open a web session for the token: LoginThrottled past the failure limit (the token is then not
    checked), Unauthenticated (counted as a failure) for a token that names nobody."""
    token = token.strip()
    address = request.client.host if request.client else "unknown"
    limiter = throttle(request)
    limiter.check(address, token)
    try:
        caller, secret = service.open_web_session(ledger, token, admin_token=settings.admin_token)
    except Unauthenticated:
        limiter.failed(address, token)
        raise
    return Login(caller, secret)


def logout(request: Request, ledger: Ledger) -> None:
    """End the session the cookie names, if any."""
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        service.close_web_session(ledger, secret)


def set_session(response: Response, secret: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=SESSION_SECONDS,
        path="/",
        httponly=True,
        samesite="strict",
        secure=settings.public_url.startswith("https://"),
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

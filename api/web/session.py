"""The web pages' login: the organisation's API token in a session cookie (HttpOnly, SameSite=Strict,
Secure when the public URL is https), checked on every request exactly like a bearer token.

SameSite=Strict keeps the cookie off cross-site requests, so another site cannot post a form as the
logged-in organisation; form posts also must come from our own origin when the browser names one.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request, Response

from api.settings import Settings
from events.errors import AuthorisationError
from ledger import service
from ledger.access import ANONYMOUS, Caller, Unauthenticated
from ledger.log import Ledger

SESSION_COOKIE = "packtrace_session"
SESSION_SECONDS = 8 * 3600


def session_caller(request: Request, ledger: Ledger, settings: Settings) -> Caller:
    """The caller the session cookie names; the anonymous caller without one or with a stale one."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return ANONYMOUS
    try:
        return service.authenticate(ledger, token, admin_token=settings.admin_token)
    except Unauthenticated:
        return ANONYMOUS


def login(ledger: Ledger, settings: Settings, token: str) -> Caller:
    """The caller the token names (Unauthenticated if none)."""
    return service.authenticate(ledger, token.strip(), admin_token=settings.admin_token)


def set_session(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token.strip(),
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

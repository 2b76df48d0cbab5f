"""Logging in for the page tests: the session cookie is a web session's own secret (api/web/session.py),
so a test gets one through POST /login, as a browser does."""

from __future__ import annotations

import httpx

from api.web.session import SESSION_COOKIE
from ledger.log import Ledger
from ledger.usecases import callers


def login_cookie(client: httpx.Client, token: str) -> dict[str, str]:
    """A `Cookie` header for a web session opened with `token` (the client's own cookie jar is left as it was)."""
    saved = httpx.Cookies(client.cookies)
    try:
        response = client.post("/login", data={"token": token, "next": ""})
    finally:
        client.cookies = saved
    assert response.status_code == 303, f"login refused: {response.status_code}"
    return {"Cookie": f"{SESSION_COOKIE}={response.cookies[SESSION_COOKIE]}"}


def session_cookie(ledger: Ledger, token: str, *, admin_token: str | None = None) -> dict[str, str]:
    """A `Cookie` header for a web session opened straight on the ledger (what POST /login does)."""
    _, secret = callers.open_web_session(ledger, token, admin_token=admin_token)
    return {"Cookie": f"{SESSION_COOKIE}={secret}"}

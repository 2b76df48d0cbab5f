"""Who is calling: bearer tokens (the platform admin's or an organisation's), their rotation, and the web
pages' sessions opened with them (api/web/session.py).

Each function checks what the caller may do (ledger.usecases.access), does its work in at most one
transaction, and raises the events.errors family; the API maps it to HTTP in one place.
"""

from __future__ import annotations

import hmac
import time
import weakref
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from events.orgs import Org
from ledger.log import Ledger
from ledger.store.db import write_connection
from ledger.usecases import registration, websessions
from ledger.usecases.access import ADMIN, Caller, Unauthenticated, require_self_or_admin
from ledger.usecases.views import TokenIssued

TOKEN_TTL_S = 10.0
SESSION_TTL = timedelta(hours=8)
_tokens: weakref.WeakKeyDictionary[Ledger, dict[str, tuple[Org, float]]] = weakref.WeakKeyDictionary()
token_clock: Callable[[], float] = time.monotonic  # the token cache's clock (tests move it past TOKEN_TTL_S)


def authenticate(ledger: Ledger, token: str, *, admin_token: str | None) -> Caller:
    """The caller a bearer token names: the platform admin or an organisation; else Unauthenticated.

    A recognised token is remembered for TOKEN_TTL_S seconds (every request would otherwise read the
    database first); a rotated token therefore stops working within that time in other processes.
    """
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        return ADMIN
    digest = registration.token_hash(token)
    known = _tokens.setdefault(ledger, {})
    cached = known.get(digest)
    if cached is not None and cached[1] > token_clock():
        return Caller(org=cached[0])
    with ledger.engine.connect() as conn:
        org = registration.org_by_token(conn, token)
    if org is None:
        known.pop(digest, None)
        raise Unauthenticated("the bearer token is not valid", code="invalid_token")
    if len(known) > 10_000:
        known.clear()
    known[digest] = (org, token_clock() + TOKEN_TTL_S)
    return Caller(org=org)


def forget_tokens(ledger: Ledger, org_id: str | None = None) -> None:
    """Drop remembered tokens (of `org_id`, or all) after a token is rotated in this process."""
    if org_id is None:
        _tokens.pop(ledger, None)
        return
    known = _tokens.get(ledger, {})
    for digest, (org, _) in list(known.items()):
        if org.id == org_id:
            known.pop(digest, None)


def rotate_token(ledger: Ledger, caller: Caller, org_id: str) -> TokenIssued:
    """Give `org_id` a new API token (returned once; only its hash is stored) and end every web session
    opened with the old one. This process refuses the old token at once; other server processes within
    TOKEN_TTL_S seconds, when they stop remembering it."""
    require_self_or_admin(caller, org_id, "rotate its API token")
    with write_connection(ledger.engine) as conn, conn.begin():
        token = registration.rotate_token(conn, org_id)
        websessions.end_sessions_of(conn, org_id)
    forget_tokens(ledger, org_id)
    return TokenIssued(org=org_id, token=token)


# -- web sessions ---------------------------------------------------------------------------------------


def open_web_session(ledger: Ledger, token: str, *, admin_token: str | None) -> tuple[Caller, str]:
    """Log in with an API token: the caller it names, and the secret of a new web session bound to the
    token's hash (valid SESSION_TTL). The token is checked against the database, never the cache."""
    if admin_token and hmac.compare_digest(token.encode(), admin_token.encode()):
        caller = ADMIN
    else:
        with ledger.engine.connect() as conn:
            org = registration.org_by_token(conn, token)
        if org is None:
            raise Unauthenticated("the bearer token is not valid", code="invalid_token")
        caller = Caller(org=org)
    now = datetime.now(UTC)
    with write_connection(ledger.engine) as conn, conn.begin():
        secret = websessions.open_session(
            conn, org_id=caller.org_id, token_hash=registration.token_hash(token), now=now, expires=now + SESSION_TTL
        )
    return caller, secret


def web_session_caller(ledger: Ledger, secret: str, *, admin_token: str | None) -> Caller:
    """The caller of a live web session: not expired, not logged out, its token not rotated (for the
    admin: still the configured admin token); Unauthenticated otherwise."""
    with ledger.engine.connect() as conn:
        found = websessions.find_session(conn, secret, now=datetime.now(UTC))
    if found is not None and found.org is not None:
        return Caller(org=found.org)
    admin_hash = registration.token_hash(admin_token) if admin_token else None
    if found is not None and admin_hash is not None and hmac.compare_digest(found.token_hash, admin_hash):
        return ADMIN
    raise Unauthenticated("the web session has ended: log in again", code="session_ended")


def close_web_session(ledger: Ledger, secret: str) -> None:
    """Log out: the session's secret names nobody from now on."""
    with write_connection(ledger.engine) as conn, conn.begin():
        websessions.end_session(conn, secret)

"""Web sessions: a logged-in browser holds a random secret, never the API token.

A session stores the SHA-256 of its secret, the organisation (none for the platform admin token) and the
hash of the token it was opened with (ledger.store.sessions). It names a caller while it has not expired
and that hash is still the organisation's token hash (or the admin token's): rotating a token ends every
session opened with it, in every server process, from the next request. Functions here take a connection
inside the caller's transaction and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from events.orgs import Org
from events.timestamps import as_utc
from ledger.store import registry, sessions
from ledger.store.db import Connection


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def open_session(conn: Connection, *, org_id: str | None, token_hash: str, now: datetime, expires: datetime) -> str:
    """Store a new session and return its secret (shown once: it goes into the cookie)."""
    sessions.delete_expired(conn, now)
    secret = secrets.token_urlsafe(32)
    sessions.insert_session(
        conn, secret_hash=secret_hash(secret), org_id=org_id, token_hash=token_hash, now=now, expires=expires
    )
    return secret


@dataclass(frozen=True)
class Found:
    """A live session: its organisation (None: the admin token) and the token hash it was opened with."""

    org: Org | None
    token_hash: str


def find_session(conn: Connection, secret: str, *, now: datetime) -> Found | None:
    """The session of `secret` if it has not expired and, for an organisation, its token is still current."""
    row = sessions.find_session(conn, secret_hash(secret))
    if row is None or row.expires_at <= as_utc(now):
        return None
    if row.org is None:
        return Found(None, row.token_hash)
    if row.current_hash is None or not hmac.compare_digest(row.current_hash, row.token_hash):
        return None
    org = registry.get_org(conn, row.org)
    return None if org is None else Found(org, row.token_hash)


def end_session(conn: Connection, secret: str) -> None:
    sessions.delete_session(conn, secret_hash(secret))


def end_sessions_of(conn: Connection, org_id: str) -> int:
    """End every session of `org_id` (its token was rotated); return how many there were."""
    return sessions.delete_sessions_of(conn, org_id)

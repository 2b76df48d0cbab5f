"""Web sessions' rows (the `web_session` table): the hash of a session's secret, its organisation (none
for the platform admin token), the hash of the token it was opened with, and when it expires.

Functions take a connection inside the caller's transaction and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from events.timestamps import as_utc
from ledger.store.schema import ORG, WEB_SESSION


@dataclass(frozen=True)
class SessionRow:
    """A stored session, with its organisation's current token hash (None: no such organisation, or the
    admin token's session)."""

    org: str | None
    token_hash: str
    expires_at: datetime
    current_hash: str | None


def insert_session(
    conn: Connection, *, secret_hash: str, org_id: str | None, token_hash: str, now: datetime, expires: datetime
) -> None:
    conn.execute(
        insert(WEB_SESSION).values(
            secret_hash=secret_hash,
            org=org_id,
            token_hash=token_hash,
            created_at=as_utc(now),
            expires_at=as_utc(expires),
        )
    )


def delete_expired(conn: Connection, now: datetime) -> None:
    conn.execute(delete(WEB_SESSION).where(WEB_SESSION.c.expires_at <= as_utc(now)))


def find_session(conn: Connection, secret_hash: str) -> SessionRow | None:
    row = conn.execute(
        select(WEB_SESSION, ORG.c.token_hash.label("current_hash"))
        .select_from(WEB_SESSION.outerjoin(ORG, ORG.c.id == WEB_SESSION.c.org))
        .where(WEB_SESSION.c.secret_hash == secret_hash)
    ).first()
    if row is None:
        return None
    return SessionRow(row.org, row.token_hash, as_utc(row.expires_at), row.current_hash)


def delete_session(conn: Connection, secret_hash: str) -> None:
    conn.execute(delete(WEB_SESSION).where(WEB_SESSION.c.secret_hash == secret_hash))


def delete_sessions_of(conn: Connection, org_id: str) -> int:
    """Delete every session of `org_id`; how many there were."""
    return int(conn.execute(delete(WEB_SESSION).where(WEB_SESSION.c.org == org_id)).rowcount)

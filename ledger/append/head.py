"""The record's time: when an append or a key revocation holding the log head's lock takes effect.

An append and a key revocation both lock the head row (ledger.store.head) and read the time only once they
hold it, so they are ordered: an entry is recorded before a revocation (its `recorded_at` earlier than the
key's `revoked_at`) or after it (and then its key is refused). Time under the lock never goes backwards,
whatever the clocks of the processes sharing the database do: an append records at `max(clock, last
recorded_at)`, a revocation takes effect at `max(clock, last recorded_at + 1 µs)`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from events.timestamps import from_rfc3339
from ledger.store import head as stored_head
from ledger.store.driver import Connection

TICK = timedelta(microseconds=1)  # the resolution of `recorded_at`


def utcnow() -> datetime:
    """The ledger's default clock."""
    return datetime.now(UTC)


def last_recorded(conn: Connection, size: int) -> datetime | None:
    """The `recorded_at` of the log's last entry, if any."""
    text = stored_head.last_recorded_at(conn, size)
    return None if text is None else from_rfc3339(text)


def append_time(clock: Callable[[], datetime], last: datetime | None) -> datetime:
    """When an append holding the lock records its entries: now, but never before the last entry."""
    now = clock()
    return now if last is None or now >= last else last


def revocation_time(conn: Connection, size: int, clock: Callable[[], datetime]) -> datetime:
    """When a revocation holding the lock takes effect: now, but strictly after every recorded entry."""
    now = clock()
    last = last_recorded(conn, size)
    return now if last is None or now > last else last + TICK

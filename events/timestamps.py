"""Instants as the record writes them (RFC 3339, UTC, `Z`) and dates as China counts them (UTC+8): the one
place times are formatted and read, by events/, ledger/ and api/ alike."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "China Standard Time")


def as_utc(moment: datetime) -> datetime:
    """Aware UTC (a naive time, as SQLite gives back SQLModel's columns, is taken to be UTC already)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def to_rfc3339(at: datetime) -> str:
    """`2026-11-20T08:30:00Z`; microseconds are kept only when present."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def format_at(moment: datetime) -> str:
    """Whole seconds: the form of a claim's `at`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_recorded_at(moment: datetime) -> str:
    """Always microseconds: the form of an entry's `recorded_at` and of key validity in bundles."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_rfc3339(text: str) -> datetime:
    """Read any of the forms above (aware, in UTC); fromisoformat is C, strptime is not."""
    return datetime.fromisoformat(text).astimezone(UTC)


def china_date(at: datetime) -> date:
    """The calendar date in China at that instant: deadlines and production dates are counted in it."""
    return at.astimezone(CHINA_TZ).date()

"""Instants as the record writes them (RFC 3339, UTC, `Z`) and dates as China counts them (UTC+8)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

CHINA_TZ = timezone(timedelta(hours=8), "China Standard Time")


def to_rfc3339(at: datetime) -> str:
    """`2026-11-20T08:30:00Z`; microseconds are kept only when present."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def from_rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def china_date(at: datetime) -> date:
    """The calendar date in China at that instant: deadlines and production dates are counted in it."""
    return at.astimezone(CHINA_TZ).date()

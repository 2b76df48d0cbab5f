"""The words of the 流向不明 table (compliance page): each reason of events.whereabouts, and the limit."""

from __future__ import annotations

from events.whereabouts import REASON_TEXT

MESSAGES_UNACCOUNTED: dict[str, tuple[str, str]] = {
    **{f"reason_{reason.value}": text for reason, text in REASON_TEXT.items()},
    "limit": ("时限", "Limit"),
    "limit_days": ("{n} 天", "{n} days"),
    "limit_working_days": ("{n} 个工作日", "{n} working days"),
    "limit_at_once": ("即时", "at once"),
    "unaccounted_by_reason": ("按原因", "By reason"),
}

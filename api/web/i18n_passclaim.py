"""The words of the battery passport's claim (`passport`, docs/passport.md) on the pages: its name in the
histories and timelines, and its payload member. Simplified Chinese, English. The scan page does not offer the
claim (API only)."""

from __future__ import annotations

EVENT_NAMES_PASSCLAIM: dict[str, tuple[str, str]] = {
    "passport": ("电池护照声明", "battery passport claim"),
}
FIELD_NAMES_PASSCLAIM: dict[str, tuple[str, str]] = {
    "attributes": ("声明的电池护照属性（按章节计数）", "passport attributes claimed (by section)"),
}

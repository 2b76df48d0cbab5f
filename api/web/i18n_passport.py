"""The words of the battery passport's link on the public pack page (docs/passport.md): Simplified Chinese,
English."""

from __future__ import annotations

MESSAGES_PASSPORT: dict[str, tuple[str, str]] = {
    "passport_link": ("欧盟电池护照（Catena-X BatteryPass，JSON）", "EU battery passport (Catena-X BatteryPass, JSON)"),
}

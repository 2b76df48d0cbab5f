"""Words of corrected figures (events.corrections) on the regulator's pages: Simplified Chinese, English."""

from __future__ import annotations

MESSAGES_CORRECTIONS: dict[str, tuple[str, str]] = {
    "corrected_badge": ("已更正", "corrected"),
    "corrected_values": ("更正后的数值", "Corrected values"),
    "corrected_from_to": (
        "{member}：原报 {recorded} → 更正为 {value}",
        "{member}: reported {recorded} → corrected to {value}",
    ),
    "corrected_by": ("更正记录", "Correction"),
    "corrects_entry": ("更正第 {index} 条记录", "Corrects entry {index}"),
    "corrected_not_given": ("未填报", "not given"),
    "recovery_corrected": ("其中按更正数值计", "Counted as corrected"),
    "warnings_corrected": (
        "含更正数值：电池 {packs} 块，事件 {incidents} 起",
        "Corrected figures: {packs} packs, {incidents} incidents",
    ),
}

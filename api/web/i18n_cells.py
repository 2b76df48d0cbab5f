"""The words of the recall trace by cell or module code (docs/modules.md): Simplified Chinese, English."""

from __future__ import annotations

MESSAGES_CELLS: dict[str, tuple[str, str]] = {
    "component_label": ("电芯或模组编码", "Cell or module code"),
    "component_hint": (
        "填写单体（电芯）或模组的编码，列出曾装有它的每一个电池包及其时间段。",
        "A cell or module code lists every pack that ever held it, and when.",
    ),
    "holdings_title": ("曾装有 {code} 的电池包", "Packs that held {code}"),
    "holdings_none": ("记录中没有电池包装有过此编码。", "No pack in the record ever held this code."),
    "holding_pack": ("电池包", "Pack"),
    "holding_via": ("经由模组", "Through module"),
    "holding_from": ("装入时间", "Held from"),
    "holding_until": ("取出时间", "Held until"),
    "holding_now": ("至今", "still"),
    "held_components": ("现装模组/电芯", "Modules and cells held now"),
    "held_trace": ("追溯曾装有它的电池包", "Trace every pack that held it"),
    "component_module": ("模组", "module"),
    "component_cell": ("电芯", "cell"),
}

"""The words of the maker pickers and the pack filters (Simplified Chinese, English)."""

from __future__ import annotations

MESSAGES_MAKERS: dict[str, tuple[str, str]] = {
    "search_hint_makers": (
        "输入电池编码（或前缀）、车辆识别代号（VIN）、厂商代码、企业标识或生产企业名称",
        "A battery code (or its start), a VIN, a maker code, an organisation id or a maker's name",
    ),
    "maker_label": ("生产企业", "Maker"),
    "maker_hint": (
        "可选择，或输入企业标识、厂商代码或登记名称（不区分大小写），如 catl、0RJ、宁德时代",
        "Pick one, or type its org id, maker code or registered name (any case), e.g. catl, 0RJ, 宁德时代",
    ),
    "maker_found": ("生产企业：{name}（{id}）", "Maker: {name} ({id})"),
    "filter_title": ("按生产企业、标记、批次筛选", "Filter by maker, flag or batch"),
    "flag_label": ("标记", "Flag"),
    "batch_label": ("生产批次", "Batch"),
    "filter_button": ("筛选", "Filter"),
}

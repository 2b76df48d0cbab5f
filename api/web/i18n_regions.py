"""The words of places and scope: the region picker, the jurisdiction, per-city figures (Simplified Chinese,
English)."""

from __future__ import annotations

MESSAGES_REGIONS: dict[str, tuple[str, str]] = {
    "region_label": ("地区", "Region"),
    "region_all": ("全部地区", "All regions"),
    "region_button": ("查看", "Show"),
    "region_jurisdiction": ("您的辖区：{name}（{code}）", "Your jurisdiction: {name} ({code})"),
    "region_showing": ("当前显示：{name}（{code}）", "Showing: {name} ({code})"),
    "region_hint": (
        "只统计位于该地区的企业，以及由这些企业生产、持有或上报过记录的电池",
        "Counts the organisations located in the region and the packs they made, hold or recorded",
    ),
    "chart_recovery_region": ("再生利用回收率（{name}）", "Material recovery rates ({name})"),
    "entries_region": ("本地区企业上报记录", "Entries by the region's organisations"),
    "cities_title": ("各地市情况", "By city"),
    "city": ("地市", "City"),
    "city_orgs": ("企业数", "Organisations"),
    "city_custody": ("持有电池", "Packs held"),
    "city_entries": ("上报记录", "Entries"),
    "city_unaccounted": ("流向不明", "Unaccounted"),
    "out_of_jurisdiction_text": (
        "该内容超出您的辖区。地市监管部门只能查看本辖区企业及其生产、持有或上报过的电池。",
        "This is outside your jurisdiction. A city's regulator sees the organisations of its region and the packs "
        "they made, hold or recorded.",
    ),
}

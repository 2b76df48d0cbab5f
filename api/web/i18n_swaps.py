"""The swap pages' words (the scan page's pool, the regulator's organisation pool): Simplified Chinese,
English; with the names of the `swapped` event and of its scan-page action."""

from __future__ import annotations

MESSAGES_SWAPS: dict[str, tuple[str, str]] = {
    "pool_title": ("换电站电池池", "Swap station pool"),
    "pool_intro": (
        "本单位持有且在库的电池包：换电换下的电池包注明换下时间和来自哪辆车。",
        "The packs this organisation holds in stock: a pack a swap took out says when and from which vehicle.",
    ),
    "pool_none": ("电池池中没有电池包。", "No packs in the pool."),
    "pool_since": ("入池时间", "In the pool since"),
    "pool_vehicle": ("换下自车辆", "Swapped out of"),
    "pool_site": ("换电站", "Station"),
    "pool_count": ("块", "packs"),
    "pool_more": (
        "仅显示前一部分，其余请通过接口查询。",
        "Only the first page is shown; read the rest through the API.",
    ),
    "pool_next_page": ("下一页", "Next page"),
    "pool_link": ("电池池", "Pool"),
    "box_code": ("换电电池箱编码 (GB/T 40098)", "Swap battery box code (GB/T 40098)"),
}

EVENT_NAMES_SWAPS: dict[str, tuple[str, str]] = {"swapped": ("换电", "swapped")}
ACTION_NAMES_SWAPS: dict[str, tuple[str, str]] = {"swapped": ("换电（换出此包）", "Swap (take this pack out)")}

"""The words of the continuation (docs/federation.md §6) on the pages: Simplified Chinese, English. The origin
regulator's pack page shows, after its own record, the pack's life on the platform it was handed over to."""

from __future__ import annotations

MESSAGES_FED2: dict[str, tuple[str, str]] = {
    "onward_part_title": ("接收平台的记录：{platform}", "The receiving platform's record: {platform}"),
    "onward_part_intro": (
        "此电池包已移交至另一追溯平台。以下是接收平台的记录，每次显示时向该平台获取（不缓存），按其日志公钥核验，"
        "并核对其第一条记录是本平台这次移交的接收。",
        "This pack was handed over to another traceability platform. Below is that platform's record, fetched from "
        "it each time it is shown (nothing is kept), verified against its log key, its first entry the arrival of "
        "this platform's transfer.",
    ),
    "onward_unverified": ("接收平台的记录未能核验：", "The receiving platform's record is not verified: "),
    "onward_unavailable": ("接收平台的记录暂不可用：", "The receiving platform's record is unavailable: "),
}

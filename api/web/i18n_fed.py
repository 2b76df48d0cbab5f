"""The words of federation (docs/federation.md) on the pages: Simplified Chinese, English. The regulator's
pack page shows a pack handed over by another platform in two parts, each with its verification."""

from __future__ import annotations

MESSAGES_FED: dict[str, tuple[str, str]] = {
    "origin_part_title": ("来源平台的记录：{platform}", "The origin platform's record: {platform}"),
    "origin_part_intro": (
        "此电池包由另一追溯平台移交至本平台。以下是来源平台的记录（移交时收到的离线证据包），每次显示时重新核验。",
        "This pack was handed over to this platform by another traceability platform. Below is the origin's record "
        "(the offline bundle received with the pack), verified again each time it is shown.",
    ),
    "origin_verified": ("已按 {platform} 的日志公钥核验", "verified against {platform}'s log key"),
    "origin_unverified": ("来源平台的记录未能核验：", "The origin's record is not verified: "),
    "local_part_title": ("本平台的记录", "This platform's record"),
    "local_verified": ("本平台记录已核验", "this platform's record is verified"),
    "transferred_to": ("移交至外省平台", "Handed over to"),
    "arrived_from": ("来源平台", "Received from"),
    "arrived_maker": ("（来源平台上的生产企业）", "(the producer on the origin platform)"),
}
EVENT_NAMES_FED: dict[str, tuple[str, str]] = {
    "transferred": ("移交外省平台", "handed over to another platform"),
    "arrived": ("外省移交接收", "received from another platform"),
}
ACTION_NAMES_FED: dict[str, tuple[str, str]] = {"transferred": ("移交外省平台", "Hand over to another platform")}
STATUS_NAMES_FED: dict[str, tuple[str, str]] = {"transferred": ("已移交外省平台", "transferred to another platform")}
FIELD_NAMES_FED: dict[str, tuple[str, str]] = {
    "platform": ("平台", "platform"),
    "platform_key": ("来源平台日志公钥", "origin log key"),
    "transfer": ("来源平台移交记录", "origin's transfer entry"),
    "bundle_sha256": ("来源证据包 SHA-256", "origin bundle SHA-256"),
    "produced": ("来源平台生产数据", "origin's production data"),
    "manufacturer": ("来源平台生产企业", "origin's producer"),
    "index": ("日志序号", "log index"),
}

"""The recall campaign pages' words (api/web/recalls.py): Simplified Chinese, English."""

from __future__ import annotations

MESSAGES_RECALLS: dict[str, tuple[str, str]] = {
    "nav_campaigns": ("召回活动", "Recall campaigns"),
    "campaigns_title": ("召回活动", "Recall campaigns"),
    "campaigns_intro": (
        "每项召回活动为范围内的每块电池记录一条已签名的“召回”记录。带有活动编号的维修记录，或召回后的退役、"
        "梯次利用、拆解、再生利用，视为已处置；截止日期之后仍未处置的电池为逾期。",
        "Each recall campaign records one signed `recalled` entry per pack in its scope. A pack is remedied by a "
        "`serviced` entry naming the campaign, or by being retired, repurposed, dismantled or recycled after the "
        "recall; a pack not remedied after the due date is overdue.",
    ),
    "campaigns_none": ("尚无召回活动。", "No recall campaigns yet."),
    "campaign_id": ("活动编号", "Campaign"),
    "campaign_reason": ("召回原因", "Reason"),
    "campaign_scope": ("召回范围", "Scope"),
    "campaign_due": ("截止日期", "Due"),
    "campaign_created_by": ("发起单位", "Created by"),
    "campaign_created_at": ("发起时间", "Created at"),
    "campaign_packs": ("电池数", "Packs"),
    "campaign_remedied": ("已处置", "Remedied"),
    "campaign_overdue": ("逾期", "Overdue"),
    "campaign_completion": ("完成率", "Completion"),
    "campaign_excluded": ("范围内已退出使用（未召回）", "In scope but out of use already (not recalled)"),
    "campaign_overdue_title": ("逾期未处置的电池", "Overdue packs"),
    "campaign_packs_title": ("范围内的电池", "Packs in scope"),
    "campaign_recalled_at": ("召回时间", "Recalled at"),
    "campaign_remedy": ("处置方式", "Remedy"),
    "campaign_remedied_at": ("处置时间", "Remedied at"),
    "campaign_not_recalled": ("未记录", "not in the log"),
    "campaign_more": (
        "另有 {n} 块逾期电池，见下表及 CSV。",
        "And {n} more overdue packs: see the table below and the CSV.",
    ),
    "campaign_back": ("返回召回活动列表", "Back to the campaigns"),
}

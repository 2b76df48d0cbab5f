"""The web pages' words in Simplified Chinese (the default) and English.

A page's language comes from `?lang=` (which also sets the `lang` cookie), else the cookie, else Chinese.
Every text a template shows goes through `Words`: a missing key is a bug the tests catch, never a blank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Request

from api.web.i18n_calendar import MESSAGES_CALENDAR
from api.web.i18n_cells import MESSAGES_CELLS
from api.web.i18n_corrections import MESSAGES_CORRECTIONS
from api.web.i18n_fed import ACTION_NAMES_FED, EVENT_NAMES_FED, FIELD_NAMES_FED, MESSAGES_FED, STATUS_NAMES_FED
from api.web.i18n_fed2 import MESSAGES_FED2
from api.web.i18n_importers import MESSAGES_IMPORTERS
from api.web.i18n_life16 import ACTION_NAMES_LIFE16, MESSAGES_LIFE16
from api.web.i18n_lots import ACTION_NAMES_LOTS, EVENT_NAMES_LOTS, MESSAGES_LOTS, STATUS_NAMES_LOTS
from api.web.i18n_makers import MESSAGES_MAKERS
from api.web.i18n_owners import EVENT_NAMES_OWNERS, MESSAGES_OWNERS
from api.web.i18n_passclaim import EVENT_NAMES_PASSCLAIM, FIELD_NAMES_PASSCLAIM
from api.web.i18n_passport import MESSAGES_PASSPORT
from api.web.i18n_recalls import MESSAGES_RECALLS
from api.web.i18n_regions import MESSAGES_REGIONS
from api.web.i18n_swaps import ACTION_NAMES_SWAPS, EVENT_NAMES_SWAPS, MESSAGES_SWAPS
from api.web.i18n_ui import ERROR_NAMES, ERROR_PATTERNS, FIELD_NAMES, MESSAGES_UI, RULE_NAMES, VALUE_NAMES
from api.web.i18n_unaccounted import MESSAGES_UNACCOUNTED
from api.web.i18n_warnings import MESSAGES_WARNINGS
from events.orgs import ROLE_NAMES_ZH, Role

LANGS = ("zh", "en")
DEFAULT_LANG = "zh"
LANG_COOKIE = "lang"

MESSAGES: dict[str, tuple[str, str]] = {
    # the frame
    "app_name": ("动力电池溯源管理平台", "Traction battery traceability"),
    "switch_lang": ("English", "中文"),
    "nav_overview": ("概览", "Overview"),
    "nav_packs": ("电池查询", "Packs"),
    "nav_recall": ("召回追溯", "Recall trace"),
    "nav_compliance": ("合规", "Compliance"),
    "nav_recovery": ("回收率", "Recovery"),
    "nav_orgs": ("企业统计", "Organisations"),
    "nav_scan": ("扫码", "Scan"),
    "logout": ("退出", "Log out"),
    "logged_in_as": ("当前登录", "Logged in as"),
    "skip_to_content": ("跳到正文", "Skip to content"),
    # login
    "login_title": ("登录", "Log in"),
    "login_intro": (
        "请输入贵单位的访问令牌（即 API 令牌）。令牌只用于登录，不保存在浏览器中；退出登录即结束会话。",
        "Enter your organisation's API token. It is used to log in only, never kept in the browser; "
        "logging out ends the session.",
    ),
    "token": ("访问令牌", "API token"),
    "login_button": ("登录", "Log in"),
    "login_failed": ("令牌无效，请检查后重试。", "That token is not valid; check it and try again."),
    "login_throttled": (
        "登录失败次数过多，请 {minutes} 分钟后再试。",
        "Too many failed logins: try again in {minutes} minutes.",
    ),
    # errors
    "error_title": ("出错了", "Something went wrong"),
    "forbidden_title": ("无权访问", "Not allowed"),
    "forbidden_text": (
        "此页面仅对监管部门开放。您当前的登录身份无权访问。",
        "This page is for regulators only. The organisation you are logged in as may not open it.",
    ),
    "not_found_title": ("未找到", "Not found"),
    "back_home": ("返回", "Back"),
    # the public pack page
    "pack_public_title": ("动力电池信息", "Battery pack"),
    "code": ("电池编码", "Battery code"),
    "maker": ("生产企业", "Maker"),
    "maker_code": ("厂商代码", "Maker code"),
    "chemistry": ("电池类型", "Chemistry"),
    "production_date": ("生产日期", "Production date"),
    "rated_capacity": ("额定容量", "Rated capacity"),
    "status": ("状态", "Status"),
    "eu_status": ("欧盟电池护照状态", "EU battery status"),
    "flags": ("标记", "Flags"),
    "recalled_notice": ("此电池属于召回批次，请联系生产企业。", "This pack is under recall: contact its maker."),
    "public_note": (
        "本页面显示公开信息。企业用户可登录后扫码查看更多信息并上报流转事件。",
        "This page shows the public record. Organisations can log in and scan to see more and report events.",
    ),
    "act_on_pack": ("企业扫码处理", "Scan as an organisation"),
    # scan
    "scan_title": ("扫码", "Scan a label"),
    "scan_intro": (
        "拍摄或上传电池标签照片，或输入电池编码。",
        "Take or upload a photo of the pack's label, or type its code.",
    ),
    "photo": ("标签照片", "Label photo"),
    "or_type_code": ("或输入编码", "or type the code"),
    "scan_button": ("识别", "Look up"),
    "scan_as": ("以此单位身份操作", "Acting as"),
    "scan_needs_org": (
        "平台管理员令牌不代表任何企业，无法上报事件。请使用企业令牌登录。",
        "The admin token is no organisation and cannot post events; log in with an organisation's token.",
    ),
    "history": ("流转记录", "History"),
    "next_actions": ("可进行的操作", "What you can do now"),
    "no_actions": ("您目前不能对此电池进行任何操作。", "There is nothing you may post on this pack now."),
    "done": ("已上报", "Recorded"),
    "custodian": ("当前持有方", "Custodian"),
    "receiver": ("收货方", "Receiver"),
    "sender": ("发货方", "Sender"),
    "platform_signed": (
        "事件将由平台以贵单位托管的签名密钥签名，并在密钥登记中标注为平台托管。",
        "Events are signed with your organisation's platform-held key, marked so in the key registry.",
    ),
    "submit": ("提交", "Submit"),
    # the regulator's overview
    "overview_title": ("监管概览", "Regulator overview"),
    "packs_total": ("电池总数", "Packs"),
    "entries_total": ("事件总数", "Events recorded"),
    "late_total": ("迟报事件", "Late reports"),
    "unaccounted_total": ("流向不明", "Whereabouts unknown"),
    "chart_status": ("按状态分布", "Packs by status"),
    "chart_per_day": ("近 30 天每日事件（按发生日期）", "Events per day, last 30 days (by date they happened)"),
    "chart_timeliness": ("各企业上报及时性", "Timeliness by organisation"),
    "chart_recovery": ("再生利用回收率（全省）", "Material recovery rates (province)"),
    "on_time": ("按时", "On time"),
    "late": ("迟报", "Late"),
    "threshold": ("门槛", "Threshold"),
    "as_of": ("统计时间", "As of"),
    "no_data": ("暂无数据", "No data yet"),
    # the overview's witness panel (docs/ledger-format.md §4.3)
    "witness_title": ("见证者副署", "Witness cosignatures"),
    "witness_intro": (
        "日志的检查点提交给独立见证者副署；见证者只副署与其此前所见一致的检查点，以防向不同方展示不同的日志。",
        "The log submits its checkpoints to independent witnesses, who cosign only a checkpoint consistent "
        "with every one they saw before, so that nobody can be shown another log.",
    ),
    "witness_none": ("未配置见证者（PACKTRACE_WITNESSES）。", "No witnesses configured (PACKTRACE_WITNESSES)."),
    "witness_name": ("见证者", "Witness"),
    "witness_url": ("地址", "URL"),
    "witness_state": ("状态", "State"),
    "witness_size": ("已副署的日志规模", "Cosigned log size"),
    "witness_when": ("最近副署时间", "Last cosigned"),
    "witness_error": ("最近错误", "Last error"),
    "witness_ok": ("正常", "OK"),
    "witness_failing": ("异常", "Failing"),
    "witness_pending": ("尚未联系", "Not asked yet"),
    # search and the pack dossier
    "search_title": ("电池查询", "Find a pack"),
    "search_hint": (
        "输入电池编码（或前缀）、车辆识别代号（VIN）、厂商代码或企业标识",
        "A battery code (or its start), a VIN, a maker code or an organisation id",
    ),
    "search_button": ("查询", "Search"),
    "results": ("查询结果", "Results"),
    "more_results": ("结果过多，仅显示前 50 条，请缩小范围。", "Only the first 50 are shown; narrow the search."),
    "no_results": ("没有找到匹配的电池。", "No pack matches."),
    "vin": ("车辆识别代号", "VIN"),
    "site": ("储能电站", "Storage site"),
    "dossier_title": ("电池档案", "Pack record"),
    "verified": ("已验证", "Verified"),
    "verification_failed": ("验证失败", "Verification failed"),
    "verified_text": (
        "平台依据最新签名检查点，用日志公钥独立验证了本电池全部 {entries} 条记录的签名、哈希链"
        "及默克尔包含证明（树大小 {size}）。",
        "All {entries} entries of this pack were verified against the latest signed checkpoint with the "
        "log's public key: signatures, hash chain and Merkle inclusion (tree size {size}).",
    ),
    "verified_window_text": (
        "平台依据最新签名检查点，用日志公钥独立验证了本页显示的 {entries} 条记录（序号 {first}–{last}，共 {total} 条）"
        "的签名、哈希链及默克尔包含证明（树大小 {size}）。",
        "The {entries} entries shown (seq {first}–{last} of {total}) were verified against the latest signed "
        "checkpoint with the log's public key: signatures, hash chain and Merkle inclusion (tree size {size}).",
    ),
    "entries_shown": ("显示序号 {first}–{last}，共 {total} 条", "Showing seq {first}–{last} of {total}"),
    "older_entries": ("更早的记录", "Older entries"),
    "newer_entries": ("更新的记录", "Newer entries"),
    "verification_failed_text": (
        "记录未能通过验证，可能已被篡改：",
        "The record did not verify and may have been altered:",
    ),
    "checkpoint": ("签名检查点", "Signed checkpoint"),
    "policy_cosigned": (
        "按信任策略核验：检查点由信任策略中的日志公钥签名，并经见证方 {witnesses} 联署，满足法定人数要求（{quorum}）。",
        "Checked against the trust policy: the checkpoint is signed by a log key of the policy and cosigned by "
        "the witnesses {witnesses}, which meets its quorum ({quorum}).",
    ),
    "policy_nobody": ("（无）", "(none)"),
    "verified_complete": (
        "记录完整：日志第 {commitment} 条的头部承诺表明本电池的最后一条记录为序号 {seq}，无记录被截去。",
        "Complete: the log's head commitment (entry {commitment}) names seq {seq} as this pack's last entry, so no "
        "entry was cut from the end.",
    ),
    "policy_key_only": (
        "未配置信任策略：仅用日志公钥核验，未要求见证方联署，无法排除日志向不同方展示不同历史（分叉视图）。",
        "No trust policy is configured: checked with the log's key only, no witness cosignature required, so a "
        "split view (the log showing different parties different histories) is not ruled out.",
    ),
    "policy_quorum_needed": (
        "信任策略要求的见证法定人数：{quorum}。",
        "The trust policy's witness quorum: {quorum}.",
    ),
    "vehicles": ("装车记录", "Vehicles and sites"),
    "from": ("起", "From"),
    "until": ("止", "Until"),
    "now": ("至今", "now"),
    "custody_history": ("持有方变更", "Custody"),
    "timeline": ("时间线", "Timeline"),
    "occurred": ("发生时间", "Happened"),
    "recorded": ("上报时间", "Recorded"),
    "actor": ("上报单位", "Reported by"),
    "event": ("事件", "Event"),
    "details": ("详情", "Details"),
    "index": ("日志序号", "Log index"),
    "hash": ("哈希", "Hash"),
    "wd_late": ("迟报 {n} 个工作日", "{n} working days late"),
    "via": ("方式", "Via"),
    # recall
    "recall_title": ("召回追溯", "Recall trace"),
    "recall_intro": (
        "按生产企业、生产日期范围、电池类型或规格代码查找召回批次中每一块电池的当前去向。",
        "Find where every pack of a recall batch is now, by maker, production dates, chemistry or spec code.",
    ),
    "manufacturer": ("生产企业（厂商代码或企业标识）", "Maker (maker code or org id)"),
    "produced_from": ("生产日期自", "Produced from"),
    "produced_to": ("生产日期至", "Produced to"),
    "spec": ("规格代码", "Spec code"),
    "any": ("不限", "any"),
    "trace_button": ("追溯", "Trace"),
    "download_csv": ("下载 CSV", "Download CSV"),
    "matched": ("共 {n} 块电池", "{n} packs"),
    "truncated": ("结果已截断，请缩小范围。", "The list is cut short; narrow the filter."),
    # compliance
    "compliance_title": ("合规情况", "Compliance"),
    "ruleset": ("规则版本", "Rule set"),
    "late_by_org_rule": ("按企业与规则统计迟报", "Late reports by organisation and rule"),
    "org": ("企业", "Organisation"),
    "timed": ("应限期上报事件", "Events with a deadline"),
    "late_pct": ("迟报率", "Late rate"),
    "rule": ("规则", "Rule"),
    "late_entries": ("迟报明细", "Late reports"),
    "due": ("应报截止日", "Due"),
    "unaccounted_title": ("流向不明电池", "Packs whose whereabouts are unknown (流向不明)"),
    "reason": ("原因", "Reason"),
    "since": ("起始时间", "Since"),
    "days": ("天数", "Days"),
    "none_unaccounted": ("没有流向不明的电池。", "No pack is unaccounted for."),
    "none_late": ("没有迟报。", "No late reports."),
    "shown_first": ("仅显示前 {n} 条，完整列表请下载 CSV。", "The first {n} are shown; the CSV has them all."),
    "reason_retired-not-collected": ("退役后未被回收网点、梯次或再生利用企业接收", "Retired, not collected since"),
    "reason_shipped-not-received": ("已发货未被接收", "Shipped, not received"),
    # recovery
    "recovery_title": ("再生利用回收率", "Material recovery"),
    "recovery_intro": (
        "按《新能源汽车废旧动力电池综合利用行业规范条件》（{version}）门槛："
        "镍、钴、锰 ≥ 98%，锂 ≥ 90%，电极粉料 ≥ 98%。",
        "Against the thresholds of the industry's 规范条件 ({version}): Ni, Co, Mn ≥ 98 %, Li ≥ 90 %, "
        "electrode powder ≥ 98 %.",
    ),
    "implausible_title": ("未计入的记录", "Left out of the sums"),
    "implausible_intro": (
        "以下再生利用记录的质量超出单个电池包可能的范围（0–10 吨），为数量上限生效前记录，未计入回收率。",
        "These recycling entries give masses outside what one pack can weigh (0–10 t); they were recorded "
        "before payloads were bounded and are left out of the rates.",
    ),
    "entry_index": ("日志序号", "Log index"),
    "recycler": ("再生利用企业", "Recycler"),
    "element": ("元素", "Element"),
    "events": ("批次数", "Batches"),
    "content_kg": ("含量 (kg)", "Content (kg)"),
    "recovered_kg": ("回收量 (kg)", "Recovered (kg)"),
    "rate": ("回收率", "Rate"),
    "below": ("低于门槛", "Below threshold"),
    "events_below": ("低于门槛批次", "Batches below"),
    "whitelisted": ("规范条件企业", "On the 规范条件 list"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    # organisations
    "orgs_title": ("企业统计", "Organisations"),
    "roles": ("角色", "Roles"),
    "entries": ("上报事件", "Events"),
    "custody": ("持有电池", "Packs held"),
    "recycled": ("再生利用批次", "Recycled batches"),
}
MESSAGES.update(MESSAGES_CALENDAR)
MESSAGES.update(MESSAGES_WARNINGS)
MESSAGES.update(MESSAGES_UNACCOUNTED)
MESSAGES.update(MESSAGES_MAKERS)
MESSAGES.update(MESSAGES_REGIONS)

STATUS_NAMES: dict[str, tuple[str, str]] = {
    "produced": ("已生产", "produced"),
    "in_transit": ("运输中", "in transit"),
    "in_stock": ("在库", "in stock"),
    "in_vehicle": ("装车使用中", "in a vehicle"),
    "in_storage_system": ("储能使用中", "in a storage system"),
    "retired": ("已退役", "retired"),
    "repurposed": ("已梯次利用", "repurposed"),
    "dismantled": ("已拆解", "dismantled"),
    "recycled": ("已再生利用", "recycled"),
    "lost": ("丢失", "lost"),
    "exported": ("已出口", "exported"),
    # the public tier's coarse statuses
    "in_circulation": ("流通中", "in circulation"),
    "in_use": ("使用中", "in use"),
    "end_of_life": ("已报废处理", "end of life"),
}

EVENT_NAMES: dict[str, tuple[str, str]] = {
    "produced": ("生产", "produced"),
    "shipped": ("出库/移交", "shipped"),
    "received": ("入库/接收", "received"),
    "installed": ("装车/安装", "installed"),
    "removed": ("拆卸", "removed"),
    "serviced": ("维修", "serviced"),
    "retired": ("退役", "retired"),
    "inspected": ("检测", "inspected"),
    "repurposed": ("梯次利用", "repurposed"),
    "dismantled": ("拆解", "dismantled"),
    "recycled": ("再生利用", "recycled"),
    "incident": ("事故", "incident"),
    "recalled": ("召回", "recalled"),
    "corrected": ("更正", "corrected"),
    "lost": ("丢失", "lost"),
    "exported": ("出口", "exported"),
    "found": ("找回", "found"),
}

# The button a scan page shows for each event type: what the person does.
ACTION_NAMES: dict[str, tuple[str, str]] = {
    "received": ("确认接收", "Acknowledge receipt"),
    "shipped": ("发货/移交", "Ship / hand over"),
    "installed": ("安装", "Install"),
    "removed": ("拆卸", "Remove"),
    "serviced": ("记录维修", "Record a repair"),
    "retired": ("退役", "Retire"),
    "inspected": ("检测分级", "Inspect and grade"),
    "repurposed": ("梯次利用", "Repurpose"),
    "dismantled": ("拆解", "Dismantle"),
    "recycled": ("再生利用", "Report recovery"),
    "incident": ("报告事故", "Report an incident"),
    "recalled": ("召回", "Recall"),
    "corrected": ("更正", "Correct"),
    "lost": ("报告丢失", "Report lost"),
    "exported": ("出口", "Export"),
    "found": ("找回", "Found"),
}

ROLE_NAMES: dict[str, tuple[str, str]] = {
    str(role): (ROLE_NAMES_ZH[role], str(role).replace("_", " ")) for role in Role
}

MESSAGES.update(MESSAGES_RECALLS)
MESSAGES.update(MESSAGES_CORRECTIONS)
MESSAGES.update(MESSAGES_SWAPS)
MESSAGES.update(MESSAGES_IMPORTERS)
EVENT_NAMES.update(EVENT_NAMES_SWAPS)
ACTION_NAMES.update(ACTION_NAMES_SWAPS)
MESSAGES.update(MESSAGES_OWNERS)
EVENT_NAMES.update(EVENT_NAMES_OWNERS)
MESSAGES.update(MESSAGES_LOTS)
EVENT_NAMES.update(EVENT_NAMES_LOTS)
ACTION_NAMES.update(ACTION_NAMES_LOTS)
STATUS_NAMES.update(STATUS_NAMES_LOTS)
MESSAGES.update(MESSAGES_FED)
MESSAGES.update(MESSAGES_FED2)
EVENT_NAMES.update(EVENT_NAMES_FED)
ACTION_NAMES.update(ACTION_NAMES_FED)
STATUS_NAMES.update(STATUS_NAMES_FED)
FIELD_NAMES.update({name: words for name, words in FIELD_NAMES_FED.items() if name not in FIELD_NAMES})
MESSAGES.update(MESSAGES_UI)
MESSAGES.update(MESSAGES_LIFE16)
ACTION_NAMES.update(ACTION_NAMES_LIFE16)
MESSAGES.update(MESSAGES_CELLS)
MESSAGES.update(MESSAGES_PASSPORT)
EVENT_NAMES.update(EVENT_NAMES_PASSCLAIM)
FIELD_NAMES.update(FIELD_NAMES_PASSCLAIM)


def pick_lang(request: Request) -> str:
    """`?lang=`, else the cookie, else Chinese."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGS:
            return candidate
    return DEFAULT_LANG


@dataclass(frozen=True)
class Words:
    """The words of one language, for the templates: `t("key", n=3)`, `status("in_stock")`, …"""

    lang: str

    def _pick(self, pair: tuple[str, str]) -> str:
        return pair[LANGS.index(self.lang)]

    def __call__(self, key: str, **values: object) -> str:
        text = self._pick(MESSAGES[key])
        return text.format(**values) if values else text

    def status(self, name: str) -> str:
        return self._pick(STATUS_NAMES[name]) if name in STATUS_NAMES else name

    def event(self, name: str) -> str:
        return self._pick(EVENT_NAMES[name]) if name in EVENT_NAMES else name

    def action(self, name: str) -> str:
        return self._pick(ACTION_NAMES[name]) if name in ACTION_NAMES else name

    def pair(self, pair: tuple[str, str]) -> str:
        """One of a (Chinese, English) pair kept next to the code that uses it."""
        return self._pick(pair)

    def field(self, name: str) -> str:
        """A payload member's name (`feed_mass_kg` → 投料重量)."""
        return self._pick(FIELD_NAMES[name]) if name in FIELD_NAMES else name

    def value(self, value: object) -> str:
        """A closed value's name (`waste` → 废旧电池); anything else as it is."""
        text = str(value)
        return self._pick(VALUE_NAMES[text]) if text in VALUE_NAMES else text

    def rule(self, rule: str) -> str:
        """A reporting rule's name (`installation-15wd` → 装车 15 个工作日), or a rule set's title."""
        return self._pick(RULE_NAMES[rule]) if rule in RULE_NAMES else rule

    def error(self, code: str | None, message: str, status: int) -> str:
        """An error for a person: its own message in English; in Chinese its code's sentence, else its status's."""
        if self.lang == "en":
            return message
        for pattern, sentence in ERROR_PATTERNS:
            if (match := re.search(pattern, message)) is not None:
                found = match.groupdict()
                if "event" in found:
                    found["event"] = self.event(found["event"])
                return sentence.format(**found)
        if code in ERROR_NAMES:
            return self._pick(ERROR_NAMES[code])
        key = f"error_generic_{status}"
        return self(key if key in MESSAGES else ("error_generic_500" if status >= 500 else "error_generic_400"))

    def role(self, name: str) -> str:
        return self._pick(ROLE_NAMES[name]) if name in ROLE_NAMES else name

    @property
    def other(self) -> str:
        return LANGS[1 - LANGS.index(self.lang)]

    @property
    def html_lang(self) -> str:
        return "zh-CN" if self.lang == "zh" else "en"

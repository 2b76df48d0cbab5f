"""The Chinese UI finished (issue 19): the names of payload fields and of their closed values, the EU
battery statuses, errors by code, and the scan page's and the CSVs' words; Simplified Chinese, English.

Errors: a page shows the error's own (English) message in English, and in Chinese the sentence of its code
here, else the generic one of its HTTP status; the code itself is shown as a code."""

from __future__ import annotations

MESSAGES_UI: dict[str, tuple[str, str]] = {
    "admin_token_name": ("平台管理员令牌", "the admin token"),
    "error_code": ("错误代码", "Error code"),
    "error_generic_400": ("请求有误，请检查输入后重试。", "The request is not valid; check it and try again."),
    "error_generic_401": ("请先登录。", "Log in first."),
    "error_generic_403": ("您当前的登录身份无权进行此操作。", "The organisation you are logged in as may not do this."),
    "error_generic_404": ("未找到所请求的内容。", "Nothing was found there."),
    "error_generic_409": ("操作与当前记录冲突，请刷新后重试。", "That conflicts with the record as it stands now."),
    "error_generic_422": ("输入有误，请检查后重试。", "The input is not valid; check it and try again."),
    "error_generic_429": ("请求过于频繁，请稍后再试。", "Too many requests: try again shortly."),
    "error_generic_500": ("服务器出错，请稍后再试。", "The server failed; try again later."),
    "error_generic_503": ("服务暂不可用，请稍后再试。", "The service is unavailable; try again shortly."),
    "counterparty": ("收货单位", "Receiving organisation"),
    "pick_one": ("请选择", "Choose"),
    "other_actions": ("其他操作", "Other actions"),
    "csv_yes": ("是", "yes"),
    "csv_no": ("否", "no"),
}

# the messages of error codes (api/errors.py's families and the codes raised in events/, ledger/, api/)
ERROR_NAMES: dict[str, tuple[str, str]] = {
    "unknown_pack": ("没有此编码的电池。", "No pack has this code."),
    "foreign_code": ("这不是本平台的电池标签或编码。", "That is not a label or code of this platform."),
    "invalid_code": ("电池编码无效，请核对后重试。", "That is not a valid battery code."),
    "no_labels": ("照片中未识别到电池标签，请重拍或输入编码。", "No label was found in the photo."),
    "too_many_labels": ("照片中有多个标签，请只拍一个。", "The photo shows more than one label."),
    "illegal_transition": ("电池当前状态不允许此操作。", "The pack's status does not allow this."),
    "forbidden": ("您当前的登录身份无权进行此操作。", "You may not do this."),
    "stale_prev": ("电池记录已更新，请刷新页面后重试。", "The pack's record changed meanwhile; reload and try again."),
    "invalid_payload": ("填写的内容不符合要求，请检查后重试。", "The form's values are not valid."),
    "invalid_request": ("请求有误，请检查输入后重试。", "The request is not valid."),
    "invalid_filter": (
        "查询条件无效，请检查输入（日期格式为 YYYY-MM-DD）。",
        "The filter is not valid (dates are YYYY-MM-DD).",
    ),
    "invalid_range": ("日期范围无效。", "The date range is not valid."),
    "unknown_org": ("没有此企业。", "No such organisation."),
    "unknown_campaign": ("没有此召回活动。", "No such recall campaign."),
    "unknown_entry": ("没有此日志记录。", "No such log entry."),
    "not_found": ("未找到所请求的内容。", "Not found."),
    "out_of_jurisdiction": ("此电池不在您的监管辖区内。", "This pack is outside your jurisdiction."),
    "cross_site_post": ("表单来自其他网站，已拒绝。请从本站页面重新提交。", "The form came from another site."),
    "unauthenticated": ("请先登录。", "Log in first."),
    "session_ended": ("会话已结束，请重新登录。", "The session has ended; log in again."),
    "platform_keys_not_configured": (
        "此服务器未配置平台托管密钥，暂不能上报事件。",
        "This server has no sealing secret: it cannot sign with platform-held keys.",
    ),
    "no_platform_key": ("贵单位尚无平台托管的签名密钥。", "Your organisation has no platform-held key."),
    "unavailable": ("服务繁忙，请稍后再试。", "Busy: try again shortly."),
    "invalid_vin": ("车辆识别代号（VIN）无效。", "That VIN is not valid."),
    "too_many": ("数量过多。", "Too many."),
    "too_long": ("内容过长。", "Too long."),
    "not_an_organisation": ("平台管理员令牌不代表任何企业。", "The admin token is no organisation."),
    "invalid_token": ("令牌无效。", "That token is not valid."),
}

# the members of event payloads (events/catalogue.py) as the dossier names them
FIELD_NAMES: dict[str, tuple[str, str]] = {
    "batch": ("批次", "batch"),
    "box_code": ("箱体编码", "box code"),
    "campaign": ("召回活动", "campaign"),
    "cells": ("电芯", "cells"),
    "chemistry": ("电池类型", "chemistry"),
    "code": ("电池编码", "code"),
    "content_kg": ("含量", "content"),
    "country": ("国家", "country"),
    "custodian": ("持有单位", "custodian"),
    "customs_declaration": ("报关单号", "customs declaration"),
    "description": ("描述", "description"),
    "destination": ("目的国", "destination"),
    "direction": ("方向", "direction"),
    "due": ("到期", "due"),
    "feed_mass_kg": ("投料重量", "feed mass"),
    "fields": ("字段", "fields"),
    "foreign_manufacturer": ("境外生产企业", "foreign manufacturer"),
    "import_date": ("进口日期", "import date"),
    "imported": ("进口", "imported"),
    "internal_resistance_mohm": ("内阻", "internal resistance"),
    "into": ("并入", "into"),
    "kind": ("类型", "kind"),
    "lessee": ("承租方", "lessee"),
    "mass_kg": ("重量", "mass"),
    "modules": ("模组", "modules"),
    "name": ("名称", "name"),
    "new": ("新值", "new"),
    "nominal_voltage_v": ("标称电压", "nominal voltage"),
    "note": ("说明", "note"),
    "old": ("原值", "old"),
    "origins": ("来源电池", "origins"),
    "outputs": ("产出物", "outputs"),
    "partner": ("配对电池", "partner"),
    "plant": ("生产基地", "plant"),
    "rated_capacity_kwh": ("额定容量", "rated capacity"),
    "reason": ("原因", "reason"),
    "recovered_kg": ("回收量", "recovered"),
    "reference": ("参考编号", "reference"),
    "remanufactured": ("再制造", "remanufactured"),
    "replaced_modules": ("更换模组", "replaced modules"),
    "residual_capacity_kwh": ("剩余容量", "residual capacity"),
    "safety_class": ("安全等级", "safety class"),
    "scrap_certificate": ("报废汽车回收证明编号", "scrap certificate"),
    "sender": ("发货方", "sender"),
    "severity": ("严重程度", "severity"),
    "site": ("储能电站", "site"),
    "soh_pct": ("健康度 SOH", "state of health"),
    "target": ("目标", "target"),
    "to": ("收货单位", "to"),
    "until": ("截止", "until"),
    "verdict": ("结论", "verdict"),
    "vin": ("车辆识别代号", "VIN"),
    "waybill": ("运单号", "waybill"),
    "owner": ("所有权人", "owner"),
    "from": ("原所有权人", "from"),
    "lessor": ("出租方", "lessor"),
}

# the units a member's name ends in, shown after its number
FIELD_UNITS: dict[str, str] = {"_kg": "kg", "_kwh": "kWh", "_v": "V", "_pct": "%", "_mohm": "mΩ"}

# the closed values of payload members (events/catalogue.py's Literals), the EU statuses and the chemistries
VALUE_NAMES: dict[str, tuple[str, str]] = {
    # removed.reason, retired.reason
    "repair": ("维修", "repair"),
    "replacement": ("更换", "replacement"),
    "swap": ("换电", "swap"),
    "retirement": ("退役", "retirement"),
    "scrap": ("报废", "scrap"),
    "end_of_life": ("寿命终止", "end of life"),
    "vehicle_scrapped": ("车辆报废", "vehicle scrapped"),
    "damaged": ("损坏", "damaged"),
    "recall": ("召回", "recall"),
    "other": ("其他", "other"),
    # inspected.verdict
    "reuse": ("再使用", "reuse"),
    "repurpose": ("梯次利用", "repurpose"),
    "recycle": ("再生利用", "recycle"),
    # dismantled outputs' kind
    "module": ("模组", "module"),
    "cell": ("电芯", "cell"),
    "material": ("材料", "material"),
    # incident kind and severity
    "thermal_event": ("热失控", "thermal event"),
    "collision": ("碰撞", "collision"),
    "flood": ("水浸", "flood"),
    "fire": ("火灾", "fire"),
    "low": ("轻微", "low"),
    "medium": ("一般", "medium"),
    "high": ("严重", "high"),
    "critical": ("特别严重", "critical"),
    # swapped direction
    "out": ("换出", "out"),
    "in": ("换入", "in"),
    # lease_ended reason
    "expired": ("到期", "expired"),
    "terminated": ("提前终止", "terminated"),
    "bought_out": ("买断", "bought out"),
    "retired": ("退役", "retired"),
    # EU battery statuses (events/eu_status.py)
    "original": ("原装", "original"),
    "repurposed": ("已梯次利用", "repurposed"),
    "re-used": ("再使用", "re-used"),
    "remanufactured": ("再制造", "remanufactured"),
    "waste": ("废旧电池", "waste"),
    # chemistries that are words, not codes
    "sodium-ion": ("钠离子", "sodium-ion"),
    # the recovered electrode powder (events/elements.py)
    "electrode_powder": ("电极粉料", "electrode powder"),
}

# the reporting rules (events/deadlines.py) by id, and the rule sets' titles, as a page names them
RULE_NAMES: dict[str, tuple[str, str]] = {
    "installation-15wd": ("装车 15 个工作日", "installation: 15 working days"),
    "repair-replacement-30wd": ("维修更换 30 个工作日", "repair or replacement: 30 working days"),
    "collection-intake-30wd": ("回收网点接收 30 个工作日", "collection point intake: 30 working days"),
    "collection-handover-30wd": ("回收网点移交 30 个工作日", "collection point hand-over: 30 working days"),
    "dismantler-removal-15wd": ("拆解企业拆卸 15 个工作日", "dismantler removal: 15 working days"),
    "dismantler-handover-15wd": ("拆解企业移交 15 个工作日", "dismantler hand-over: 15 working days"),
    "second-life-shipping-15wd": ("梯次产品出库 15 个工作日", "second-life shipping: 15 working days"),
    "recycler-intake-30wd": ("再生利用企业接收 30 个工作日", "recycler intake: 30 working days"),
    "recycler-completion-30wd": ("再生利用完成 30 个工作日", "recycler completion: 30 working days"),
    "import-15wd": ("进口商通关后 15 个工作日", "importer: 15 working days after clearance"),
    "新能源汽车动力蓄电池回收利用溯源管理暂行规定 (2018)，含进口商时限 (with the importer deadline)": (
        "新能源汽车动力蓄电池回收利用溯源管理暂行规定 (2018)，含进口商时限",
        "Interim provisions on the traceability of traction battery recycling (2018), with the importer deadline",
    ),
    "新能源汽车动力蓄电池回收利用溯源管理暂行规定 (2018)": (
        "新能源汽车动力蓄电池回收利用溯源管理暂行规定 (2018)",
        "Interim provisions on the traceability of traction battery recycling (2018)",
    ),
}

# errors whose English message names what was wrong: (pattern of the message, Chinese sentence); the
# pattern's groups fill the sentence ({event} is named as the page names events). First match wins; an error
# no pattern matches is said by its code (ERROR_NAMES), else by its HTTP status.
ERROR_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"unknown manufacturer '(?P<text>.*?)'", "没有与“{text}”相符的生产企业（企业标识、厂商代码或登记名称）。"),
    (r"unknown flag '(?P<text>.*?)'", "没有“{text}”这种标记；可选标记：已更正、事故、召回。"),
    (
        r"'(?P<text>.*?)' is not a code, VIN, maker code, organisation id or maker's name",
        "“{text}”不是电池编码、车辆识别代号、厂商代码、企业标识或生产企业名称。",
    ),
    (r"pack (?P<code>\S+) has never touched your jurisdiction", "电池 {code} 从未进入您的辖区，您无权查看其档案。"),
    (r"no pack entry at index (?P<index>\d+)", "日志中没有序号为 {index} 的电池记录。"),
    (r"'(?P<text>.*?)' is not a date", "“{text}”不是有效日期（格式为 YYYY-MM-DD）。"),
    (r"before: '(?P<text>.*?)' is not an entry's seq", "“{text}”不是有效的记录序号（应为整数）。"),
    (
        r"image of (?P<size>\S+) pixels is wider or taller than (?P<limit>[\d,]+) pixels",
        "照片为 {size} 像素，超过上限（长、宽均不超过 {limit} 像素），请重拍。",
    ),
    (r"the scanner is busy: (?P<n>\d+) photos are being read", "识别服务繁忙（正在识别 {n} 张照片），请稍后再试。"),
    (r"no QR code or barcode found", "照片中未找到二维码或条码，请重拍或直接输入编码。"),
    (r"stale prev for pack", "电池记录已在别处更新，请刷新页面后重试。"),
    (r"has no platform-held key", "贵单位尚无平台托管的签名密钥，不能在网页上报事件。"),
    (r"no sealing secret", "此服务器未配置平台托管密钥，暂不能上报事件。"),
    (
        r"'(?P<text>[^']*)' is not a peer platform of this one; configured peers \(PACKTRACE_PEERS\): none$",
        "本平台未配置对接的追溯平台（PACKTRACE_PEERS），不能移交至“{text}”。",
    ),
    (
        r"'(?P<text>[^']*)' is not a peer platform of this one; configured peers \(PACKTRACE_PEERS\): (?P<peers>.*)",
        "“{text}”不是与本平台对接的追溯平台；已对接的平台（PACKTRACE_PEERS）：{peers}。",
    ),
    (
        r"may not put pack (?P<code>\S+) into (?P<lot>\S+): the lot belongs to '(?P<owner>.*?)'",
        "电池 {code} 不能投入批次 {lot}：该批次属于 {owner}，只有它能向其中投料。",
    ),
    (
        r"data\.to: org '(?P<org>[^']*)' \([^)]*\) may not own a pack",
        "“{org}”不能成为所有权人：所有权人须为生产、汽车生产、进口、销售、租赁、换电运营或梯次利用企业。",
    ),
    (
        r"a lease is for a vehicle \(vin\) or a site, not both",
        "租赁对象是车辆（车辆识别代号）或站点，不能同时填写两者。",
    ),
    (
        r"unknown deadline rule set '(?P<text>.*?)'; known: (?P<known>.*)",
        "没有“{text}”这一时限规则版本；可选：{known}。",
    ),
    (r"may not post '(?P<event>\w+)'", "您当前的身份不能对此电池进行“{event}”操作。"),
    (r"unknown pack\S* (?P<code>\S+)", "没有编码为 {code} 的电池。"),
)

# the columns of the pages' CSV downloads (the report models' fields), in Chinese; an English CSV keeps the
# field names (what the API's CSVs have), so scripts read both the same way
CSV_HEADERS_ZH: dict[str, str] = {
    "code": "电池编码", "status": "状态", "custodian": "持有单位标识", "custodian_name": "持有单位",
    "manufacturer": "生产企业标识", "maker_code": "厂商代码", "chemistry": "电池类型", "spec": "规格代码",
    "production_date": "生产日期", "vin": "车辆识别代号", "site": "储能电站", "receiver": "收货单位标识",
    "index": "日志序号", "org": "企业标识", "org_name": "企业", "rule": "规则", "rule_text": "规则内容",
    "type": "事件", "pack": "电池编码", "occurred_at": "发生时间", "recorded_at": "上报时间", "due": "应报截止日",
    "working_days_late": "迟报工作日", "provisional": "暂定", "reason": "原因", "reason_zh": "原因（中文）",
    "reason_en": "原因（英文）", "since": "起始时间", "days": "天数", "limit_days": "时限", "limit_unit": "时限单位",
    "owner": "所有权人标识", "name": "名称", "timed": "应限期上报事件", "late": "迟报", "late_pct": "迟报率 (%)",
    "by_rule": "按规则迟报", "text": "规则内容", "working_days": "工作日时限", "recycler": "再生利用企业标识",
    "whitelisted": "规范条件企业", "element": "元素", "events": "批次数", "content_kg": "含量 (kg)",
    "recovered_kg": "回收量 (kg)", "rate": "比率", "threshold": "门槛", "below": "低于门槛",
    "events_below": "低于门槛批次", "corrected": "已更正", "corrections": "更正记录", "roles": "角色",
    "entries": "上报事件", "custody": "持有电池", "unaccounted": "流向不明",
    "owned_unaccounted": "所有权人名下流向不明",
    "recycled": "再生利用批次", "recycled_below": "低于门槛批次", "dimension": "分组维度", "group": "组别",
    "packs": "电池数", "incidents": "事故数", "thermal_incidents": "热事故数", "weighted_incidents": "加权事故数",
    "exposure_pack_days": "暴露（包·天）", "baseline_rate": "基准比率", "expected": "期望事故数", "statistic": "统计量",
    "p_value": "p 值", "produced_from": "生产日期自", "produced_to": "生产日期至", "trace": "追溯链接",
    "trace_api": "追溯接口", "trace_exact": "追溯精确", "trace_packs": "追溯电池数", "corrected_packs": "已更正电池数",
    "corrected_incidents": "已更正事故数", "recalled_at": "召回时间", "remedied": "已整改", "remedy": "整改方式",
    "remedied_at": "整改时间", "overdue": "逾期",
}  # fmt: skip

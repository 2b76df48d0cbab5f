"""What each event type and each payload field means, in Chinese and English, and an example of each event:
the words of the published JSON Schemas (`GET /v1/schemas/events/{type}`, events.schemas) and of the
generated docs/events.md.

Data only. `FIELD_TEXT` is keyed by the payload model's class name (events.catalogue) and the field's name
in JSON (its alias: `from`, not `origins`); tests/events/test_event_schemas.py checks that every field of
every model, nested ones included, is described here and nothing else is, and that every example is a
valid payload.
"""

from __future__ import annotations

from typing import Any

from events.catalogue import EventType

E = EventType

# (name zh, what it records zh, what it records en)
EVENT_TEXT: dict[EventType, tuple[str, str, str]] = {
    E.PRODUCED: ("生产", "电池包下线，建立其溯源链。", "The pack is made: the start of its chain."),
    E.SHIPPED: (
        "出库/移交",
        "持有方把电池包交给另一企业（在途）。",
        "The custodian hands the pack to another organisation (in transit).",
    ),
    E.RECEIVED: ("入库/接收", "被指定的接收方确认收到电池包。", "The named receiver acknowledges the pack."),
    E.INSTALLED: (
        "装车/安装",
        "电池包装入车辆或储能系统。",
        "The pack goes into a vehicle or a stationary storage system.",
    ),
    E.REMOVED: ("拆卸", "电池包从车辆或储能系统中拆下。", "The pack comes out of a vehicle or a storage system."),
    E.SERVICED: ("维修", "电池包被维修（可含模组更换）。", "The pack is repaired (module replacements included)."),
    E.RETIRED: ("退役", "电池包退出车用。", "The pack leaves automotive use."),
    E.INSPECTED: ("检测", "退役电池包的检测与分级。", "A retired pack is tested and graded."),
    E.REPURPOSED: (
        "梯次利用",
        "电池包改作梯次产品，获得新的编码。",
        "The pack becomes a second-life product under a new code.",
    ),
    E.DISMANTLED: (
        "拆解",
        "电池包被拆解为模组、单体或材料。",
        "The pack is taken apart into modules, cells or material.",
    ),
    E.RECYCLED: (
        "再生利用",
        "电池包材料被再生利用，记录各元素回收量。",
        "The pack's material is recycled: what each element held and what was recovered.",
    ),
    E.INCIDENT: (
        "事故",
        "电池包发生事故（热事件、碰撞、水淹、起火等）。",
        "Something happened to the pack (a thermal event, a collision, a flood, a fire, …).",
    ),
    E.RECALLED: ("召回", "电池包被列入召回活动。", "The pack is recalled under a campaign."),
    E.CORRECTED: (
        "更正",
        "更正此前一条记录中的数值（原记录保留）。",
        "Corrects values of an earlier entry (which stays as it was).",
    ),
    E.LOST: ("丢失", "电池包下落不明。", "The pack's whereabouts are unknown."),
    E.EXPORTED: ("出口", "电池包出口至境外。", "The pack leaves China."),
    E.FOUND: (
        "找回",
        "监管部门把丢失或出口的电池包重新纳入记录。",
        "A regulator brings a lost or exported pack back into the record.",
    ),
    E.SWAPPED: (
        "换电",
        "换电站换电的一半：换下（out）或换上（in）。",
        "One half of a battery swap: the pack taken out (out) or put in (in).",
    ),
    E.LOTTED: (
        "入批",
        "退役或已拆解的电池包进入再生利用企业的批次，与批次的其他投料一同破碎。",
        "A retired or dismantled pack goes into a recycler's lot, shredded with the lot's other inputs.",
    ),
    E.TRANSFERRED: (
        "移交外省平台",
        "持有方把电池包移交给另一个 packtrace 平台上的企业（docs/federation.md）。",
        "The custodian hands the pack over to an organisation on another packtrace platform (docs/federation.md).",
    ),
    E.ARRIVED: (
        "外省移交接收",
        "接收方在本平台开始另一平台移交来的电池包的记录，附来源平台移交记录的证明。",
        "The receiver starts the chain here of a pack handed over by another platform, with the origin's proof.",
    ),
    E.OWNERSHIP_TRANSFERRED: (
        "所有权转移",
        "电池包的所有权人变更（持有方不变）。",
        "The pack's owner changes (its custodian does not).",
    ),
    E.LEASED: (
        "租赁",
        "所有权人（出租方）把电池包出租（车电分离）。",
        "The owner, a lessor, leases the pack out (battery as a service).",
    ),
    E.LEASE_ENDED: ("租赁结束", "电池包的租赁结束。", "The pack's lease ends."),
    E.PASSPORT: (
        "电池护照声明",
        "电池包的生产企业或当前持有方提交只有其掌握的电池护照属性（Catena-X BatteryPass 6.1.0 的部分文档）。",
        "The pack's maker or its current custodian posts battery passport attributes only it knows (part of a "
        "Catena-X BatteryPass 6.1.0 document).",
    ),
}

_VIN = ("车辆识别代号（17 位，含校验位）", "the vehicle identification number (17 characters, check digit included)")
_SITE = ("储能电站或站点名称", "the stationary storage system or site")

# model class name -> field name in JSON -> (zh, en)
FIELD_TEXT: dict[str, dict[str, tuple[str, str]]] = {
    "ProducedData": {
        "chemistry": ("电池化学体系", "the cell chemistry"),
        "rated_capacity_kwh": ("额定能量（kWh）", "rated energy (kWh)"),
        "nominal_voltage_v": ("标称电压（V）", "nominal voltage (V)"),
        "mass_kg": ("电池包质量（kg）", "the pack's mass (kg)"),
        "modules": ("所含模组编码（GB/T 34014）", "the codes of its modules (GB/T 34014)"),
        "cells": ("所含单体编码（GB/T 34014）", "the codes of its cells (GB/T 34014)"),
        "batch": ("生产批次", "the production batch"),
        "plant": ("生产工厂", "the plant that made it"),
        "from": ("仅梯次产品：原电池包编码", "second life only: the codes of the original packs"),
        "box_code": ("换电电池箱编码（GB/T 40098）", "the swap battery box code (GB/T 40098)"),
        "imported": ("进口电池包：境外生产企业与报关单", "an imported pack: its foreign maker and customs declaration"),
        "module_cells": (
            "各模组所含的单体（未列入任何模组的单体由电池包直接持有）",
            "which of the cells each module holds (cells no module lists are held by the pack itself)",
        ),
        "recovered_from": (
            "仅由拆解企业为整体拆下的模组建立溯源链时：所拆解的电池包编码",
            "a module's own chain, started by its dismantler: the dismantled pack it was taken out of whole",
        ),
    },
    "ImportData": {
        "foreign_manufacturer": ("境外生产企业", "the foreign manufacturer"),
        "customs_declaration": (
            "报关单号（18 位，第 9 位为 1：进口）",
            "the customs declaration number (18 digits, the ninth '1': import)",
        ),
        "import_date": ("海关接受申报之日（中国时间）", "the day customs accepted the declaration (China time)"),
    },
    "ForeignManufacturer": {
        "name": ("境外生产企业名称", "the foreign manufacturer's name"),
        "country": ("所在国家（ISO 3166-1 两位字母代码）", "its country (ISO 3166-1 alpha-2)"),
    },
    "ShippedData": {
        "to": ("接收方的企业标识", "the receiving organisation's id"),
        "waybill": ("运单号", "the waybill number"),
    },
    "ReceivedData": {"from": ("发出方的企业标识（须为发货方）", "the sending organisation's id (must be the shipper)")},
    "InstalledData": {"vin": _VIN, "site": _SITE},
    "RemovedData": {"reason": ("拆卸原因", "why it was removed")},
    "ServicedData": {
        "description": ("维修内容", "what was done"),
        "replaced_modules": ("更换的模组（旧→新）", "the modules replaced (old → new)"),
        "remanufactured": ("是否属于再制造（欧盟 2023/1542）", "whether this is remanufacturing (EU 2023/1542)"),
        "campaign": ("本次维修所补救的召回活动编号", "the recall campaign this service remedies"),
    },
    "ModuleReplacement": {
        "old": ("换下的模组编码", "the code of the module taken out"),
        "new": ("换上的模组编码", "the code of the module put in"),
        "new_cells": (
            "换上模组所含的单体编码（记录中尚无时）",
            "the new module's cells, when the record does not hold them yet",
        ),
    },
    "RetiredData": {
        "reason": ("退役原因", "why it was retired"),
        "scrap_certificate": ("报废汽车回收证明编号", "the scrapped-vehicle certificate number (报废汽车回收证明)"),
    },
    "InspectedData": {
        "soh_pct": ("健康度 SOH（%）", "state of health (%)"),
        "verdict": ("分级结论：再用、梯次利用或再生利用", "the verdict: reuse, repurpose or recycle"),
        "residual_capacity_kwh": ("剩余能量（kWh）", "residual energy (kWh)"),
        "internal_resistance_mohm": ("内阻（mΩ）", "internal resistance (mΩ)"),
        "safety_class": ("安全等级（GB/T 38698.1）", "the safety class (GB/T 38698.1)"),
    },
    "RepurposedData": {
        "into": (
            "梯次产品的新编码（19 位，以 R 加产品类型结尾）",
            "the second-life product's code (19 characters ending in R and a product type)",
        )
    },
    "DismantledData": {"outputs": ("拆解产物", "what the pack was taken apart into")},
    "DismantledOutput": {
        "kind": ("产物类型：模组、单体或材料", "the kind of output: module, cell or material"),
        "code": ("模组或单体的编码", "the module's or cell's code"),
        "name": ("材料名称", "the material's name"),
        "mass_kg": ("质量（kg）", "its mass (kg)"),
    },
    "RecycledData": {
        "feed_mass_kg": ("投料质量（kg）", "the mass fed in (kg)"),
        "content_kg": (
            "投料中各元素含量（kg），键为元素符号或 electrode_powder",
            "each element's content in the feed (kg), keyed by element symbol or electrode_powder",
        ),
        "recovered_kg": ("各元素回收量（kg），不超过其含量", "each element recovered (kg), at most its content"),
    },
    "IncidentData": {
        "kind": ("事故类型", "the kind of incident"),
        "severity": ("严重程度", "how severe"),
        "description": ("事故经过", "what happened"),
    },
    "RecalledData": {
        "campaign": ("召回活动编号", "the recall campaign's id"),
        "reason": ("召回原因", "why the pack is recalled"),
        "due": ("补救截止日期（中国时间）", "the deadline for the remedy (China date)"),
    },
    "CorrectedData": {
        "target": ("被更正记录的哈希（64 位十六进制）", "the hash of the entry corrected (64 hex digits)"),
        "reason": ("更正原因", "why it is corrected"),
        "fields": ("更正后的数值", "the corrected values"),
    },
    "LostData": {"reason": ("丢失情况说明", "how it was lost")},
    "ExportedData": {
        "destination": (
            "目的国（ISO 3166-1 两位字母代码，不可为 CN）",
            "the destination country (ISO 3166-1 alpha-2, not CN)",
        ),
        "reason": ("出口说明", "why it was exported"),
    },
    "FoundData": {
        "custodian": ("现持有方的企业标识", "the id of the organisation holding it now"),
        "note": ("找回情况说明", "how it was found"),
    },
    "SwappedData": {
        "direction": ("换下（out）或换上（in）", "taken out (out) or put in (in)"),
        "vin": _VIN,
        "partner": ("同一次换电的另一电池包编码", "the other pack of the same swap"),
        "site": ("换电站", "the swap station"),
    },
    "OwnershipTransferredData": {
        "to": ("新的所有权人（企业标识）", "the new owner's organisation id"),
        "reference": ("转让合同或发票编号", "the contract or invoice of the transfer"),
    },
    "LeasedData": {
        "lessee": ("承租方的企业标识", "the lessee's organisation id"),
        "vin": ("租赁所对应车辆的车辆识别代号", "the vehicle the lease is for"),
        "site": ("租赁所对应的储能站点", "the storage site the lease is for"),
        "until": ("约定的租赁结束日期", "the agreed end of the lease"),
    },
    "LeaseEndedData": {"reason": ("租赁结束原因", "why the lease ended")},
    "PassportData": {
        "attributes": (
            "电池护照的部分文档：按护照 `passport` 成员的路径给出的章节与属性，逐项按 Catena-X BatteryPass 6.1.0 "
            "的定义校验；生产企业的属性由生产企业提交，使用中测得的属性（performance.dynamic）由当前持有方提交",
            "part of a battery passport: sections and attributes at the paths of the passport's `passport` member, "
            "each checked against its Catena-X BatteryPass 6.1.0 definition; the manufacturer's attributes are "
            "the maker's to post, those measured in use (performance.dynamic) the current custodian's",
        )
    },
    "TransferredData": {
        "platform": (
            "接收平台的日志名称（已配置的对等平台）",
            "the receiving platform's log origin (a configured peer)",
        ),
        "to": ("接收企业在该平台上的企业标识", "the receiving organisation's id on that platform"),
        "waybill": ("运单号", "the waybill number"),
        "reason": ("移交说明", "why it is handed over"),
    },
    "ArrivedData": {
        "platform": ("来源平台的日志名称", "the origin platform's log origin"),
        "platform_key": ("来源平台日志的验证公钥（C2SP）", "the origin log's C2SP note verifier key"),
        "transfer": ("来源平台的移交记录（原样）", "the origin's `transferred` entry, verbatim"),
        "proof": ("移交记录的 C2SP tlog-proof 证明", "the C2SP tlog-proof of the transfer entry"),
        "bundle_sha256": ("本平台保存的来源离线证据包的 SHA-256", "SHA-256 of the origin's bundle stored here"),
        "produced": (
            "来源平台生产记录的数据（含来源平台对其的更正）",
            "the data of the origin's `produced` entry, with the origin's corrections of it applied",
        ),
        "manufacturer": ("来源平台上的生产企业标识", "who posted the origin's `produced` entry"),
    },
    "LottedData": {
        "lot": (
            "批次：lot:<再生利用企业标识>:<批次号>，最长 32 个字符",
            "the lot: lot:<recycler org id>:<lot id>, at most 32 characters",
        )
    },
}

_PACK = "001PB12ABCDEFGGBL0000001"
_VIN_EXAMPLE = "LSVAU218XN2183294"

# event type -> (the pack, the actor, the payload) of an example claim; a valid payload of its type
EXAMPLES: dict[EventType, tuple[str, str, dict[str, Any]]] = {
    E.PRODUCED: (
        _PACK,
        "catl",
        {
            "chemistry": "LFP",
            "rated_capacity_kwh": 60.0,
            "nominal_voltage_v": 350.0,
            "mass_kg": 380.0,
            "batch": "B2026-11",
            "plant": "宁德基地",
            "modules": ["001MB12ABCDEFGGBL0000001"],
        },
    ),
    E.SHIPPED: (_PACK, "catl", {"to": "byd-auto", "waybill": "SF1234567890"}),
    E.RECEIVED: (_PACK, "byd-auto", {"from": "catl"}),
    E.INSTALLED: (_PACK, "byd-auto", {"vin": _VIN_EXAMPLE}),
    E.REMOVED: (_PACK, "xm-service", {"reason": "repair"}),
    E.SERVICED: (
        _PACK,
        "xm-service",
        {
            "description": "更换故障模组 replaced a failed module",
            "replaced_modules": [{"old": "001MB12ABCDEFGGBL0000001", "new": "001MB12ABCDEFGGBL0000002"}],
        },
    ),
    E.RETIRED: (_PACK, "byd-auto", {"reason": "vehicle_scrapped", "scrap_certificate": "BF2026-000123"}),
    E.INSPECTED: (
        _PACK,
        "gem-recycling",
        {
            "soh_pct": 72.5,
            "verdict": "repurpose",
            "residual_capacity_kwh": 43.5,
            "internal_resistance_mohm": 85.0,
            "safety_class": "A",
        },
    ),
    E.REPURPOSED: (_PACK, "fj-second-life", {"into": "002PB12GBL0000001RP"}),
    E.DISMANTLED: (
        _PACK,
        "gem-recycling",
        {
            "outputs": [
                {"kind": "module", "code": "001MB12ABCDEFGGBL0000001", "mass_kg": 25.0},
                {"kind": "material", "name": "electrode powder", "mass_kg": 120.0},
            ]
        },
    ),
    E.RECYCLED: (
        _PACK,
        "gem-recycling",
        {
            "feed_mass_kg": 380.0,
            "content_kg": {"Li": 5.0, "Ni": 20.0, "Co": 4.0},
            "recovered_kg": {"Li": 4.5, "Ni": 19.0, "Co": 3.9},
        },
    ),
    E.INCIDENT: (
        _PACK,
        "byd-auto",
        {
            "kind": "thermal_event",
            "severity": "high",
            "description": "行驶中电池包冒烟 smoke from the pack while driving",
        },
    ),
    E.RECALLED: (
        _PACK,
        "catl",
        {"campaign": "R2026-001", "reason": "BMS 软件缺陷 BMS software defect", "due": "2027-03-31"},
    ),
    E.CORRECTED: (
        _PACK,
        "catl",
        {"target": "9f2c" + "0" * 60, "reason": "批次录入错误 batch typed wrong", "fields": {"batch": "B2026-12"}},
    ),
    E.LOST: (_PACK, "xm-collect", {"reason": "运输途中遗失 lost in transit"}),
    E.EXPORTED: (_PACK, "byd-auto", {"destination": "TH", "reason": "整车出口 exported with the vehicle"}),
    E.FOUND: (_PACK, "fj-miit", {"custodian": "xm-collect", "note": "执法检查中发现 found in an inspection"}),
    E.SWAPPED: (
        _PACK,
        "nio-swap",
        {"direction": "out", "vin": _VIN_EXAMPLE, "partner": "001PB12ABCDEFGGBL0000002", "site": "厦门软件园换电站"},
    ),
    E.LOTTED: (_PACK, "brunp", {"lot": "lot:brunp:2026-118"}),
    E.TRANSFERRED: (_PACK, "byd-auto", {"platform": "packtrace.hb.example/log", "to": "hb-recycling"}),
    E.ARRIVED: (
        _PACK,
        "hb-recycling",
        {
            "platform": "packtrace.fj.example/log",
            "platform_key": "packtrace.fj.example/log+0a1b2c3d+AT1fkqUGmTB6jN1wbRVpwOSSlKhj0TrRkjfpP9ygvxQ6",
            "transfer": {
                "v": 1,
                "index": 41,
                "pack": _PACK,
                "seq": 5,
                "prev": "9f2c" + "0" * 60,
                "recorded_at": "2026-11-20T08:30:00.000000Z",
                "claim": {
                    "v": 1,
                    "id": "0b6f9f9e-4a43-4d1d-9d6b-3b1d6a3c2f10",
                    "pack": _PACK,
                    "type": "transferred",
                    "at": "2026-11-20T08:30:00Z",
                    "actor": "byd-auto",
                    "key": "byd-auto/1",
                    "prev": None,
                    "data": {"platform": "packtrace.hb.example/log", "to": "hb-recycling"},
                },
                "sig": "c2lnbmF0dXJl",
            },
            "proof": "c2sp.org/tlog-proof@v1\nindex 41\n...\n\n<checkpoint>",
            "bundle_sha256": "5e8f" + "0" * 60,
            "produced": {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0},
            "manufacturer": "catl",
        },
    ),
    E.OWNERSHIP_TRANSFERRED: (_PACK, "catl", {"to": "fj-baas", "reference": "HT-2026-0042"}),
    E.LEASED: (_PACK, "fj-baas", {"lessee": "nio-swap", "vin": _VIN_EXAMPLE, "until": "2031-12-31"}),
    E.LEASE_ENDED: (_PACK, "fj-baas", {"reason": "expired"}),
    E.PASSPORT: (
        _PACK,
        "catl",
        {
            "attributes": {
                "characteristics": {"warranty": {"lifeValue": 8, "lifeUnit": "unit:year"}},
                "commercial": {"purpose": ["automotive"]},
            }
        },
    ),
}

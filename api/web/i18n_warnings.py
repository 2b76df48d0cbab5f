"""The quality early warning page's words (zh, en)."""

from __future__ import annotations

MESSAGES_WARNINGS: dict[str, tuple[str, str]] = {
    "nav_warnings": ("质量预警", "Quality warnings"),
    "warnings_title": ("产品质量预警", "Quality early warning"),
    "warnings_intro": (
        "按批次、企业、规格、工厂、材料体系和生产月份统计事故率（按暴露量：电池·天），与其余电池比较；"
        "显著偏高的组别报警（精确检验，阈值见下）。热失控和起火按较高权重计。",
        "Incident rates per batch, maker, spec, plant, chemistry and production month, normalised by exposure "
        "(pack-days) and compared with the rest; a group significantly above the rest alarms (exact test, "
        "thresholds below). Thermal events and fires weigh more.",
    ),
    "warnings_as_of": ("统计截止日", "Report day"),
    "warnings_button": ("统计", "Compute"),
    "warnings_count": ("{n} 个预警", "{n} alarms"),
    "warnings_population_line": (
        "截至 {day}：{packs} 块电池，暴露量 {exposure} 电池·天，事故 {incidents} 起（加权 {weighted}），"
        "总体事故率 {rate}（加权事故/千电池·年）。",
        "As of {day}: {packs} packs, {exposure} pack-days of exposure, {incidents} incidents ({weighted} "
        "weighted), overall rate {rate} (weighted incidents per 1,000 pack-years).",
    ),
    "warnings_method": (
        "检验了 {tested} 个组别；总误报概率 α = {alpha}，单组 p 值低于 {threshold} 且至少 {min} 起事故时报警。"
        "权重：{weights}。",
        "{tested} groups tested; chance of any false alarm α = {alpha}; a group alarms with a p-value below "
        "{threshold} and at least {min} incidents. Weights: {weights}.",
    ),
    "warnings_field_maker": ("企业", "maker"),
    "warnings_field_batch": ("批次", "batch"),
    "warnings_field_spec": ("规格", "spec"),
    "warnings_field_plant": ("工厂", "plant"),
    "warnings_field_chemistry": ("材料体系", "chemistry"),
    "warnings_field_month": ("生产月份", "month"),
    "warnings_population": ("全部电池", "All packs"),
    "warnings_chart": ("事故率（加权事故/千电池·年）", "Incident rate (weighted incidents per 1,000 pack-years)"),
    "warnings_alarms": ("预警", "Alarms"),
    "warnings_none": ("没有显著偏高的组别。", "No group is significantly above the rest."),
    "warnings_group": ("组别", "Group"),
    "warnings_packs": ("电池数", "Packs"),
    "warnings_incidents": ("事故", "Incidents"),
    "warnings_thermal": ("热事故 {n}", "thermal {n}"),
    "warnings_weighted": ("加权 {n}", "weighted {n}"),
    "warnings_exposure": ("暴露量（电池·天）", "Exposure (pack-days)"),
    "warnings_rate": ("事故率", "Rate"),
    "warnings_baseline": ("其余电池事故率", "Rest's rate"),
    "warnings_ratio": ("标准化比", "Ratio"),
    "warnings_p": ("p 值", "p-value"),
    "warnings_trace": ("召回追溯", "Recall trace"),
    "warnings_open_trace": ("追溯 {n} 块电池", "Trace {n} packs"),
    "warnings_superset": ("（含同期其他批次）", "(includes other batches of the same days)"),
}

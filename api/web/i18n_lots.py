"""The recycler lots' words (the regulator's recovery page, the scan page): Simplified Chinese, English;
with the names of the `lotted` event, its scan-page action and the `in_lot` status."""

from __future__ import annotations

MESSAGES_LOTS: dict[str, tuple[str, str]] = {
    "lots_title": ("回收批次与物料平衡", "Recycler lots and mass balance"),
    "lots_intro": (
        "再生利用企业按批次投料（退役电池包与进口黑粉），按批次上报回收元素。"
        "物料平衡（{version} 版）标出回收量超过投料可能含量、或损耗不合理的批次。",
        "Recyclers feed lots (retired packs and imported black mass) and report the recovered elements per lot. "
        "The mass balance (version {version}) flags a lot that recovered more than its inputs could contain, or "
        "lost implausibly much.",
    ),
    "lots_none": ("尚无回收批次。", "No recycler lots yet."),
    "lot": ("批次", "Lot"),
    "lot_packs": ("电池包", "Packs"),
    "lot_black_mass": ("进口黑粉 (kg)", "Imported black mass (kg)"),
    "lot_input_kg": ("投料总重 (kg)", "Input mass (kg)"),
    "lot_status": ("状态", "Status"),
    "lot_flags": ("物料平衡", "Mass balance"),
    "lot_balanced": ("平衡", "balanced"),
    "lot_unreported": ("{n} 块电池包已入批但未列入回收上报", "{n} packs put into the lot but missing from its report"),
    "lot_recyclers": ("各企业批次回收率", "Lot recovery per recycler"),
    "lot_count": ("已上报批次", "Lots reported"),
    "lot_flagged": ("异常批次", "Lots flagged"),
    "lot_flag_exceeds_inputs": (
        "{element}：上报回收 {recovered} kg，超过投料可能含有的量，最多 {limit} kg"
        "（{n} 块电池包按类型和重量最多 {packs} kg，黑粉申报 {black} kg）",
        "{element}: recovered {recovered} kg, more than the inputs could contain: at most {limit} kg ({packs} kg in "
        "{n} packs by chemistry and mass, {black} kg declared in black mass)",
    ),
    "lot_flag_implausible_loss": (
        "{element}：上报回收 {recovered} kg，低于投料至少含有量的下限 {limit} kg（{n} 块电池包至少 {packs} kg，"
        "黑粉申报 {black} kg），损耗不合理",
        "{element}: recovered {recovered} kg, below {limit} kg, the least plausible from what the inputs must have "
        "held ({packs} kg in {n} packs at least, {black} kg declared in black mass)",
    ),
    "lot_open": ("投料中", "open"),
    "lot_recovered": ("已上报回收", "recovered"),
}

EVENT_NAMES_LOTS: dict[str, tuple[str, str]] = {
    "lotted": ("入批投料", "put into a lot"),
    "lot_opened": ("建立回收批次", "lot opened"),
    "lot_recovered": ("批次回收上报", "lot recovery reported"),
}
ACTION_NAMES_LOTS: dict[str, tuple[str, str]] = {"lotted": ("投入回收批次", "Put into a lot")}
STATUS_NAMES_LOTS: dict[str, tuple[str, str]] = {"in_lot": ("已入批再生", "in a recycler lot")}

"""`packtrace demo`: a realistic province (Fujian) on the configured database.

Organisations of every role, a few thousand packs along every path of the lifecycle (api/province.py
simulates them) — vehicles, repairs, battery swaps, second life in storage sites, collection, dismantling
and recycling, losses, exports, incidents, a recall — with some reports filed late and some packs whose
whereabouts are unknown (流向不明). Seeded: the same province on every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime

from api.province import Listing, Province, Recall, Scenario, ending_on
from api.province import build as build_province
from events.orgs import Org, Role
from ledger.log import Ledger

R = Role
ORGS: tuple[Org, ...] = (
    Org("catl", "宁德时代新能源科技", frozenset({R.MANUFACTURER}), frozenset({"0RJ"}), region="350902"),
    Org("fd-battery", "弗迪电池", frozenset({R.MANUFACTURER}), frozenset({"03U"}), region="350200"),
    Org("byd-auto", "比亚迪汽车（福建）", frozenset({R.AUTOMAKER}), region="350100"),
    Org("geely-auto", "吉利汽车（福建）", frozenset({R.AUTOMAKER}), region="350200"),
    Org("xm-import", "厦门进口汽车", frozenset({R.IMPORTER}), frozenset({"0XM"}), region="350200"),
    Org("fz-dealer", "福州新能源汽车销售", frozenset({R.DEALER}), region="350102"),
    Org("fz-service", "福州新能源汽车维修", frozenset({R.SERVICE}), region="350111"),
    Org("nio-power", "蔚来能源（福建）换电", frozenset({R.SWAP_OPERATOR}), region="350200"),
    Org("fj-baas", "福建车电分离电池租赁", frozenset({R.LESSOR}), region="350100"),
    Org("xm-collect", "厦门动力电池回收服务网点", frozenset({R.COLLECTOR}), region="350205"),
    Org("qz-collect", "泉州动力电池回收服务网点", frozenset({R.COLLECTOR}), region="350503"),
    Org("fj-dismantler", "福建报废汽车回收拆解", frozenset({R.VEHICLE_DISMANTLER}), region="350100"),
    Org("fj-s2l", "福建梯次储能", frozenset({R.SECOND_LIFE}), frozenset({"S2L"}), region="350205"),
    Org("brunp", "邦普循环（福建）", frozenset({R.RECYCLER}), whitelisted=True, region="350900"),
    Org("gem", "格林美（福建）", frozenset({R.RECYCLER}), whitelisted=True, region="350500"),
    Org("backyard", "某未入规范条件回收厂", frozenset({R.RECYCLER}), region="350600"),
    Org("sm-recycle", "三明再生资源（2026年起列入规范条件）", frozenset({R.RECYCLER}), region="350400"),
    Org("fj-miit", "福建省工业和信息化厅", frozenset({R.REGULATOR}), region="350000"),
    Org("xm-miit", "厦门市工业和信息化局", frozenset({R.REGULATOR}), region="350200"),
    Org("platform", "溯源平台运维", frozenset({R.ADMIN}), region="350102"),
)
DEMO = Scenario(
    orgs=ORGS,
    start=datetime(2025, 1, 6, 1, 0, tzinfo=UTC),
    end=datetime(2026, 11, 16, 9, 0, tzinfo=UTC),
    key_name="demo-1",
    specs=("A0",),
    chemistries=("LFP", "LFP", "NCM"),
    made_within=(560.0, 560.0),
    use_days=(90.0, 400.0),
    storage_days=(60.0, 200.0),
    lateness=0.2,
    weak_recycler="gem",
    vin_makers=("LSJ", "LGX", "LFV", "LNB"),
    sites=("厦门海沧储能电站", "福州江阴储能电站", "宁德漳湾光储充电站"),
    incidents=0.03,
    recall=Recall("CATL-2025-07", "BMS 采样线束缺陷 sense-wire defect", "catl", "NCM",
                  (date(2025, 5, 1), date(2025, 7, 31))),
    # listed from 1 March 2026: what it received before then was held by a recycler off the list
    listings=(Listing("sm-recycle", True, date(2026, 3, 1), "工信部公告 2026年第5号 (demo)"),),
)  # fmt: skip
WEIGHTS = {
    "in_vehicle": 30, "repair": 8, "swap": 8, "lessor": 4, "recycling": 14, "second_life": 8, "lost": 2,
    "in_transit_unknown": 3, "retired_unknown": 3, "retired_shipped_unknown": 1, "exported": 2, "in_stock": 6,
    "dismantler": 6, "scrapped": 2, "backyard": 1, "scrapped_kept": 1, "collector_idle": 1, "idle_stock": 1,
    "dealer_retired": 1, "late_listed": 2, "displaced": 2,
}  # fmt: skip


def build(
    ledger: Ledger,
    *,
    packs: int = 2400,
    seed: int = 34014,
    sealing_key: bytes | None = None,
    progress: Callable[[int, int], None] | None = None,
    ends: date | None = None,
    until: datetime | None = None,
) -> Province:
    """Register the organisations and append the demo province; the ledger must be empty.

    With `sealing_key`, organisations that work from a phone (collection points, recyclers, second-life
    companies, dismantlers, repair shops) also get a platform-held key, so the scan page can sign for them.
    With `ends` (`packtrace demo` gives today, China time) the story is moved to end that day (DEMO ends on
    16 November 2026), and with `until` nothing is recorded at or after that moment.
    """
    return build_province(
        ledger, scenario(ends, until), plan(packs, seed), seed=seed, sealing_key=sealing_key, progress=progress
    )


def plan(packs: int, seed: int) -> list[str]:
    """The path of each pack's life."""
    paths = random.Random(seed).choices(list(WEIGHTS), weights=list(WEIGHTS.values()), k=packs)
    imports = max(1, packs // 60)  # the last lives: imported by xm-import (the earlier lives stay as they were)
    paths[-imports:] = ["imported"] * imports
    lots = max(4, packs // 40)  # before them: retired packs shredded in two recycler lots (docs/recycling-lots.md)
    paths[-imports - lots : -imports] = ["lot"] * lots
    return paths


def scenario(ends: date | None = None, until: datetime | None = None) -> Scenario:
    """DEMO, or with `ends` its story moved to end that day (China time) and recorded until `until`."""
    return DEMO if ends is None else ending_on(DEMO, ends, until=until)

"""The province of the report and web tests (api/province.py simulates it): two makers, automakers, a
repair shop, a swap operator, collection points, a vehicle dismantler, a second-life company, three
recyclers and the regulator; a fixed number of packs along each path, some reports filed weeks late under
each rule of the 2018 provisions, some packs out of sight (流向不明), recycling with some rates below the
thresholds. Seeded: the same province on every run."""

from __future__ import annotations

from datetime import UTC, datetime

from api.province import Province, Scenario
from api.province import build as build_province
from events.orgs import Org, Role
from ledger.log import Ledger

NOW = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)  # the province as the regulator sees it, a Monday morning

R = Role
ORGS: tuple[Org, ...] = (
    Org("catl", "宁德时代", frozenset({R.MANUFACTURER}), frozenset({"001"}), region="350902"),
    Org("calb", "中创新航", frozenset({R.MANUFACTURER}), frozenset({"0RJ"}), region="350500"),
    Org("byd-auto", "比亚迪汽车", frozenset({R.AUTOMAKER}), region="350100"),
    Org("geely-auto", "吉利汽车", frozenset({R.AUTOMAKER}), region="350200"),
    Org("fz-service", "福州维修", frozenset({R.SERVICE}), region="350111"),
    Org("nio-swap", "蔚来换电", frozenset({R.SWAP_OPERATOR}), region="350200"),
    Org("xm-collect", "厦门回收网点", frozenset({R.COLLECTOR}), region="350205"),
    Org("qz-collect", "泉州回收网点", frozenset({R.COLLECTOR}), region="350503"),
    Org("fj-dismantler", "福建报废汽车拆解", frozenset({R.VEHICLE_DISMANTLER}), region="350100"),
    Org("fj-s2l", "福建梯次储能", frozenset({R.SECOND_LIFE}), frozenset({"S2L"}), region="350205"),
    Org("gem", "格林美", frozenset({R.RECYCLER}), whitelisted=True, region="350500"),
    Org("brunp", "邦普循环", frozenset({R.RECYCLER}), whitelisted=True, region="350900"),
    Org("backyard", "某小作坊", frozenset({R.RECYCLER}), region="350600"),
    Org("fj-miit", "福建省工信厅", frozenset({R.REGULATOR}), region="350000"),
    Org("xm-miit", "厦门市工信局", frozenset({R.REGULATOR}), region="350200"),
    Org("platform", "平台运维", frozenset({R.ADMIN}), region="350102"),
)
SCENARIO = Scenario(
    orgs=ORGS,
    start=datetime(2026, 1, 5, 1, 0, tzinfo=UTC),
    end=NOW,
    key_name="1",
    specs=("12", "34"),
    chemistries=("LFP", "NCM"),
    made_within=(75.0, 200.0),
    use_days=(20.0, 40.0),
    storage_days=(10.0, 20.0),
    lateness=1.0,
    weak_recycler="gem",
    vin_makers=("LSV",),
)
MAKERS = SCENARIO.makers
PATHS = {
    "in_vehicle": 22, "repair": 8, "swap": 6, "recycling": 16, "scrapped": 6, "second_life": 5,
    "in_transit_unknown": 4, "retired_unknown": 4, "retired_shipped_unknown": 2, "in_stock": 5, "lost": 2,
    "exported": 2, "for_scan": 3,
    # 流向不明 of every reason (events.whereabouts); last, so the packs above stay the same
    "backyard": 3, "scrapped_kept": 2, "collector_idle": 2, "dealer_retired": 2, "displaced": 4,
    "lot": 6,  # two recycler lots (docs/recycling-lots.md); last, so the packs above stay the same
}  # fmt: skip


def build(ledger: Ledger, *, seed: int = 2018) -> Province:
    """Register the organisations (each with a signing key) and append the province, as of NOW."""
    plan = [path for path, count in PATHS.items() for _ in range(count)]
    return build_province(ledger, SCENARIO, plan, seed=seed)

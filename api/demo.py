"""`packtrace demo`: a realistic province (Fujian) on the configured database.

Organisations of every role, a few thousand packs along every path of the lifecycle — vehicles, repairs,
battery swaps, second life in storage sites, collection, dismantling and recycling, losses, exports,
incidents, a recall — with some reports filed late and some packs whose whereabouts are unknown (流向不明).

Events are simulated in time order: each event happens at `at` and is reported a little later (or, for
a few, weeks later); the ledger's clock is set to the reporting time, so lateness and 流向不明 in the
reports come out as they would in a real province. The generator is seeded, so the province is the
same on every run.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from events.codes import make_code, make_second_life_code
from events.orgs import Org, Role
from events.vin import vin_with_check_digit
from ledger.format.claims import new_claim, sign_claim
from ledger.log import Ledger
from ledger.usecases import registration
from ledger.usecases.custodial import create_platform_key

START = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
END = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)

R = Role
ORGS: tuple[Org, ...] = (
    Org("catl", "宁德时代新能源科技", frozenset({R.MANUFACTURER}), frozenset({"0RJ"})),
    Org("fd-battery", "弗迪电池", frozenset({R.MANUFACTURER}), frozenset({"03U"})),
    Org("byd-auto", "比亚迪汽车（福建）", frozenset({R.AUTOMAKER})),
    Org("geely-auto", "吉利汽车（福建）", frozenset({R.AUTOMAKER})),
    Org("xm-import", "厦门进口汽车", frozenset({R.IMPORTER})),
    Org("fz-dealer", "福州新能源汽车销售", frozenset({R.DEALER})),
    Org("fz-service", "福州新能源汽车维修", frozenset({R.SERVICE})),
    Org("nio-power", "蔚来能源（福建）换电", frozenset({R.SWAP_OPERATOR})),
    Org("fj-baas", "福建车电分离电池租赁", frozenset({R.LESSOR})),
    Org("xm-collect", "厦门动力电池回收服务网点", frozenset({R.COLLECTOR})),
    Org("qz-collect", "泉州动力电池回收服务网点", frozenset({R.COLLECTOR})),
    Org("fj-dismantler", "福建报废汽车回收拆解", frozenset({R.VEHICLE_DISMANTLER})),
    Org("fj-s2l", "福建梯次储能", frozenset({R.SECOND_LIFE}), frozenset({"S2L"})),
    Org("brunp", "邦普循环（福建）", frozenset({R.RECYCLER}), whitelisted=True),
    Org("gem", "格林美（福建）", frozenset({R.RECYCLER}), whitelisted=True),
    Org("backyard", "某未入规范条件回收厂", frozenset({R.RECYCLER})),
    Org("fj-miit", "福建省工业和信息化厅", frozenset({R.REGULATOR})),
    Org("platform", "溯源平台运维", frozenset({R.ADMIN})),
)
SITES = ("厦门海沧储能电站", "福州江阴储能电站", "宁德漳湾光储充电站")


@dataclass
class Step:
    """One submission: a claim (or two that must travel together), when it happened and was reported."""

    at: datetime
    reported: datetime
    claims: list[tuple[str, str, str, dict[str, Any]]]  # (pack, type, actor, data)


@dataclass
class Province:
    orgs: dict[str, Org]
    tokens: dict[str, str]
    keys: dict[str, Ed25519PrivateKey]
    packs: int = 0
    entries: int = 0
    paths: dict[str, int] = field(default_factory=dict)


class SimClock:
    """The ledger's clock during the simulation: the reporting time of the batch being appended."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class _Life:
    """Builds one pack's events, each at a later time than the one before."""

    def __init__(self, rng: random.Random, pack: str, at: datetime, late: bool) -> None:
        self.rng, self.pack, self.at = rng, pack, at
        self.reported = at
        self.steps: list[Step] = []
        self.late = late

    def add(self, type_: str, actor: str, data: dict[str, Any], *, days: float = 0.0, pack: str | None = None) -> None:
        self.at += timedelta(days=days, minutes=self.rng.randint(5, 600))
        delay = timedelta(hours=self.rng.uniform(0.2, 30))
        if self.late and type_ == "installed":
            delay = timedelta(days=self.rng.uniform(30, 60))  # filed weeks late
        self.reported = max(self.reported, self.at + delay)
        self.steps.append(Step(self.at, self.reported, [(pack or self.pack, type_, actor, data)]))

    def together(self, claims: list[tuple[str, str, str, dict[str, Any]]], *, days: float) -> None:
        self.at += timedelta(days=days)
        self.reported = max(self.reported, self.at + timedelta(hours=2))
        self.steps.append(Step(self.at, self.reported, claims))


def _vin(rng: random.Random) -> str:
    prefix = rng.choice(["LSJ", "LGX", "LFV", "LNB"])
    body = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(5))
    return vin_with_check_digit(f"{prefix}{body}0{rng.choice('PRST')}{rng.randint(0, 9)}{rng.randint(0, 999999):06d}")


def _produced(rng: random.Random, chemistry: str, **extra: Any) -> dict[str, Any]:
    capacity = rng.choice([42.5, 55.0, 60.0, 75.0, 90.0]) if chemistry != "LFP" or rng.random() < 0.5 else 60.0
    data = {
        "chemistry": chemistry,
        "rated_capacity_kwh": capacity,
        "nominal_voltage_v": 350.0,
        "mass_kg": round(capacity * 6.1, 1),
        "batch": f"B{rng.randint(100, 999)}",
        "plant": "宁德基地",
    }
    data.update(extra)
    return data


RECYCLE_CONTENT = {"Li": 5.0, "Ni": 18.0, "Co": 6.0, "Mn": 5.5, "Cu": 21.0, "Al": 14.0}


def _recycled(rng: random.Random, chemistry: str, below: bool) -> dict[str, Any]:
    content = dict(RECYCLE_CONTENT) if chemistry != "LFP" else {"Li": 4.6, "Fe": 38.0, "Cu": 22.0, "Al": 16.0}
    rates = {element: rng.uniform(0.985, 0.997) for element in content}
    rates["Li"] = rng.uniform(0.905, 0.95)
    if below:
        rates["Li"] = rng.uniform(0.80, 0.88)  # under the 90 % threshold
    recovered = {element: round(kg * rates[element], 3) for element, kg in content.items()}
    return {"feed_mass_kg": 380.0, "content_kg": content, "recovered_kg": recovered}


def simulate(rng: random.Random, packs: int) -> tuple[list[Step], dict[str, int]]:
    """Every pack's life as steps; returns them in reporting order with a count per path."""
    steps: list[Step] = []
    paths: dict[str, int] = {}
    second_life_serial = 0
    recall_window = (date(2025, 6, 1), date(2025, 6, 30))
    for serial in range(1, packs + 1):
        maker, prefix = rng.choice([("catl", "0RJ"), ("fd-battery", "03U")])
        letter, chemistry = rng.choice([("B", "LFP"), ("B", "LFP"), ("E", "NCM")])
        made = START + timedelta(days=rng.uniform(0, 560))
        if made.day == 31:  # GB/T 34014's letter for the 31st is unconfirmed; strict parsing refuses it
            made += timedelta(days=1)
        code = make_code(prefix, "pack", letter, "A0", f"FJ{serial:05d}", made.date(), serial)
        life = _Life(rng, code, made, late=rng.random() < 0.05)
        life.add("produced", maker, _produced(rng, chemistry))
        if recall_window[0] <= made.date() <= recall_window[1] and chemistry == "NCM" and maker == "catl":
            life.add(
                "recalled",
                maker,
                {"campaign": "CATL-2025-07", "reason": "BMS 采样线束缺陷 sense-wire defect"},
                days=rng.uniform(30, 60),
            )
        path = rng.choices(
            [
                "in_vehicle",
                "repair",
                "swap",
                "lessor",
                "recycling",
                "second_life",
                "lost",
                "in_transit_unknown",
                "retired_unknown",
                "exported",
                "in_stock",
                "dismantler",
                "backyard",
            ],
            weights=[30, 8, 8, 4, 14, 8, 2, 3, 3, 2, 6, 6, 1],
        )[0]
        paths[path] = paths.get(path, 0) + 1
        user = {"swap": "nio-power", "lessor": "fj-baas"}.get(path, rng.choice(["byd-auto", "geely-auto"]))
        life.add(
            "shipped", maker, {"to": user, "waybill": f"SF{rng.randint(10**9, 10**10 - 1)}"}, days=rng.uniform(1, 15)
        )
        if path == "lost":
            life.add("lost", maker, {"reason": "运输途中遗失 lost in transit"}, days=rng.uniform(10, 20))
            steps += life.steps
            continue
        if path == "in_transit_unknown":
            life.at = END - timedelta(days=rng.uniform(35, 80)) if life.at < END - timedelta(days=90) else life.at
            life.steps[-1] = Step(life.at, life.at + timedelta(hours=3), life.steps[-1].claims)
            steps += life.steps
            continue
        life.add("received", user, {"from": maker}, days=rng.uniform(1, 4))
        if path == "in_stock":
            steps += life.steps
            continue
        vin = _vin(rng)
        life.add("installed", user, {"vin": vin}, days=rng.uniform(2, 25))
        if rng.random() < 0.03:
            life.add(
                "incident",
                user,
                {
                    "kind": rng.choice(["collision", "flood", "thermal_event"]),
                    "severity": rng.choice(["low", "medium", "high"]),
                    "description": "车辆事故后检查 checked after an accident",
                },
                days=rng.uniform(30, 200),
            )
        if path == "repair":
            life.add("removed", "fz-service", {"reason": "repair"}, days=rng.uniform(60, 300))
            life.add("serviced", "fz-service", {"description": "更换采样板 replaced the sampling board"}, days=2)
            life.add("installed", "fz-service", {"vin": vin}, days=1)
        elif path == "swap":
            for _ in range(rng.randint(1, 3)):
                life.add("removed", user, {"reason": "swap"}, days=rng.uniform(5, 60))
                life.add("installed", user, {"vin": _vin(rng)}, days=rng.uniform(0.01, 0.1))
        elif path == "exported":
            life.add(
                "exported",
                user,
                {"destination": rng.choice(["TH", "MY", "AE"]), "reason": "整车出口 vehicle export"},
                days=rng.uniform(30, 120),
            )
        elif path in ("recycling", "second_life", "retired_unknown", "dismantler", "backyard"):
            life.add(
                "retired",
                user,
                {"reason": rng.choice(["end_of_life", "vehicle_scrapped", "damaged"])},
                days=rng.uniform(90, 400),
            )
            if path == "retired_unknown":
                pass  # never handed to a collector: 流向不明 after 30 days
            elif path == "dismantler":
                life.add("shipped", user, {"to": "fj-dismantler"}, days=rng.uniform(1, 10))
                life.add("received", "fj-dismantler", {"from": user}, days=1)
                life.add(
                    "dismantled",
                    "fj-dismantler",
                    {"outputs": [{"kind": "material", "name": "电池包壳体 casing", "mass_kg": 45.0}]},
                    days=rng.uniform(2, 20),
                )
            elif path == "backyard":
                life.add("shipped", user, {"to": "backyard"}, days=rng.uniform(1, 10))
                life.add("received", "backyard", {"from": user}, days=1)
            elif path == "recycling":
                collector = rng.choice(["xm-collect", "qz-collect"])
                recycler = rng.choice(["brunp", "gem"])
                life.add("shipped", user, {"to": collector}, days=rng.uniform(1, 10))
                life.add("received", collector, {"from": user}, days=rng.uniform(1, 3))
                life.add(
                    "inspected", collector, {"soh_pct": round(rng.uniform(40, 68), 1), "verdict": "recycle"}, days=1
                )
                life.add("shipped", collector, {"to": recycler}, days=rng.uniform(2, 20))
                life.add("received", recycler, {"from": collector}, days=rng.uniform(1, 3))
                life.add(
                    "dismantled",
                    recycler,
                    {
                        "outputs": [
                            {"kind": "material", "name": "黑粉 black mass", "mass_kg": 210.0},
                            {"kind": "material", "name": "铝壳 aluminium casing", "mass_kg": 38.0},
                        ]
                    },
                    days=rng.uniform(3, 30),
                )
                life.add(
                    "recycled",
                    recycler,
                    _recycled(rng, chemistry, below=recycler == "gem" and rng.random() < 0.2),
                    days=rng.uniform(5, 40),
                )
            else:  # second life
                life.add("shipped", user, {"to": "fj-s2l"}, days=rng.uniform(1, 10))
                life.add("received", "fj-s2l", {"from": user}, days=rng.uniform(1, 3))
                life.add(
                    "inspected", "fj-s2l", {"soh_pct": round(rng.uniform(70, 86), 1), "verdict": "repurpose"}, days=2
                )
                second_life_serial += 1
                product_day = (life.at + timedelta(days=9)).date()  # made before its `produced` (China time)
                product_day += timedelta(days=1) if product_day.day == 31 else timedelta(0)
                product = make_second_life_code("S2L", "pack", letter, "A1", product_day, second_life_serial)
                life.together(
                    [
                        (code, "repurposed", "fj-s2l", {"into": product}),
                        (product, "produced", "fj-s2l", _produced(rng, chemistry, **{"from": [code]})),
                    ],
                    days=10,
                )
                life.add("installed", "fj-s2l", {"site": rng.choice(SITES)}, days=rng.uniform(5, 30), pack=product)
                if rng.random() < 0.3:
                    life.add("removed", "fj-s2l", {"reason": "retirement"}, days=rng.uniform(60, 200), pack=product)
                    life.add("retired", "fj-s2l", {"reason": "end_of_life"}, days=1, pack=product)
                    life.add("shipped", "fj-s2l", {"to": "brunp"}, days=rng.uniform(2, 10), pack=product)
                    life.add("received", "brunp", {"from": "fj-s2l"}, days=1, pack=product)
                    life.add("dismantled", "brunp", {"outputs": []}, days=rng.uniform(2, 10), pack=product)
                    life.add(
                        "recycled",
                        "brunp",
                        _recycled(rng, chemistry, below=False),
                        days=rng.uniform(5, 20),
                        pack=product,
                    )
        steps += [s for s in life.steps if s.reported < END]
    steps.sort(key=lambda s: s.reported)
    return steps, paths


def _batches(steps: list[Step]) -> Iterator[tuple[datetime, list[Step]]]:
    """Steps grouped by reporting day (China time), so each batch's recording time keeps every step's
    lateness exactly as simulated."""
    group: list[Step] = []
    day = None
    for step in steps:
        this = (step.reported + timedelta(hours=8)).date()
        if group and (this != day or len(group) >= 2000):
            yield group[-1].reported, group
            group = []
        day = this
        group.append(step)
    if group:
        yield group[-1].reported, group


PLATFORM_KEY_ROLES = {Role.COLLECTOR, Role.RECYCLER, Role.SECOND_LIFE, Role.VEHICLE_DISMANTLER, Role.SERVICE}


def build(
    ledger: Ledger,
    *,
    packs: int = 2400,
    seed: int = 34014,
    sealing_key: bytes | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Province:
    """Register the organisations and append the simulated province; the ledger must be empty.

    With `sealing_key`, organisations that work from a phone (collection points, recyclers, second-life
    companies, dismantlers, repair shops) also get a platform-held key, so the scan page can sign for them.
    """
    if ledger.size():
        raise ValueError("the demo province is built on an empty database")
    rng = random.Random(seed)
    clock = SimClock()
    real_clock, ledger.clock = ledger.clock, clock
    tokens: dict[str, str] = {}
    keys: dict[str, Ed25519PrivateKey] = {}
    try:
        with ledger.engine.begin() as conn:
            for org in ORGS:
                tokens[org.id] = registration.create_org(conn, org, now=START - timedelta(days=30))
                if Role.ADMIN in org.roles and len(org.roles) == 1:
                    continue
                keys[org.id] = Ed25519PrivateKey.generate()
                raw = keys[org.id].public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
                registration.add_key(conn, org.id, f"{org.id}/demo-1", raw, now=START - timedelta(days=30))
        if sealing_key is not None:
            for org in ORGS:
                if org.roles & PLATFORM_KEY_ROLES:
                    create_platform_key(ledger, org.id, sealing_key=sealing_key)
        steps, paths = simulate(rng, packs)
        done = 0
        for reported, group in _batches(steps):
            items = []
            for step in group:
                for pack, type_, actor, data in step.claims:
                    claim = new_claim(
                        pack=pack,
                        type=type_,
                        actor=actor,
                        key=f"{actor}/demo-1",
                        data=data,
                        at=step.at,
                        claim_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    )
                    items.append((claim, sign_claim(claim, keys[actor])))
            clock.now = reported + timedelta(seconds=1)
            ledger.append(items)
            done += len(group)
            if progress:
                progress(done, len(steps))
    finally:
        ledger.clock = real_clock
    return Province(dict((o.id, o) for o in ORGS), tokens, keys, packs=packs, entries=ledger.size(), paths=paths)

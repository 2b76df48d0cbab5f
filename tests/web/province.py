"""A realistic province for the report and web tests, built through the ledger: two makers, automakers,
a repair shop, a swap operator, collection points, a vehicle dismantler, a second-life company, three
recyclers and the regulator; packs along every path, some reports filed weeks late under each rule of
the 2018 provisions, some packs out of sight (流向不明), recycling with some rates below the thresholds.

Events are simulated in time order: each happens at `at` and is recorded a little later, or for the late
ones weeks later; the ledger's clock is set to each day's recording time, so lateness comes out as it
would in a live province. Seeded: the same province on every run.
"""

from __future__ import annotations

import base64
import random
import uuid
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

START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
NOW = datetime(2026, 8, 3, 2, 0, tzinfo=UTC)  # the province as the regulator sees it, a Monday morning

R = Role
ORGS: tuple[Org, ...] = (
    Org("catl", "宁德时代", frozenset({R.MANUFACTURER}), frozenset({"001"})),
    Org("calb", "中创新航", frozenset({R.MANUFACTURER}), frozenset({"0RJ"})),
    Org("byd-auto", "比亚迪汽车", frozenset({R.AUTOMAKER})),
    Org("geely-auto", "吉利汽车", frozenset({R.AUTOMAKER})),
    Org("fz-service", "福州维修", frozenset({R.SERVICE})),
    Org("nio-swap", "蔚来换电", frozenset({R.SWAP_OPERATOR})),
    Org("xm-collect", "厦门回收网点", frozenset({R.COLLECTOR})),
    Org("qz-collect", "泉州回收网点", frozenset({R.COLLECTOR})),
    Org("fj-dismantler", "福建报废汽车拆解", frozenset({R.VEHICLE_DISMANTLER})),
    Org("fj-s2l", "福建梯次储能", frozenset({R.SECOND_LIFE}), frozenset({"S2L"})),
    Org("gem", "格林美", frozenset({R.RECYCLER}), whitelisted=True),
    Org("brunp", "邦普循环", frozenset({R.RECYCLER}), whitelisted=True),
    Org("backyard", "某小作坊", frozenset({R.RECYCLER})),
    Org("fj-miit", "福建省工信厅", frozenset({R.REGULATOR})),
    Org("platform", "平台运维", frozenset({R.ADMIN})),
)
MAKERS = {"catl": "001", "calb": "0RJ"}
PATHS = {
    "vehicle": 22, "repair": 8, "swap": 6, "recycling": 16, "scrapped": 6, "second_life": 5, "transit_lost": 4,
    "retired_lost": 4, "retired_shipped_lost": 2, "in_stock": 5, "lost": 2, "exported": 2, "for_scan": 3,
}  # fmt: skip
NCM_CONTENT = {"Li": 5.0, "Ni": 18.0, "Co": 6.0, "Mn": 5.5, "Cu": 21.0}
LFP_CONTENT = {"Li": 4.6, "Fe": 38.0, "Cu": 22.0, "electrode_powder": 120.0}


@dataclass
class Step:
    at: datetime
    recorded: datetime
    claims: list[tuple[str, str, str, dict[str, Any]]]  # (pack, type, actor, data)


@dataclass
class Province:
    orgs: dict[str, Org]
    tokens: dict[str, str]
    keys: dict[str, Ed25519PrivateKey]
    paths: dict[str, list[str]] = field(default_factory=dict)  # path -> codes (first code of each life)
    now: datetime = NOW

    def token(self, org_id: str) -> str:
        return self.tokens[org_id]


class _Life:
    """One pack's events, each after the one before; `late` events are recorded weeks after they happen."""

    def __init__(self, rng: random.Random, code: str, at: datetime) -> None:
        self.rng, self.code, self.at, self.recorded = rng, code, at, at
        self.steps: list[Step] = []

    def add(self, type_: str, actor: str, data: dict[str, Any], *, days: float = 0.0, late: bool = False,
            pack: str | None = None) -> None:  # fmt: skip
        self.at += timedelta(days=days, minutes=self.rng.randint(5, 300))
        delay = timedelta(days=self.rng.uniform(30, 70)) if late else timedelta(hours=self.rng.uniform(0.2, 20))
        self.recorded = max(self.recorded, self.at + delay)
        self.steps.append(Step(self.at, self.recorded, [(pack or self.code, type_, actor, data)]))

    def together(self, claims: list[tuple[str, str, str, dict[str, Any]]], *, days: float) -> None:
        self.at += timedelta(days=days)
        self.recorded = max(self.recorded, self.at + timedelta(hours=2))
        self.steps.append(Step(self.at, self.recorded, claims))


def _vin(rng: random.Random) -> str:
    body = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(5))
    return vin_with_check_digit(f"LSV{body}0N{rng.randint(0, 9)}{rng.randint(0, 999999):06d}")


def _produced(rng: random.Random, chemistry: str, **extra: Any) -> dict[str, Any]:
    capacity = rng.choice([50.0, 60.0, 75.0])
    return {"chemistry": chemistry, "rated_capacity_kwh": capacity, "nominal_voltage_v": 350.0,
            "mass_kg": capacity * 6, **extra}  # fmt: skip


def _recycled(rng: random.Random, chemistry: str, below: bool) -> dict[str, Any]:
    content = dict(NCM_CONTENT if chemistry == "NCM" else LFP_CONTENT)
    rates = {element: rng.uniform(0.985, 0.999) for element in content}
    rates["Li"] = rng.uniform(0.81, 0.88) if below else rng.uniform(0.91, 0.96)
    recovered = {element: round(kg * rates[element], 3) for element, kg in content.items()}
    return {"feed_mass_kg": 380.0, "content_kg": content, "recovered_kg": recovered}


def simulate(rng: random.Random) -> tuple[list[Step], dict[str, list[str]]]:
    steps: list[Step] = []
    paths: dict[str, list[str]] = {name: [] for name in PATHS}
    serial = 0
    s2l_serial = 0
    for path, count in PATHS.items():
        for _ in range(count):
            serial += 1
            maker = rng.choice(sorted(MAKERS))
            letter, chemistry = rng.choice([("B", "LFP"), ("E", "NCM")])
            made = START + timedelta(days=rng.randint(0, 75))
            if path in ("vehicle", "in_stock", "swap"):
                made = START + timedelta(days=rng.randint(0, 200))
            elif path == "transit_lost":
                made = START + timedelta(days=rng.randint(100, 150))
            elif path == "for_scan":
                made = NOW - timedelta(days=rng.randint(8, 20))
            if made.day == 31:
                made += timedelta(days=1)
            spec = rng.choice(["12", "34"])
            code = make_code(MAKERS[maker], "pack", letter, spec, f"FJ{serial:05d}", made.date(), serial)
            paths[path].append(code)
            life = _Life(rng, code, made)
            life.add("produced", maker, _produced(rng, chemistry))
            steps += _life(rng, life, path, maker, chemistry, letter, s2l_serial + 1)
            s2l_serial += path == "second_life"
    steps = [step for step in steps if step.recorded < NOW]
    steps.sort(key=lambda s: s.recorded)
    return steps, paths


def _life(rng: random.Random, life: _Life, path: str, maker: str, chemistry: str, letter: str,
          s2l_serial: int) -> list[Step]:  # fmt: skip
    user = "nio-swap" if path == "swap" else rng.choice(["byd-auto", "geely-auto"])
    if path == "for_scan":  # shipped to a collection point, waiting for it to scan and acknowledge
        life.add("shipped", maker, {"to": "xm-collect"}, days=rng.uniform(1, 5))
        return life.steps
    life.add("shipped", maker, {"to": user, "waybill": f"SF{rng.randint(10**8, 10**9)}"}, days=rng.uniform(1, 10))
    if path == "transit_lost":
        return life.steps
    if path == "lost":
        life.add("lost", maker, {"reason": "运输途中遗失"}, days=rng.uniform(5, 15))
        return life.steps
    life.add("received", user, {"from": maker}, days=rng.uniform(1, 3))
    if path == "in_stock":
        return life.steps
    vin = _vin(rng)
    life.add("installed", user, {"vin": vin}, days=rng.uniform(2, 10), late=rng.random() < 0.25)
    if path == "exported":
        life.add("exported", user, {"destination": "TH", "reason": "整车出口"}, days=rng.uniform(10, 30))
    elif path == "repair":
        life.add("removed", "fz-service", {"reason": "repair"}, days=rng.uniform(20, 60), late=rng.random() < 0.4)
        life.add("serviced", "fz-service", {"description": "更换采样板"}, days=1)
        life.add("installed", "fz-service", {"vin": vin}, days=1)
    elif path == "swap":
        for _ in range(rng.randint(1, 2)):
            life.add("removed", user, {"reason": "swap"}, days=rng.uniform(5, 30))
            life.add("installed", user, {"vin": _vin(rng)}, days=0.05, late=rng.random() < 0.3)
    elif path == "scrapped":
        life.add("removed", "fj-dismantler", {"reason": "scrap"}, days=rng.uniform(20, 50), late=rng.random() < 0.5)
        life.add("retired", "fj-dismantler", {"reason": "vehicle_scrapped", "scrap_certificate": "FJ-2026-001"}, days=1)
        life.add("shipped", "fj-dismantler", {"to": "brunp"}, days=rng.uniform(1, 5), late=rng.random() < 0.5)
        _recycle(rng, life, "fj-dismantler", "brunp", chemistry, below=False)
    elif path in ("recycling", "retired_lost", "retired_shipped_lost", "second_life"):
        life.add("retired", user, {"reason": rng.choice(["end_of_life", "damaged"])}, days=rng.uniform(20, 40))
        if path == "retired_shipped_lost":
            life.add("shipped", user, {"to": "qz-collect"}, days=rng.uniform(1, 5))
        elif path == "recycling":
            collector, recycler = rng.choice(["xm-collect", "qz-collect"]), rng.choice(["gem", "brunp", "gem"])
            life.add("shipped", user, {"to": collector}, days=rng.uniform(1, 5))
            life.add("received", collector, {"from": user}, days=rng.uniform(1, 3), late=rng.random() < 0.3)
            life.add("inspected", collector, {"soh_pct": round(rng.uniform(40, 65), 1), "verdict": "recycle"}, days=1)
            life.add("shipped", collector, {"to": recycler}, days=rng.uniform(1, 5), late=rng.random() < 0.3)
            _recycle(rng, life, collector, recycler, chemistry, below=recycler == "gem" and rng.random() < 0.5)
        elif path == "second_life":
            life.add("shipped", user, {"to": "fj-s2l"}, days=rng.uniform(1, 5))
            life.add("received", "fj-s2l", {"from": user}, days=1)
            life.add("inspected", "fj-s2l", {"soh_pct": round(rng.uniform(72, 85), 1), "verdict": "repurpose"}, days=1)
            product_day = (life.at + timedelta(days=4)).date()
            product_day += timedelta(days=1) if product_day.day == 31 else timedelta(0)
            product = make_second_life_code("S2L", "pack", letter, "A1", product_day, s2l_serial)
            life.together([(life.code, "repurposed", "fj-s2l", {"into": product}),
                           (product, "produced", "fj-s2l", _produced(rng, chemistry, **{"from": [life.code]}))],
                          days=5)  # fmt: skip
            life.add("installed", "fj-s2l", {"site": "厦门海沧储能电站"}, days=3, pack=product)
            life.add("removed", "fj-s2l", {"reason": "retirement"}, days=rng.uniform(10, 20), pack=product)
            life.add("retired", "fj-s2l", {"reason": "end_of_life"}, days=1, pack=product)
            life.add("shipped", "fj-s2l", {"to": "brunp"}, days=1, late=rng.random() < 0.5, pack=product)
            life.code = product
            _recycle(rng, life, "fj-s2l", "brunp", chemistry, below=False)
    return life.steps


def _recycle(rng: random.Random, life: _Life, sender: str, recycler: str, chemistry: str, *, below: bool) -> None:
    life.add("received", recycler, {"from": sender}, days=rng.uniform(1, 3), late=rng.random() < 0.25)
    life.add("dismantled", recycler, {"outputs": [{"kind": "material", "name": "黑粉", "mass_kg": 210.0}]}, days=2)
    life.add("recycled", recycler, _recycled(rng, chemistry, below), days=rng.uniform(3, 10), late=rng.random() < 0.3)


def build(ledger: Ledger, *, seed: int = 2018) -> Province:
    """Register the organisations (each with a signing key) and append the simulated province."""
    rng = random.Random(seed)
    keys: dict[str, Ed25519PrivateKey] = {}
    tokens: dict[str, str] = {}
    registered = START - timedelta(days=30)
    with ledger.engine.begin() as conn:
        for org in ORGS:
            tokens[org.id] = registration.create_org(conn, org, now=registered)
            keys[org.id] = Ed25519PrivateKey.generate()
            raw = keys[org.id].public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            registration.add_key(conn, org.id, f"{org.id}/1", raw, now=registered)
    steps, paths = simulate(rng)
    real_clock = ledger.clock
    try:
        for recorded, group in _days(steps):
            ledger.clock = _Fixed(recorded)
            items = []
            for step in group:
                for pack, type_, actor, data in step.claims:
                    claim = new_claim(pack=pack, type=type_, actor=actor, key=f"{actor}/1", data=data, at=step.at,
                                      claim_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)))  # fmt: skip
                    items.append((claim, sign_claim(claim, keys[actor])))
            ledger.append(items)
    finally:
        ledger.clock = real_clock
    return Province({o.id: o for o in ORGS}, tokens, keys, paths)


class _Fixed:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _days(steps: list[Step]) -> list[tuple[datetime, list[Step]]]:
    """Steps grouped by recording day (China time), each group recorded at its last step's time."""
    groups: list[tuple[datetime, list[Step]]] = []
    day: date | None = None
    for step in steps:
        this = (step.recorded + timedelta(hours=8)).date()
        if groups and this == day:
            groups[-1][1].append(step)
            groups[-1] = (step.recorded + timedelta(seconds=1), groups[-1][1])
        else:
            groups.append((step.recorded + timedelta(seconds=1), [step]))
        day = this
    return groups


def public_b64(private: Ed25519PrivateKey) -> str:
    return base64.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()

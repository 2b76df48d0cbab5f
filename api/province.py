"""A simulated province built through the ledger, for `packtrace demo` and the report and web tests.

A `Scenario` names the organisations, the time window and the pace; `build` registers the organisations
(each with a signing key) and appends one life per pack along the paths of the plan: vehicles, repairs,
battery swaps, leasing, second life in storage sites, collection, dismantling and recycling, losses,
exports, incidents, a recall. Some reports are filed weeks late, some packs go out of sight (流向不明),
some recycling falls below the thresholds.

Events are simulated in time order: each happens at `at` and is recorded a little later, or for the late
ones weeks later; the ledger's clock is set to each batch's recording time, so lateness and 流向不明 come
out as they would in a live province. Seeded: the same province on every run.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from api.passport_demo import custodian_attributes, maker_attributes
from events.codes import chemistry_letter, make_code, make_second_life_code, parse_code
from events.elements import ELECTRODE_POWDER
from events.lots import lot_subject
from events.orgs import Org, Role
from events.timestamps import CHINA_TZ
from events.vin import vin_with_check_digit
from ledger.format.claims import make_signed_claim
from ledger.log import Ledger
from ledger.store import registry
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from ledger.usecases.custodial import create_platform_key

Claim = tuple[str, str, str, dict[str, Any]]  # (pack, type, actor, data)

# The paths a pack's life may take; a scenario's plan names one per pack.
PATHS = (
    "in_vehicle", "repair", "swap", "lessor", "exported", "in_stock", "lost", "in_transit_unknown", "for_scan",
    "recycling", "second_life", "retired_unknown", "retired_shipped_unknown", "dismantler", "scrapped", "backyard",
    "scrapped_kept", "collector_idle", "idle_stock", "dealer_retired", "late_listed", "displaced",
    "imported",  # made abroad, registered by an importer (进口商) with the 报关单号, then a vehicle's like in_vehicle
    "lot",  # retired, shredded in a recycler lot (docs/recycling-lots.md); the lot reports for all its inputs
)  # fmt: skip
SPLIT_SERIALS = 500_000  # the second product of a one-to-many repurposing: its serial is this plus the first's
_STANDING = ("in_vehicle", "in_stock", "swap", "lessor")  # lives that end in a standing state
# Organisations that work from a phone (collection points, recyclers, second-life companies, dismantlers,
# repair shops, swap stations): with a sealing key they get a platform-held key, so the scan page can sign
# for them.
PLATFORM_KEY_ROLES = {
    Role.COLLECTOR, Role.RECYCLER, Role.SECOND_LIFE, Role.VEHICLE_DISMANTLER, Role.SERVICE, Role.SWAP_OPERATOR,
}  # fmt: skip
NCM_CONTENT = {"Li": 5.0, "Ni": 18.0, "Co": 6.0, "Mn": 5.5, "Cu": 21.0, "Al": 14.0}
LFP_CONTENT = {"Li": 4.6, "Fe": 38.0, "Cu": 22.0, "Al": 16.0, ELECTRODE_POWDER: 120.0}


@dataclass(frozen=True)
class Recall:
    campaign: str
    reason: str
    maker: str
    chemistry: str
    produced: tuple[date, date]

    def covers(self, maker: str, chemistry: str, made: date) -> bool:
        return (maker, chemistry) == (self.maker, self.chemistry) and self.produced[0] <= made <= self.produced[1]


@dataclass(frozen=True)
class Listing:
    """A 规范条件 decision about a recycler, in force from `effective` (China time)."""

    org: str
    listed: bool
    effective: date
    reference: str


@dataclass(frozen=True)
class Scenario:
    """What a province is made of: its organisations, its window in time and how fast lives go."""

    orgs: tuple[Org, ...]
    start: datetime
    end: datetime  # nothing recorded at or after it
    key_name: str  # each organisation's key id is f"{org}/{key_name}"
    specs: tuple[str, ...]  # the spec field of the codes
    chemistries: tuple[str, ...]  # drawn from for each pack (repeat one to weigh it)
    made_within: tuple[float, float]  # days after `start`: packs of settled lives, of standing lives
    use_days: tuple[float, float]  # how long a pack serves before it is repaired, retired, exported
    storage_days: tuple[float, float]  # how long a second-life product serves in its storage site
    lateness: float  # scales the odds that an event is recorded weeks late
    weak_recycler: str  # the recycler whose lithium recovery is now and then below the threshold
    vin_makers: tuple[str, ...]  # world manufacturer identifiers of the vehicles' VINs
    sites: tuple[str, ...] = ("厦门海沧储能电站",)
    swap_sites: tuple[str, ...] = ("厦门海沧换电站", "福州仓山换电站")
    incidents: float = 0.0  # the odds that a pack in a vehicle has an incident
    recall: Recall | None = None
    listings: tuple[Listing, ...] = ()  # recorded with the organisations; `late_listed` packs go to the first
    until: datetime | None = None  # nothing recorded at or after it either: no entry later than the build

    @property
    def last_moment(self) -> datetime:
        """Where the record stops: the end, or earlier `until`."""
        return self.end if self.until is None else min(self.end, self.until)

    @property
    def importers(self) -> dict[str, str]:
        """Importer organisation → its (first) manufacturer code: the prefix of the packs it imports."""
        return {o.id: min(o.manufacturer_codes) for o in self.orgs if Role.IMPORTER in o.roles and o.manufacturer_codes}

    def ids(self, role: Role, *, whitelisted: bool | None = None) -> list[str]:
        return [o.id for o in self.orgs if role in o.roles and whitelisted in (None, o.whitelisted)]

    @property
    def makers(self) -> dict[str, str]:
        """Manufacturer organisation → its (first) manufacturer code."""
        return {o.id: min(o.manufacturer_codes) for o in self.orgs if Role.MANUFACTURER in o.roles}


@dataclass
class Step:
    """One submission: a claim (or two that must travel together), when it happened and was recorded."""

    at: datetime
    recorded: datetime
    claims: list[Claim]


@dataclass
class Province:
    orgs: dict[str, Org]
    tokens: dict[str, str]
    keys: dict[str, Ed25519PrivateKey]
    paths: dict[str, list[str]]  # path -> the first code of each life
    entries: int
    now: datetime  # the scenario's end: the province as seen then
    # a module a repair took out and a later repair fitted into another pack -> those packs, in order
    moved_modules: dict[str, list[str]] = field(default_factory=dict)

    @property
    def packs(self) -> int:
        return sum(len(codes) for codes in self.paths.values())

    def token(self, org_id: str) -> str:
        return self.tokens[org_id]


class _Life:
    """One pack's events, each after the one before; `late` events are recorded weeks after they happen."""

    def __init__(self, rng: random.Random, scenario: Scenario, code: str, at: datetime, serial: int = 0) -> None:
        self.rng, self.scenario, self.code, self.at, self.recorded = rng, scenario, code, at, at
        self.serial = serial
        self.steps: list[Step] = []
        self.spares: list[str] = []  # packs this life brought in beside its own (a swap station's spare)
        self.split: list[str] = []  # a retired pack repurposed into two products (one-to-many): the original
        self.modules: list[str] = []  # the modules its `produced` lists (a repair replaces the first)

    def late(self, odds: float) -> bool:
        return self.rng.random() < odds * self.scenario.lateness

    def add(self, type_: str, actor: str, data: dict[str, Any], *, days: float = 0.0, late: bool = False,
            pack: str | None = None) -> None:  # fmt: skip
        self.at += timedelta(days=days, minutes=self.rng.randint(5, 300))
        delay = timedelta(days=self.rng.uniform(30, 70)) if late else timedelta(hours=self.rng.uniform(0.2, 20))
        self.recorded = max(self.recorded, self.at + delay)
        self.steps.append(Step(self.at, self.recorded, [(pack or self.code, type_, actor, data)]))

    def together(self, claims: list[Claim], *, days: float) -> None:
        self.at += timedelta(days=days)
        self.recorded = max(self.recorded, self.at + timedelta(hours=2))
        self.steps.append(Step(self.at, self.recorded, claims))

    def used(self) -> float:
        return self.rng.uniform(*self.scenario.use_days)


def _vin(rng: random.Random, makers: Sequence[str]) -> str:
    prefix = rng.choice(makers)
    body = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(5))
    return vin_with_check_digit(f"{prefix}{body}0{rng.choice('NPRST')}{rng.randint(0, 9)}{rng.randint(0, 999999):06d}")


def _produced(rng: random.Random, chemistry: str, **extra: Any) -> dict[str, Any]:
    capacity = rng.choice([42.5, 55.0, 60.0, 75.0, 90.0]) if chemistry != "LFP" or rng.random() < 0.5 else 60.0
    return {"chemistry": chemistry, "rated_capacity_kwh": capacity, "nominal_voltage_v": 350.0,
            "mass_kg": round(capacity * 6.1, 1), "batch": f"B{rng.randint(100, 999)}", "plant": "宁德基地",
            **extra}  # fmt: skip


def _import(made: datetime, serial: int) -> dict[str, Any]:
    """An imported pack's `produced` members: made abroad, declared at Xiamen customs (关区 3701) the day it was
    made (the demo's ships are fast), registered by the importer minutes later."""
    return {"plant": "LG Energy Solution Ochang", "imported": {
        "foreign_manufacturer": {"name": "LG Energy Solution", "country": "KR"},
        "customs_declaration": f"3701{made.year}1{serial:09d}", "import_date": made.date().isoformat()}}  # fmt: skip


def _recycled(rng: random.Random, chemistry: str, below: bool) -> dict[str, Any]:
    content = dict(LFP_CONTENT if chemistry == "LFP" else NCM_CONTENT)
    rates = {element: rng.uniform(0.985, 0.999) for element in content}
    rates["Li"] = rng.uniform(0.81, 0.88) if below else rng.uniform(0.91, 0.96)  # either side of 90 %
    recovered = {element: round(kg * rates[element], 3) for element, kg in content.items()}
    return {"feed_mass_kg": 380.0, "content_kg": content, "recovered_kg": recovered}


def ending_on(scenario: Scenario, day: date, *, until: datetime | None = None) -> Scenario:
    """The scenario's storyline moved by whole days so that its last day (China time) is `day`: the same lives
    at the same times of day, every date of the story (window, recall, registry decisions) moved alike, so the
    province is the same for the same day. With `until` (the moment of building), nothing is recorded at or
    after it: the story's last afternoon is not recorded in the morning."""
    shift = timedelta(days=(day - scenario.end.astimezone(CHINA_TZ).date()).days)
    recall = scenario.recall
    if recall is not None:
        recall = replace(recall, produced=(recall.produced[0] + shift, recall.produced[1] + shift))
    return replace(
        scenario,
        start=scenario.start + shift,
        end=scenario.end + shift,
        recall=recall,
        listings=tuple(replace(listing, effective=listing.effective + shift) for listing in scenario.listings),
        until=until,
    )


def _made(rng: random.Random, scenario: Scenario, path: str) -> datetime:
    if path == "for_scan":  # shipped lately: in transit, waiting for the collection point to scan it
        made = scenario.end - timedelta(days=rng.uniform(8, 20))
    elif path == "in_transit_unknown":  # shipped long enough ago to be 流向不明
        made = scenario.end - timedelta(days=rng.uniform(50, 90))
    elif path == "idle_stock":  # delivered early on and never installed: idle in stock
        made = scenario.start + timedelta(days=rng.uniform(0, 10))
    else:
        made = scenario.start + timedelta(days=rng.uniform(0, scenario.made_within[path in _STANDING]))
    if made.day == 31:  # GB/T 34014's letter for the 31st is unconfirmed; strict parsing refuses it
        made += timedelta(days=1)
    return made


def _modules(prefix: str, letter: str, spec: str, made: date, serial: int) -> dict[str, Any]:
    """`produced` members of a pack with two modules of two cells each (docs/modules.md)."""
    modules = [make_code(prefix, "module", letter, spec, f"FM{serial:05d}", made, serial * 10 + k) for k in (1, 2)]
    cells = {m: [make_code(prefix, "cell", letter, spec, f"FC{serial:05d}", made, serial * 100 + 10 * k + n)
                 for n in (1, 2)] for k, m in enumerate(modules, start=1)}  # fmt: skip
    return {"modules": modules, "cells": [c for held in cells.values() for c in held], "module_cells": cells}


def simulate(
    rng: random.Random, scenario: Scenario, plan: Sequence[str], moved: dict[str, list[str]] | None = None
) -> tuple[list[Step], dict[str, list[str]]]:
    """Every pack's life along the plan's paths; the steps recorded before the end, in recording order.
    `moved` gets each module a repair took out of one pack and fitted into another (docs/modules.md)."""
    steps: list[Step] = []
    loose: list[tuple[datetime, str, str]] = []  # modules repairs took out: (recorded, module, its pack)
    moved = {} if moved is None else moved
    paths: dict[str, list[str]] = {path: [] for path in dict.fromkeys(plan)}
    makers = scenario.makers
    shared_vins: list[str] = []  # the vehicle of a `displaced` pack, waiting for the second
    for serial, path in enumerate(plan, start=1):
        imported = path == "imported"
        prefixes = scenario.importers if imported else makers
        maker = rng.choice(sorted(prefixes))
        chemistry = rng.choice(scenario.chemistries)
        made = _made(rng, scenario, path)
        code = make_code(prefixes[maker], "pack", chemistry_letter(chemistry), rng.choice(scenario.specs),
                         f"FJ{serial:05d}", made.date(), serial)  # fmt: skip
        paths[path].append(code)
        life = _Life(rng, scenario, code, made, serial)
        extra = _import(made, serial) if imported else {}
        if path == "repair":
            extra = _modules(prefixes[maker], code[4], code[5:7], made.date(), serial)
            life.modules = extra["modules"]
        life.add("produced", maker, _produced(rng, chemistry, **extra))
        recall = scenario.recall
        if recall and recall.covers(maker, chemistry, made.date()):
            life.add("recalled", maker, {"campaign": recall.campaign, "reason": recall.reason},
                     days=rng.uniform(30, 60))  # fmt: skip
        _live(
            life, "in_vehicle" if imported else path, maker, chemistry, len(paths.get("second_life", ())), shared_vins,
            _Repairs(loose, moved),
        )  # fmt: skip
        if life.spares:
            paths.setdefault("swap_spare", []).extend(life.spares)
        if life.split:
            paths.setdefault("second_life_split", []).extend(life.split)
        steps += life.steps
    passport = _passport_steps(steps, scenario.last_moment)
    if passport:
        paths["passport_complete"] = [passport[0].claims[0][0]]
    steps = [step for step in steps if step.recorded < scenario.last_moment] + passport
    steps += _lot_steps(steps, scenario.last_moment)
    steps.sort(key=lambda s: s.recorded)
    return steps, paths


@dataclass
class _Repairs:
    """What the repair shop's lives share: the modules taken out, waiting to be fitted into another pack."""

    loose: list[tuple[datetime, str, str]]  # (recorded, module, the pack it came out of)
    moved: dict[str, list[str]]  # module -> the packs that held it

    def replace(self, life: _Life, service: str) -> None:
        """Replace the pack's first module: with a remanufactured one an earlier repair took out (recorded before
        this one happens, so the log meets them in order), else with a new spare; the old one goes loose."""
        old = life.modules[0]
        fits = [m for m in self.loose if m[0] < life.at + timedelta(days=1)]
        if fits:
            self.loose.remove(fits[0])
            _, new, source = fits[0]
            data = {"description": "换装再制造模组 fitted a remanufactured module", "remanufactured": True,
                    "replaced_modules": [{"old": old, "new": new}]}  # fmt: skip
            self.moved[new] = [source, life.code]
        else:
            new = old[:7] + "SPARE" + old[12:]
            data = {"description": "更换故障模组 replaced a faulty module",
                    "replaced_modules": [{"old": old, "new": new}]}  # fmt: skip
        life.add("serviced", service, data, days=1)
        self.loose.append((life.recorded, old, life.code))


def _live(
    life: _Life,
    path: str,
    maker: str,
    chemistry: str,
    s2l_serial: int,
    shared_vins: list[str],
    repairs: _Repairs | None = None,
) -> None:
    rng, scenario = life.rng, life.scenario
    users = {"swap": scenario.ids(Role.SWAP_OPERATOR), "lessor": scenario.ids(Role.LESSOR)}
    user = rng.choice(users.get(path) or scenario.ids(Role.AUTOMAKER))
    collectors = scenario.ids(Role.COLLECTOR)
    if path == "for_scan":
        life.add("shipped", maker, {"to": collectors[0]}, days=rng.uniform(1, 5))
        return
    if path == "lessor":  # 车电分离: the lessor buys the pack from its maker before it is shipped
        sale = {"to": user, "reference": f"购销合同 BAAS-{life.serial:05d}"}
        life.together([(life.code, "ownership_transferred", maker, sale)], days=0.5)
    life.add("shipped", maker, {"to": user, "waybill": f"SF{rng.randint(10**9, 10**10 - 1)}"}, days=rng.uniform(1, 10))
    if path == "in_transit_unknown":
        return
    if path == "lost":
        life.add("lost", maker, {"reason": "运输途中遗失 lost in transit"}, days=rng.uniform(5, 15))
        return
    life.add("received", user, {"from": maker}, days=rng.uniform(1, 3))
    if path in ("in_stock", "idle_stock"):
        return
    if path == "displaced" and shared_vins:  # the second of two in one vehicle: nobody reports the first removed
        vin = shared_vins.pop()
    else:
        vin = _vin(rng, scenario.vin_makers)
        if path == "displaced":
            shared_vins.append(vin)
    life.add("installed", user, {"vin": vin}, days=rng.uniform(2, 10), late=life.late(0.25))
    if rng.random() < scenario.incidents:
        life.add("incident", user, {"kind": rng.choice(["collision", "flood", "thermal_event"]),
                                    "severity": rng.choice(["low", "medium", "high"]),
                                    "description": "车辆事故后检查 checked after an accident"},
                 days=rng.uniform(30, 200))  # fmt: skip
    if path == "lessor":
        _lease(life, user, vin)
    whitelisted = scenario.ids(Role.RECYCLER, whitelisted=True)
    steady = [r for r in whitelisted if r != scenario.weak_recycler]
    dismantler = scenario.ids(Role.VEHICLE_DISMANTLER)[0]
    if path == "exported":
        life.add("exported", user, {"destination": rng.choice(["TH", "MY", "AE"]), "reason": "整车出口 vehicle export"},
                 days=life.used())  # fmt: skip
    elif path == "repair":
        service = scenario.ids(Role.SERVICE)[0]
        life.add("removed", service, {"reason": "repair"}, days=life.used(), late=life.late(0.4))
        if repairs is not None and life.modules:
            repairs.replace(life, service)
        else:
            life.add("serviced", service, {"description": "更换采样板 replaced the sampling board"}, days=1)
        life.add("installed", service, {"vin": vin}, days=1)
    elif path == "swap":
        _swaps(life, user, maker, chemistry, vin)
    elif path == "scrapped":  # the vehicle is scrapped: its dismantler takes the pack out and sends it on
        life.add("removed", dismantler, {"reason": "scrap"}, days=life.used(), late=life.late(0.5))
        life.add("retired", dismantler, {"reason": "vehicle_scrapped", "scrap_certificate": "FJ-2026-001"}, days=1)
        life.add("shipped", dismantler, {"to": steady[0]}, days=rng.uniform(1, 5), late=life.late(0.5))
        _recycle(life, dismantler, steady[0], chemistry, below=False)
    elif path == "scrapped_kept":  # the vehicle is scrapped; its dismantler keeps the pack (never hands it on)
        life.add("removed", dismantler, {"reason": "scrap"}, days=life.used())
        life.add("retired", dismantler, {"reason": "vehicle_scrapped", "scrap_certificate": "FJ-2026-002"}, days=1)
    elif path in ("recycling", "second_life", "retired_unknown", "retired_shipped_unknown", "dismantler", "backyard",
                  "collector_idle", "dealer_retired", "late_listed", "lot"):  # fmt: skip
        # the packs retired and left where they are have reasons other than scrapping (see scrapped_kept)
        reasons = ["end_of_life", "vehicle_scrapped", "damaged"]
        reasons = [r for r in reasons if path != "retired_unknown" or r != "vehicle_scrapped"]
        life.add("retired", user, {"reason": rng.choice(reasons)}, days=life.used())
        if path == "retired_shipped_unknown":  # shipped to a collection point that never acknowledged it
            life.add("shipped", user, {"to": collectors[-1]}, days=rng.uniform(1, 5))
        elif path == "dismantler":
            life.add("shipped", user, {"to": dismantler}, days=rng.uniform(1, 10))
            life.add("received", dismantler, {"from": user}, days=1)
            life.add("dismantled", dismantler, {"outputs": [{"kind": "material", "name": "电池包壳体 casing",
                                                             "mass_kg": 45.0}]}, days=rng.uniform(2, 20))  # fmt: skip
        elif path == "backyard":  # a recycler off the 规范条件 list
            backyard = scenario.ids(Role.RECYCLER, whitelisted=False)[0]
            life.add("shipped", user, {"to": backyard}, days=rng.uniform(1, 10))
            life.add("received", backyard, {"from": user}, days=1)
        elif path == "collector_idle":  # collected, then left at the collection point
            collector = rng.choice(collectors)
            life.add("shipped", user, {"to": collector}, days=rng.uniform(1, 5))
            life.add("received", collector, {"from": user}, days=rng.uniform(1, 3))
        elif path == "dealer_retired":  # handed to a dealer, which may not hold a retired pack
            dealer = (scenario.ids(Role.DEALER) or scenario.ids(Role.SERVICE))[0]
            life.add("shipped", user, {"to": dealer}, days=rng.uniform(1, 5))
            life.add("received", dealer, {"from": user}, days=1)
        elif path == "late_listed":  # a recycler whose 规范条件 status changes (Scenario.listings)
            recycler = scenario.listings[0].org
            life.add("shipped", user, {"to": recycler}, days=rng.uniform(1, 5))
            life.add("received", recycler, {"from": user}, days=1)
        elif path == "recycling":
            collector, recycler = rng.choice(collectors), rng.choice(whitelisted)
            below = recycler == scenario.weak_recycler and rng.random() < 0.5
            life.add("shipped", user, {"to": collector}, days=rng.uniform(1, 5))
            life.add("received", collector, {"from": user}, days=rng.uniform(1, 3), late=life.late(0.3))
            life.add("inspected", collector, {"soh_pct": round(rng.uniform(40, 65), 1), "verdict": "recycle"}, days=1)
            life.add("shipped", collector, {"to": recycler}, days=rng.uniform(1, 5), late=life.late(0.3))
            _recycle(life, collector, recycler, chemistry, below=below)
        elif path == "second_life":
            _second_life(life, user, chemistry, s2l_serial, steady[0])
        elif path == "lot":  # every other lot pack into each of the recycler's two demo lots
            recycler = steady[0]
            life.add("shipped", user, {"to": recycler}, days=rng.uniform(1, 5))
            life.add("received", recycler, {"from": user}, days=rng.uniform(1, 3))
            lot = lot_subject(recycler, DEMO_LOTS[life.serial % 2])
            life.add("lotted", recycler, {"lot": lot}, days=rng.uniform(2, 10))


def _swaps(life: _Life, operator: str, maker: str, chemistry: str, vin: str) -> None:
    """The vehicle comes to the operator's station: its pack goes out into the station's pool and a spare of
    the operator's stock goes in, as one `swapped` batch; half the time the vehicle comes back later and
    gets its own pack back (the spare returns to the pool)."""
    rng, scenario = life.rng, life.scenario
    day = life.at.date() + timedelta(days=1)
    day += timedelta(days=1) if day.day == 31 else timedelta(0)
    serial = life.serial
    spare = make_code(scenario.makers[maker], "pack", chemistry_letter(chemistry), rng.choice(scenario.specs),
                      f"SW{serial:05d}", day, serial)  # fmt: skip
    life.spares.append(spare)
    box = {"box_code": f"NIO{serial:07d}SW"}
    life.add("produced", maker, _produced(rng, chemistry, **box), days=2, pack=spare)
    life.add("shipped", maker, {"to": operator}, days=1, pack=spare)
    life.add("received", operator, {"from": maker}, days=1, pack=spare)
    site = rng.choice(scenario.swap_sites)
    pair = [(life.code, spare), (spare, life.code)]
    for _ in range(rng.randint(1, 2)):
        (outgoing, incoming) = pair[0]
        life.together([(outgoing, "swapped", operator, {"direction": "out", "vin": vin, "partner": incoming,
                                                         "site": site}),
                       (incoming, "swapped", operator, {"direction": "in", "vin": vin, "partner": outgoing})],
                      days=rng.uniform(5, 30))  # fmt: skip
        pair.reverse()


def _lease(life: _Life, lessor: str, vin: str) -> None:
    """车电分离 (docs/ownership.md): the lessor, owner of the pack, leases it out for the vehicle it installed it
    in; the lessee is a swap operator, the service provider its users deal with. Every other lease takes the
    pack to the service shop and back, so custody changes while the lessor stays the owner; every third
    ends (and a new one begins); every fourth pack is retired at the service shop and left there, which the
    lessor answers for (docs/ownership.md). Steps without random draws, so the rest of the province is as it was."""
    scenario, serial = life.scenario, life.serial
    lessee = (scenario.ids(Role.SWAP_OPERATOR) or scenario.ids(Role.AUTOMAKER))[0]
    until = (life.at + timedelta(days=5 * 365)).date().isoformat()
    life.together([(life.code, "leased", lessor, {"lessee": lessee, "vin": vin, "until": until})], days=1)
    if serial % 2 == 0:
        service = scenario.ids(Role.SERVICE)[0]
        life.together([(life.code, "removed", service, {"reason": "repair"})], days=40)
        life.together([(life.code, "installed", service, {"vin": vin})], days=2)
    if serial % 3 == 0:
        life.together([(life.code, "lease_ended", lessor, {"reason": "terminated"})], days=30)
        life.together([(life.code, "leased", lessor, {"lessee": lessee, "vin": vin})], days=1)
    if serial % 4 == 0:  # retired at the service shop, and never collected: the lessor answers for it (流向不明)
        service = scenario.ids(Role.SERVICE)[0]
        life.together([(life.code, "removed", service, {"reason": "retirement"})], days=20)
        life.together([(life.code, "retired", service, {"reason": "end_of_life"})], days=1)
        life.together([(life.code, "lease_ended", lessor, {"reason": "retired"})], days=1)


def _second_life(life: _Life, user: str, chemistry: str, serial: int, recycler: str) -> None:
    """Repurposed into a storage product; unless it stays in its site, retired again and recycled."""
    rng, scenario = life.rng, life.scenario
    s2l = next(o for o in scenario.orgs if Role.SECOND_LIFE in o.roles)
    life.add("shipped", user, {"to": s2l.id}, days=rng.uniform(1, 5))
    life.add("received", s2l.id, {"from": user}, days=1)
    life.add("inspected", s2l.id, {"soh_pct": round(rng.uniform(72, 85), 1), "verdict": "repurpose"}, days=1)
    product_day = (life.at + timedelta(days=4)).date()  # made before its `produced` (China time)
    product_day += timedelta(days=1) if product_day.day == 31 else timedelta(0)
    letter = chemistry_letter(chemistry)
    product = make_second_life_code(min(s2l.manufacturer_codes), "pack", letter, "A1", product_day, serial)
    made = _produced(rng, chemistry, **{"from": [life.code]})
    if serial % 2:  # one-to-many: every other pack becomes two storage products, the second kept at a site
        second = make_second_life_code(min(s2l.manufacturer_codes), "pack", letter, "A1", product_day,
                                       SPLIT_SERIALS + serial)  # fmt: skip
        life.split.append(life.code)
        life.together([(life.code, "repurposed", s2l.id, {"into": [product, second]}),
                       (product, "produced", s2l.id, made), (second, "produced", s2l.id, made)], days=5)  # fmt: skip
        life.together([(second, "installed", s2l.id, {"site": scenario.sites[0]})], days=0)  # no draws: as before
    else:
        life.together([(life.code, "repurposed", s2l.id, {"into": product}), (product, "produced", s2l.id, made)],
                      days=5)  # fmt: skip
    life.code = product
    life.add("installed", s2l.id, {"site": rng.choice(scenario.sites)}, days=3)
    life.add("removed", s2l.id, {"reason": "retirement"}, days=rng.uniform(*scenario.storage_days))
    life.add("retired", s2l.id, {"reason": "end_of_life"}, days=1)
    life.add("shipped", s2l.id, {"to": recycler}, days=1, late=life.late(0.5))
    _recycle(life, s2l.id, recycler, chemistry, below=False)


def _passport_steps(steps: list[Step], end: datetime) -> list[Step]:
    """The demo's complete battery passport (docs/passport.md): the first second-life product kept at its storage
    site (the second of a one-to-many repurposing) is inspected there three weeks after it went in, then its
    maker, the second-life company, posts the maker's attributes and, as its custodian, the measured values
    (api/passport_demo.py: the demo's values, never real data). No random draws: the rest of the province is
    the same with or without it. Empty if no such product was installed three weeks before `end`."""
    made = {pack: data for step in steps for pack, type_, _, data in step.claims if type_ == "produced"}
    kept = [into[1] for step in steps for _, type_, _, data in step.claims
            if type_ == "repurposed" and isinstance(into := data["into"], list)]  # fmt: skip
    for product in kept:
        installed = next(
            (s for s in steps for pack, type_, _, _ in s.claims if pack == product and type_ == "installed"), None
        )
        if installed is None or installed.at + timedelta(days=21, hours=3) >= end:
            continue
        at, owner, data = installed.at + timedelta(days=21), installed.claims[0][2], made[product]
        rated, volts, soh = data["rated_capacity_kwh"], data["nominal_voltage_v"], 88.0
        grade = {"soh_pct": soh, "verdict": "reuse", "residual_capacity_kwh": round(rated * soh / 100, 1),
                 "internal_resistance_mohm": 95.0, "safety_class": "GB/T 38698.1 一般"}  # fmt: skip
        day = parse_code(product).production_date or at.date()
        maker = maker_attributes(product, data["chemistry"], rated, volts, day, purpose="stationary energy storage")
        measured = custodian_attributes(rated, volts, soh, at)
        hour = timedelta(hours=1)
        return [
            Step(at, at + hour, [(product, "inspected", owner, grade)]),
            Step(at + hour, at + 2 * hour, [(product, "passport", owner, {"attributes": maker})]),
            Step(at + 2 * hour, at + 3 * hour, [(product, "passport", owner, {"attributes": measured})]),
        ]
    return []


def _recycle(life: _Life, sender: str, recycler: str, chemistry: str, *, below: bool) -> None:
    rng = life.rng
    outputs = [{"kind": "material", "name": "黑粉 black mass", "mass_kg": 210.0},
               {"kind": "material", "name": "铝壳 aluminium casing", "mass_kg": 38.0}]  # fmt: skip
    life.add("received", recycler, {"from": sender}, days=rng.uniform(1, 3), late=life.late(0.25))
    life.add("dismantled", recycler, {"outputs": outputs}, days=rng.uniform(2, 10))
    life.add("recycled", recycler, _recycled(rng, chemistry, below), days=rng.uniform(3, 10), late=life.late(0.3))


# The demo's two recycler lots: the first takes in imported black mass too and balances; the second claims
# more nickel than its packs could hold, for the mass balance to flag.
DEMO_LOTS = ("DEMO-A", "DEMO-B")
LOT_SHARE = {"NCM": {"Ni": 0.08, "Co": 0.02, "Mn": 0.02, "Li": 0.015}, "LFP": {"Li": 0.01}}  # of the pack's mass
BLACK_MASS_CONTENT = {"Ni": 240.0, "Co": 60.0, "Mn": 50.0, "Li": 50.0}  # of 2,000 kg imported from Korea


def _lot_steps(steps: list[Step], end: datetime) -> list[Step]:
    """Each lot's `lot_opened` before its first pack went in and, if before `end`, its `lot_recovered` after
    the last: the assay from each pack's `produced` mass and chemistry (and the black mass as declared)."""
    produced = {pack: data for step in steps for pack, type_, _, data in step.claims if type_ == "produced"}
    into: dict[str, list[tuple[Step, str]]] = {}
    for step in steps:
        for pack, type_, _, data in step.claims:
            if type_ == "lotted":
                into.setdefault(data["lot"], []).append((step, pack))
    added = []
    for n, (lot, entered) in enumerate(sorted(into.items())):
        recycler = lot.split(":")[1]
        first, last = min(s.at for s, _ in entered), max(s.recorded for s, _ in entered)
        opened_at = first - timedelta(days=2)
        black = [{"mass_kg": 2000.0, "content_kg": BLACK_MASS_CONTENT, "origin": "KR", "supplier": "SungEel HiTech",
                  "customs_declaration": f"3701{opened_at.year}1{n + 1:09d}"}] if n == 0 else []  # fmt: skip
        added.append(
            Step(opened_at, opened_at + timedelta(hours=1), [(lot, "lot_opened", recycler, {"black_mass": black})])
        )
        content: dict[str, float] = dict(BLACK_MASS_CONTENT) if black else {}
        for _, pack in entered:
            data = produced[pack]
            for element, share in LOT_SHARE.get(data["chemistry"], {}).items():
                content[element] = content.get(element, 0.0) + share * data["mass_kg"]
        content = {element: round(kg, 1) for element, kg in content.items()}
        recovered = {element: round(kg * (0.92 if element == "Li" else 0.985), 1) for element, kg in content.items()}
        if n == 1:  # the second lot claims more nickel than its packs could hold (15 % of their mass at most)
            ceiling = sum(0.15 * produced[pack]["mass_kg"] for _, pack in entered)
            recovered["Ni"] = round(ceiling + 120.0, 1)
            content["Ni"] = round(recovered["Ni"] + 5.0, 1)
        at = last + timedelta(days=3)
        if at + timedelta(hours=2) < end:
            report = {"packs": [pack for _, pack in entered], "content_kg": content, "recovered_kg": recovered}
            added.append(Step(at, at + timedelta(hours=2), [(lot, "lot_recovered", recycler, report)]))
    return added


def _batches(steps: list[Step]) -> Iterator[tuple[datetime, list[Step]]]:
    """Steps grouped by recording day (China time), each batch recorded just after its last step, so
    every step's lateness is exactly as simulated."""
    group: list[Step] = []
    day = None
    for step in steps:
        this = (step.recorded + timedelta(hours=8)).date()
        if group and (this != day or len(group) >= 2000):
            yield group[-1].recorded, group
            group = []
        day = this
        group.append(step)
    if group:
        yield group[-1].recorded, group


def build(
    ledger: Ledger,
    scenario: Scenario,
    plan: Sequence[str],
    *,
    seed: int,
    sealing_key: bytes | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Province:
    """Register the organisations and append the simulated province; the ledger must be empty.

    With `sealing_key`, the organisations of PLATFORM_KEY_ROLES also get a platform-held key."""
    with ledger.engine.connect() as conn:
        if registry.org_count(conn):
            raise ValueError("a simulated province is built on a database without organisations")
    rng = random.Random(seed)
    registered = scenario.start - timedelta(days=30)
    tokens: dict[str, str] = {}
    keys: dict[str, Ed25519PrivateKey] = {}
    real_clock = ledger.clock
    try:
        ledger.clock = lambda: registered
        first_keys: list[tuple[Org, list[tuple[str, bytes]]]] = []
        for org in scenario.orgs:
            if org.roles == {Role.ADMIN}:
                first_keys.append((org, []))
                continue
            keys[org.id] = Ed25519PrivateKey.generate()
            raw = keys[org.id].public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
            first_keys.append((org, [(f"{org.id}/{scenario.key_name}", raw)]))
        tokens.update(orgkeys.register_many(ledger, ADMIN, first_keys))
        for listing in scenario.listings:
            orgkeys.update_org(ledger, ADMIN, listing.org, whitelisted=listing.listed, effective=listing.effective,
                               reference=listing.reference)  # fmt: skip
        if sealing_key is not None:
            for org in scenario.orgs:
                if org.roles & PLATFORM_KEY_ROLES:
                    create_platform_key(ledger, org.id, sealing_key=sealing_key)
        moved: dict[str, list[str]] = {}
        steps, paths = simulate(rng, scenario, plan, moved)
        done = 0
        for recorded, group in _batches(steps):
            items = []
            for step in group:
                for pack, type_, actor, data in step.claims:
                    items.append(make_signed_claim(
                        keys[actor], pack=pack, type=type_, actor=actor, key=f"{actor}/{scenario.key_name}",
                        data=data, at=step.at, claim_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    ))  # fmt: skip
            at = recorded + timedelta(seconds=1)
            ledger.clock = lambda: at  # noqa: B023 -- read during this batch's append only
            ledger.append(items)
            done += len(group)
            if progress:
                progress(done, len(steps))
    finally:
        ledger.clock = real_clock
    fitted_in = {
        replacement["new"]
        for step in steps
        for _, type_, _, data in step.claims
        if type_ == "serviced"
        for replacement in data.get("replaced_modules", ())
    }
    fitted = {module: packs for module, packs in moved.items() if module in fitted_in}
    return Province({o.id: o for o in scenario.orgs}, tokens, keys, paths, ledger.size(), scenario.last_moment, fitted)

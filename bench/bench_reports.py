"""Report benchmarks: every regulator answer over a log of 1 M entries on PostgreSQL, each as a ratio to a
plain `SELECT count(*)` of the entry table measured right before it, run after run (interleaved: this
machine's speed drifts by 20-30 % within one run).

    python bench/bench_reports.py                       # 1 M entries (about 230,000 packs), 20-30 minutes
    python bench/bench_reports.py --quick               # smoke run: 20,000 entries, about a minute
    python bench/bench_reports.py --quick --sqlite      # the same on SQLite (a temporary file)
    python bench/bench_reports.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

The data goes in through the ledger's own append, as pre-signed claims in batches of at most 10,000
(signed in a second process while the ledger appends): every entry is a real, verifiable entry. 20 makers
(4 in the quick run) each make 25 packs a day, so one maker's packs of 40 consecutive days are exactly
1,000. A pack's life follows one of LIVES, drawn per pack with these weights per 1,000 packs:

    920  in a vehicle: produced → shipped → received → installed (4 entries)
     30  recycled: retired at end of life, handed to a collection point, then to a listed recycler,
         dismantled and recycled (11)
     15  vehicle scrapped: the dismantler removes and retires the pack and hands it to a listed recycler,
         which dismantles and recycles it (10)
      5  each, the 流向不明 reasons (events.whereabouts): shipped and never received (2); received and
         never installed (idle in stock, 3); retired and never collected (5); retired and kept by a
         collection point (7); retired and received by the recycler not on the 规范条件 list (7); the
         vehicle scrapped and the pack kept by the dismantler (6); installed into the vehicle of the same
         maker's pack made 10 production days earlier, whose removal nobody reports (4)

On top, 0.5 % of the packs that reach a vehicle have an incident (collision 50 %, other 20 %, thermal
event 15 %, flood 10 %, fire 5 %), and one batch (maker M01's fourth) has a thermal event in 4 % of its
packs: the quality early warning's alarm. A maker's packs come in batches of 250 (10 production days),
every third batch made in its second plant. Lives are compressed (retirements 30-240 days after
installation) so that ~1.5 years of production holds a whole fleet's ways out of use; about 5 % of the
packs leave use and 3.5 % are 流向不明.

Measured: the recall trace (1,000 packs) before the report tables are built; then recall campaigns over
one maker's 1,000 packs of 40 days (scope, creation with the regulator's signed `recalled` claims, 60 %
of the recalled packs in vehicles then serviced under the campaign); then the first build of the report
tables (entries/s); then, with the tables up to date, the compliance, recovery, organisation and quality
early warning reports, 流向不明 alone, a campaign read back (`GET /v1/recalls/{id}`), `GET /v1/packs`
with `flag=`, `batch=` and a maker by name, and the regulator's overview. Prints a table and writes
bench/results/reports.json.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import math
import multiprocessing
import os
import random
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ledger import pg_schema_url  # noqa: E402
from events.codes import make_code  # noqa: E402
from events.orgs import Org, Role  # noqa: E402
from events.recalls import Scope  # noqa: E402
from events.timestamps import china_date  # noqa: E402
from events.vin import vin_with_check_digit  # noqa: E402
from events.whereabouts import Reason  # noqa: E402
from ledger.format.claims import new_claim, sign_claim  # noqa: E402
from ledger.format.logkey import LogSigner  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.store import packrows  # noqa: E402
from ledger.store.db import make_engine  # noqa: E402
from ledger.store.packrows import PackFilter  # noqa: E402
from ledger.usecases import orgkeys  # noqa: E402
from ledger.usecases.access import ADMIN  # noqa: E402
from ledger.usecases.packreads import list_packs  # noqa: E402
from ledger.usecases.recalls import CampaignDraft, campaign_report, campaign_scope, create_campaign  # noqa: E402
from ledger.usecases.report_index import DEFAULT_BASIS, refresh  # noqa: E402
from ledger.usecases.reports.compliance import compliance, unaccounted_packs  # noqa: E402
from ledger.usecases.reports.organisations import organisations  # noqa: E402
from ledger.usecases.reports.recall import RecallFilter, recall  # noqa: E402
from ledger.usecases.reports.recovery import recovery  # noqa: E402
from ledger.usecases.reports.warnings import warnings  # noqa: E402
from ledger.usecases.workspace import overview  # noqa: E402
from tests.support import regulator_caller  # noqa: E402

REGULATOR = regulator_caller()  # the reports are the regulator's; registered with a key, it signs recalls

console = Console()
if not console.is_terminal:  # a log file: the table at full width
    console = Console(width=150)
BATCH = 10_000  # claims per append at most (the ledger's limit)
PACKS_PER_JOB = 2_500  # packs signed per job of the signing process
PER_DAY = 25  # packs a maker makes a day
RECALL_DAYS = 40  # 40 days × 25 = 1,000 packs of one maker
BATCH_PACKS = 250  # packs of a production batch: 10 of a maker's production days
FIRST_DAY = date(2024, 1, 2)
AUTOMAKERS = 5
COLLECTORS = ("col-0", "col-1")
RECYCLERS = ("rec-0", "rec-1")  # on the 规范条件 list
BACKYARD = "backyard"  # a recycler that is not
DISMANTLER = "dis-0"
PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}
NCM = {**PRODUCED, "chemistry": "NCM"}
CONTENT = {"LFP": {"Li": 4.6, "Fe": 38.0, "Cu": 22.0, "Al": 16.0},
           "NCM": {"Li": 5.0, "Ni": 18.0, "Co": 6.0, "Mn": 5.5, "Cu": 21.0, "Al": 14.0}}  # fmt: skip

# A pack's life (see the module's doc): weight per 1,000 packs, and the 流向不明 reason it ends in, if any
LIVES: dict[str, tuple[int, Reason | None]] = {
    "in_vehicle": (920, None),
    "recycled": (30, None),
    "scrapped": (15, None),
    "shipped_unknown": (5, Reason.SHIPPED_NOT_RECEIVED),
    "idle_stock": (5, Reason.IDLE_IN_STOCK),
    "retired_unknown": (5, Reason.RETIRED_NOT_COLLECTED),
    "collector_idle": (5, Reason.IDLE_AT_COLLECTOR),
    "backyard": (5, Reason.HELD_BY_UNAUTHORISED),
    "scrapped_kept": (5, Reason.SCRAPPED_NOT_HANDED_ON),
    "displacing": (5, None),  # the pack whose vehicle it enters is the one displaced-in-vehicle
}
_NAMES = list(LIVES)
_BOUNDS = list(itertools.accumulate(weight / 1000 for weight, _ in LIVES.values()))
NO_VEHICLE = ("shipped_unknown", "idle_stock")
INCIDENT_ODDS = 0.005  # of a pack that reaches a vehicle
INCIDENT_KINDS = [("collision", 0.50), ("other", 0.20), ("thermal_event", 0.15), ("flood", 0.10), ("fire", 0.05)]
HOT_BATCH = (1, 3)  # (maker, batch number): the batch whose packs catch fire
HOT_ODDS = 0.04  # a thermal event, for a pack of the hot batch
DISPLACED_AFTER = 10  # production days between a displaced pack and the one installed into its vehicle
SERVICED_ODDS = 0.6  # a recalled pack in a vehicle serviced under its campaign


def maker_code(m: int) -> str:
    return f"M{m:02d}"


def maker_name(m: int) -> str:
    return f"Battery Maker {m:02d}"


@cache
def production_day(n: int) -> date:
    """The n-th production day from FIRST_DAY, skipping the 31sts (GB/T 34014 leaves their letter unconfirmed)."""
    day = FIRST_DAY if n == 0 else production_day(n - 1) + timedelta(days=1)
    return day + timedelta(days=1) if day.day == 31 else day


def pack_of(i: int, makers: int) -> tuple[str, int, date]:
    """Pack number i: its code, maker number and production date."""
    m, j = i % makers, i // makers
    made = production_day(j // PER_DAY)
    letter = "B" if i % 2 else "E"
    return make_code(maker_code(m), "pack", letter, "12", f"BENCH{m:02d}", made, j), m, made


def window(start_day: int) -> tuple[date, date]:
    """The first and last production dates of RECALL_DAYS days from production day `start_day`: 1,000 packs
    of a maker."""
    return production_day(start_day), production_day(start_day + RECALL_DAYS - 1)


def batch_of(m: int, j: int) -> str:
    """The batch of maker m's j-th pack: 250 consecutive packs."""
    return f"{maker_code(m)}-B{j // BATCH_PACKS:04d}"


def _life_name(draw: float) -> str:
    return _NAMES[min(bisect.bisect_right(_BOUNDS, draw), len(_NAMES) - 1)]


@dataclass(frozen=True)
class Plan:
    life: str
    incident: str | None  # the kind of its incident, if it has one
    vin_of: int  # the pack whose vehicle it is installed in (itself, but for a displacing pack)


def plan_of(i: int, makers: int, rng: random.Random) -> Plan:
    """Pack i's life; `rng` is random.Random(i), and is drawn from for the life's days afterwards."""
    life = _life_name(rng.random())
    displaced = i - makers * PER_DAY * DISPLACED_AFTER
    if life == "displacing" and (displaced < 0 or _life_name(random.Random(displaced).random()) != "in_vehicle"):
        life = "in_vehicle"  # no earlier pack of the maker still in its vehicle: installed into its own
    m, j = i % makers, i // makers
    hot = (m, j // BATCH_PACKS) == (HOT_BATCH[0] % makers, HOT_BATCH[1])
    draw, kind_draw = rng.random(), rng.random()
    incident = None
    if life not in NO_VEHICLE:
        if hot and draw < HOT_ODDS:
            incident = "thermal_event"
        elif draw >= 1 - INCIDENT_ODDS:
            bounds = list(itertools.accumulate(odds for _, odds in INCIDENT_KINDS))
            incident = INCIDENT_KINDS[min(bisect.bisect_right(bounds, kind_draw), len(INCIDENT_KINDS) - 1)][0]
    return Plan(life, incident, displaced if life == "displacing" else i)


def vin_of(i: int) -> str:
    """Pack i's own vehicle: one VIN per pack (the check digit, position 9, is not part of the serial)."""
    return vin_with_check_digit(f"LSVBE1230N{i:07d}")


Step = tuple[str, str, dict[str, Any], datetime]  # actor, event type, data, at


def steps_of(i: int, makers: int) -> tuple[Plan, list[Step]]:
    """Pack i's plan and its events, in order."""
    rng = random.Random(i)
    plan = plan_of(i, makers, rng)
    _, m, made = pack_of(i, makers)
    j = i // makers
    maker, auto = f"mfr-{m:02d}", f"auto-{i % AUTOMAKERS}"
    chemistry = "LFP" if i % 2 else "NCM"
    produced = {**(PRODUCED if i % 2 else NCM), "batch": batch_of(m, j),
                "plant": f"{maker_code(m)}-P{2 if (j // BATCH_PACKS) % 3 == 2 else 1}"}  # fmt: skip
    at = datetime(made.year, made.month, made.day, 2, 0, tzinfo=UTC)
    steps: list[Step] = [(maker, "produced", produced, at), (maker, "shipped", {"to": auto}, at + timedelta(hours=1))]
    if plan.life == "shipped_unknown":
        return plan, steps
    steps.append((auto, "received", {"from": maker}, at + timedelta(hours=2)))
    if plan.life == "idle_stock":
        return plan, steps
    installed = at + timedelta(hours=3)
    steps.append((auto, "installed", {"vin": vin_of(plan.vin_of)}, installed))
    if plan.incident is not None:
        thermal = plan.incident in ("thermal_event", "fire")
        data = {"kind": plan.incident, "severity": "critical" if thermal else "medium",
                "description": "基准测试事件 bench incident"}  # fmt: skip
        steps.append((auto, "incident", data, installed + timedelta(days=rng.uniform(1, 25))))
    if plan.life in ("in_vehicle", "displacing"):
        return plan, steps
    when = installed + timedelta(days=rng.uniform(30, 240))

    def then(actor: str, kind: str, data: dict[str, Any], days: tuple[float, float] = (1, 5)) -> None:
        nonlocal when
        when += timedelta(days=rng.uniform(*days))
        steps.append((actor, kind, data, when))

    collector, recycler = COLLECTORS[i % 2], RECYCLERS[i % 2]
    if plan.life in ("scrapped", "scrapped_kept"):
        steps.append((DISMANTLER, "removed", {"reason": "scrap"}, when))
        then(DISMANTLER, "retired", {"reason": "vehicle_scrapped", "scrap_certificate": f"BENCH-{i}"})
        if plan.life == "scrapped_kept":
            return plan, steps
        holder = DISMANTLER
    else:
        steps.append((auto, "retired", {"reason": "end_of_life"}, when))
        holder = auto
        if plan.life == "retired_unknown":
            return plan, steps
        first = BACKYARD if plan.life == "backyard" else collector
        then(auto, "shipped", {"to": first})
        then(first, "received", {"from": auto})
        if plan.life in ("backyard", "collector_idle"):
            return plan, steps
        holder = collector
    then(holder, "shipped", {"to": recycler}, (3, 10))
    then(recycler, "received", {"from": holder})
    outputs = [{"kind": "material", "name": "黑粉 black mass", "mass_kg": 210.0}]
    then(recycler, "dismantled", {"outputs": outputs}, (2, 10))
    content = CONTENT[chemistry]
    recovered = {element: round(kg * (0.92 if element == "Li" else 0.99), 3) for element, kg in content.items()}
    then(recycler, "recycled", {"feed_mass_kg": 380.0, "content_kg": content, "recovered_kg": recovered}, (3, 10))
    return plan, steps


def lives(first: int, count: int, makers: int, keys: dict[str, bytes]) -> list[tuple[dict[str, Any], str]]:
    """Signed claims of packs [first, first + count): every pack's first event, then every second, …"""
    signing = {org: Ed25519PrivateKey.from_private_bytes(raw) for org, raw in keys.items()}
    stages: list[list[tuple[dict[str, Any], str]]] = []
    for i in range(first, first + count):
        for n, (actor, kind, data, at) in enumerate(steps_of(i, makers)[1]):
            claim = new_claim(pack=pack_of(i, makers)[0], type=kind, actor=actor, key=f"{actor}/1", data=data, at=at,
                              claim_id=str(uuid.uuid4()))  # fmt: skip
            if n == len(stages):
                stages.append([])
            stages[n].append((claim, sign_claim(claim, signing[actor])))
    return [item for stage in stages for item in stage]


def _lives_job(args: tuple[int, int, int, dict[str, bytes]]) -> list[tuple[dict[str, Any], str]]:
    return lives(*args)


def orgs_of(makers: int) -> list[Org]:
    found = [Org(f"mfr-{m:02d}", maker_name(m), frozenset({Role.MANUFACTURER}), frozenset({maker_code(m)}))
             for m in range(makers)]  # fmt: skip
    found += [Org(f"auto-{a}", f"Automaker {a}", frozenset({Role.AUTOMAKER})) for a in range(AUTOMAKERS)]
    found += [Org(c, f"回收服务网点 {c}", frozenset({Role.COLLECTOR})) for c in COLLECTORS]
    found += [Org(r, f"再生利用 {r}", frozenset({Role.RECYCLER}), whitelisted=True) for r in RECYCLERS]
    found.append(Org(BACKYARD, "作坊式回收 backyard recycler", frozenset({Role.RECYCLER})))
    found.append(Org(DISMANTLER, "报废机动车回收拆解 dismantler", frozenset({Role.VEHICLE_DISMANTLER})))
    found.append(REGULATOR.org)
    return found


def register(ledger: Ledger, makers: int) -> dict[str, bytes]:
    keys = {}
    first = []
    for org in orgs_of(makers):
        private = Ed25519PrivateKey.generate()
        keys[org.id] = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        first.append((org, [(f"{org.id}/1", private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))]))
    orgkeys.register_many(ledger, ADMIN, first)
    return keys


def packs_for(entries: int, makers: int) -> tuple[int, Counter[str], Counter[str]]:
    """The fewest packs whose whole lives hold at least `entries` entries; their lives and incidents."""
    total, packs = 0, 0
    lives_count: Counter[str] = Counter()
    incidents: Counter[str] = Counter()
    while total < entries:
        plan, steps = steps_of(packs, makers)
        total += len(steps)
        lives_count[plan.life] += 1
        if plan.incident is not None:
            incidents[plan.incident] += 1
        packs += 1
    return packs, lives_count, incidents


def fill(ledger: Ledger, packs: int, makers: int, keys: dict[str, bytes]) -> float:
    """Append the lives of `packs` packs; answer the append rate."""
    jobs = [(first, min(PACKS_PER_JOB, packs - first), makers, keys) for first in range(0, packs, PACKS_PER_JOB)]
    start, appended = time.perf_counter(), 0
    with multiprocessing.get_context("spawn").Pool(1) as pool, Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"appending the lives of {packs:,} packs", total=packs)
        for n, items in enumerate(pool.imap(_lives_job, jobs)):
            for at in range(0, len(items), BATCH):
                ledger.append(items[at : at + BATCH])
            appended += len(items)
            bar.update(task, completed=jobs[n][0] + jobs[n][1])
    return appended / (time.perf_counter() - start)


# -- measuring ------------------------------------------------------------------------------------------


def clocked(call: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def figure(times: list[float], bases: list[float]) -> dict[str, Any]:
    """A figure's runs, each with the baseline measured right before it: absolute times, and the median of
    the per-run ratios (figure / baseline)."""
    ordered = sorted(times)
    return {
        "runs": len(times),
        "median_ms": statistics.median(times) * 1e3,
        "p95_ms": ordered[math.ceil(len(ordered) * 0.95) - 1] * 1e3,
        "min_ms": ordered[0] * 1e3,
        "baseline_median_ms": statistics.median(bases) * 1e3,
        "ratio_to_count": statistics.median(t / b for t, b in zip(times, bases, strict=True)),
    }


def interleaved(
    baseline: Callable[[], Any], calls: dict[str, tuple[Callable[[], Any], int]], label: str
) -> tuple[dict[str, dict[str, Any]], list[float], dict[str, Any]]:
    """Round after round, each figure (while it has runs left) right after a run of the baseline; every
    figure once first, untimed (warm caches, like any report a regulator opens twice). Answers the
    figures, every baseline time, and each figure's last result."""
    results = {name: call() for name, (call, _) in calls.items()}
    times: dict[str, list[float]] = {name: [] for name in calls}
    bases: dict[str, list[float]] = {name: [] for name in calls}
    rounds = max(runs for _, runs in calls.values())
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(label, total=sum(runs for _, runs in calls.values()))
        for n in range(rounds):
            for name, (call, runs) in calls.items():
                if n < runs:
                    bases[name].append(clocked(baseline)[0])
                    took, results[name] = clocked(call)
                    times[name].append(took)
                    bar.advance(task)
    every = [t for name in calls for t in bases[name]]
    return {name: figure(times[name], bases[name]) for name in calls}, every, results


def recall_plan(ledger: Ledger, maker: int, where: RecallFilter) -> list[str]:
    postgres = ledger.engine.dialect.name == "postgresql"
    sql = ("EXPLAIN " if postgres else "EXPLAIN QUERY PLAN ") + (
        "SELECT code FROM pack WHERE (maker_code = :m OR manufacturer = :m) "
        "AND production_date >= :a AND production_date <= :b ORDER BY code"
    )
    params = {"m": maker_code(maker), "a": where.produced_from, "b": where.produced_to}
    with ledger.engine.connect() as conn:
        rows = conn.execute(text(sql), params).all()
    return [str(row[0]) if postgres else str(row[-1]) for row in rows]


def campaigns(ledger: Ledger, keys: dict[str, bytes], makers: int, count: int, start_day: int) -> dict[str, Any]:
    """`count` campaigns, each over one maker's 1,000 packs of 40 days: scoped and created (timed, each
    right after a baseline run), then 60 % of each campaign's recalled packs in vehicles serviced under it
    (untimed). Answers the figures and the campaigns' ids."""
    signer = Ed25519PrivateKey.from_private_bytes(keys[REGULATOR.org.id])
    custodians = {org: Ed25519PrivateKey.from_private_bytes(raw) for org, raw in keys.items()}
    today = china_date(ledger.clock())
    scope_t, create_t, scope_b, create_b, made = [], [], [], [], []
    excluded: Counter[str] = Counter()
    serviced = 0
    first, last = window(start_day)
    for k in range(count):
        maker = (7 + k) % makers
        draft = CampaignDraft(
            id=f"BENCH-{k}",
            reason="热失控风险 bench thermal runaway risk",
            scope=Scope(maker=maker_code(maker), produced_from=first, produced_to=last),
            due=today - timedelta(days=7),  # past: the packs not remedied are overdue
        )
        scope_b.append(clocked(count_entries(ledger))[0])
        took, scope = clocked(partial(campaign_scope, ledger, REGULATOR, draft))
        scope_t.append(took)
        assert len(scope.codes) + sum(scope.excluded.values()) == PER_DAY * RECALL_DAYS, scope
        now = ledger.clock()
        claims = []
        for code in scope.codes:
            claim = new_claim(pack=code, type="recalled", actor=REGULATOR.org.id, key=f"{REGULATOR.org.id}/1",
                              data=scope.data, at=now, claim_id=str(uuid.uuid4()))  # fmt: skip
            claims.append((claim, sign_claim(claim, signer)))
        create_b.append(clocked(count_entries(ledger))[0])
        took, created = clocked(partial(create_campaign, ledger, REGULATOR, draft, claims))
        create_t.append(took)
        made.append({"id": draft.id, "maker": maker_code(maker), "in_scope": PER_DAY * RECALL_DAYS,
                     "recalled": created.packs, "excluded": created.excluded})  # fmt: skip
        excluded.update(created.excluded)
        with ledger.engine.connect() as conn:
            states = packrows.pack_states(conn, scope.codes)
        chance = random.Random(k)
        remedies = []
        for code in scope.codes:
            state = states[code]
            if state.status == "in_vehicle" and chance.random() < SERVICED_ODDS:
                data = {"description": "召回整改：更换模组 recall remedy", "campaign": draft.id}
                claim = new_claim(pack=code, type="serviced", actor=state.custodian, key=f"{state.custodian}/1",
                                  data=data, at=ledger.clock(), claim_id=str(uuid.uuid4()))  # fmt: skip
                remedies.append((claim, sign_claim(claim, custodians[state.custodian])))
        ledger.append(remedies)
        serviced += len(remedies)
    return {
        "figures": {
            "campaign_scope_1000": figure(scope_t, scope_b),
            "campaign_create_1000": figure(create_t, create_b),
        },
        "campaigns": made,
        "serviced": serviced,
    }


def count_entries(ledger: Ledger) -> Callable[[], int]:
    def count() -> int:
        with ledger.engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM entry").scalar_one())

    return count


def run(url: str, entries: int, makers: int, runs: int, heavy_runs: int, campaign_count: int) -> dict[str, Any]:
    ledger = Ledger(make_engine(url), LogSigner("bench.local/reports", Ed25519PrivateKey.generate()))
    ledger.init()
    try:
        keys = register(ledger, makers)
        packs, lives_count, incidents = packs_for(entries, makers)
        rate = fill(ledger, packs, makers, keys)
        with ledger.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()
            statuses = packrows.count_by_status(conn)
        results: dict[str, Any] = {
            "entries": ledger.size(),
            "packs": packs,
            "makers": makers,
            "append_per_s": rate,
            "lives": dict(lives_count.most_common()),
            "incidents": dict(incidents.most_common()),
            "statuses": statuses,
        }
        count = count_entries(ledger)

        # (1) the recall trace, before the report tables are built (it does not read them)
        maker, start_day = 7 % makers, 100 if entries >= 1_000_000 else 5
        first, last = window(start_day)
        by_code = RecallFilter(manufacturer=maker_code(maker), produced_from=first, produced_to=last)
        by_org = RecallFilter(manufacturer=f"mfr-{maker:02d}", produced_from=first, produced_to=last)
        figures, _, answers = interleaved(count, {
            "recall_1000_by_maker_code": (lambda: recall(ledger, REGULATOR, by_code), runs),
            "recall_1000_by_org_id": (lambda: recall(ledger, REGULATOR, by_org), runs),
        }, "recall traces")  # fmt: skip
        for name, report in answers.items():
            assert report.count == PER_DAY * RECALL_DAYS, (name, report.count)
        results.update(figures)
        results["recall_plan"] = recall_plan(ledger, maker, by_code)

        # (2) recall campaigns: scoped and created (timed), then partly remedied
        made = campaigns(ledger, keys, makers, campaign_count, start_day)
        results.update(made["figures"])

        # (3) the report tables' first build over the whole log
        start = time.perf_counter()
        refresh(ledger)
        build = time.perf_counter() - start
        results["report_tables_first_build"] = {"seconds": build, "entries_per_s": ledger.size() / build}

        # (4) every report with the tables up to date
        hot = batch_of(HOT_BATCH[0] % makers, HOT_BATCH[1] * BATCH_PACKS)
        by_name = maker_name(maker).lower()

        def lost() -> list[Any]:
            with ledger.engine.connect() as conn:
                return unaccounted_packs(conn, ledger.clock(), DEFAULT_BASIS)

        def packs_page(where: PackFilter, limit: int = 100) -> Callable[[], Any]:
            return lambda: list_packs(ledger, REGULATOR, where, limit=limit)

        figures, every, answers = interleaved(count, {
            "compliance_up_to_date": (lambda: compliance(ledger, REGULATOR, limit=1000), heavy_runs),
            "unaccounted_packs": (lost, heavy_runs),
            "recovery_up_to_date": (lambda: recovery(ledger, REGULATOR), runs),
            "organisations_up_to_date": (lambda: organisations(ledger, REGULATOR), heavy_runs),
            "warnings": (lambda: warnings(ledger, REGULATOR), heavy_runs),
            "campaign_report_1000": (lambda: campaign_report(ledger, REGULATOR, "BENCH-0"), runs),
            "packs_no_filter": (packs_page(PackFilter()), runs),
            "packs_flag_incident": (packs_page(PackFilter(flag="incident")), runs),
            "packs_flag_recalled": (packs_page(PackFilter(flag="recalled")), runs),
            "packs_batch_250": (packs_page(PackFilter(batch=hot), limit=1000), runs),
            "packs_batch_and_flag": (packs_page(PackFilter(batch=hot, flag="incident")), runs),
            "packs_maker_by_name": (packs_page(PackFilter(manufacturer=by_name)), runs),
            "overview": (lambda: overview(ledger, REGULATOR), heavy_runs),
        }, "reports")  # fmt: skip
        results.update(figures)
        results["baseline_count_entries"] = figure(every, every) | {"ratio_to_count": 1.0}
        results["answers"] = describe(answers, hot, made)
        return results
    finally:
        ledger.close()
        ledger.engine.dispose()


def describe(answers: dict[str, Any], hot: str, made: dict[str, Any]) -> dict[str, Any]:
    """What the reports found, checked against what the lives hold: each figure measured real work."""
    by_reason = Counter(p.reason for p in answers["unaccounted_packs"])
    assert all(by_reason[reason] for reason in Reason), f"a 流向不明 reason has no pack: {dict(by_reason)}"
    report = answers["warnings"]
    assert any(a.group.get("batch") == hot for a in report.alarms), f"no alarm for {hot}: {report.alarms}"
    campaign = answers["campaign_report_1000"]
    assert campaign.packs == made["campaigns"][0]["recalled"] and campaign.remedied > 0 and campaign.overdue > 0
    pages = {name: len(answers[name].packs) for name in answers if name.startswith("packs_")}
    assert all(pages.values()), pages
    assert pages["packs_batch_250"] == BATCH_PACKS, pages
    return {
        "unaccounted_by_reason": dict(by_reason.most_common()),
        "compliance_late_total": answers["compliance_up_to_date"].late_total,
        "warnings": {
            "groups_tested": report.groups_tested,
            "incidents": report.incidents,
            "alarms": [
                {"dimension": a.dimension, "group": a.group, "incidents": a.incidents, "p_value": a.p_value}
                for a in report.alarms
            ],
        },
        "campaigns": made["campaigns"],
        "serviced_under_campaigns": made["serviced"],
        "campaign_read_back": {
            "packs": campaign.packs,
            "remedied": campaign.remedied,
            "overdue": campaign.overdue,
            "completion": campaign.completion,
        },
        "pack_pages": pages,
        "overview_unaccounted_total": answers["overview"].unaccounted_total,
    }


ROWS = (
    ("recall_1000_by_maker_code", "recall trace, 1,000 packs, by maker code"),
    ("recall_1000_by_org_id", "recall trace, 1,000 packs, by producer org id"),
    ("campaign_scope_1000", "recall campaign: scope over 1,000 packs"),
    ("campaign_create_1000", "recall campaign: create (≈1,000 signed claims)"),
    ("campaign_report_1000", "recall campaign read back (GET /v1/recalls/{id})"),
    ("compliance_up_to_date", "compliance report (tables up to date)"),
    ("unaccounted_packs", "流向不明 alone (compliance.unaccounted_packs)"),
    ("recovery_up_to_date", "recovery report"),
    ("organisations_up_to_date", "organisation statistics"),
    ("warnings", "quality early warning (GET /v1/reports/warnings)"),
    ("packs_no_filter", "GET /v1/packs, no filter, 100"),
    ("packs_flag_incident", "GET /v1/packs?flag=incident, 100"),
    ("packs_flag_recalled", "GET /v1/packs?flag=recalled, 100"),
    ("packs_batch_250", "GET /v1/packs?batch= (250 packs)"),
    ("packs_batch_and_flag", "GET /v1/packs?batch=&flag=incident"),
    ("packs_maker_by_name", "GET /v1/packs?manufacturer=<name>, 100"),
    ("overview", "regulator overview"),
)


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    """A fresh database: a new schema on the PostgreSQL server (dropped afterwards, also on SIGTERM), or a
    temporary SQLite file."""
    if args.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/reports.db"
        return
    url, drop = pg_schema_url(args.pg)
    try:
        yield url
    finally:
        if args.keep:
            console.print(f"kept for inspection (drop the schema when done): {url}")
        else:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 20,000 entries")
    parser.add_argument("--entries", type=int, help="entries to build (at least; default 1,000,000)")
    parser.add_argument("--sqlite", action="store_true", help="a temporary SQLite file instead of PostgreSQL")
    parser.add_argument(
        "--pg", default=os.environ.get("PACKTRACE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema (to EXPLAIN ANALYZE)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reports.json")
    args = parser.parse_args()
    entries, makers, runs, heavy_runs, count = (20_000, 4, 20, 3, 4) if args.quick else (1_000_000, 20, 40, 5, 5)
    entries = args.entries or entries
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the schema is dropped

    backend = "sqlite" if args.sqlite else "postgresql"
    started, load_before = time.time(), os.getloadavg()
    with database(args) as url:
        measured = run(url, entries, makers, runs, heavy_runs, count)
    results = {
        "machine": {
            "cpus": os.cpu_count(),
            "load_before": load_before,
            "load_after": os.getloadavg(),
            "seconds": time.time() - started,
        },
        "backend": backend,
        "quick": args.quick,
        **measured,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str, ensure_ascii=False) + "\n")
    show(results, args.out)


def show(results: dict[str, Any], out: Path) -> None:
    table = Table(title=f"packtrace report bench, {results['backend']}, {results['entries']:,} entries, "
                  f"{results['packs']:,} packs")  # fmt: skip
    for column in ("figure", "runs", "median", "p95", "count(*) before it", "ratio to count(*)"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    base = results["baseline_count_entries"]
    table.add_row("SELECT count(*) FROM entry (baseline)", str(base["runs"]), f"{base['median_ms']:,.1f} ms",
                  f"{base['p95_ms']:,.1f} ms", "", "1.00")  # fmt: skip
    for key, label in ROWS:
        r = results[key]
        table.add_row(label, str(r["runs"]), f"{r['median_ms']:,.1f} ms", f"{r['p95_ms']:,.1f} ms",
                      f"{r['baseline_median_ms']:,.1f} ms", f"{r['ratio_to_count']:,.2f}")  # fmt: skip
    console.print(table)
    first = results["report_tables_first_build"]
    machine = results["machine"]
    console.print(f"append: {results['append_per_s']:,.0f} entries/s; report tables' first build: "
                  f"{first['seconds']:.1f} s ({first['entries_per_s']:,.0f} entries/s)")  # fmt: skip
    console.print(f"流向不明 by reason: {results['answers']['unaccounted_by_reason']}")
    console.print(f"load average before {machine['load_before']}, after {machine['load_after']}; "
                  f"{machine['seconds'] / 60:.1f} min")  # fmt: skip
    console.print(f"written to {out}")


if __name__ == "__main__":
    main()

"""Report benchmarks on PostgreSQL: a recall trace over 1,000 matching packs in a log of 1 M entries, as a
ratio to a plain `SELECT count(*)` of the entry table measured in the same run.

    python bench/bench_reports.py                       # 1 M entries (250,000 packs), a few minutes
    python bench/bench_reports.py --quick               # smoke run: 20,000 entries
    python bench/bench_reports.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test

The data goes in through the ledger's own append, as pre-signed claims in batches of 10,000 (signed in
a second process while the ledger appends): every entry is a real, verifiable entry. Each pack lives
produced → shipped → received → installed; 20 makers (4 in the quick run) each make 25 packs a day, so
one maker's packs of 40 consecutive days are exactly 1,000.

Also measured: the first build of the report tables over the whole log (entries/s), and the compliance,
recovery and organisation reports once they are up to date. Prints a table and writes
bench/results/reports.json.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ledger import pg_schema_url  # noqa: E402
from events.codes import make_code  # noqa: E402
from events.orgs import Org, Role  # noqa: E402
from events.vin import vin_with_check_digit  # noqa: E402
from ledger.format.claims import new_claim, sign_claim  # noqa: E402
from ledger.format.logkey import LogSigner  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.store.db import make_engine  # noqa: E402
from ledger.usecases import orgkeys  # noqa: E402
from ledger.usecases.access import ADMIN  # noqa: E402
from ledger.usecases.report_index import refresh  # noqa: E402
from ledger.usecases.reports.compliance import compliance  # noqa: E402
from ledger.usecases.reports.organisations import organisations  # noqa: E402
from ledger.usecases.reports.recall import RecallFilter, recall  # noqa: E402
from ledger.usecases.reports.recovery import recovery  # noqa: E402
from tests.support import regulator_caller  # noqa: E402

REGULATOR = regulator_caller()  # the reports are the regulator's

console = Console()
BATCH = 10_000  # claims per append: 2,500 packs' whole lives
PER_DAY = 25  # packs a maker makes a day
RECALL_DAYS = 40  # 40 days × 25 = 1,000 packs of one maker
FIRST_DAY = date(2024, 1, 2)
AUTOMAKERS = 5
PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}
NCM = {**PRODUCED, "chemistry": "NCM"}


def maker_code(m: int) -> str:
    return f"M{m:02d}"


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


def lives(first: int, count: int, makers: int, keys: dict[str, bytes]) -> list[tuple[dict[str, Any], str]]:
    """Signed claims of packs [first, first + count): all `produced`, then shipped, received, installed."""
    signing = {org: Ed25519PrivateKey.from_private_bytes(raw) for org, raw in keys.items()}
    stages: list[list[tuple[dict[str, Any], str]]] = [[], [], [], []]
    for i in range(first, first + count):
        code, m, made = pack_of(i, makers)
        maker, auto = f"mfr-{m:02d}", f"auto-{i % AUTOMAKERS}"
        at = datetime(made.year, made.month, made.day, 2, 0, tzinfo=UTC)
        vin = vin_with_check_digit(f"LSVBE{i % 100000:05d}0N{i:07d}"[:17])
        steps = [
            (maker, "produced", PRODUCED if i % 2 else NCM),
            (maker, "shipped", {"to": auto}),
            (auto, "received", {"from": maker}),
            (auto, "installed", {"vin": vin}),
        ]
        for n, (actor, kind, data) in enumerate(steps):
            claim = new_claim(pack=code, type=kind, actor=actor, key=f"{actor}/1", data=data,
                              at=at + timedelta(hours=n), claim_id=str(uuid.uuid4()))  # fmt: skip
            stages[n].append((claim, sign_claim(claim, signing[actor])))
    return [item for stage in stages for item in stage]


def _lives_job(args: tuple[int, int, int, dict[str, bytes]]) -> list[tuple[dict[str, Any], str]]:
    return lives(*args)


def register(ledger: Ledger, makers: int) -> dict[str, bytes]:
    orgs = [Org(f"mfr-{m:02d}", f"Maker {m}", frozenset({Role.MANUFACTURER}), frozenset({maker_code(m)}))
            for m in range(makers)]  # fmt: skip
    orgs += [Org(f"auto-{a}", f"Automaker {a}", frozenset({Role.AUTOMAKER})) for a in range(AUTOMAKERS)]
    keys = {}
    first = []
    for org in orgs:
        private = Ed25519PrivateKey.generate()
        keys[org.id] = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        first.append((org, [(f"{org.id}/1", private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))]))
    orgkeys.register_many(ledger, ADMIN, first)
    return keys


def fill(ledger: Ledger, entries: int, makers: int, keys: dict[str, bytes]) -> float:
    """Append `entries` entries (a multiple of BATCH); answer the append rate."""
    per_batch = BATCH // 4
    jobs = [(first, per_batch, makers, keys) for first in range(0, entries // 4, per_batch)]
    start = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(1) as pool, Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"appending {entries:,} entries", total=entries)
        for items in pool.imap(_lives_job, jobs):
            ledger.append(items)
            bar.update(task, completed=ledger.size())
    return ledger.size() / (time.perf_counter() - start)


def timed(call: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return sorted(times), result


def summary(times: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(times) * 1e3, "p95_ms": times[int(len(times) * 0.95) - 1] * 1e3,
            "min_ms": times[0] * 1e3}  # fmt: skip


def run(url: str, entries: int, makers: int, runs: int) -> dict[str, Any]:
    ledger = Ledger(make_engine(url), LogSigner("bench.local/reports", Ed25519PrivateKey.generate()))
    ledger.init()
    try:
        keys = register(ledger, makers)
        rate = fill(ledger, entries, makers, keys)
        with ledger.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
        results: dict[str, Any] = {"entries": ledger.size(), "packs": ledger.size() // 4, "makers": makers,
                                   "append_per_s": rate}  # fmt: skip

        def count() -> int:
            with ledger.engine.connect() as conn:
                return int(conn.exec_driver_sql("SELECT count(*) FROM entry").scalar_one())

        count()  # warm the cache like the recall's own first run
        count_times, counted = timed(count, runs)
        assert counted == ledger.size()
        results["baseline_count_entries"] = summary(count_times)

        maker, start_day = 7 % makers, 100 if entries >= 1_000_000 else 5
        where = RecallFilter(
            manufacturer=maker_code(maker),
            produced_from=production_day(start_day),
            produced_to=production_day(start_day + RECALL_DAYS - 1),
        )
        recall(ledger, REGULATOR, where)
        recall_times, report = timed(lambda: recall(ledger, REGULATOR, where), runs)
        assert report.count == PER_DAY * RECALL_DAYS, report.count
        results["recall_1000_by_maker_code"] = {
            **summary(recall_times),
            "matched": report.count,
            "ratio_to_count": statistics.median(recall_times) / statistics.median(count_times),
        }
        by_org = RecallFilter(manufacturer=f"mfr-{maker:02d}", produced_from=where.produced_from,
                              produced_to=where.produced_to)  # fmt: skip
        org_times, report = timed(lambda: recall(ledger, REGULATOR, by_org), runs)
        assert report.count == PER_DAY * RECALL_DAYS
        results["recall_1000_by_org_id"] = {
            **summary(org_times),
            "ratio_to_count": statistics.median(org_times) / statistics.median(count_times),
        }
        with ledger.engine.connect() as conn:
            plan = (
                conn.exec_driver_sql(
                    "EXPLAIN SELECT code FROM pack WHERE (maker_code = %(m)s OR manufacturer = %(m)s) "
                    "AND production_date >= %(a)s AND production_date <= %(b)s ORDER BY code",
                    {"m": maker_code(maker), "a": where.produced_from, "b": where.produced_to},
                )
                .scalars()
                .all()
            )
        results["recall_plan"] = plan

        start = time.perf_counter()
        refresh(ledger)
        build = time.perf_counter() - start
        results["report_tables_first_build"] = {"seconds": build, "entries_per_s": ledger.size() / build}
        for name, call in (
            ("compliance_up_to_date", lambda: compliance(ledger, REGULATOR, limit=1000)),
            ("recovery_up_to_date", lambda: recovery(ledger, REGULATOR)),
            ("organisations_up_to_date", lambda: organisations(ledger, REGULATOR)),
        ):
            times, _ = timed(call, max(3, runs // 4))
            results[name] = {
                **summary(times),
                "ratio_to_count": statistics.median(times) / statistics.median(count_times),
            }
        return results
    finally:
        ledger.close()
        ledger.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 20,000 entries")
    parser.add_argument(
        "--pg", default=os.environ.get("PACKTRACE_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "reports.json")
    args = parser.parse_args()
    entries, makers, runs = (20_000, 4, 20) if args.quick else (1_000_000, 20, 40)

    url, drop = pg_schema_url(args.pg)
    try:
        results = {"machine": {"cpus": os.cpu_count()}, "backend": "postgresql", "quick": args.quick,
                   **run(url, entries, makers, runs)}  # fmt: skip
    finally:
        drop()

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    table = Table(title=f"packtrace report bench, PostgreSQL, {results['entries']:,} entries")
    table.add_column("figure")
    table.add_column("median", justify="right")
    table.add_column("p95", justify="right")
    table.add_column("ratio to count(*)", justify="right")
    base = results["baseline_count_entries"]
    table.add_row(
        "SELECT count(*) FROM entry (baseline)", f"{base['median_ms']:.1f} ms", f"{base['p95_ms']:.1f} ms", "1.00"
    )
    for key, label in (
        ("recall_1000_by_maker_code", "recall trace, 1,000 packs, by maker code"),
        ("recall_1000_by_org_id", "recall trace, 1,000 packs, by producer org id"),
        ("compliance_up_to_date", "compliance report (tables up to date)"),
        ("recovery_up_to_date", "recovery report"),
        ("organisations_up_to_date", "organisation statistics"),
    ):
        r = results[key]
        table.add_row(label, f"{r['median_ms']:.1f} ms", f"{r['p95_ms']:.1f} ms", f"{r['ratio_to_count']:.2f}")
    console.print(table)
    first = results["report_tables_first_build"]
    console.print(f"append: {results['append_per_s']:,.0f} entries/s; report tables' first build: "
                  f"{first['seconds']:.1f} s ({first['entries_per_s']:,.0f} entries/s)")  # fmt: skip
    console.print(f"written to {args.out}")


if __name__ == "__main__":
    main()

"""Issue 18's figures at scale, on a database bench/build_scale.py built (10 M entries on PostgreSQL), each
beside a baseline measured in the same run.

    python bench/build_scale.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test --schema scale10m \
        --entries 10000000 --key-file scale10m-log.key
    python bench/bench_at_scale.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test --schema scale10m \
        --key-file scale10m-log.key --state scale10m.verified

In this order, the JSON (--out) written again after each step:
 1. storage: table and index bytes per entry (after ANALYZE);
 2. a full `verify` of the whole log (entries/s, beside the one-core Ed25519 rate), whose checkpoint is
    kept in --state; with a --state from an earlier run it is skipped and that checkpoint used instead;
 3. append at scale ÷ empty: --tail entries, two new packs for every incident, in batches of 1,000 claims
    (bench_ledger.BATCH), one batch into the big ledger and one into a fresh, empty schema (the baseline
    ledger) a round, the order alternating. The incidents land on packs of the built log on the big side
    (a regulator reports them: old chains, read from disk) and on packs appended earlier in the run on the
    baseline side (bench/bench_verify.py's workload: the empty ledger has no others);
 4. the incremental `verify` of those --tail entries from the state of step 2, then the full verify of the
    baseline ledger (as many entries), interleaved: incremental, baseline, incremental;
 5. inclusion proofs at random indexes of the whole log and consistency proofs from random older sizes,
    beside the same on the baseline ledger, interleaved;
 6. the pack history, `GET /v1/packs/{code}/events` as a regulator, for random packs, with 1 and 8
    clients (bench/loadgen.py), from `packtrace serve` on the big database and on the baseline one;
 7. the report tables brought up to date (timed), then the recall trace of one maker's ~1,000 packs, the
    compliance report and the quality early warnings, each run right after a `SELECT count(*)` of the
    entry table (bench/bench_reports.py's convention);
 8. storage again, the report tables built.
The fresh schema is dropped at the end; the big one keeps what step 3 appended (a rerun appends another
--tail and verifies it from the checkpoint the previous run stored).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_reports  # noqa: E402
from bench.bench_api import free_port  # noqa: E402
from bench.bench_ledger import (  # noqa: E402
    BATCH,
    Workload,
    baseline_verify_rate,
    pg_schema_url,
    schema_url,
)
from bench.bench_scale import PYTHON, load, server  # noqa: E402
from bench.bench_verify import INCIDENT, MixedWorkload  # noqa: E402
from events.orgs import Org, Role  # noqa: E402
from ledger.format.claims import new_claim, sign_claim  # noqa: E402
from ledger.format.logkey import LogSigner, load_or_create_key  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.store.db import make_engine  # noqa: E402
from ledger.usecases.incremental import verify_since  # noqa: E402
from ledger.usecases.report_index import refresh  # noqa: E402
from ledger.usecases.reports.compliance import compliance  # noqa: E402
from ledger.usecases.reports.recall import RecallFilter, recall  # noqa: E402
from ledger.usecases.reports.warnings import warnings  # noqa: E402
from tests.support import add_actor  # noqa: E402

console = Console()
REGULATOR = bench_reports.REGULATOR
PROOFS = 1_000  # inclusion proofs a side; a fifth as many consistency proofs
HISTORY_SECONDS = 20.0
TARGETS = {
    "append_ratio": 0.8,
    "inclusion_proof_ms": 1.0,
    "history_p99_ms_1": 20.0,
    "history_p99_ms_8": 60.0,
    "recall_1000_s": 1.0,
    "compliance_s": 3.0,
    "incremental_verify_s": 30.0,
}


def open_ledger(url: str, key_file: Path, origin: str) -> Ledger:
    ledger = Ledger(make_engine(url), LogSigner(origin, load_or_create_key(key_file)))
    ledger.init()
    return ledger


def analyze(ledger: Ledger) -> None:
    with ledger.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE")
        conn.commit()


def storage(ledger: Ledger) -> dict[str, Any]:
    """Bytes of every table of the ledger's schema and of its indexes, and per entry."""
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY 2 DESC"
            )
        ).all()
        entries = int(conn.exec_driver_sql("SELECT count(*) FROM entry").scalar_one())
    tables = {name: {"table_bytes": int(t), "index_bytes": int(i)} for name, t, i in rows}
    table_bytes = sum(v["table_bytes"] for v in tables.values())
    index_bytes = sum(v["index_bytes"] for v in tables.values())
    return {
        "entries": entries,
        "tables": tables,
        "table_bytes": table_bytes,
        "index_bytes": index_bytes,
        "bytes_per_entry": (table_bytes + index_bytes) / entries,
        "table_bytes_per_entry": table_bytes / entries,
        "index_bytes_per_entry": index_bytes / entries,
        "entry_table_bytes_per_entry": (tables["entry"]["table_bytes"] + tables["entry"]["index_bytes"]) / entries,
    }


def full_verify(ledger: Ledger) -> dict[str, Any]:
    rate = baseline_verify_rate()
    with Progress(console=console, transient=True) as bar:
        start = time.perf_counter()
        report = verify_since(ledger.engine, ledger.signer.verifier_key, None, progress=_progress(bar, "full verify"))
        seconds = time.perf_counter() - start
    if not report.ok or report.checkpoint is None:
        raise SystemExit(f"verify failed: {report.problems[:3]}")
    return {
        "entries": report.entries,
        "seconds": seconds,
        "entries_per_s": report.entries / seconds,
        "verify_per_s_one_core": rate,
        "size": report.size,
        "checkpoint": report.checkpoint,
        "timings_s": report.timings,
    }


def _progress(bar: Progress, label: str) -> Any:
    """verify's progress callback, drawn on `bar` (total and done, in entries)."""
    task = bar.add_task(label, total=None)

    def update(_what: str, done: int, total: int) -> None:
        bar.update(task, completed=done, total=total)

    return update


class OldPacksWorkload(MixedWorkload):
    """MixedWorkload's two new packs for every incident, but each incident on a pack of the built log
    (reported by a regulator, who may report one on any pack): the appends touch old chains, and the
    incremental verify replays them."""

    def __init__(self, ledger: Ledger, run: int, old: list[str]) -> None:
        super().__init__(ledger, f"tail-{run}", f"T{run:02d}")
        self.old = old
        self.reporter = add_actor(
            ledger, Org(f"tail-reg-{run}", "基准 监管 bench regulator", frozenset({Role.REGULATOR}))
        )

    def batch(self, n: int) -> list[tuple[dict[str, Any], str]]:
        out = Workload.batch(self, n - n // 3)
        at = datetime.now(UTC)
        for _ in range(n // 3):
            self.incidents += 1
            claim = new_claim(
                pack=self.rng.choice(self.old), type="incident", actor=self.reporter.org.id,
                key=self.reporter.key_id, data=INCIDENT, at=at, claim_id=str(uuid.uuid4()),
            )  # fmt: skip
            out.append((claim, sign_claim(claim, self.reporter.private)))
        return out


def old_packs(ledger: Ledger) -> list[str]:
    """About 1 % of the built log's packs (all of a small log's) that may still have an incident: not
    recycled or dismantled."""
    statuses = {"s": ["produced", "in_transit", "in_stock", "in_vehicle", "retired"]}
    with ledger.engine.connect() as conn:
        sample = "SELECT code FROM pack TABLESAMPLE SYSTEM (1) REPEATABLE (18) WHERE status = ANY(:s)"
        rows = conn.execute(text(sample), statuses).all()
        if len(rows) < 1_000:
            rows = conn.execute(text("SELECT code FROM pack WHERE status = ANY(:s) LIMIT 100000"), statuses).all()
    if not rows:
        raise SystemExit("no pack of the built log may have an incident")
    return sorted(row[0] for row in rows)


def appends(big: Ledger, base: Ledger, tail: int) -> dict[str, Any]:
    """Step 3: `tail` entries into each ledger in batches of BATCH claims, the order alternating; entries/s
    per round and the median of the per-round ratios (big ÷ baseline)."""
    with big.engine.connect() as conn:  # a maker of its own for each run on the big ledger
        run = int(conn.execute(text("SELECT count(*) FROM org WHERE id LIKE :p"), {"p": "tail-reg-%"}).scalar_one())
    works = {"big": OldPacksWorkload(big, run, old_packs(big)), "baseline": MixedWorkload(base)}
    ledgers = {"big": big, "baseline": base}
    rates: dict[str, list[float]] = {"big": [], "baseline": []}
    size = min(BATCH, tail)
    rounds = max(1, tail // size)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(f"appending {rounds:,} rounds of {size:,} claims into each ledger", total=rounds)
        for n in range(rounds):
            for name in ("big", "baseline") if n % 2 == 0 else ("baseline", "big"):
                claims = works[name].batch(size)  # signed before the clock starts
                start = time.perf_counter()
                ledgers[name].append(claims)
                rates[name].append(size / (time.perf_counter() - start))
            bar.advance(task)
            if n == 0:
                analyze(base)  # what autovacuum does within a minute of a new table's first rows
    ratios = [b / e for b, e in zip(rates["big"], rates["baseline"], strict=True)]
    return {
        "rounds": rounds,
        "claims_per_round": size,
        "big_size_after": big.size(),
        "big_per_s": statistics.median(rates["big"]),
        "baseline_per_s": statistics.median(rates["baseline"]),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "big_rates": rates["big"],
        "baseline_rates": rates["baseline"],
    }


def incremental(big: Ledger, base: Ledger, checkpoint: str) -> dict[str, Any]:
    """Step 4: incremental verify of the big ledger from `checkpoint`, and the baseline ledger's full
    verify, interleaved."""
    runs: list[dict[str, Any]] = []
    latest = checkpoint
    for kind in ("incremental", "baseline_full", "incremental"):
        ledger, since = (big, checkpoint) if kind == "incremental" else (base, None)
        start = time.perf_counter()
        report = verify_since(ledger.engine, ledger.signer.verifier_key, since)
        seconds = time.perf_counter() - start
        if not report.ok or report.checkpoint is None:
            raise SystemExit(f"{kind} verify failed: {report.problems[:3]}")
        if kind == "incremental":
            latest = report.checkpoint
        runs.append({"kind": kind, "seconds": seconds, "entries": report.entries, "packs": report.packs,
                     "entries_per_s": report.entries / seconds, "timings_s": report.timings})  # fmt: skip
        console.print(f"{kind}: {report.entries:,} entries in {seconds:.1f} s")
    inc = [r["seconds"] for r in runs if r["kind"] == "incremental"]
    full = next(r for r in runs if r["kind"] == "baseline_full")
    return {
        "incremental_seconds": statistics.fmean(inc),
        "baseline_full_seconds": full["seconds"],
        "ratio": statistics.fmean(inc) / full["seconds"],
        "runs": runs,
        "checkpoint": latest,
    }


def proofs(big: Ledger, base: Ledger) -> dict[str, Any]:
    """Step 5: inclusion and consistency proofs, alternating between the ledgers; per proof p50/p99 in ms."""
    rng = random.Random(18)
    sides = {"big": big, "baseline": base}
    sizes = {name: ledger.size() for name, ledger in sides.items()}
    times: dict[str, list[float]] = {f"{kind}_{name}": [] for kind in ("inclusion", "consistency") for name in sides}
    for n in range(PROOFS):
        for name in ("big", "baseline") if n % 2 == 0 else ("baseline", "big"):
            ledger, size = sides[name], sizes[name]
            index = rng.randrange(size)
            start = time.perf_counter()
            ledger.inclusion_proof(index, size)
            times[f"inclusion_{name}"].append(time.perf_counter() - start)
            if n % 5 == 0:
                old = rng.randrange(1, size)
                start = time.perf_counter()
                ledger.consistency_proof(old, size)
                times[f"consistency_{name}"].append(time.perf_counter() - start)
    out: dict[str, Any] = {name: {"sizes": sizes[name]} for name in sides}
    for key, values in times.items():
        kind, name = key.split("_", 1)
        ordered = sorted(values)
        out[name][kind] = {
            "count": len(values),
            "p50_ms": statistics.median(values) * 1e3,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3,
        }
    for kind in ("inclusion", "consistency"):
        out[f"{kind}_p50_ratio"] = out["big"][kind]["p50_ms"] / out["baseline"][kind]["p50_ms"]
    return out


def sample_codes(ledger: Ledger, n: int) -> list[str]:
    with ledger.engine.connect() as conn:
        codes = [row[0] for row in conn.exec_driver_sql("SELECT code FROM pack TABLESAMPLE SYSTEM (1)")]
        if len(codes) < n:
            codes = [row[0] for row in conn.exec_driver_sql("SELECT code FROM pack")]
    random.Random(5).shuffle(codes)
    return codes[:n]


def history(
    served: dict[str, tuple[str, Path, str, Ledger]], tmp: Path, seconds: float = HISTORY_SECONDS
) -> dict[str, Any]:
    """Step 6: pack history GETs, 1 and 8 clients, from a server on each database, the order alternating."""
    out: dict[str, Any] = {}
    plan = [
        (clients, name) for clients in (1, 8) for name in (("big", "baseline") if clients == 1 else ("baseline", "big"))
    ]
    for clients, name in plan:
        url, key_file, origin, ledger = served[name]
        token = add_actor(ledger, Org(f"bench-reader-{clients}-{time.time_ns()}", "基准 监管读者 bench reader",
                                      frozenset({Role.REGULATOR}))).token  # fmt: skip
        codes = sample_codes(ledger, 60_000)
        headers = {"Authorization": f"Bearer {token}"}
        requests = [("GET", f"/v1/packs/{code}/events", "", headers) for code in codes]
        env = {
            "PACKTRACE_DATABASE_URL": url,
            "PACKTRACE_LOG_KEY_FILE": str(key_file),
            "PACKTRACE_LOG_ORIGIN": origin,
            "PACKTRACE_PUBLIC_URL": "http://127.0.0.1:8000",
        }
        port = free_port()
        with server([PYTHON, "-m", "api.cli", "serve", "--port", str(port)], env, port):
            load(port, requests[:200], 2.0, tmp, connections=clients)  # warm
            result = load(port, requests[200:], seconds, tmp, connections=clients)
        if result["non2xx"]:
            raise SystemExit(f"history GET on {name}: {result['statuses']}")
        out[f"{name}_{clients}"] = result
    for clients in (1, 8):
        out[f"p99_ratio_{clients}"] = out[f"big_{clients}"]["p99_ms"] / out[f"baseline_{clients}"]["p99_ms"]
    return out


def reports(big: Ledger, makers: int) -> dict[str, Any]:
    """Step 7: the report tables' update, then recall, compliance and warnings beside a count(*)."""
    start = time.perf_counter()
    refresh(big)
    refreshed = time.perf_counter() - start
    maker = 7 % makers
    with big.engine.connect() as conn:  # packs a maker made a production day (build_scale.per_day_for)
        for start_day in (100, 5):  # the day bench_reports traces at 1 M entries and more, or below
            per_day = int(
                conn.execute(
                    text("SELECT count(*) FROM pack WHERE maker_code = :m AND production_date = :d"),
                    {"m": bench_reports.maker_code(maker), "d": bench_reports.production_day(start_day)},
                ).scalar_one()
            )
            if per_day:
                break
        else:
            raise SystemExit(f"maker {bench_reports.maker_code(maker)} made no pack on production days 100 or 5")
    days = math.ceil(1_000 / per_day)
    first, last = bench_reports.production_day(start_day), bench_reports.production_day(start_day + days - 1)
    where = RecallFilter(manufacturer=bench_reports.maker_code(maker), produced_from=first, produced_to=last)
    count = bench_reports.count_entries(big)
    figures, _, answers = bench_reports.interleaved(count, {
        "recall_1000": (lambda: recall(big, REGULATOR, where), 5),
        "compliance": (lambda: compliance(big, REGULATOR, limit=1000), 3),
        "warnings": (lambda: warnings(big, REGULATOR), 3),
    }, "reports")  # fmt: skip
    figures["recall_1000"]["packs"] = answers["recall_1000"].count
    figures["compliance"]["unaccounted"] = sum(answers["compliance"].unaccounted_by_reason.values())
    figures["warnings"]["alarms"] = len(answers["warnings"].alarms)
    return {"report_tables_refresh_s": refreshed, **figures}


@contextmanager
def baseline_ledger(pg: str, tmp: Path) -> Iterator[tuple[str, Path, Ledger]]:
    url, drop = pg_schema_url(pg)
    key_file = tmp / "baseline-log.key"
    ledger = open_ledger(url, key_file, "bench.local/baseline")
    try:
        yield url, key_file, ledger
    finally:
        ledger.close()
        ledger.engine.dispose()
        drop()


def summary(r: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    rows: list[tuple[str, str, str, str, str]] = []
    size = r.get("storage", {}).get("entries", 0)
    if "storage" in r:
        s = r["storage"]
        rows.append(
            (
                "storage, bytes per entry (tables + indexes)",
                f"{s['bytes_per_entry']:,.0f}",
                f"tables {s['table_bytes_per_entry']:,.0f}, indexes {s['index_bytes_per_entry']:,.0f}",
                "",
                "",
            )
        )
    if "storage_after" in r:
        s = r["storage_after"]
        rows.append(
            (
                "storage at the end (report tables built)",
                f"{s['bytes_per_entry']:,.0f}",
                f"tables {s['table_bytes_per_entry']:,.0f}, indexes {s['index_bytes_per_entry']:,.0f}",
                "",
                "",
            )
        )
    if "entries" in r.get("full_verify", {}):
        v = r["full_verify"]
        rows.append(
            (
                f"full verify of {v['entries']:,} entries",
                f"{v['entries_per_s']:,.0f}/s ({v['seconds']:,.0f} s)",
                f"Ed25519 one core {v['verify_per_s_one_core']:,.0f}/s",
                f"{v['entries_per_s'] / v['verify_per_s_one_core']:.2f}",
                "",
            )
        )
    if "append" in r:
        a = r["append"]
        rows.append(
            (
                f"append at {size / 1e6:.1f} M",
                f"{a['big_per_s']:,.0f}/s",
                f"empty {a['baseline_per_s']:,.0f}/s",
                f"{a['ratio']:.2f}",
                f"≥ {TARGETS['append_ratio']}",
            )
        )
    if "incremental" in r:
        i = r["incremental"]
        rows.append(
            (
                "incremental verify of the appended entries",
                f"{i['incremental_seconds']:.1f} s",
                f"full verify of as many {i['baseline_full_seconds']:.1f} s",
                f"{i['ratio']:.2f}",
                f"≤ {TARGETS['incremental_verify_s']:g} s",
            )
        )
    if "proofs" in r:
        p = r["proofs"]
        for kind in ("inclusion", "consistency"):
            rows.append(
                (
                    f"{kind} proof p50 / p99",
                    f"{p['big'][kind]['p50_ms']:.2f} / {p['big'][kind]['p99_ms']:.2f} ms",
                    f"{p['baseline']['sizes']:,} entries: {p['baseline'][kind]['p50_ms']:.2f} ms",
                    f"{p[f'{kind}_p50_ratio']:.2f}",
                    "≤ 1 ms" if kind == "inclusion" else "",
                )
            )
    if "history" in r:
        h = r["history"]
        for clients in (1, 8):
            big, base = h[f"big_{clients}"], h[f"baseline_{clients}"]
            rows.append(
                (
                    f"pack history GET, {clients} client{'s' if clients > 1 else ''}: p50 / p99",
                    f"{big['p50_ms']:.1f} / {big['p99_ms']:.1f} ms",
                    f"small log {base['p99_ms']:.1f} ms",
                    f"{h[f'p99_ratio_{clients}']:.2f}",
                    f"≤ {TARGETS[f'history_p99_ms_{clients}']:g} ms",
                )
            )
    if "reports" in r:
        q = r["reports"]
        rows.append(("report tables brought up to date", f"{q['report_tables_refresh_s']:.1f} s", "", "", ""))
        for name, target, label in (
            ("recall_1000", "recall_1000_s", f"recall trace, {q['recall_1000']['packs']:,} packs"),
            ("compliance", "compliance_s", "compliance report"),
            ("warnings", None, "quality early warnings"),
        ):
            f = q[name]
            rows.append(
                (
                    label,
                    f"{f['median_ms'] / 1e3:.2f} s",
                    f"count(*) {f['baseline_median_ms'] / 1e3:.2f} s",
                    f"{f['ratio_to_count']:.2f}",
                    f"≤ {TARGETS[target]:g} s" if target else "",
                )
            )
    return rows


def show(results: dict[str, Any], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    table = Table(title="issue 18 at scale, each figure beside its baseline measured in this run")
    for column in ("figure", "value", "baseline", "ratio", "target"):
        table.add_column(column)
    for row in summary(results):
        table.add_row(*row)
    console.print(table)
    console.print(f"written {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", required=True, help="PostgreSQL URL of the server")
    parser.add_argument("--schema", default="scale", help="the schema build_scale.py built")
    parser.add_argument("--key-file", type=Path, required=True, help="the log key file build_scale.py wrote")
    parser.add_argument("--origin", default="bench.local/scale")
    parser.add_argument("--makers", type=int, default=100, help="as given to build_scale.py")
    parser.add_argument("--state", type=Path, required=True, help="the verifier's checkpoint, kept between runs")
    parser.add_argument("--tail", type=int, default=100_000, help="entries appended, then verified incrementally")
    parser.add_argument("--history-seconds", type=float, default=HISTORY_SECONDS)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "at_scale.json")
    args = parser.parse_args()
    if not args.key_file.exists():
        raise SystemExit(f"{args.key_file}: no such key file (build_scale.py --key-file)")
    url = schema_url(args.pg, args.schema)
    big = open_ledger(url, args.key_file, args.origin)
    results: dict[str, Any] = {"schema": args.schema, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    try:
        analyze(big)
        console.print(f"{args.schema}: {big.size():,} entries")
        results["storage"] = storage(big)
        show(results, args.out)
        if args.state.exists():
            checkpoint = args.state.read_text()
            results["full_verify"] = {"skipped": f"the checkpoint in {args.state}"}
        else:
            results["full_verify"] = full_verify(big)
            checkpoint = results["full_verify"].pop("checkpoint")
            args.state.write_text(checkpoint)
            show(results, args.out)
        with tempfile.TemporaryDirectory() as tmp_name, baseline_ledger(args.pg, Path(tmp_name)) as base_side:
            tmp = Path(tmp_name)
            base_url, base_key, base = base_side
            results["append"] = appends(big, base, args.tail)
            analyze(big)
            analyze(base)
            show(results, args.out)
            results["incremental"] = incremental(big, base, checkpoint)
            args.state.write_text(results["incremental"].pop("checkpoint"))
            show(results, args.out)
            results["proofs"] = proofs(big, base)
            show(results, args.out)
            served = {
                "big": (url, args.key_file, args.origin, big),
                "baseline": (base_url, base_key, "bench.local/baseline", base),
            }
            results["history"] = history(served, tmp, args.history_seconds)
            show(results, args.out)
        results["reports"] = reports(big, args.makers)
        results["storage_after"] = storage(big)  # the report tables built, the tail appended
        results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
        show(results, args.out)
    finally:
        big.close()
        big.engine.dispose()
    os.sync()


if __name__ == "__main__":
    main()

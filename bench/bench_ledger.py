"""Ledger benchmarks (DESIGN §9): every figure is a ratio to a baseline measured in the same run.

    python bench/bench_ledger.py                 # full run: grows a SQLite ledger to 1 M entries
    python bench/bench_ledger.py --quick         # smoke run (CI): 20 k entries
    python bench/bench_ledger.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    python bench/bench_ledger.py --durability    # only what durable SQLite commits cost (a minute)
    python bench/bench_ledger.py --witnesses     # only what gathering two witnesses' cosignatures costs

Baselines: the one-core Ed25519 verification rate (signature checking is the irreducible cost of an
append) and the raw SHA-256 rate over entry-sized inputs. The cost of durable commits (issue 11 item 12)
is measured against the same appends committed at `synchronous=NORMAL`, interleaved in the same run, and
the cost of gathering cosignatures (issue 14) against the same appends on a ledger with no witnesses.
Prints a table and writes bench/results/ledger.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from events.codes import make_code  # noqa: E402
from events.orgs import Org, Role  # noqa: E402
from ledger.format.canonical import canonical  # noqa: E402
from ledger.format.claims import new_claim, sign_claim  # noqa: E402
from ledger.format.logkey import LogSigner  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.store import db  # noqa: E402
from ledger.store.db import make_engine, normalise_url  # noqa: E402
from ledger.usecases.verify import verify_database  # noqa: E402
from tests.support import PRODUCED, T0, add_actor  # noqa: E402

console = Console()
BATCH = 1000


def baseline_verify_rate(n: int = 3000) -> float:
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    messages = [
        canonical(
            new_claim(
                pack="001PB12ABCDEFGE9P0000001", type="produced", actor="catl", key="catl/1", data=PRODUCED, at=T0
            )
        )
        for _ in range(n)
    ]
    sigs = [key.sign(m) for m in messages]
    start = time.perf_counter()
    for m, s in zip(messages, sigs, strict=True):
        public.verify(s, m)
    return n / (time.perf_counter() - start)


def baseline_sha256_rate(n: int = 200_000, size: int = 700) -> float:
    import hashlib

    data = [os.urandom(size) for _ in range(1000)]
    start = time.perf_counter()
    for i in range(n):
        hashlib.sha256(data[i % 1000]).digest()
    return n / (time.perf_counter() - start)


class Workload:
    """Pre-signed `produced` claims for distinct packs, so signing is outside every timing."""

    def __init__(self, ledger: Ledger, org: str = "catl", maker_code: str = "001") -> None:
        """`org` with `maker_code` is registered as the claims' maker (another pair for a ledger that holds
        a workload's packs already)."""
        self.org, self.maker_code = org, maker_code
        self.maker = add_actor(ledger, Org(org, "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({maker_code})))
        self.serial = 0

    def code(self, s: int) -> str:
        """The code of the workload's s-th pack."""
        day = T0.date().replace(day=1 + (s // 9_000_000) % 28)
        return make_code(self.maker_code, "pack", "B", "12", "ABCDEFG", day, s % 9_000_000)

    def batch(self, n: int) -> list[tuple[dict[str, Any], str]]:
        out = []
        for _ in range(n):
            s = self.serial
            self.serial += 1
            claim = new_claim(
                pack=self.code(s),
                type="produced",
                actor=self.org,
                key=self.maker.key_id,
                data=PRODUCED,
                at=T0,
                claim_id=str(uuid.UUID(int=s)),
            )
            out.append((claim, sign_claim(claim, self.maker.private)))
        return out


def append_rate(ledger: Ledger, work: Workload, batches: int, rounds: int) -> dict[str, Any]:
    """Steady-state batch appends per second, as a ratio to the one-core verify rate measured right
    before and right after them (their mean: this machine's speed drifts within a run, and the ratio
    should compare the two at the same moment). `rounds` such measurements, `batches` batches each; the
    figure is their median. One batch first, untimed, so that starting the signature worker process
    (about half a second, once per process) is not counted as append time."""
    ledger.append(work.batch(BATCH))
    measured = []
    for _ in range(rounds):
        prepared = [work.batch(BATCH) for _ in range(batches)]
        before = baseline_verify_rate()
        start = time.perf_counter()
        for items in prepared:
            ledger.append(items)
        rate = batches * BATCH / (time.perf_counter() - start)
        verify = (before + baseline_verify_rate()) / 2
        measured.append({"per_s": rate, "verify_per_s_around": verify, "ratio_to_verify": rate / verify})
    middle = sorted(measured, key=lambda m: m["ratio_to_verify"])[len(measured) // 2]
    return {**middle, "rounds": measured}


def fresh_ledger(url: str) -> Ledger:
    ledger = Ledger(make_engine(url), LogSigner("bench.local/packtrace", Ed25519PrivateKey.generate()))
    ledger.init()
    return ledger


DURABILITY_WRITERS = 8  # concurrent single-claim writers: the group commit shares one sync among them


def _rate(ledger: Ledger, work: Workload, kind: str, n: int) -> float:
    """Claims appended per second: `n` single appends one after another (one commit each), `n` single
    appends from concurrent writers (group commit), or `n` claims in 1,000-claim batches."""
    if kind == "batch":
        prepared = [work.batch(BATCH) for _ in range(max(1, n // BATCH))]
        start = time.perf_counter()
        for items in prepared:
            ledger.append(items)
        return len(prepared) * BATCH / (time.perf_counter() - start)
    claims = work.batch(n)
    if kind == "single":
        start = time.perf_counter()
        for claim in claims:
            ledger.append_one(*claim)
        return n / (time.perf_counter() - start)
    shares = [claims[i::DURABILITY_WRITERS] for i in range(DURABILITY_WRITERS)]

    def write(share: list[tuple[dict[str, Any], str]]) -> None:
        for claim in share:
            ledger.append_one(*claim)

    threads = [threading.Thread(target=write, args=(share,)) for share in shares]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return n / (time.perf_counter() - start)


def durable_commit_cost(tmp: str, singles: int, batched: int, rounds: int) -> dict[str, Any]:
    """What durable commits cost on SQLite (item 12): the same appends on a ledger whose appends commit
    with `synchronous=FULL` (as it runs) and on one whose appends commit at NORMAL (as before),
    measured in interleaved rounds (the order alternates), each figure the median of the rounds' ratios
    durable / NORMAL. Single appends one after another are the worst case (one sync per claim)."""
    durable = fresh_ledger(f"sqlite:///{tmp}/durable.db")
    saved = db.DURABLE_SYNCHRONOUS
    db.DURABLE_SYNCHRONOUS = "NORMAL"  # this engine's durable commits run at NORMAL: the baseline
    try:
        normal = fresh_ledger(f"sqlite:///{tmp}/normal.db")
    finally:
        db.DURABLE_SYNCHRONOUS = saved
    ledgers = {"durable": durable, "normal": normal}
    works = {name: Workload(ledger) for name, ledger in ledgers.items()}
    for name, ledger in ledgers.items():
        ledger.append(works[name].batch(BATCH))  # untimed: starts the signature worker, warms the file
    sizes = {"single": singles, "concurrent": singles, "batch": batched}
    rates: dict[str, dict[str, list[float]]] = {kind: {"durable": [], "normal": []} for kind in sizes}
    for round_ in range(rounds):
        order = ["durable", "normal"] if round_ % 2 == 0 else ["normal", "durable"]
        for kind, n in sizes.items():
            for name in order:
                rates[kind][name].append(_rate(ledgers[name], works[name], kind, n))
    for ledger in ledgers.values():
        ledger.close()
        ledger.engine.dispose()
    figures: dict[str, Any] = {}
    for kind, measured in rates.items():
        ratios = [d / n for d, n in zip(measured["durable"], measured["normal"], strict=True)]
        figures[kind] = {
            "durable_per_s": statistics.median(measured["durable"]),
            "normal_per_s": statistics.median(measured["normal"]),
            "ratio_durable_to_normal": statistics.median(ratios),
            "ratios": ratios,
        }
    return figures


def witness_cost(tmp: str, batched: int, rounds: int) -> dict[str, Any]:
    """What gathering cosignatures costs appends (issue 14, acceptance 7): batch appends on a ledger whose
    cosigner (api/cosigner.py) submits every new checkpoint to two witness processes on this machine, and
    on one with no witnesses, in interleaved rounds (the order alternates); the figure is the median of the
    rounds' ratios with / without. The witnesses share this machine's cores, which real ones would not."""
    from api.cosigner import Cosigner
    from ledger.usecases.cosigning import parse_witnesses
    from tests.witness.processes import witness_process

    ledgers = {
        "witnessed": fresh_ledger(f"sqlite:///{tmp}/witnessed.db"),
        "alone": fresh_ledger(f"sqlite:///{tmp}/alone.db"),
    }
    works = {name: Workload(ledger) for name, ledger in ledgers.items()}
    for name, ledger in ledgers.items():
        ledger.append(works[name].batch(BATCH))  # untimed: starts the signature worker, warms the file
    rates: dict[str, list[float]] = {"witnessed": [], "alone": []}
    with contextlib.ExitStack() as stack:
        vkey = ledgers["witnessed"].signer.verifier_key
        witnesses = [
            stack.enter_context(witness_process(Path(tmp) / f"w{n}", f"w{n}.bench/witness", vkey)) for n in (1, 2)
        ]
        cosigner = Cosigner(ledgers["witnessed"], parse_witnesses(",".join(f"{k}={u}" for k, u in witnesses)))
        cosigner.start()
        try:
            for round_ in range(rounds):
                order = ["witnessed", "alone"] if round_ % 2 == 0 else ["alone", "witnessed"]
                for name in order:
                    rates[name].append(_rate(ledgers[name], works[name], "batch", batched))
            size = ledgers["witnessed"].size()
            deadline = time.monotonic() + 10
            while min(s.cosigned_size for s in cosigner.states()) < size and time.monotonic() < deadline:
                time.sleep(0.05)
            states = cosigner.states()
        finally:
            cosigner.stop()
    for ledger in ledgers.values():
        ledger.close()
        ledger.engine.dispose()
    ratios = [w / a for w, a in zip(rates["witnessed"], rates["alone"], strict=True)]
    return {
        "witnessed_per_s": statistics.median(rates["witnessed"]),
        "alone_per_s": statistics.median(rates["alone"]),
        "ratio_witnessed_to_alone": statistics.median(ratios),
        "ratios": ratios,
        "log_size": size,
        "cosigned_sizes": [s.cosigned_size for s in states],
        "witness_errors": [s.error for s in states],
        "target": 0.9,
    }


def witness_row(table: Table, figure: dict[str, Any]) -> None:
    table.add_row(
        "batch append with two witnesses ÷ without",
        f"{figure['witnessed_per_s']:,.0f}/s (without {figure['alone_per_s']:,.0f}/s)",
        f"{figure['ratio_witnessed_to_alone']:.2f} × without (median; rounds "
        + ", ".join(f"{r:.2f}" for r in figure["ratios"])
        + f"; cosigned {', '.join(f'{s:,}' for s in figure['cosigned_sizes'])} of {figure['log_size']:,})",
        "≥ 0.90",
    )


def durability_rows(table: Table, figures: dict[str, Any]) -> None:
    names = {
        "single": "single appends, one after another",
        "concurrent": f"single appends, {DURABILITY_WRITERS} writers",
        "batch": "1,000-claim batches",
    }
    for kind, figure in figures.items():
        table.add_row(
            f"durable commits (FULL): {names[kind]}",
            f"{figure['durable_per_s']:,.0f}/s (NORMAL {figure['normal_per_s']:,.0f}/s)",
            f"{figure['ratio_durable_to_normal']:.2f} × NORMAL (median; rounds "
            + ", ".join(f"{r:.2f}" for r in figure["ratios"])
            + ")",
            "",
        )


def pg_schema_url(base: str) -> tuple[str, Callable[[], None]]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(base))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()

    return schema_url(base, schema), drop


def schema_url(base: str, schema: str) -> str:
    """The URL of `schema` on the PostgreSQL server of `base` (its search_path set by the URL)."""
    sep = "&" if "?" in base else "?"
    return f"{normalise_url(base)}{sep}options=-csearch_path%3D{schema}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny smoke run")
    parser.add_argument("--entries", type=int, default=None, help="size of the large ledger (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=None, help="append measurements per figure (median; default 3)")
    parser.add_argument("--pg", default=None, help="PostgreSQL URL for the PostgreSQL append figure")
    parser.add_argument("--durability", action="store_true", help="only the cost of durable SQLite commits")
    parser.add_argument(
        "--witnesses", action="store_true", help="only the cost of gathering two witnesses' cosignatures"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "ledger.json")
    args = parser.parse_args()
    large = args.entries or (20_000 if args.quick else 1_000_000)
    probe_batches = 3 if args.quick else 10
    rounds = args.rounds or (1 if args.quick else 3)

    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}, "large_entries": large}
    verify_rate = baseline_verify_rate()
    sha_rate = baseline_sha256_rate()
    results["baseline"] = {"ed25519_verify_per_s_one_core": verify_rate, "sha256_700B_per_s": sha_rate}

    with tempfile.TemporaryDirectory() as tmp:
        results["witnesses"] = witness_cost(tmp, (2 if args.quick else 10) * BATCH, max(rounds, 3))
    if args.witnesses:
        table = Table(title="packtrace ledger bench: gathering cosignatures (ratios in this run)")
        for column in ("figure", "value", "ratio", "target"):
            table.add_column(column)
        witness_row(table, results["witnesses"])
        console.print(table)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_name("ledger-witnesses.json").write_text(json.dumps(results, indent=2))
        return
    with tempfile.TemporaryDirectory() as tmp:
        singles, batched = (100, 2 * BATCH) if args.quick else (400, 5 * BATCH)
        results["durable_commits"] = durable_commit_cost(tmp, singles, batched, max(rounds, 3))
    if args.durability:
        table = Table(title="packtrace ledger bench: durable SQLite commits (ratios in this run)")
        for column in ("figure", "value", "ratio", "target"):
            table.add_column(column)
        durability_rows(table, results["durable_commits"])
        console.print(table)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_name("ledger-durability.json").write_text(json.dumps(results, indent=2))
        return

    with tempfile.TemporaryDirectory() as tmp:
        ledger = fresh_ledger(f"sqlite:///{tmp}/bench.db")
        work = Workload(ledger)
        empty = append_rate(ledger, work, probe_batches, rounds)
        results["sqlite_batch_append"] = {**empty, "target": 0.7}
        with Progress(console=console, transient=True) as bar:
            task = bar.add_task(f"growing the SQLite ledger to {large:,} entries", total=large)
            while ledger.size() + BATCH <= large - (rounds * probe_batches + 1) * BATCH:
                ledger.append(work.batch(BATCH))
                bar.update(task, completed=ledger.size())
        full = append_rate(ledger, work, probe_batches, rounds)
        size = ledger.size()
        results["append_at_size"] = {
            "size": size,
            "per_s": full["per_s"],
            # each rate first divided by the verify rate measured around it: the two are measured
            # minutes apart, and the machine's speed drifts by more than the ledger's size costs
            "ratio_to_empty": full["ratio_to_verify"] / empty["ratio_to_verify"],
            "ratio_to_empty_raw": full["per_s"] / empty["per_s"],
            "rounds": full["rounds"],
            "target": 0.8,
        }

        rng = random.Random(1)
        times = []
        for _ in range(2000):
            index = rng.randrange(size)
            start = time.perf_counter()
            ledger.inclusion_proof(index, size)
            times.append(time.perf_counter() - start)
        times.sort()
        results["inclusion_proof"] = {
            "size": size,
            "mean_ms": statistics.fmean(times) * 1e3,
            "p99_ms": times[int(len(times) * 0.99)] * 1e3,
            "target_ms": 1.0,
            "ratio_mean_to_sha256": statistics.fmean(times) * sha_rate,
        }

        start = time.perf_counter()
        report = verify_database(ledger.engine, ledger.signer.verifier_key)
        total = time.perf_counter() - start
        assert report.ok, report.problems[:3]
        hash_merkle = report.timings["hashing"] + report.timings["merkle"]
        results["verify"] = {
            "entries": report.entries,
            "hash_merkle_entries_per_s": report.entries / hash_merkle,
            "hash_merkle_ratio_to_sha256": (report.entries / hash_merkle) / sha_rate,
            "signatures_entries_per_s": report.entries / report.timings["signatures"],
            "signatures_ratio_to_one_core": (report.entries / report.timings["signatures"]) / verify_rate,
            "total_s": total,
            "timings_s": report.timings,
            "target_hash_merkle_per_s": 200_000,
        }
        ledger.close()

    if args.pg:
        url, drop = pg_schema_url(args.pg)
        try:
            pg = fresh_ledger(url)
            results["postgres_batch_append"] = append_rate(pg, Workload(pg), probe_batches, rounds)
            pg.close()
            pg.engine.dispose()
        finally:
            drop()

    table = Table(title="packtrace ledger bench (ratios to baselines of this run)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("ratio", justify="right")
    table.add_column("target", justify="right")
    table.add_row("Ed25519 verify, one core (baseline)", f"{verify_rate:,.0f}/s", "1.00", "")
    table.add_row("SHA-256 of 700 B (baseline)", f"{sha_rate:,.0f}/s", "", "")
    r = results["sqlite_batch_append"]
    table.add_row(
        "SQLite batch append (1000/batch)",
        f"{r['per_s']:,.0f}/s (verify then {r['verify_per_s_around']:,.0f}/s)",
        f"{r['ratio_to_verify']:.2f} × verify (median; rounds "
        + ", ".join(f"{m['ratio_to_verify']:.2f}" for m in r["rounds"])
        + ")",
        "≥ 0.70",
    )
    if "postgres_batch_append" in results:
        r = results["postgres_batch_append"]
        table.add_row(
            "PostgreSQL batch append",
            f"{r['per_s']:,.0f}/s (verify then {r['verify_per_s_around']:,.0f}/s)",
            f"{r['ratio_to_verify']:.2f} × verify",
            "",
        )
    r = results["append_at_size"]
    table.add_row(
        f"append at {r['size']:,} entries",
        f"{r['per_s']:,.0f}/s",
        f"{r['ratio_to_empty']:.2f} × empty (each against verify; raw rates {r['ratio_to_empty_raw']:.2f})",
        "≥ 0.80",
    )
    r = results["inclusion_proof"]
    table.add_row(
        f"inclusion proof at {r['size']:,}",
        f"mean {r['mean_ms']:.3f} ms, p99 {r['p99_ms']:.3f} ms",
        f"{r['ratio_mean_to_sha256']:.0f} × sha256",
        "≤ 1 ms",
    )
    r = results["verify"]
    table.add_row(
        "verify: hashing + Merkle pass",
        f"{r['hash_merkle_entries_per_s']:,.0f}/s",
        f"{r['hash_merkle_ratio_to_sha256']:.2f} × sha256",
        "≥ 200,000/s",
    )
    table.add_row(
        "verify: signature pass (all cores)",
        f"{r['signatures_entries_per_s']:,.0f}/s",
        f"{r['signatures_ratio_to_one_core']:.2f} × one core",
        "",
    )
    table.add_row("verify: whole run", f"{r['total_s']:.1f} s", "", "")
    durability_rows(table, results["durable_commits"])
    witness_row(table, results["witnesses"])
    console.print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    console.print(f"written {args.out}")


if __name__ == "__main__":
    main()

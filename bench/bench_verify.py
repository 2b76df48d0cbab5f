"""Incremental verify beside the full verify, on one PostgreSQL (or SQLite) ledger, in the same run.

    python bench/bench_verify.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test --entries 300000 --tail 100000
    python bench/bench_verify.py --quick            # a SQLite smoke: 6,000 entries, the last 2,000 incremental

Builds a ledger through the ledger's own batch append (a third of the entries incidents on packs produced
earlier, so the new entries touch old chains), verifies it fully up to `entries - tail` (the checkpoint a
verifier would have stored), appends the last `tail` entries, then times `verify --incremental` over them
and a full verify of the whole log, interleaved: incremental, full, incremental. Figures are entries per
second and the ratio of the incremental rate to the full rate; the one-core Ed25519 rate is the baseline.
Writes bench/results/verify.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ledger import BATCH, Workload, baseline_verify_rate, fresh_ledger, pg_schema_url  # noqa: E402
from ledger.format.claims import new_claim, sign_claim  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.usecases.incremental import verify_since  # noqa: E402
from tests.support import T0  # noqa: E402

console = Console()
INCIDENT = {"kind": "other", "severity": "low", "description": "bench"}


class MixedWorkload(Workload):
    """Two `produced` claims for every incident on a pack produced earlier (chosen at random)."""

    def __init__(self, ledger: Ledger, org: str = "catl", maker_code: str = "001") -> None:
        super().__init__(ledger, org, maker_code)
        self.rng = random.Random(7)
        self.incidents = 0

    def batch(self, n: int) -> list[tuple[dict[str, Any], str]]:
        produced = super().batch(n - n // 3)
        made = self.serial
        out = list(produced)
        for _ in range(n // 3):
            s = self.rng.randrange(max(made - len(produced), 1))
            self.incidents += 1
            claim = new_claim(
                pack=self.code(s), type="incident", actor=self.org, key=self.maker.key_id, data=INCIDENT, at=T0,
                claim_id=str(uuid.UUID(int=(1 << 64) + self.incidents)),
            )  # fmt: skip
            out.append((claim, sign_claim(claim, self.maker.private)))
        return out


def grow(ledger: Ledger, work: MixedWorkload, to: int, what: str) -> None:
    """Append up to `to` entries, then ANALYZE (on PostgreSQL), as autovacuum would after such a load: the
    planner of a table it has no statistics of reads the whole entry table for each IN list of packs."""
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task(what, total=to)
        while ledger.size() < to:
            ledger.append(work.batch(min(BATCH, max(to - ledger.size(), 3))))
            bar.update(task, completed=ledger.size())
    if ledger.engine.dialect.name == "postgresql":
        with ledger.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def measure(ledger: Ledger, entries: int, tail: int) -> dict[str, Any]:
    work = MixedWorkload(ledger)
    grow(ledger, work, entries - tail, f"building {entries - tail:,} entries")
    first = verify_since(ledger.engine, ledger.signer.verifier_key, None)
    assert first.ok and first.checkpoint is not None, first.problems[:3]
    grow(ledger, work, entries, f"appending the last {tail:,}")
    size = ledger.size()
    runs: list[dict[str, Any]] = []
    for kind in ("incremental", "full", "incremental"):
        verify_rate = baseline_verify_rate()
        start = time.perf_counter()
        report = verify_since(
            ledger.engine, ledger.signer.verifier_key, first.checkpoint if kind == "incremental" else None
        )
        seconds = time.perf_counter() - start
        assert report.ok, report.problems[:3]
        runs.append({
            "kind": kind, "seconds": seconds, "entries": report.entries, "entries_per_s": report.entries / seconds,
            "packs": report.packs, "verify_per_s_one_core": verify_rate, "timings_s": report.timings,
        })  # fmt: skip
        console.print(f"{kind}: {report.entries:,} entries in {seconds:.1f} s ({report.entries / seconds:,.0f}/s)")
    incremental = [r for r in runs if r["kind"] == "incremental"]
    full = next(r for r in runs if r["kind"] == "full")
    inc_rate = statistics.fmean(r["entries_per_s"] for r in incremental)
    return {
        "size": size,
        "since": first.size,
        "incremental_seconds": statistics.fmean(r["seconds"] for r in incremental),
        "incremental_entries_per_s": inc_rate,
        "full_seconds": full["seconds"],
        "full_entries_per_s": full["entries_per_s"],
        "incremental_rate_to_full_rate": inc_rate / full["entries_per_s"],
        "target_incremental_seconds_100k_at_10M": 30,
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL (a new schema, dropped afterwards)")
    parser.add_argument("--entries", type=int, default=300_000)
    parser.add_argument("--tail", type=int, default=100_000, help="entries after the verified checkpoint")
    parser.add_argument("--quick", action="store_true", help="SQLite smoke: 6,000 entries, tail 2,000")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "verify.json")
    args = parser.parse_args()
    entries, tail = (6_000, 2_000) if args.quick else (args.entries, args.tail)
    results: dict[str, Any] = {"backend": "postgresql" if args.pg and not args.quick else "sqlite"}
    if args.pg and not args.quick:
        url, drop = pg_schema_url(args.pg)
        try:
            ledger = fresh_ledger(url)
            results.update(measure(ledger, entries, tail))
            ledger.close()
            ledger.engine.dispose()
        finally:
            drop()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            ledger = fresh_ledger(f"sqlite:///{tmp}/bench.db")
            results.update(measure(ledger, entries, tail))
            ledger.close()
    console.print(
        f"incremental verify of the last {results['size'] - results['since']:,} of {results['size']:,} entries "
        f"({results['backend']}): {results['incremental_seconds']:.1f} s, {results['incremental_entries_per_s']:,.0f} "
        f"entries/s; full verify {results['full_seconds']:.1f} s, {results['full_entries_per_s']:,.0f} entries/s; "
        f"incremental rate {results['incremental_rate_to_full_rate']:.2f} × the full rate"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    console.print(f"written {args.out}")


if __name__ == "__main__":
    main()

"""Build a large packtrace database for the 10 M-entry figures of issue 18 (not CI: at ~1,000-3,000 entries/s
10 M entries take one to three hours of the machine).

    python bench/build_scale.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test --schema scale10m \
        --entries 10000000 --key-file scale10m-log.key
    packtrace verify --incremental --database-url '<the URL it prints>' --log-key '<the verifier key it prints>'

The lives are bench/bench_reports.py's (in a vehicle, recycled, scrapped, the 流向不明 reasons, incidents,
a hot batch), for enough packs to hold `--entries` entries (about 4 entries a pack: 10 M entries ≈ 2.5 M
packs), made by `--makers` makers (default 100: the 3-character maker codes M00-M99) at as many packs a
production day as keeps every event in the past. It writes exactly what appends write because it *is* the
append: pre-signed claims, signed in a second process, go through `Ledger.append` in batches of 10,000 —
the same rules, hashes, Merkle nodes, projections and checkpoints — so `packtrace verify` accepts the
result (tests/ops/test_build_scale.py builds a small one and verifies it). Nothing goes through HTTP.

The PostgreSQL schema is kept (created if missing; refused if it holds tables already); the log key is
written to `--key-file` (mode 0600) so that later appends and `packtrace verify` use the same key.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import create_engine, inspect, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import bench_ledger, bench_reports  # noqa: E402
from ledger.format.logkey import LogSigner, load_or_create_key  # noqa: E402
from ledger.log import Ledger  # noqa: E402
from ledger.store.db import make_engine, normalise_url  # noqa: E402

console = Console()
PRODUCTION_DAYS = 450  # from 2024-01-02: the last packs made in spring 2025, their lives over by late 2026


def per_day_for(packs: int, makers: int) -> int:
    """Packs a maker makes a production day, so that `packs` fit in PRODUCTION_DAYS."""
    return max(bench_reports.PER_DAY, math.ceil(packs / makers / PRODUCTION_DAYS))


def _set_per_day(per_day: int) -> None:
    bench_reports.PER_DAY = per_day  # in the signing process too: a pack's code and life depend on it


def build(url: str, entries: int, makers: int, key_file: Path, origin: str) -> dict[str, float | int | str]:
    """Append the lives of enough packs to hold `entries` entries; the figures of the build."""
    ledger = Ledger(make_engine(url), LogSigner(origin, load_or_create_key(key_file)))
    ledger.init()
    try:
        keys = bench_reports.register(ledger, makers)
        packs, _, _ = bench_reports.packs_for(entries, makers)
        per_day = per_day_for(packs, makers)
        _set_per_day(per_day)
        packs, _, _ = bench_reports.packs_for(entries, makers)  # with the production rate in force
        step = bench_reports.PACKS_PER_JOB
        jobs = [(first, min(step, packs - first), makers, keys) for first in range(0, packs, step)]
        start = time.perf_counter()
        context = multiprocessing.get_context("spawn")
        with (
            context.Pool(1, initializer=_set_per_day, initargs=(per_day,)) as pool,
            Progress(console=console, transient=True) as bar,
        ):
            task = bar.add_task(f"appending the lives of {packs:,} packs", total=packs)
            for n, items in enumerate(pool.imap(bench_reports._lives_job, jobs)):
                for at in range(0, len(items), bench_reports.BATCH):
                    ledger.append(items[at : at + bench_reports.BATCH])
                bar.update(task, completed=jobs[n][0] + jobs[n][1])
        seconds = time.perf_counter() - start
        return {
            "entries": ledger.size(),
            "packs": packs,
            "makers": makers,
            "packs_per_production_day": per_day,
            "seconds": seconds,
            "append_per_s": ledger.size() / seconds,
            "verifier_key": ledger.signer.verifier_key,
        }
    finally:
        ledger.close()
        ledger.engine.dispose()


def new_schema_url(base: str, schema: str) -> str:
    """The URL of `schema` on the server of `base` (created if missing; refused if it holds tables)."""
    admin = create_engine(normalise_url(base))
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            if inspect(conn).get_table_names(schema=schema):
                raise SystemExit(f"schema {schema!r} holds tables already: drop it, or name another")
    finally:
        admin.dispose()
    return bench_ledger.schema_url(base, schema)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--pg", help="PostgreSQL URL of the server (the data goes into --schema)")
    where.add_argument("--sqlite", type=Path, help="a SQLite file instead (new)")
    parser.add_argument("--schema", default="scale", help="PostgreSQL schema to build in (kept)")
    parser.add_argument("--entries", type=int, default=10_000_000)
    parser.add_argument("--makers", type=int, default=100, help="battery makers (at most 100)")
    parser.add_argument("--key-file", type=Path, default=Path("scale-log.key"))
    parser.add_argument("--origin", default="bench.local/scale")
    args = parser.parse_args()
    if not 1 <= args.makers <= 100:
        raise SystemExit("--makers: 1 to 100 (maker codes M00-M99)")
    if args.sqlite is not None and args.sqlite.exists():
        raise SystemExit(f"{args.sqlite} exists: name a new file")
    url = f"sqlite:///{args.sqlite}" if args.sqlite is not None else new_schema_url(args.pg, args.schema)
    figures = build(url, args.entries, args.makers, args.key_file, args.origin)
    console.print(figures)
    console.print(f"verify it: packtrace verify --database-url '{url}' --log-key '{figures['verifier_key']}'")


if __name__ == "__main__":
    main()

"""Where a batch append's time goes, per backend: each store call and step of the append transaction timed
(wall clock, in the appending thread), SQLite and PostgreSQL interleaved, in µs per entry.

    python bench/append_phases.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/test [--batches 5]

The functions are wrapped where the append calls them (ledger.store.appending, ledger.store.head,
ledger.append.unit); the figures are for reading side by side, not targets (docs/performance.md).
"""

from __future__ import annotations

import argparse
import collections
import functools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_ledger import BATCH, Workload, fresh_ledger, pg_schema_url  # noqa: E402
from ledger.append import pending as pending_module  # noqa: E402
from ledger.append import unit  # noqa: E402
from ledger.store import appending, logmeta  # noqa: E402
from ledger.store import head as stored_head  # noqa: E402

SPENT: collections.defaultdict[str, float] = collections.defaultdict(float)


def timed(owner: Any, name: str, label: str | None = None) -> None:
    original = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT[label or name] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def instrument() -> None:
    for name in ("recorded_ids", "signing_keys", "packs", "frontier", "insert_entries", "insert_nodes"):
        timed(appending, name)
    for name in ("write_packs", "insert_checkpoint"):
        timed(appending, name)
    timed(stored_head, "lock", "head.lock")
    timed(stored_head, "set_size", "head.set_size")
    timed(logmeta, "checkpoint_keys")
    timed(unit.Appender, "write", "the transaction, commit included")
    timed(unit, "apply_request", "apply_request (rules, entry bytes)")
    read = pending_module.Pending.read.__func__  # type: ignore[attr-defined]

    def pending_read(cls: Any, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return read(cls, *args, **kwargs)
        finally:
            SPENT["Pending.read (the lookups)"] += time.perf_counter() - start

    pending_module.Pending.read = classmethod(pending_read)  # type: ignore[method-assign,assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--batches", type=int, default=5, help="batches of 1,000 per round (4 rounds)")
    args = parser.parse_args()
    instrument()
    url, drop = pg_schema_url(args.pg)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ledgers = {"sqlite": fresh_ledger(f"sqlite:///{tmp}/phases.db"), "postgresql": fresh_ledger(url)}
            work = {name: Workload(ledger) for name, ledger in ledgers.items()}
            for name, ledger in ledgers.items():
                ledger.append(work[name].batch(BATCH))
            with ledgers["postgresql"].engine.connect() as conn:  # as autovacuum would
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
            spent = {name: collections.defaultdict[str, float](float) for name in ledgers}
            wall: collections.defaultdict[str, float] = collections.defaultdict(float)
            for round_ in range(4):
                for name in ("sqlite", "postgresql") if round_ % 2 == 0 else ("postgresql", "sqlite"):
                    batches = [work[name].batch(BATCH) for _ in range(args.batches)]
                    SPENT.clear()
                    start = time.perf_counter()
                    for items in batches:
                        ledgers[name].append(items)
                    wall[name] += time.perf_counter() - start
                    for part, seconds in SPENT.items():
                        spent[name][part] += seconds
            entries = 4 * args.batches * BATCH
            for name in ledgers:
                print(f"== {name}: {entries / wall[name]:,.0f} entries/s over {entries:,} entries; µs per entry:")
                for part, seconds in sorted(spent[name].items(), key=lambda item: -item[1]):
                    print(f"   {part:40s} {seconds / entries * 1e6:8.1f}")
            for ledger in ledgers.values():
                ledger.close()
                ledger.engine.dispose()
    finally:
        drop()


if __name__ == "__main__":
    main()

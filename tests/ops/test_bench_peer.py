"""bench/bench_peer.py (issue 18): packtrace and the eventsourcing library are given the same events, in
interleaved rounds, and the figure is packtrace's rate as a ratio of eventsourcing's, round by round."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bench.bench_peer import peer, verify_rates
from ledger.format import ed25519


def test_both_stores_record_the_same_events_and_each_round_gives_a_ratio(tmp_path: Path) -> None:
    figures = peer(str(tmp_path), batches=1, rounds=2)
    assert len(figures["ratios"]) == 2
    assert figures["ratios"] == [
        p / e for p, e in zip(figures["rates"]["packtrace"], figures["rates"]["eventsourcing"], strict=True)
    ]
    assert all(rate > 0 for rates in figures["rates"].values() for rate in rates)

    with sqlite3.connect(tmp_path / "packtrace.db") as db:
        recorded = {pack for (pack,) in db.execute("SELECT pack FROM entry WHERE type = 'produced'")}
    with sqlite3.connect(tmp_path / "eventsourcing.db") as db:
        (table,) = [
            name
            for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name.endswith("events")
        ]
        states = [json.loads(state) for (state,) in db.execute(f"SELECT state FROM {table}")]
    # the untimed warm-up batch and one batch a round, 1,000 events each, the same packs on both sides
    assert len(states) == 3 * 1000
    assert {state["pack"] for state in states} == recorded
    assert {state["type"] for state in states} == {"produced"}


def test_the_verify_rates_name_both_libraries_and_packtraces_verifier() -> None:
    rates = verify_rates(50)
    assert set(rates) == {"cryptography", "libsodium", f"packtrace verifier ({ed25519.LIBRARY})"}
    assert all(rate > 0 for rate in rates.values())

"""api/witness_store.py and Witness.add_checkpoint: compare-and-swap, and concurrent submissions of which
exactly one is cosigned (C2SP tlog-witness: check and persist atomically)."""

from __future__ import annotations

import threading
from pathlib import Path

from api.witness import Witness, init_state
from api.witness_store import HeadStore
from ledger.format.witnessing import NEVER_COSIGNED, Refusal, TreeHead, trusted_logs
from tests.witness.synthetic import LOG_VKEY, ORIGIN, SyntheticLog

HONEST = SyntheticLog(20)
FORK = SyntheticLog(20, fork_at=3)


def test_swap_applies_only_over_the_head_it_expects(tmp_path: Path) -> None:
    store = HeadStore(tmp_path)
    first, second = TreeHead(5, HONEST.root(5)), TreeHead(9, HONEST.root(9))
    assert store.swap(ORIGIN, NEVER_COSIGNED, first)
    assert not store.swap(ORIGIN, NEVER_COSIGNED, second)  # stale: another swap came first
    assert store.held(ORIGIN) == first
    assert HeadStore(tmp_path).held(ORIGIN) == first  # on disk, read by a new store
    assert sorted(p.name for p in (tmp_path / "heads").iterdir() if p.suffix == ".tmp") == []


def test_of_concurrent_submissions_from_one_size_exactly_one_is_cosigned(tmp_path: Path) -> None:
    witness = Witness(init_state(tmp_path, "w.example/1"), trusted_logs([LOG_VKEY]), HeadStore(tmp_path))
    bodies = [log.request(0, size) for size in range(4, 12) for log in (HONEST, FORK)]
    start = threading.Barrier(len(bodies))
    outcomes: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def submit(body: bytes) -> None:
        start.wait()
        try:
            witness.add_checkpoint(body)
            status = 200
        except Refusal as refusal:
            status = refusal.status
        with lock:
            outcomes.append((status, body))

    threads = [threading.Thread(target=submit, args=(body,)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [body for status, body in outcomes if status == 200]
    assert len(winners) == 1
    assert sorted(status for status, _ in outcomes) == [200] + [409] * (len(bodies) - 1)
    held = witness.heads.held(ORIGIN)
    assert any(log.request(0, held.size) == winners[0] and log.root(held.size) == held.root for log in (HONEST, FORK))

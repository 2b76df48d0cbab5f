"""Concurrent writers, each with its own engine (so the database lock, not a Python lock, is tested)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from events.errors import ConflictError
from ledger.log import Ledger
from ledger.store.db import make_engine
from tests.support import PRODUCED, Actor, Clock, code

WRITERS = 8


@pytest.fixture
def writers(ledger: Ledger, database_url: str) -> Iterator[list[Ledger]]:
    ledgers = [Ledger(make_engine(database_url), ledger.signer, clock=Clock()) for _ in range(WRITERS)]
    yield ledgers
    for lg in ledgers:
        lg.close()
        lg.engine.dispose()


def _incident(n: int) -> dict[str, str]:
    return {"kind": "other", "severity": "low", "description": f"writer {n}"}


def test_eight_writers_on_one_pack_one_wins_the_rest_see_the_head(
    ledger: Ledger, maker: Actor, writers: list[Ledger]
) -> None:
    first = ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    barrier = threading.Barrier(WRITERS)
    outcomes: list[object] = [None] * WRITERS

    def write(n: int) -> None:
        claim = maker.claim(code(1), "incident", _incident(n), prev=first.hash)
        barrier.wait()
        try:
            outcomes[n] = writers[n].append_one(*claim)
        except ConflictError as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    winners = [o for o in outcomes if not isinstance(o, ConflictError)]
    losers = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(winners) == 1 and len(losers) == WRITERS - 1
    head = winners[0].hash  # type: ignore[attr-defined]
    for loser in losers:
        assert loser.message == f"stale prev for pack {code(1)}: the current head is {head}"
    assert [seq for _, _, seq in _chain(ledger, code(1))] == [0, 1]


def test_eight_writers_retrying_on_one_pack_never_fork_its_chain(
    ledger: Ledger, maker: Actor, base: int, writers: list[Ledger]
) -> None:
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    rounds = 5

    def write(n: int) -> None:
        for r in range(rounds):
            while True:
                head = writers[n].pack_head(code(1))
                assert head is not None
                try:
                    writers[n].append_one(*maker.claim(code(1), "incident", _incident(n * 100 + r), prev=head[0]))
                    break
                except ConflictError:
                    continue

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    chain = _chain(ledger, code(1))
    assert [seq for _, _, seq in chain] == list(range(1 + WRITERS * rounds))
    assert [idx for idx, _, _ in chain] == list(range(base, base + 1 + WRITERS * rounds))


def test_writers_on_many_packs_keep_index_dense(ledger: Ledger, maker: Actor, base: int, writers: list[Ledger]) -> None:
    per_writer = 6

    def write(n: int) -> None:
        for i in range(per_writer):
            serial = n * 1000 + i
            writers[n].append_one(*maker.claim(code(serial), "produced", PRODUCED))
            writers[n].append([maker.claim(code(serial), "shipped", {"to": "byd-auto"})])

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    total = WRITERS * per_writer * 2
    with ledger.engine.connect() as conn:
        indices = [r[0] for r in conn.execute(text("SELECT idx FROM entry ORDER BY idx"))]
        bad = conn.execute(text("SELECT pack FROM entry GROUP BY pack HAVING MAX(seq) <> COUNT(*) - 1")).all()
        sizes = [r[0] for r in conn.execute(text("SELECT size FROM checkpoint ORDER BY size"))]
    assert indices == list(range(base + total))
    assert bad == []
    assert sizes == list(range(base, base + total + 1))  # the registry's transaction, then one per append
    assert ledger.size() == base + total


def _chain(ledger: Ledger, pack: str) -> list[tuple[int, str, int]]:
    import json

    return [(idx, h, json.loads(body)["seq"]) for idx, h, body in ledger.pack_entries(pack)]

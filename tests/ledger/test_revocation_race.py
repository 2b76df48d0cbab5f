"""Issue 11, acceptance check 2: keys revoked while 8 writers post with them, 30 rounds; `verify` passes
after every round. Each writer has its own engine (as separate server processes would), and the clocks
are real, as in the attack that found 16 of 30 rounds failing on PostgreSQL."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from events.errors import AuthorisationError
from events.orgs import Org, Role
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import make_engine
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from ledger.usecases.verify import verify_database
from tests.support import PRODUCED, Actor, add_actor, code, public_b64

WRITERS = 8
ROUNDS = 30
POSTS_BEFORE_REVOCATION = 1  # every writer has posted with the round's key before it is revoked, and goes on

pytestmark = pytest.mark.slow


@pytest.fixture
def server(engine: Engine, signer: LogSigner) -> Iterator[Ledger]:
    """The ledger that revokes (the server process the regulator's request reaches): real clock."""
    ledger = Ledger(engine, signer)
    ledger.init()
    yield ledger
    ledger.close()


@pytest.fixture
def writers(server: Ledger, database_url: str) -> Iterator[list[Ledger]]:
    ledgers = [Ledger(make_engine(database_url), server.signer) for _ in range(WRITERS)]
    yield ledgers
    for ledger in ledgers:
        ledger.close()
        ledger.engine.dispose()


def test_acceptance2_keys_revoked_while_eight_writers_post_with_them(server: Ledger, writers: list[Ledger]) -> None:
    maker = add_actor(server, Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"})))
    serials = itertools.count()

    for round_ in range(ROUNDS):
        stopped = _revoke_while_writing(server, writers, maker, f"catl/round-{round_}", serials)

        assert sorted((n, how) for n, _, how in stopped) == [(n, "key_revoked") for n in range(WRITERS)]
        assert all(recorded >= POSTS_BEFORE_REVOCATION for _, recorded, _ in stopped)
        report = verify_database(server.engine, server.signer.verifier_key)
        assert report.ok, f"round {round_}: {report.problems[:3]}"

    assert server.size() >= ROUNDS * WRITERS * POSTS_BEFORE_REVOCATION


def _revoke_while_writing(
    server: Ledger, writers: list[Ledger], maker: Actor, key_id: str, serials: Iterator[int]
) -> list[tuple[int, int, str]]:
    """Register `key_id`; let every writer post with it until refused, and revoke it once each has posted.
    Answer how each writer stopped: (writer, entries it recorded, the refusal's code)."""
    private = Ed25519PrivateKey.generate()
    orgkeys.add_key(server, ADMIN, "catl", key_id=key_id, public_key=public_b64(private))
    signer = Actor(maker.org, key_id, private)
    serial_lock = threading.Lock()
    posted = threading.Barrier(WRITERS + 1)
    stopped: list[tuple[int, int, str]] = []

    def write(n: int) -> None:
        recorded = 0
        while True:
            with serial_lock:
                serial = next(serials)
            at = datetime.now(UTC) - timedelta(minutes=1)
            try:
                writers[n].append_one(*signer.claim(code(serial), "produced", PRODUCED, at=at))
            except AuthorisationError as exc:
                stopped.append((n, recorded, exc.code))
                return
            recorded += 1
            if recorded == POSTS_BEFORE_REVOCATION:
                posted.wait(timeout=30)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    posted.wait(timeout=30)  # every writer is posting with the key: revoke it now
    orgkeys.revoke_key(server, ADMIN, "catl", key_id)
    for thread in threads:
        thread.join(timeout=30)
    return stopped

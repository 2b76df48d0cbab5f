"""Issue 11, item 12: on SQLite the commit that signs a checkpoint is durable before the checkpoint can be
served. The ledger runs in WAL mode with `synchronous=NORMAL` by default (it survives kill -9, not a
power cut); an append's commit, and a key revocation's, run with `synchronous=FULL` (the write-ahead log
is synced before the commit returns). SQLite only: these tests make their own SQLite ledger whatever
backend the suite runs on (PostgreSQL's commits are durable already)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event

from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import make_engine, write_connection
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from tests.support import PRODUCED, Clock, code, province

NORMAL, FULL, EXTRA = 1, 2, 3  # what `PRAGMA synchronous` answers


def _watch_commits(engine: Engine) -> list[int]:
    """The `synchronous` level in force on the connection at each commit of `engine`."""
    levels: list[int] = []

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        raw = conn.connection.dbapi_connection  # asked on the driver's connection, inside the transaction
        levels.append(int(raw.execute("PRAGMA synchronous").fetchone()[0]))

    return levels


@pytest.fixture
def sqlite_ledger(tmp_path: Path, signer: LogSigner, request: pytest.FixtureRequest) -> Iterator[Ledger]:
    synchronous = getattr(request, "param", "NORMAL")
    engine = make_engine(f"sqlite:///{tmp_path / 'durable.db'}", sqlite_synchronous=synchronous)
    ledger = Ledger(engine, signer, clock=Clock())
    ledger.init()
    yield ledger
    ledger.close()
    engine.dispose()


def test_item12_the_commit_that_signs_a_checkpoint_is_durable(sqlite_ledger: Ledger) -> None:
    maker = province(sqlite_ledger)["catl"]
    base = sqlite_ledger.size()
    commits = _watch_commits(sqlite_ledger.engine)

    sqlite_ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    sqlite_ledger.append([maker.claim(code(2), "produced", PRODUCED), maker.claim(code(3), "produced", PRODUCED)])
    asyncio.run(sqlite_ledger.append_one_async(*maker.claim(code(4), "produced", PRODUCED)))

    assert commits == [FULL, FULL, FULL]
    checkpoint = sqlite_ledger.latest_checkpoint()
    assert checkpoint is not None and checkpoint.size == base + 4


def test_item12_a_key_revocation_is_durable(sqlite_ledger: Ledger) -> None:
    province(sqlite_ledger)
    commits = _watch_commits(sqlite_ledger.engine)

    orgkeys.revoke_key(sqlite_ledger, ADMIN, "catl", "catl/1")

    assert commits == [FULL]


def test_item12_the_registry_s_entries_are_durable(sqlite_ledger: Ledger) -> None:
    """Registering organisations and keys appends registry entries and signs a checkpoint: one commit,
    synced like an append's."""
    commits = _watch_commits(sqlite_ledger.engine)

    actors = province(sqlite_ledger)

    assert commits == [FULL]
    checkpoint = sqlite_ledger.latest_checkpoint()
    assert checkpoint is not None and checkpoint.size == sqlite_ledger.size() == 2 * len(actors)  # org + key each


def test_item12_other_transactions_keep_the_configured_level(sqlite_ledger: Ledger) -> None:
    """Only the ledger's own commits pay for the sync: other writes (and reads) run at the configured
    `synchronous`, also on a connection an append used before."""
    maker = province(sqlite_ledger)["catl"]
    sqlite_ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    commits = _watch_commits(sqlite_ledger.engine)

    with write_connection(sqlite_ledger.engine) as conn, conn.begin():
        conn.exec_driver_sql("UPDATE org SET name = 'CATL' WHERE id = 'catl'")

    assert commits == [NORMAL]


@pytest.mark.parametrize("sqlite_ledger", ["EXTRA"], indirect=True)
def test_item12_a_stricter_configured_level_is_kept_for_appends(sqlite_ledger: Ledger) -> None:
    maker = province(sqlite_ledger)["catl"]
    commits = _watch_commits(sqlite_ledger.engine)

    sqlite_ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))

    assert commits == [EXTRA]

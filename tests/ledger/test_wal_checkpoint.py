"""SQLite: the write-ahead log is copied back into the database file by a background thread after
appends, not by the appending thread; closing the ledger stops that thread. (SQLite's own feature: these
tests make their own SQLite file whichever backend the suite runs on.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import SQLITE_CACHE_KIB, WAL_AUTOCHECKPOINT_PAGES, WalCheckpointer, make_engine
from tests.support import PRODUCED, Actor, Clock, code, province


@pytest.fixture
def sqlite_ledger(tmp_path: Path, signer: LogSigner) -> Iterator[Ledger]:
    ledger = Ledger(make_engine(f"sqlite:///{tmp_path / 'wal.db'}"), signer, clock=Clock())
    ledger.init()
    yield ledger
    ledger.close()
    ledger.engine.dispose()


@pytest.fixture
def sqlite_maker(sqlite_ledger: Ledger) -> Actor:
    return province(sqlite_ledger)["catl"]


def checkpointer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "packtrace-wal-checkpoint"]


def test_appends_are_checkpointed_in_the_background(tmp_path: Path, sqlite_ledger: Ledger, sqlite_maker: Actor) -> None:
    database = tmp_path / "wal.db"
    before = database.stat().st_size
    sqlite_ledger.append([sqlite_maker.claim(code(i), "produced", PRODUCED) for i in range(300)])

    deadline = time.monotonic() + 10
    while database.stat().st_size == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert database.stat().st_size > before  # the pages reached the database file
    assert len(checkpointer_threads()) == 1
    with sqlite_ledger.engine.connect() as conn:  # committing connections leave it to the thread
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == WAL_AUTOCHECKPOINT_PAGES
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -SQLITE_CACHE_KIB


def test_close_stops_the_checkpoint_thread(sqlite_ledger: Ledger, sqlite_maker: Actor) -> None:
    sqlite_ledger.append_one(*sqlite_maker.claim(code(1), "produced", PRODUCED))
    assert len(checkpointer_threads()) == 1
    sqlite_ledger.close()
    assert checkpointer_threads() == []


def test_a_checkpointer_stops_even_when_never_woken(sqlite_ledger: Ledger) -> None:
    checkpointer = WalCheckpointer(sqlite_ledger.engine, interval=60)
    checkpointer.close()
    assert checkpointer_threads() == []

"""The writer's resources: the thread that drains the queue for requests from an event loop (which must
not block), and the connection kept from one group to the next and given back after a failure."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from ledger.store.db import write_connection
from ledger.store.driver import Connection, Engine

THREAD_NAME = "packtrace-ledger-writer"


class WriterThread:
    def __init__(self, drain: Callable[[], None]) -> None:
        self._drain = drain
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopped:
                return
            self._drain()


class WriterConnection:
    """Its commits are durable (`write_connection(durable=True)`): each signs a checkpoint that may be
    served as soon as it is committed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._held = contextlib.ExitStack()
        self._conn: Connection | None = None

    def get(self) -> Connection:
        if self._conn is None:
            self._conn = self._held.enter_context(write_connection(self.engine, durable=True))
        return self._conn

    def give_back(self) -> None:
        self._conn = None
        self._held.close()

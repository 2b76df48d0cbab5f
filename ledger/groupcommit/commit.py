"""The group-commit queue: callers queue their requests; whoever finds no writer at work drains the queue,
up to `GROUP_LIMIT` requests per transaction, until it is empty (so concurrent single appends share one
commit and one checkpoint). A thread appending waits for its request; a request from an event loop is
checked and written by the writer thread, which settles the awaiting task (a thread-pool hop per request,
there and back, cost more than the append itself)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.append.outcome import Appended
from ledger.append.request import Request
from ledger.groupcommit.isolate import Write, write_isolating
from ledger.groupcommit.writer import WriterConnection, WriterThread
from ledger.store.driver import Engine

GROUP_LIMIT = 64  # requests written together in one group commit
Items = Sequence[tuple[Any, Any]]
Check = Callable[[Request, Items, str | None], None]  # step (1): fills the request (ledger.append.intake)


@dataclass(eq=False)
class Queued(Request):
    """A request in the queue, and how its caller learns it is settled."""

    done: threading.Event = field(default_factory=threading.Event)
    # From an event loop: the items as received (checked by the writer thread), and what to call (from
    # that thread) once the request is settled.
    unchecked: tuple[Items, str | None] | None = None
    settled: Callable[[Queued], None] | None = None


def _settle(future: asyncio.Future[Queued], request: Queued) -> None:
    if not future.done():  # the awaiting task may have been cancelled (the client went away)
        future.set_result(request)


class GroupCommit:
    def __init__(self, engine: Engine, check: Check, write: Write) -> None:
        self.engine = engine
        self.check = check
        self.write = write
        self.lock = threading.Lock()
        self.queue: list[Queued] = []
        self.writing = False  # a thread is draining the queue
        self._writer: WriterThread | None = None  # started by the first request from an event loop

    def commit(self, request: Queued) -> list[Appended]:
        """Queue a checked request and wait until it is written (by this thread, if no other is writing)."""
        if self.enqueue(request):
            self.drain()
        request.done.wait()
        return request.outcome()

    async def commit_async(self, items: Items, as_org: str | None) -> list[Appended]:
        """Queue unchecked items from an event loop, which this never blocks; the writer thread settles them."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Queued] = loop.create_future()

        def settled(request: Queued) -> None:
            loop.call_soon_threadsafe(_settle, future, request)

        request = Queued(unchecked=(items, as_org), settled=settled)
        if self.enqueue(request):
            self.writer().wake()
        await future
        return request.outcome()

    def enqueue(self, request: Queued) -> bool:
        """Queue a request; True if no thread is writing, so the caller must see that one does."""
        with self.lock:
            self.queue.append(request)
            idle = not self.writing
            self.writing = True
        return idle

    def writer(self) -> WriterThread:
        with self.lock:
            if self._writer is None:
                self._writer = WriterThread(self.drain)
            return self._writer

    def drain(self) -> None:
        """Write the queued requests, a group per transaction, until the queue is empty (`writing` makes
        this thread the only drainer). Consecutive groups share one connection; after a failed
        transaction it is given back, and the next one takes a fresh one."""
        connection = WriterConnection(self.engine)
        try:
            while group := self._next_group():
                for request in group:
                    if request.unchecked is not None:
                        self._check_queued(request)
                write_isolating(connection, [request for request in group if request.error is None], self.write)
                for request in group:
                    _settled(request)
        finally:
            connection.give_back()

    def _next_group(self) -> list[Queued]:
        with self.lock:
            group, self.queue = self.queue[:GROUP_LIMIT], self.queue[GROUP_LIMIT:]
            if not group:
                self.writing = False
            return group

    def _check_queued(self, request: Queued) -> None:
        """Step (1), in the writer thread, for a request queued from an event loop."""
        assert request.unchecked is not None
        items, as_org = request.unchecked
        try:
            self.check(request, items, as_org)
        except BaseException as exc:  # e.g. the database was unreachable for an unknown key
            request.error = exc
            return
        request.unchecked = None

    def close(self) -> None:
        if self._writer is not None:
            self._writer.stop()
            self._writer = None


def _settled(request: Queued) -> None:
    if request.checking is not None:
        with contextlib.suppress(Exception):
            request.checking.release()  # a worker held for checks nobody collected (if any)
    request.done.set()
    if request.settled is not None:
        with contextlib.suppress(RuntimeError):  # its event loop is closed: nobody waits
            request.settled(request)

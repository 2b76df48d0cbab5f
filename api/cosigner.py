"""The log's cosignature gatherer: a background thread, started and stopped by the app's lifespan when
PACKTRACE_WITNESSES names witnesses, that polls the latest stored checkpoint (appends may come from other
processes) and runs a gathering round (ledger/usecases/cosigning.py) whenever there is one to cosign.

It has its own thread, event loop, HTTP client and database connections, short timeouts and short write
transactions: an append never waits for a witness.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence

import httpx
from starlette.types import ASGIApp

from ledger.log import Ledger
from ledger.usecases.cosigning import Answer, Gatherer, Unreachable, WitnessConfig, WitnessState

POLL_SECONDS = 0.2
TIMEOUT = httpx.Timeout(2.0, connect=1.0)  # a round waits for its slowest witness: at most this
log = logging.getLogger("packtrace.cosigner")


class Cosigner:
    def __init__(
        self,
        ledger: Ledger,
        witnesses: Sequence[WitnessConfig],
        *,
        poll: float = POLL_SECONDS,
        timeout: httpx.Timeout = TIMEOUT,
        backoff: tuple[float, float] = (1.0, 60.0),
    ) -> None:
        self.gatherer = Gatherer(ledger, witnesses, backoff=backoff)
        self.poll, self.timeout = poll, timeout
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    def states(self) -> list[WitnessState]:
        return self.gatherer.states()

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="cosigner", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._thread = None

    async def _run(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        self._ready.set()
        limits = httpx.Limits(max_connections=32, max_keepalive_connections=16)
        async with httpx.AsyncClient(timeout=self.timeout, limits=limits, follow_redirects=False) as client:

            async def post(url: str, body: bytes) -> Answer:
                try:
                    response = await client.post(url, content=body)
                except httpx.TimeoutException as exc:
                    raise Unreachable(f"超时 timed out: {type(exc).__name__} after {self.timeout.read} s") from None
                except httpx.HTTPError as exc:
                    raise Unreachable(f"无法连接 unreachable: {type(exc).__name__}: {exc}") from None
                return Answer(response.status_code, response.headers.get("content-type", ""), response.text)

            while not self._stop.is_set():
                try:
                    await self.gatherer.gather(post)
                except Exception:  # a bug or a database error: logged, and the next poll tries again
                    log.exception("cosignature gathering round failed")
                with contextlib.suppress(TimeoutError):  # the poll interval passed
                    await asyncio.wait_for(self._stop.wait(), self.poll)


def witness_states(app: ASGIApp) -> list[WitnessState]:
    """The state of each witness the app's gatherer submits to (none when no witness is configured)."""
    cosigner: Cosigner | None = getattr(getattr(app, "state", None), "cosigner", None)
    return [] if cosigner is None else cosigner.states()

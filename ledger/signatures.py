"""Ed25519 checks of claim signatures, in a worker process for large batches.

A batch's signatures are checked on another core while the appending thread applies the domain rules
under the lock; threads would not do, because the appender holds the GIL for most of its work and a
verifying thread waits for the GIL after every signature.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Job = tuple[bytes, bytes, bytes]  # public key, signature, message
POOL_THRESHOLD = 64


@lru_cache(maxsize=4096)
def _public(raw: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(raw)


def failures(jobs: Sequence[Job]) -> list[int]:
    """Positions (in `jobs`) of the signatures that do not verify."""
    bad = []
    for position, (public, signature, message) in enumerate(jobs):
        try:
            _public(public).verify(signature, message)
        except (InvalidSignature, ValueError):
            bad.append(position)
    return bad


CHUNK = 256


class SignatureChecker:
    """Checks signatures in worker processes (small batches inline); `start()` opens one batch's checks."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def _submit(self, jobs: list[Job]) -> Future[list[int]]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("forkserver"))
        return self._pool.submit(failures, jobs)

    def start(self) -> PendingChecks:
        return PendingChecks(self)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


class PendingChecks:
    """The checks of one batch. Jobs go to the workers in chunks while the caller goes on parsing and
    applying the rest, so verification overlaps the appender's own work."""

    def __init__(self, checker: SignatureChecker) -> None:
        self.checker = checker
        self.jobs: list[Job] = []
        self.sent = 0
        self.futures: list[tuple[int, Future[list[int]]]] = []

    def add(self, job: Job) -> None:
        self.jobs.append(job)
        if self.checker.processes > 0 and len(self.jobs) - self.sent >= CHUNK:
            self._send()

    def _send(self) -> None:
        self.futures.append((self.sent, self.checker._submit(self.jobs[self.sent :])))
        self.sent = len(self.jobs)

    def failures(self) -> list[int]:
        """Positions (in the order jobs were added) of the signatures that do not verify; waits for them."""
        if self.sent < len(self.jobs):
            if not self.futures and (self.checker.processes < 1 or len(self.jobs) < POOL_THRESHOLD):
                self.futures.append((0, _done(failures(self.jobs))))
                self.sent = len(self.jobs)
            else:
                self._send()
        return sorted(offset + n for offset, future in self.futures for n in future.result())


def _done(result: list[int]) -> Future[list[int]]:
    future: Future[list[int]] = Future()
    future.set_result(result)
    return future

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


class SignatureChecker:
    """Checks small batches inline and large ones in worker processes, returning a future."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def submit(self, jobs: Sequence[Job]) -> Future[list[int]]:
        if self.processes < 1 or len(jobs) < POOL_THRESHOLD:
            done: Future[list[int]] = Future()
            done.set_result(failures(jobs))
            return done
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("forkserver"))
        if self.processes == 1:
            return self._pool.submit(failures, list(jobs))
        size = -(-len(jobs) // self.processes)
        parts = [self._pool.submit(failures, list(jobs[i : i + size])) for i in range(0, len(jobs), size)]
        merged: Future[list[int]] = Future()

        def collect(_: Future[list[int]]) -> None:
            if all(p.done() for p in parts) and not merged.done():
                try:
                    merged.set_result([n * size + pos for n, p in enumerate(parts) for pos in p.result()])
                except Exception as exc:  # a worker died: surface it to the appender
                    merged.set_exception(exc)

        for part in parts:
            part.add_done_callback(collect)
        return merged

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

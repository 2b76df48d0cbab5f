"""Ed25519 checks of claim signatures, in a worker process for large batches.

A batch's signatures are checked on another core while the appending thread applies the domain rules
under the lock. Threads would not do: the appender holds the GIL for most of its work, and a verifying
thread waits for the GIL after every signature. Nor would a process pool: its feeder thread needs the GIL
to hand jobs over, so the jobs reached the worker only after the appender was done. Here the appending
thread writes each chunk to the worker's pipe itself, a system call, and reads the answers at the end.
"""

from __future__ import annotations

import multiprocessing
import struct
import threading
from collections.abc import Sequence
from functools import lru_cache
from multiprocessing.connection import Connection
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

Job = tuple[bytes, bytes, bytes]  # public key (32 bytes), signature (64 bytes), message
POOL_THRESHOLD = 64  # smaller batches are checked inline: the round trip would cost more
CHUNK = 256
_HEADER = struct.Struct("<32s64sI")


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


def encode_jobs(jobs: Sequence[Job]) -> bytes:
    parts = []
    for public, signature, message in jobs:
        if len(public) != 32 or len(signature) != 64:
            public, signature = public[:32].ljust(32, b"\0"), signature[:64].ljust(64, b"\0")  # fails to verify
        parts.append(_HEADER.pack(public, signature, len(message)))
        parts.append(message)
    return b"".join(parts)


def decode_jobs(data: bytes) -> list[Job]:
    jobs, offset = [], 0
    while offset < len(data):
        public, signature, size = _HEADER.unpack_from(data, offset)
        offset += _HEADER.size
        jobs.append((public, signature, data[offset : offset + size]))
        offset += size
    return jobs


def _serve(conn: Connection) -> None:
    """The worker: answer each chunk of jobs with the positions that fail, until the pipe closes."""
    try:
        while True:
            bad = failures(decode_jobs(conn.recv_bytes()))
            conn.send_bytes(struct.pack(f"<{len(bad)}I", *bad))
    except (EOFError, OSError):
        return


class _Worker:
    def __init__(self) -> None:
        context = multiprocessing.get_context("forkserver")
        self.conn, child = context.Pipe()
        self.process: Any = context.Process(target=_serve, args=(child,), daemon=True, name="packtrace-signatures")
        self.process.start()
        child.close()

    def close(self) -> None:
        self.conn.close()
        self.process.join(timeout=5)


class SignatureChecker:
    """Hands large batches' checks to worker processes (one batch per worker at a time); small batches,
    and any batch when every worker is busy, are checked inline."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._idle: list[_Worker] = []
        self._started = 0
        self._lock = threading.Lock()

    def start(self) -> PendingChecks:
        return PendingChecks(self)

    def _acquire(self) -> _Worker | None:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if self._started < self.processes:
                self._started += 1
                return _Worker()
            return None

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    def close(self) -> None:
        with self._lock:
            for worker in self._idle:
                worker.close()
            self._idle.clear()
            self._started = 0


class PendingChecks:
    """The checks of one batch: jobs go to a worker in chunks while the caller goes on parsing and
    applying the rest; `failures()` collects the answers."""

    def __init__(self, checker: SignatureChecker) -> None:
        self.checker = checker
        self.jobs: list[Job] = []
        self.sent = 0
        self.chunks: list[int] = []  # offsets of the chunks sent
        self.worker: _Worker | None = None
        self.inline = checker.processes < 1

    def add(self, job: Job) -> None:
        self.jobs.append(job)
        if not self.inline and len(self.jobs) - self.sent >= CHUNK:
            self._send()

    def _send(self) -> None:
        if self.worker is None:
            self.worker = self.checker._acquire()
            if self.worker is None:
                self.inline = True
                return
        self.worker.conn.send_bytes(encode_jobs(self.jobs[self.sent :]))
        self.chunks.append(self.sent)
        self.sent = len(self.jobs)

    def failures(self) -> list[int]:
        """Positions (in the order jobs were added) of the signatures that do not verify; waits for them."""
        if not self.inline and self.sent < len(self.jobs) and (self.chunks or len(self.jobs) >= POOL_THRESHOLD):
            self._send()
        bad = [self.sent + n for n in failures(self.jobs[self.sent :])]  # what was not sent, inline
        worker, self.worker = self.worker, None
        if worker is not None:
            try:
                for offset in self.chunks:
                    answer = worker.conn.recv_bytes()
                    bad.extend(offset + n for n in struct.unpack(f"<{len(answer) // 4}I", answer))
            except BaseException:
                worker.close()  # its pipe may hold answers nobody will read: never reuse it
                raise
            self.checker._release(worker)
        self.chunks = []
        self.sent = len(self.jobs)
        return sorted(bad)

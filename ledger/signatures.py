"""Ed25519 checks of claim signatures, in a worker process for large batches.

A batch's signatures are checked on another core while the appending thread applies the domain rules
under the lock. Threads would not do: the appender holds the GIL for most of its work, and a verifying
thread waits for the GIL after every signature. Nor would a process pool: its feeder thread needs the GIL
to hand jobs over, so the jobs reached the worker only after the appender was done. Here the appending
thread writes small chunks to the worker's pipe itself (a system call), whenever the worker has at most
one chunk left (`feed`, called as it goes); when it is done with its own work it verifies what is left
from the back while still feeding the worker from the front, so both cores finish together, whichever
was the slower (their speeds vary: on two hyperthreads of one core each runs at well under full speed
while the other is busy).
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
CHUNK = 64  # jobs sent to the worker at a time
AHEAD = 2  # chunks the worker may have waiting; more would leave the appending thread nothing to share
INLINE_STEP = 8  # jobs the appending thread verifies between looks at the worker
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

    def start(self, expected: int = 0) -> PendingChecks:
        """The checks of a batch of about `expected` signatures."""
        return PendingChecks(self, expected)

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
    applying the rest; `failures()` shares what is left between the caller and the worker and collects
    the answers."""

    def __init__(self, checker: SignatureChecker, expected: int = 0) -> None:
        self.checker = checker
        self.jobs: list[Job] = []
        self.sent = 0  # jobs [0, sent) went to the worker
        self.chunks: list[int] = []  # offsets of the chunks sent, in order; answers come in that order
        self.answered = 0  # chunks whose answer has been read
        self.bad: list[int] = []
        self.worker: _Worker | None = None
        self.shared = checker.processes > 0 and expected >= POOL_THRESHOLD
        self.result: list[int] | None = None

    def add(self, job: Job) -> None:
        self.jobs.append(job)
        if self.shared and len(self.jobs) % CHUNK == 0:
            self.feed()

    def feed(self) -> None:
        """Give the worker the next chunks if it is running short; cheap enough to call often."""
        if not self.shared:
            return
        self._collect()
        while len(self.chunks) - self.answered < AHEAD and len(self.jobs) - self.sent >= CHUNK:
            if not self._send(self.sent + CHUNK):
                return

    def prefetch(self) -> None:
        """Before work that cannot stop to feed the worker (writing the batch): hand it half of what is
        left; `failures()` shares the rest."""
        if self.shared:
            self._collect()
            target = self.sent + (len(self.jobs) - self.sent) // 2
            while self.sent < target and self._send(min(self.sent + CHUNK, target)):
                pass

    def _send(self, end: int) -> bool:
        """Send jobs [sent, end) to the worker as one chunk; False if no worker is free."""
        if self.worker is None:
            self.worker = self.checker._acquire()
            if self.worker is None:
                self.shared = False
                return False
        self.worker.conn.send_bytes(encode_jobs(self.jobs[self.sent : end]))
        self.chunks.append(self.sent)
        self.sent = end
        return True

    def _collect(self, wait: bool = False) -> None:
        """Read the worker's answers that have arrived (all of them, waiting, if `wait`)."""
        worker = self.worker
        while worker is not None and self.answered < len(self.chunks) and (wait or worker.conn.poll()):
            answer = worker.conn.recv_bytes()
            offset = self.chunks[self.answered]
            self.answered += 1
            self.bad.extend(offset + n for n in struct.unpack(f"<{len(answer) // 4}I", answer))

    def _inline(self, start: int, end: int) -> None:
        self.bad.extend(start + n for n in failures(self.jobs[start:end]))

    def failures(self) -> list[int]:
        """Positions (in the order jobs were added) of the signatures that do not verify; waits for them.
        The answer is kept: asking again costs nothing."""
        if self.result is not None:
            return self.result
        end = len(self.jobs)
        try:
            while self.sent < end:
                if self.shared:
                    self._collect()
                    if len(self.chunks) - self.answered < AHEAD and self._send(min(self.sent + CHUNK, end)):
                        continue
                # From the back, so that what the worker gets stays contiguous at the front.
                step = max(self.sent, end - INLINE_STEP) if self.shared else self.sent
                self._inline(step, end)
                end = step
            self._collect(wait=True)
        except BaseException:
            if self.worker is not None:
                self.worker.close()  # its pipe may hold answers nobody will read: never reuse it
                self.worker = None
            raise
        if self.worker is not None:
            self.checker._release(self.worker)
            self.worker = None
        self.result = sorted(self.bad)
        return self.result

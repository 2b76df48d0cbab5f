"""Ed25519 checks of claim signatures, shared between a worker process and the appending thread.

A large batch's signatures are checked on another core while the appending thread applies the domain
rules and writes the rows. Threads would not do: the appender holds the GIL for most of its work, and a
verifying thread waits for the GIL after every signature. Nor would a process pool: its feeder thread
needs the GIL to hand jobs over, so the jobs reached the worker only after the appender was done.

Here the appending thread writes the jobs to the worker's pipe itself, in chunks as it parses the claims
(a system call each), so the worker has the whole batch early and is never left idle. The worker claims
jobs one at a time from the front; when the appending thread is done with its own work it claims what
is left from the back (`failures`). Both claim under one lock, on two counters in shared memory, so
they meet wherever the two cores' speeds put the meeting point (on two hyperthreads of one core each runs
at well under its solo speed while the other is busy, and the split moves from batch to batch), and
neither waits for the other for longer than one signature.
"""

from __future__ import annotations

import multiprocessing
import struct
import threading
from collections.abc import Sequence
from multiprocessing.connection import Connection
from typing import Any

from ledger.format import ed25519

Job = tuple[bytes, bytes, bytes]  # public key (32 bytes), signature (64 bytes), message
POOL_THRESHOLD = 64  # smaller batches are checked inline: the round trip would cost more
CHUNK = 64  # jobs written to the worker's pipe at a time
INLINE_STEP = 4  # jobs the appending thread claims from the back at a time
UNBOUNDED = 1 << 62  # the back counter while the batch is still growing
LOCK_PATIENCE = 0.05  # seconds between looks at whether a worker that holds the counters' lock died
END = b""  # message: the batch is complete; answer its failures
_HEADER = struct.Struct("<32s64sI")
_FRONT, _BACK = 0, 1  # the shared counters: the worker has claimed jobs [0, front), the appender [back, …)


def _verifies(job: Job) -> bool:
    public, signature, message = job
    return ed25519.verify(public, signature, message)  # packtrace's rule, whichever library is underneath


def failures(jobs: Sequence[Job]) -> list[int]:
    """Positions (in `jobs`) of the signatures that do not verify."""
    return [position for position, job in enumerate(jobs) if not _verifies(job)]


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


def _serve(conn: Connection, bounds: Any, lock: Any) -> None:
    """The worker: for each batch, claim jobs from the front and verify them until the claims meet the
    appending thread's; on END answer the positions that failed, until the pipe closes."""
    jobs: list[Job] = []
    bad: list[int] = []
    try:
        while True:
            position = -1
            if bounds[_FRONT] < len(jobs):  # only this process moves the front counter
                with lock:
                    if bounds[_FRONT] < bounds[_BACK]:
                        position = bounds[_FRONT]
                        bounds[_FRONT] = position + 1
            if position >= 0:
                if not _verifies(jobs[position]):
                    bad.append(position)
                if not conn.poll():
                    continue
            message = conn.recv_bytes()  # waits only when there is nothing to claim
            if message == END:  # (sent once the claims have met: the job claimed last is verified)
                conn.send_bytes(struct.pack(f"<{len(bad)}I", *bad))
                jobs, bad = [], []
            else:
                jobs.extend(decode_jobs(message))
    except (EOFError, OSError):
        return


class _Worker:
    def __init__(self) -> None:
        context = multiprocessing.get_context("forkserver")
        self.conn, child = context.Pipe()
        self.bounds: Any = context.RawArray("q", 2)
        self.lock: Any = context.Lock()
        self.process: Any = context.Process(
            target=_serve, args=(child, self.bounds, self.lock), daemon=True, name="packtrace-signatures"
        )
        self.process.start()
        child.close()

    def hold(self) -> bool:
        """Take the counters' lock; False if the worker died (perhaps holding it: a semaphore is never
        given back by a killed process)."""
        while not self.lock.acquire(timeout=LOCK_PATIENCE):
            if not self.process.is_alive():
                return False
        return True

    def begin(self) -> bool:
        """A new batch (the worker is between batches: it has answered the last one's END); False if the
        worker is gone."""
        if not self.hold():
            return False
        try:
            self.bounds[_FRONT] = 0
            self.bounds[_BACK] = UNBOUNDED
        finally:
            self.lock.release()
        return True

    def close(self) -> None:
        self.conn.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


class SignatureChecker:
    """Hands large batches' checks to worker processes (one batch per worker at a time); small batches,
    and any batch when every worker is busy, are checked inline."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._idle: list[_Worker] = []
        self._started = 0
        self._closed = False
        self._lock = threading.Lock()

    def start(self, expected: int = 0) -> PendingChecks:
        """The checks of a batch of about `expected` signatures."""
        return PendingChecks(self, expected)

    def _acquire(self) -> _Worker | None:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            if self._closed or self._started >= self.processes:
                return None
            self._started += 1
        try:
            return _Worker()
        except Exception:  # e.g. out of file descriptors: this batch is checked inline
            with self._lock:
                self._started -= 1
            return None

    def _release(self, worker: _Worker) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(worker)
                return
            self._started -= 1
        worker.close()  # the checker was closed while this batch was being checked

    def _discard(self, worker: _Worker) -> None:
        """A worker that failed (or may hold answers nobody will read): stop it; a new one may start."""
        worker.close()
        with self._lock:
            self._started -= 1

    def close(self) -> None:
        """Stop the idle workers; those checking a batch stop when it is done."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            self._started -= len(idle)
        for worker in idle:
            worker.close()


class PendingChecks:
    """The checks of one batch: jobs go to a worker in chunks as they are added, while the caller goes on
    with its own work; `failures()` then verifies from the back what the worker has not claimed and
    collects the worker's answer."""

    def __init__(self, checker: SignatureChecker, expected: int = 0) -> None:
        self.checker = checker
        self.jobs: list[Job] = []
        self.sent = 0  # jobs [0, sent) went to the worker
        self.worker: _Worker | None = None
        self.shared = checker.processes > 0 and expected >= POOL_THRESHOLD
        self.result: list[int] | None = None

    def add(self, job: Job) -> None:
        self.jobs.append(job)
        if self.shared and len(self.jobs) - self.sent >= CHUNK:
            self.flush()

    def flush(self) -> None:
        """Send the jobs added so far to the worker (once the batch is complete, so it has all of it)."""
        if not self.shared or self.sent == len(self.jobs):
            return
        if self.worker is None:
            self.worker = self.checker._acquire()
            if self.worker is None:  # every worker is busy with another batch: check this one inline
                self.shared = False
                return
            if not self.worker.begin():
                self._lose_worker()
                return
        try:
            self.worker.conn.send_bytes(encode_jobs(self.jobs[self.sent :]))
        except OSError:
            self._lose_worker()
            return
        except BaseException:
            self._lose_worker()  # a message cut short would garble the pipe: never reuse it
            raise
        self.sent = len(self.jobs)

    def failures(self) -> list[int]:
        """Positions (in the order jobs were added) of the signatures that do not verify; waits for them.
        The answer is kept: asking again costs nothing."""
        if self.result is not None:
            return self.result
        self.flush()
        bad: list[int] = []
        end = len(self.jobs)  # jobs [end, len) are verified (by this thread)
        worker = self.worker
        if worker is not None:
            try:
                end = self._share(worker, end, bad)
            except BaseException:
                self._lose_worker()  # its pipe may hold an answer nobody will read: never reuse it
                raise
        bad.extend(failures(self.jobs[:end]))  # inline: everything, when there was no worker
        self.result = sorted(bad)
        return self.result

    def _share(self, worker: _Worker, end: int, bad: list[int]) -> int:
        """Verify from the back until this thread's claims meet the worker's, then collect the worker's
        answer; return where the jobs still to verify here end (0 unless the worker was lost)."""
        if not worker.hold():
            self._lose_worker()
            return end
        try:
            worker.bounds[_BACK] = min(worker.bounds[_BACK], end)
        finally:
            worker.lock.release()
        while True:  # claim from the back until the claims meet
            if not worker.hold():
                self._lose_worker()  # the jobs it had claimed are verified inline
                return end
            try:
                start = max(worker.bounds[_FRONT], worker.bounds[_BACK] - INLINE_STEP)
                worker.bounds[_BACK] = start
            finally:
                worker.lock.release()
            if start >= end:
                break
            bad.extend(start + n for n in failures(self.jobs[start:end]))
            end = start
        try:
            worker.conn.send_bytes(END)
            answer = worker.conn.recv_bytes()
        except (EOFError, OSError):
            self._lose_worker()  # the jobs it had claimed are verified inline
            return end
        bad.extend(struct.unpack(f"<{len(answer) // 4}I", answer))
        self.worker = None
        self.checker._release(worker)
        return 0

    def release(self) -> None:
        """Give the worker back before the answer is asked for (the transaction failed: it will not be).
        `failures()` would then check the batch inline."""
        worker, self.worker, self.shared = self.worker, None, False
        if worker is None:
            return
        try:
            if not worker.hold():
                self.checker._discard(worker)
                return
            try:
                worker.bounds[_BACK] = worker.bounds[_FRONT]  # it claims nothing more
            finally:
                worker.lock.release()
            worker.conn.send_bytes(END)
            worker.conn.recv_bytes()
        except (EOFError, OSError):
            self.checker._discard(worker)  # it died: nothing to give back
            return
        except BaseException:
            self.checker._discard(worker)
            raise
        self.checker._release(worker)

    def _lose_worker(self) -> None:
        """The worker is gone (killed, or its pipe broke): check the whole batch inline."""
        if self.worker is not None:
            self.checker._discard(self.worker)
            self.worker = None
        self.shared = False

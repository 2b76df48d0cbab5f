"""The signature checker shares a batch between a worker process and the appending thread; whatever the
split, every forged signature is named by its position, and nothing else."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.format.signatures import CHUNK, POOL_THRESHOLD, Job, SignatureChecker


def jobs(n: int, forged: set[int]) -> list[Job]:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    out = []
    for i in range(n):
        message = f"claim {i}".encode()
        signature = key.sign(message) if i not in forged else key.sign(b"something else")
        out.append((public, signature, message))
    return out


@pytest.mark.parametrize("processes", [0, 1])
@pytest.mark.parametrize("n", [1, POOL_THRESHOLD - 1, POOL_THRESHOLD, CHUNK + 5, 1000])
def test_every_forged_signature_is_named_by_position(processes: int, n: int) -> None:
    forged = {p for p in (0, 7, n // 2, n - 9, n - 1) if 0 <= p < n}
    checker = SignatureChecker(processes)
    try:
        for _ in range(2):  # a worker is reused for the next batch, with nothing left over from the last
            pending = checker.start(n)
            for job in jobs(n, forged):
                pending.add(job)
            assert pending.failures() == sorted(forged)
    finally:
        checker.close()


def test_a_batch_larger_than_announced_is_checked_whole() -> None:
    checker = SignatureChecker(1)
    try:
        pending = checker.start(10)
        for job in jobs(600, {599}):
            pending.add(job)
        assert pending.failures() == [599]
    finally:
        checker.close()


def test_malformed_keys_and_signatures_fail_rather_than_crash() -> None:
    checker = SignatureChecker(1)
    try:
        pending = checker.start(300)
        batch = jobs(300, set())
        batch[5] = (b"short", batch[5][1], batch[5][2])
        batch[250] = (batch[250][0], b"\x01" * 10, batch[250][2])
        for job in batch:
            pending.add(job)
        assert pending.failures() == [5, 250]
    finally:
        checker.close()


def wait_until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_the_worker_checks_the_whole_batch_while_the_caller_is_busy() -> None:
    checker = SignatureChecker(1)
    try:
        pending = checker.start(500)
        for job in jobs(500, {3, 444}):
            pending.add(job)
        pending.flush()
        worker = pending.worker
        assert worker is not None
        wait_until(lambda: worker.bounds[0] == 500)  # every job claimed from the front
        assert pending.failures() == [3, 444]
    finally:
        checker.close()


def test_a_worker_killed_mid_batch_leaves_the_batch_checked_inline() -> None:
    checker = SignatureChecker(1)
    try:
        pending = checker.start(1000)
        for job in jobs(1000, {1, 500, 998}):
            pending.add(job)
        pending.flush()
        worker = pending.worker
        assert worker is not None
        wait_until(lambda: worker.bounds[0] > 10)
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.join(timeout=10)
        assert pending.failures() == [1, 500, 998]
        # the next batch starts a new worker
        pending = checker.start(200)
        for job in jobs(200, {150}):
            pending.add(job)
        pending.flush()
        assert pending.worker is not None and pending.worker is not worker
        assert pending.failures() == [150]
    finally:
        checker.close()


def test_a_released_worker_carries_nothing_into_the_next_batch() -> None:
    checker = SignatureChecker(1)
    try:
        abandoned = checker.start(400)
        for job in jobs(400, {0, 399}):
            abandoned.add(job)
        abandoned.flush()
        worker = abandoned.worker
        abandoned.release()  # its transaction failed: nobody asks for the answer
        pending = checker.start(300)
        for job in jobs(300, {299}):
            pending.add(job)
        pending.flush()
        assert pending.worker is worker
        assert pending.failures() == [299]
        assert abandoned.failures() == [0, 399]  # asked after all: checked inline
    finally:
        checker.close()


def test_a_worker_that_dies_holding_the_counters_lock_does_not_hang_the_batch() -> None:
    """A killed process never gives a semaphore back: the checks notice it died and go on inline."""
    checker = SignatureChecker(1)
    try:
        pending = checker.start(500)
        for job in jobs(500, {2, 250, 499}):
            pending.add(job)
        pending.flush()
        worker = pending.worker
        assert worker is not None
        wait_until(lambda: worker.bounds[0] > 5)
        assert worker.lock.acquire(timeout=10)  # held here and never released, as by a killed holder
        os.kill(worker.process.pid, signal.SIGKILL)
        worker.process.join(timeout=10)
        started = time.monotonic()
        assert pending.failures() == [2, 250, 499]
        assert time.monotonic() - started < 10
        abandoned = checker.start(300)
        for job in jobs(300, set()):
            abandoned.add(job)
        abandoned.flush()
        assert abandoned.worker is not None and abandoned.worker is not worker  # a new one started
    finally:
        checker.close()


def test_a_checker_closed_while_a_batch_is_checked_stops_that_worker_after_it() -> None:
    checker = SignatureChecker(1)
    pending = checker.start(200)
    for job in jobs(200, {100}):
        pending.add(job)
    pending.flush()
    worker = pending.worker
    assert worker is not None
    checker.close()
    assert pending.failures() == [100]
    worker.process.join(timeout=10)
    assert not worker.process.is_alive()
    assert checker._idle == [] and checker._started == 0
    after = checker.start(200)  # a closed checker checks inline
    for job in jobs(200, {0}):
        after.add(job)
    after.flush()
    assert after.worker is None
    assert after.failures() == [0]

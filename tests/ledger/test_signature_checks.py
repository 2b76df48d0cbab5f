"""The signature checker shares a batch between a worker process and the appending thread; whatever the
split, every forged signature is named by its position, and nothing else."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.signatures import CHUNK, POOL_THRESHOLD, Job, SignatureChecker


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

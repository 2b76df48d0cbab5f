"""Issue 14, acceptance 3: a witness process killed with SIGKILL at random moments during 200 submissions
never cosigns two inconsistent checkpoints, checked from every cosignature it returned (each verified by
tests/witness/independent.py, which imports nothing from packtrace).

The submitter offers two histories signed by the log's own key, the honest one and a fork from leaf 60,
each a few leaves (or 40, past the fork) ahead of the size the witness holds; it learns that size from 409
answers, as a log would after a crash lost an answer. A witness that forgot its head would cosign both."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.witness import independent
from tests.witness.processes import free_port, packtrace
from tests.witness.synthetic import LOG_VKEY, SyntheticLog

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SUBMISSIONS = 200
SIZE = 2000
FORK_AT = 60
HONEST = SyntheticLog(SIZE)
FORK = SyntheticLog(SIZE, fork_at=FORK_AT)


class WitnessProcess:
    def __init__(self, state: Path, port: int) -> None:
        self.state, self.port, self.kills = state, port, 0
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()
        self.url = f"http://127.0.0.1:{port}/add-checkpoint"

    def start(self) -> None:
        self.process = packtrace(
            "witness",
            "serve",
            "--state",
            str(self.state),
            "--log",
            LOG_VKEY,
            "--port",
            str(self.port),
            output=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            assert time.monotonic() < deadline and self.process.poll() is None, "the witness did not start"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.02)

    def kill(self, process: subprocess.Popen[bytes] | None = None) -> None:
        """SIGKILL `process` (default: the current one) unless it has ended already."""
        process = process or self.process
        with self.lock:  # the timer's kill and the test's own never race on one process
            if process is not None and process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
                self.kills += 1

    def running(self) -> bool:
        with self.lock:  # not while a kill is reaping it: Popen.poll() answers None then
            return self.process is not None and self.process.poll() is None


def test_sigkill_never_makes_the_witness_cosign_two_inconsistent_checkpoints(tmp_path: Path) -> None:
    rng = random.Random(14)
    init = packtrace("witness", "init", "--state", str(tmp_path), "--name", "witness.example.org/crash")
    out, err = init.communicate(timeout=60)
    assert init.returncode == 0, err
    witness_vkey = out.decode().strip()
    witness = WitnessProcess(tmp_path, free_port())
    cosigned: list[tuple[int, bytes, SyntheticLog]] = []  # (size, root, history) of every cosignature returned
    unanswered = refused = 0
    held = 0  # what the submitter believes the witness holds
    try:
        with httpx.Client(timeout=10, limits=httpx.Limits(max_keepalive_connections=0)) as http:
            for _ in range(SUBMISSIONS):
                if not witness.running():
                    witness.start()
                log = HONEST if rng.random() < 0.6 else FORK
                new = min(SIZE, held + rng.choice([0, 1, 2, 3, 5, 8, 40]))  # 40: past the fork from a lost state
                body = log.request(held, new)
                if rng.random() < 0.12:  # a kill at a random moment of this request's handling
                    threading.Timer(rng.uniform(0, 0.01), witness.kill, [witness.process]).start()
                try:
                    response = http.post(witness.url, content=body)
                except httpx.TransportError:
                    unanswered += 1
                    continue
                if response.status_code == 409:
                    held = int(response.text)
                elif response.status_code == 200:
                    independent.verify(log.text(new), response.text, witness_vkey)
                    cosigned.append((new, log.root(new), log))
                    held = new
                else:
                    assert response.status_code == 422, response.text
                    refused += 1
    finally:
        witness.kill()
    # (1): every two cosigned checkpoints are consistent: the smaller is a prefix of the larger's history.
    for size_a, root_a, _ in cosigned:
        for size_b, _, log_b in cosigned:
            if size_a <= size_b:
                assert log_b.root(size_a) == root_a, f"cosigned size {size_a} and size {size_b} are inconsistent"
    # (2): sizes never went backwards.
    sizes = [size for size, _, _ in cosigned]
    assert sizes == sorted(sizes)
    # (3): the run exercised what it claims: kills, lost answers, cosignatures past the fork, refusals.
    counts = (witness.kills, unanswered, len(cosigned), refused)
    assert witness.kills >= 15 and unanswered >= 5 and refused >= 5, counts
    assert len(cosigned) >= 60 and max(size for size, _, _ in cosigned) > FORK_AT, counts

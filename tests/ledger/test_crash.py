"""kill -9 at random points during batch appends: no acknowledged entry lost, no partial batch."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from ledger.format.logkey import LogSigner, load_or_create_key
from ledger.log import Ledger
from ledger.usecases.verify import verify_database
from tests.ledger.crash_writer import ORIGIN
from tests.support import add_actor

BATCHES, BATCH_SIZE, KILLS = 400, 50, 20
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_sigkill_during_batch_appends_leaves_a_verifiable_ledger(database_url: str, engine, tmp_path: Path) -> None:
    from events.orgs import Org, Role

    signer = LogSigner(ORIGIN, load_or_create_key(tmp_path / "log.key"))
    ledger = Ledger(engine, signer)
    ledger.init()
    maker = add_actor(ledger, Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"})))
    (tmp_path / "maker.seed").write_bytes(maker.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
    base = ledger.size()  # the registry's entries for the maker
    (tmp_path / "base").write_text(str(base))
    command = [
        sys.executable,
        "-m",
        "tests.ledger.crash_writer",
        database_url,
        str(tmp_path),
        str(BATCHES),
        str(BATCH_SIZE),
    ]
    rng = random.Random(20261123)
    sizes = []
    for _ in range(KILLS):
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.3))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        size = ledger.size()
        sizes.append(size)
        assert (size - base) % BATCH_SIZE == 0, f"a partial batch was committed: size {size} (from {base})"
        report = verify_database(engine, signer.verifier_key)
        assert report.problems == [], report.problems[:3]
    assert len(set(sizes)) > 3, f"the kills did not land at different points: {sizes}"

    assert sizes[-1] < base + BATCHES * BATCH_SIZE, "the writer finished before the last kill"
    finished = subprocess.run([*command, "--from-zero"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert ledger.size() == base + BATCHES * BATCH_SIZE
    assert verify_database(engine, signer.verifier_key).problems == []
    ledger.close()

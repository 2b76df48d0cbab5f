"""bench/profile_single.py (issue 18, figure 4): a short run serves every request, times each phase of the
write path and accounts the server's CPU to its threads."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.served

ROOT = Path(__file__).resolve().parents[2]


def test_a_short_run_times_every_phase_and_every_thread() -> None:
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "profile_single.py"), "--cpu", "--seconds", "1", "--requests", "600"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        timeout=120,
    ).stdout
    first = out.splitlines()[0]
    assert re.fullmatch(r'\{"requests": \d+, "rps": [\d.]+, "statuses": \{"201": \d+\}, .*\}', first), first
    for phase in (
        "database: COMMIT (every connection's; the writer's is durable: the WAL synced)",
        "writer: step 1 (envelope, key, signature)",
        "writer: one group's transaction (BEGIN … COMMIT)",
        "writer: inside it, steps 2-5 (lock, rules, rows, checkpoint)",
        "event loop: the ASGI app, request in to response out (wall, waits included)",
    ):
        assert re.search(r"µs wall .* req/call  " + re.escape(phase) + "\n", out), phase
    for kind in ("event loop", "writer"):
        assert re.search(rf"\n  {kind} +\d+\.\d\d s +\d+ µs/request\n", out), kind

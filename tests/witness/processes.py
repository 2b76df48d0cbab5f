"""Witnesses and a log as a test runs them: `packtrace witness init/serve` processes on 127.0.0.1, a port
that never answers, the log served by uvicorn with its lifespan (so its cosigner runs), and the wait for
the served checkpoint to carry given cosignatures, each verified by code that imports nothing from ledger/
(tests/witness/independent.py for cosignatures, tests/specverify.py for the log's signature)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx

from api.app import create_app
from api.settings import Settings
from ledger.log import Ledger
from tests import specverify
from tests.api.served import served
from tests.witness import independent

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 5.0


def packtrace(*args: str, output: IO[bytes] | int = subprocess.PIPE) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "api.cli", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def witness_process(state: Path, name: str, log_vkey: str) -> Iterator[tuple[str, str]]:
    """A witness process trusting `log_vkey`: its verifier key and base URL, until the block ends."""
    init = packtrace("witness", "init", "--state", str(state), "--name", name)
    out, err = init.communicate(timeout=60)
    assert init.returncode == 0, err
    port = free_port()
    log = (state / "serve.log").open("wb")  # a file, not a pipe nobody reads: uvicorn logs every request
    process = packtrace("witness", "serve", "--state", str(state), "--log", log_vkey, "--port", str(port), output=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            started = time.monotonic() < deadline and process.poll() is None
            assert started, f"the witness did not start: {(state / 'serve.log').read_text()}"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        yield out.decode().strip(), f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


@contextmanager
def silent_witness() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers: every request times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def log_server(ledger: Ledger, witnesses: list[str]) -> Iterator[str]:
    app = create_app(ledger, settings=Settings(witnesses=",".join(witnesses), environment="development"))
    return served(app)


def cosigned_within(http: httpx.Client, ledger: Ledger, vkeys: list[str], started: float) -> str:
    """The served checkpoint once it is of the log's size and carries a cosignature by each of `vkeys`,
    each verified independently, within DEADLINE_S of `started`."""
    size = ledger.size()
    while True:
        served_note = http.get("/v1/log/checkpoint").text
        text, _, signatures = served_note.partition("\n\n")
        names = {line.split(" ")[1] for line in signatures.splitlines()}
        if text.split("\n")[1] == str(size) and all(v.split("+")[0] in names for v in vkeys):
            break
        assert time.monotonic() - started < DEADLINE_S, f"not cosigned within {DEADLINE_S} s: {served_note}"
        time.sleep(0.05)
    assert time.monotonic() - started < DEADLINE_S
    checkpoint = specverify.verify_checkpoint(served_note, ledger.signer.verifier_key)
    assert checkpoint.size == size
    for vkey in vkeys:
        name = vkey.split("+")[0]
        [line] = [line + "\n" for line in signatures.splitlines() if line.startswith(f"\u2014 {name} ")]
        independent.verify(text + "\n", line, vkey)
    return served_note

"""Issue 14, acceptance 1: two witnesses, each its own process with its own state (`packtrace witness
init/serve`), and a log served by uvicorn with its lifespan running, configured with both
(PACKTRACE_WITNESSES). After 1,000 appends in batches and singles, the checkpoint the log serves, of the
log's size, carries both cosignatures within 5 s, verified by tests/witness/independent.py and the log's
signature by tests/specverify.py (neither imports anything from ledger/).

Also: a witness that never answers and one that refuses (configured for another log: 404) never hold up
an append, show their reasons in /healthz and in the regulator's overview, and the reachable witness
still cosigns; a restarted log resumes from the sizes it stored."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from api.app import create_app
from api.settings import Settings
from events.orgs import Org, Role
from ledger.format import cosignature
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from tests import specverify
from tests.api.served import served
from tests.support import PRODUCED, Actor, Clock, add_actor, code
from tests.web.login import session_cookie
from tests.witness import independent

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "packtrace.test/log"
DEADLINE_S = 5.0


def packtrace(*args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "api.cli", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


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
    process = packtrace("witness", "serve", "--state", str(state), "--log", log_vkey, "--port", str(port))
    try:
        deadline = time.monotonic() + 30
        while True:
            assert time.monotonic() < deadline and process.poll() is None, "the witness did not start"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        yield out.decode().strip(), f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.communicate(timeout=10)


@contextmanager
def silent_witness() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) and never answers: every request times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


@pytest.fixture
def ledger(engine: Engine) -> Iterator[Ledger]:
    lg = Ledger(engine, LogSigner(ORIGIN, Ed25519PrivateKey.generate()), clock=Clock())
    lg.init()
    yield lg
    lg.close()


@pytest.fixture
def maker(ledger: Ledger) -> Actor:
    return add_actor(ledger, Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"})))


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
    assert (checkpoint.origin, checkpoint.size) == (ORIGIN, size)
    for vkey in vkeys:
        name = vkey.split("+")[0]
        [line] = [line + "\n" for line in signatures.splitlines() if line.startswith(f"\u2014 {name} ")]
        independent.verify(text + "\n", line, vkey)
    return served_note


def test_two_witness_processes_cosign_the_served_checkpoint_after_1000_appends(
    ledger: Ledger, maker: Actor, tmp_path: Path
) -> None:
    log_vkey = ledger.signer.verifier_key
    with ExitStack() as stack:
        w1 = stack.enter_context(witness_process(tmp_path / "w1", "w1.test/witness", log_vkey))
        w2 = stack.enter_context(witness_process(tmp_path / "w2", "w2.test/witness", log_vkey))
        items = [f"{vkey}={url}" for vkey, url in (w1, w2)]
        vkeys = [w1[0], w2[0]]
        with log_server(ledger, items) as url, httpx.Client(base_url=url, timeout=10) as http:
            start = ledger.size()
            serial = 0
            for round_ in range(8):  # 800 in batches of 100, 200 singles between them
                ledger.append([maker.claim(code(serial + i), "produced", PRODUCED) for i in range(100)])
                serial += 100
                for _ in range(25):
                    ledger.append_one(*maker.claim(code(serial), "produced", PRODUCED))
                    serial += 1
                if round_ == 3:  # midway: the witnesses follow the log as it grows
                    cosigned_within(http, ledger, vkeys, time.monotonic())
            assert ledger.size() - start == 1000
            cosigned_within(http, ledger, vkeys, time.monotonic())
            health = http.get("/healthz").json()
            size = ledger.size()
            assert [(w["name"], w["url"], w["cosigned_size"], w["ok"], w["error"]) for w in health["witnesses"]] == [
                ("w1.test/witness", w1[1], size, True, None),
                ("w2.test/witness", w2[1], size, True, None),
            ]
        # a restarted log resumes from the sizes it stored: nothing to resubmit, then the next checkpoint
        with log_server(ledger, items) as url, httpx.Client(base_url=url, timeout=10) as http:
            health = http.get("/healthz").json()
            assert [(w["cosigned_size"], w["ok"]) for w in health["witnesses"]] == [(size, None), (size, None)]
            ledger.append([maker.claim(code(serial + i), "produced", PRODUCED) for i in range(10)])
            cosigned_within(http, ledger, vkeys, time.monotonic())


def test_a_silent_and_a_refusing_witness_hold_up_no_append_and_show_their_reasons(
    ledger: Ledger, maker: Actor, tmp_path: Path
) -> None:
    regulator = add_actor(ledger, Org("fj-miit", "福建省工信厅", frozenset({Role.REGULATOR})))
    other_log = LogSigner("other.test/log", Ed25519PrivateKey.generate()).verifier_key
    with ExitStack() as stack:
        good = stack.enter_context(witness_process(tmp_path / "good", "good.test/witness", ledger.signer.verifier_key))
        refusing = stack.enter_context(witness_process(tmp_path / "refusing", "refusing.test/witness", other_log))
        silent_url = stack.enter_context(silent_witness())
        silent_vkey = cosignature.verifier_key("silent.test/witness", Ed25519PrivateKey.generate().public_key())
        items = [f"{good[0]}={good[1]}", f"{refusing[0]}={refusing[1]}", f"{silent_vkey}={silent_url}"]
        with log_server(ledger, items) as url, httpx.Client(base_url=url, timeout=10) as http:
            slowest = 0.0
            for serial in range(60):  # over 6 s: the silent witness times out (2 s) several times meanwhile
                began = time.monotonic()
                ledger.append_one(*maker.claim(code(serial), "produced", PRODUCED))
                slowest = max(slowest, time.monotonic() - began)
                time.sleep(0.1)
            assert slowest < 1.0, f"an append took {slowest:.2f} s"
            cosigned_within(http, ledger, [good[0]], time.monotonic())
            response = http.get("/healthz")
            assert response.status_code == 200
            witnesses = {w["name"]: w for w in response.json()["witnesses"]}
            assert (witnesses["good.test/witness"]["ok"], witnesses["good.test/witness"]["error"]) == (True, None)
            refused = witnesses["refusing.test/witness"]
            assert (refused["ok"], refused["cosigned_size"], refused["cosigned_at"]) == (False, 0, None)
            assert refused["error"] == (
                f"HTTP 404: 未知日志 unknown log: this witness is not configured for origin {ORIGIN!r}"
            )
            timed_out = witnesses["silent.test/witness"]
            assert (timed_out["ok"], timed_out["error"]) == (False, "超时 timed out: ReadTimeout after 2.0 s")
            # the regulator's overview shows the panel, in Chinese and in English
            cookie = session_cookie(ledger, regulator.token)
            page = http.get("/regulator", headers=cookie).text
            assert "见证者副署" in page and "good.test/witness" in page and "正常" in page and "异常" in page
            assert "未知日志 unknown log" in page and "超时 timed out" in page
            page = http.get("/regulator?lang=en", headers=cookie).text
            assert "Witness cosignatures" in page and "Failing" in page and "Cosigned log size" in page

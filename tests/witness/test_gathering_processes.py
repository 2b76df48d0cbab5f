"""Issue 14, acceptance 1: two witnesses, each its own process with its own state (`packtrace witness
init/serve`), and a log served by uvicorn with its lifespan running, configured with both
(PACKTRACE_WITNESSES). After 1,000 appends in batches and singles, the checkpoint the log serves, of the
log's size, carries both cosignatures within 5 s, verified by tests/witness/independent.py and the log's
signature by tests/specverify.py (neither imports anything from ledger/).

Also: a witness that never answers and one that refuses (configured for another log: 404) never hold up
an append, show their reasons in /healthz and in the regulator's overview, and the reachable witness
still cosigns; a restarted log resumes from the sizes it stored."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.orgs import Org, Role
from ledger.format import cosignature
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from tests.support import PRODUCED, Actor, add_actor, code
from tests.web.login import session_cookie
from tests.witness.processes import cosigned_within, log_server, silent_witness, witness_process

pytestmark = pytest.mark.slow

ORIGIN = "packtrace.test/log"


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

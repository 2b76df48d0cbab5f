"""Steps of features/witnesses.feature: witnesses as processes, the log served with its cosigner running
(tests/witness/processes.py), cosignatures checked by code that imports nothing from ledger/."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytest_bdd import given, parsers, scenarios, then, when

from ledger.format import cosignature
from ledger.log import Ledger
from tests.support import PRODUCED, Actor, code
from tests.witness.processes import cosigned_within, free_port, log_server, witness_process

pytestmark = pytest.mark.served

scenarios("witnesses.feature")


@pytest.fixture
def world() -> Iterator[dict[str, Any]]:
    with ExitStack() as stack:
        yield {"stack": stack, "witnesses": [], "serial": 0}


@given("two witnesses, each a process with its own state, that witness this log")
def _two_witnesses(world: dict[str, Any], ledger: Ledger, tmp_path: Path) -> None:
    for n in (1, 2):
        process = witness_process(tmp_path / f"w{n}", f"w{n}.test/witness", ledger.signer.verifier_key)
        world["witnesses"].append(world["stack"].enter_context(process))


@given("a witness process that witnesses this log, and a witness at a port where nobody answers")
def _one_reachable(world: dict[str, Any], ledger: Ledger, tmp_path: Path) -> None:
    process = witness_process(tmp_path / "w1", "w1.test/witness", ledger.signer.verifier_key)
    world["witnesses"].append(world["stack"].enter_context(process))
    dead = cosignature.verifier_key("dead.test/witness", Ed25519PrivateKey.generate().public_key())
    world["witnesses"].append((dead, f"http://127.0.0.1:{free_port()}"))  # nothing listens there
    world["reachable"] = [world["witnesses"][0][0]]


@given("the log is served with both witnesses configured")
def _served(world: dict[str, Any], ledger: Ledger) -> None:
    url = world["stack"].enter_context(log_server(ledger, [f"{k}={u}" for k, u in world["witnesses"]]))
    world["http"] = world["stack"].enter_context(httpx.Client(base_url=url, timeout=10))


def _append(world: dict[str, Any], ledger: Ledger, maker: Actor, n: int) -> None:
    claims = [maker.claim(code(world["serial"] + i), "produced", PRODUCED) for i in range(n)]
    world["serial"] += n
    if n == 1:
        began = time.monotonic()
        ledger.append_one(*claims[0])
        world["slowest"] = max(world.get("slowest", 0.0), time.monotonic() - began)
    else:
        ledger.append(claims)


@when("1,000 events are appended, in batches and one at a time")
def _thousand(world: dict[str, Any], ledger: Ledger, actors: dict[str, Actor]) -> None:
    before = ledger.size()
    for _ in range(8):
        _append(world, ledger, actors["catl"], 100)
        for _ in range(25):
            _append(world, ledger, actors["catl"], 1)
    assert ledger.size() - before == 1000
    world["appended"] = time.monotonic()


@when(parsers.parse("{n:d} events are appended one at a time"))
def _singles(world: dict[str, Any], ledger: Ledger, actors: dict[str, Actor], n: int) -> None:
    for _ in range(n):
        _append(world, ledger, actors["catl"], 1)
        time.sleep(0.05)
    world["appended"] = time.monotonic()


@then("no append waited for a witness")
def _no_wait(world: dict[str, Any]) -> None:
    assert world["slowest"] < 1.0, f"an append took {world['slowest']:.2f} s"


@then("within 5 seconds the log serves a checkpoint of its whole size")
def _served_in_time(world: dict[str, Any], ledger: Ledger) -> None:
    vkeys = [vkey for vkey, _ in world["witnesses"]]
    world["checkpoint"] = cosigned_within(world["http"], ledger, vkeys, world["appended"])


@then("that checkpoint carries a cosignature of each witness, which independent code verifies")
def _carries(world: dict[str, Any]) -> None:
    lines = world["checkpoint"].split("\n\n", 1)[1].splitlines()
    names = sorted(line.split(" ")[1] for line in lines)
    assert names == ["packtrace.test/log", "w1.test/witness", "w2.test/witness"]  # verified in the step before


@then("within 5 seconds the log serves a checkpoint of its whole size cosigned by the reachable witness")
def _cosigned_by_reachable(world: dict[str, Any], ledger: Ledger) -> None:
    cosigned_within(world["http"], ledger, world["reachable"], world["appended"])


@then("/healthz shows both witnesses healthy at that size")
def _healthy(world: dict[str, Any], ledger: Ledger) -> None:
    health = world["http"].get("/healthz").json()
    size = ledger.size()
    assert [(w["name"], w["cosigned_size"], w["ok"], w["error"]) for w in health["witnesses"]] == [
        ("w1.test/witness", size, True, None),
        ("w2.test/witness", size, True, None),
    ]


@then(parsers.parse('/healthz shows the other witness failing with "{reason}"'))
def _failing(world: dict[str, Any], reason: str) -> None:
    response = world["http"].get("/healthz")
    assert response.status_code == 200
    dead = response.json()["witnesses"][1]
    assert (dead["name"], dead["ok"], dead["cosigned_size"]) == ("dead.test/witness", False, 0)
    assert dead["error"].startswith(reason), dead["error"]

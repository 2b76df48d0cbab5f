"""Issue 11, item 3 (second half) and acceptance check 3: one organisation's bad claims never fail other
organisations' writes. Honest writers post concurrently with a writer sending NUL-laden and oversized
claims through the HTTP app; the ledger's group commit writes them together. Among the bad claims are
valid ones whose rows the database itself refuses (a fault injected in the database: see
tests/ledger/storage_fault.py), so the group commit's isolation is tested whatever input validation
stops before SQL."""

from __future__ import annotations

import itertools
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from events.codes import make_code
from events.orgs import Role
from ledger.format.claims import sign_claim
from ledger.log import Ledger
from ledger.usecases import orgkeys
from ledger.usecases.access import ADMIN
from ledger.usecases.verify import verify_database
from tests.api.conftest import MAX_BODY
from tests.api.inprocess import in_process_client
from tests.api.parties import Party, public_b64
from tests.api.scenario import PRODUCED, code
from tests.ledger.storage_fault import refuse_entries

HONEST = 8
PACKS_PER_WRITER = 6  # each: produced, then shipped (12 posts per writer)
NUL = "\u0000"
ROGUE_CODE = "9ZZ"  # the rogue manufacturer's packs: the database refuses their entries


@pytest.fixture
def http(app: FastAPI) -> Iterator[httpx.Client]:
    """A client that sees a 500 as a status (the app's exception is not raised into the test)."""
    with in_process_client(app, raise_app_exceptions=False) as client:
        yield client


def rogue_party(ledger: Ledger) -> Party:
    """An organisation with a valid key whose claims are bad in every way but their signature."""
    created = orgkeys.create_org(
        ledger, ADMIN, org_id="rogue", name="Rogue maker", roles=["manufacturer"], manufacturer_codes=[ROGUE_CODE]
    )
    private = Ed25519PrivateKey.generate()
    orgkeys.add_key(ledger, ADMIN, "rogue", key_id="rogue/1", public_key=public_b64(private))
    return Party("rogue", created.token, "rogue/1", private)


def _signed(party: Party, claim: dict[str, Any]) -> dict[str, Any]:
    return {"claim": claim, "sig": sign_claim(claim, party.private)}


def bad_bodies(rogue: Party, target: str) -> dict[str, Callable[[], Any]]:
    """Each: the JSON body of a POST /v1/events that must be refused with a 4xx. Claims are signed with
    the rogue's valid key, so they get as far as the server lets them."""

    def claim(**changes: Any) -> dict[str, Any]:
        body = rogue.claim(target, "incident", {"kind": "other", "severity": "low", "description": "x"})
        body["claim"].update(changes)
        return body["claim"]

    def data(description: str) -> dict[str, Any]:
        return {"kind": "other", "severity": "low", "description": description}

    serials = itertools.count()

    def refused_by_the_database() -> dict[str, Any]:
        pack = make_code(ROGUE_CODE, "pack", "B", "12", "ABCDEFG", date(2026, 1, 15), next(serials))
        return rogue.claim(pack, "produced", PRODUCED)

    return {
        "NUL in pack": lambda: _signed(rogue, claim(pack=target[:-1] + NUL)),
        "NUL in pack, otherwise valid code": lambda: _signed(rogue, claim(pack=NUL + target)),
        "NUL in key": lambda: _signed(rogue, claim(key="rogue/1" + NUL)),
        "NUL in claim id": lambda: _signed(rogue, claim(id=str(uuid.uuid4())[:-1] + NUL)),
        "NUL in actor": lambda: _signed(rogue, claim(actor="rogue" + NUL)),
        "NUL in type": lambda: _signed(rogue, claim(type="incident" + NUL)),
        "NUL in at": lambda: _signed(rogue, claim(at="2026-03-02T01:00:00Z" + NUL)),
        "NUL in prev": lambda: _signed(rogue, claim(prev="0" * 63 + NUL)),
        "NUL in a payload string": lambda: _signed(rogue, claim(data=data("burnt" + NUL))),
        "NUL as a payload key": lambda: _signed(rogue, claim(data={**data("x"), NUL: "x"})),
        "NUL in the signature": lambda: {"claim": claim(), "sig": NUL * 86},
        "pack of 10,000 characters": lambda: _signed(rogue, claim(pack=target * 400)),
        "key id of 10,000 characters": lambda: _signed(rogue, claim(key="rogue/" + "k" * 10_000)),
        "claim id of 10,000 characters": lambda: _signed(rogue, claim(id="a" * 10_000)),
        "body over the size limit": lambda: _signed(rogue, claim(data=data("x" * MAX_BODY))),
        "a valid claim whose rows the database refuses": refused_by_the_database,
    }


def test_acceptance3_honest_writers_are_all_recorded_beside_a_writer_of_bad_claims(
    http: httpx.Client, ledger: Ledger, parties: dict[Role, Party]
) -> None:
    maker, automaker = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER]
    rogue = rogue_party(ledger)
    base = ledger.size()  # the parties' and the rogue's registry entries
    refuse_entries(ledger.engine, ROGUE_CODE)
    target = code(999_999)  # a pack the rogue aims at
    made = http.post("/v1/events", json=maker.claim(target, "produced", PRODUCED), headers=maker.auth)
    assert made.status_code == 201
    bad = bad_bodies(rogue, target)
    honest_failures: list[tuple[int, int, str]] = []
    bad_answers: list[tuple[str, int, str]] = []
    honest_done = threading.Event()
    start = threading.Barrier(HONEST + 1)

    def honest(n: int) -> None:
        start.wait()
        for i in range(PACKS_PER_WRITER):
            pack = code(n * 1000 + i)
            for body in (maker.claim(pack, "produced", PRODUCED), maker.claim(pack, "shipped", {"to": automaker.id})):
                answer = http.post("/v1/events", json=body, headers=maker.auth)
                if answer.status_code != 201:
                    honest_failures.append((n, answer.status_code, answer.text[:200]))

    def attacker() -> None:
        start.wait()
        passes = 0
        while passes < 2 or not honest_done.is_set():  # at least twice, and for as long as the honest post
            for name, body in bad.items():
                answer = http.post("/v1/events", json=body(), headers=rogue.auth)
                bad_answers.append((name, answer.status_code, answer.text[:200]))
            passes += 1

    writers = [threading.Thread(target=honest, args=(n,)) for n in range(HONEST)]
    rogue_thread = threading.Thread(target=attacker)
    for thread in [*writers, rogue_thread]:
        thread.start()
    for thread in writers:
        thread.join(timeout=120)
    honest_done.set()
    rogue_thread.join(timeout=120)

    assert honest_failures == []
    assert ledger.size() == base + 1 + HONEST * PACKS_PER_WRITER * 2
    assert [(name, status, text) for name, status, text in bad_answers if not 400 <= status < 500] == []
    assert {name for name, _, _ in bad_answers} == set(bad)
    refused = {(status, text) for name, status, text in bad_answers if name.startswith("a valid claim")}
    assert {status for status, _ in refused} == {422}
    assert all(text.startswith('{"type":"urn:packtrace:problem:unstorable_claim"') for _, text in refused)
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    assert report.ok, report.problems[:3]

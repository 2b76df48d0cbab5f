"""Two packtrace platforms in one test (docs/federation.md): A (the origin) and B (the destination), each
with its own database, log key and settings, both served on 127.0.0.1; A knows B's log key and reaches B
through a relay (which a test may have change B's answers, or stop: B down), B knows A's key and URL. A pack
is made in A, installed, retired and transferred to a recycler registered only in B."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request, Response

from api.app import create_app
from api.settings import Settings
from events.orgs import Role
from ledger.format.handover import PEER_HEADER, arrival_produced, bundle_sha256
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import make_engine
from tests.api.parties import ADMIN_TOKEN, VIN, Party, make_parties
from tests.api.served import served
from tests.conftest import fresh_database
from tests.support import T0, Clock, code

ORIGIN_A, ORIGIN_B = "fj.packtrace.test/log", "hb.packtrace.test/log"
PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0, "batch": "B7"}
PACK = code(1701)
CONTROL = code(1702)  # a pack retired in A and kept there


@dataclass
class Platform:
    ledger: Ledger
    url: str
    parties: dict[Role, Party]
    http: httpx.Client

    def post(self, party: Party, pack: str, kind: str, data: dict[str, Any], hours: int) -> httpx.Response:
        return self.http.post("/v1/events", json=party.claim(pack, kind, data, at=T0 + timedelta(hours=hours)),
                              headers=party.auth)  # fmt: skip


@dataclass
class Relay:
    """What A reaches as B: B's answers, passed on as they are, or changed by `change` (a parsed JSON body in,
    the body to answer with out)."""

    target: str = ""
    change: Callable[[Any], Any] | None = None
    stop: Callable[[], None] = lambda: None  # B down: A's requests are refused

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/{path:path}")
        def relay(path: str, request: Request) -> Response:
            headers = {PEER_HEADER: request.headers[PEER_HEADER]} if PEER_HEADER in request.headers else {}
            answer = httpx.get(f"{self.target}/{path}", headers=headers, timeout=30)
            if answer.status_code != 200 or self.change is None:
                return Response(answer.content, answer.status_code, media_type="application/json")
            return Response(json.dumps(self.change(answer.json())), 200, media_type="application/json")

        return app


@dataclass
class Federation:
    a: Platform
    b: Platform
    relay: Relay = field(default_factory=Relay)

    def transfer(self, pack: str = PACK, produced: dict[str, Any] = PRODUCED) -> None:
        """A's life of `pack`: made, shipped to the automaker, installed, retired, transferred to B's recycler."""
        a, maker, auto = self.a, self.a.parties[Role.MANUFACTURER], self.a.parties[Role.AUTOMAKER]
        steps = [
            (maker, "produced", produced),
            (maker, "shipped", {"to": auto.id}),
            (auto, "received", {"from": maker.id}),
            (auto, "installed", {"vin": VIN}),
            (auto, "retired", {"reason": "end_of_life"}),
            (auto, "transferred", {"platform": ORIGIN_B, "to": "recycler", "waybill": "SF77"}),
        ]
        for hours, (party, kind, data) in enumerate(steps):
            answer = a.post(party, pack, kind, data, hours)
            assert answer.status_code == 201, answer.text

    def unaccounted_after(self, days: int) -> list[str]:
        """A's 流向不明 packs `days` after the first event, beside a control pack retired in A and kept there."""
        maker, auto = self.a.parties[Role.MANUFACTURER], self.a.parties[Role.AUTOMAKER]
        steps = [(maker, "produced", PRODUCED), (maker, "shipped", {"to": auto.id}),
                 (auto, "received", {"from": maker.id}), (auto, "retired", {"reason": "end_of_life"})]  # fmt: skip
        for hours, (party, kind, data) in enumerate(steps):
            assert self.a.post(party, CONTROL, kind, data, hours).status_code == 201
        self.a.ledger.clock = Clock(T0 + timedelta(days=days))
        report = self.a.http.get("/v1/reports/compliance", headers=self.a.parties[Role.REGULATOR].auth)
        assert report.status_code == 200, report.text
        return [row["pack"] for row in report.json()["unaccounted"]]

    def fetch(self, pack: str = PACK) -> dict[str, Any]:
        """B's recycler has B's server fetch and verify A's handover document."""
        recycler = self.b.parties[Role.RECYCLER]
        answer = self.b.http.get(f"/v1/handovers/{pack}", params={"from": ORIGIN_A}, headers=recycler.auth)
        assert answer.status_code == 200, answer.text
        document: dict[str, Any] = answer.json()
        return document

    def arrival(
        self, document: dict[str, Any], *, hours: int = 10, produced: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The recycler's signed `arrived` claim, built from the document, with the document beside it
        (`produced`: other facts than the origin's as corrected)."""
        recycler = self.b.parties[Role.RECYCLER]
        first = document["bundle"]["entries"][0]["claim"]
        data = {
            "platform": document["origin"],
            "platform_key": self.a.ledger.signer.verifier_key,
            "transfer": document["transfer"],
            "proof": document["proof"],
            "bundle_sha256": bundle_sha256(document["bundle"]),
            "produced": arrival_produced(document["bundle"]) if produced is None else produced,
            "manufacturer": first["actor"],
        }
        body = recycler.claim(document["code"], "arrived", data, at=T0 + timedelta(hours=hours))
        return {**body, "handover": document}

    def arrive(self, body: dict[str, Any]) -> httpx.Response:
        return self.b.http.post("/v1/handovers", json=body, headers=self.b.parties[Role.RECYCLER].auth)


def tampered(document: dict[str, Any], how: str) -> dict[str, Any]:
    """A copy of a handover document with one thing changed: `proof_hash` (one byte of a proof hash),
    `checkpoint_signature` (one byte of the checkpoint's signature), `transfer_to` (the transfer entry's
    `to`, in the transfer and in the bundle's copy of it)."""
    changed = copy.deepcopy(document)
    lines = changed["proof"].split("\n")
    if how == "proof_hash":
        lines[2] = _flip(lines[2])
    elif how == "checkpoint_signature":
        signature = next(n for n, line in enumerate(lines) if line.startswith("— "))
        name, key_and_sig = lines[signature].rsplit(" ", 1)
        lines[signature] = f"{name} {_flip(key_and_sig, at=12)}"
    elif how == "transfer_to":  # handed to B's collector instead, as the transfer and the bundle show it
        changed["transfer"]["claim"]["data"]["to"] = "collector"
        changed["bundle"]["entries"][changed["transfer"]["seq"]]["claim"]["data"]["to"] = "collector"
    else:
        raise AssertionError(how)
    changed["proof"] = "\n".join(lines)
    return changed


def one_byte_of_an_entry(bundle: dict[str, Any]) -> dict[str, Any]:
    """A copy of B's bundle of a recycled pack with one byte of its last entry changed: 4.6 kg of lithium
    recovered becomes 4.7."""
    changed = copy.deepcopy(bundle)
    changed["entries"][-1]["claim"]["data"]["recovered_kg"]["Li"] = 4.7
    return changed


def _flip(b64: str, at: int = 4) -> str:
    """The base64 text with one byte of what it encodes changed (a character swapped within the alphabet)."""
    swapped = "B" if b64[at] != "B" else "C"
    return b64[:at] + swapped + b64[at + 1 :]


def _ledger(url: str, signer: LogSigner) -> Ledger:
    ledger = Ledger(make_engine(url), signer, clock=Clock())
    ledger.init()
    return ledger


@contextmanager
def two_platforms(
    tmp_path: Path, a_roles: list[Role], b_roles: list[Role], signers: tuple[LogSigner, LogSigner] | None = None
) -> Iterator[Federation]:
    """A and B served; A's peers name B's key and the relay's URL, B's name A's key and URL. `signers`: the
    log keys of A and B (default: new ones)."""
    a_signer, b_signer = signers or (
        LogSigner(ORIGIN_A, Ed25519PrivateKey.generate()),
        LogSigner(ORIGIN_B, Ed25519PrivateKey.generate()),
    )
    with ExitStack() as stack:
        url_a = stack.enter_context(fresh_database(tmp_path / "a.db", prefix="fa"))
        url_b = stack.enter_context(fresh_database(tmp_path / "b.db", prefix="fb"))
        ledger_a, ledger_b = _ledger(url_a, a_signer), _ledger(url_b, b_signer)
        for ledger in (ledger_a, ledger_b):
            stack.callback(ledger.engine.dispose)
            stack.callback(ledger.close)
        parties_a, parties_b = make_parties(ledger_a, a_roles), make_parties(ledger_b, b_roles)

        def settings(url: str, name: str, peers: str) -> Settings:
            return Settings(database_url=url, log_key_file=tmp_path / f"{name}.key", admin_token=ADMIN_TOKEN,
                            log_origin=name, peers=peers)  # fmt: skip

        relay, relay_stack = Relay(), stack.enter_context(ExitStack())
        base_relay = relay_stack.enter_context(served(relay.app()))
        relay.stop = relay_stack.close
        app_a = create_app(ledger_a, settings=settings(url_a, ORIGIN_A, f"{ledger_b.signer.verifier_key}={base_relay}"))
        base_a = stack.enter_context(served(app_a))
        app_b = create_app(ledger_b, settings=settings(url_b, ORIGIN_B, f"{ledger_a.signer.verifier_key}={base_a}"))
        base_b = stack.enter_context(served(app_b))
        relay.target = base_b
        http_a = stack.enter_context(httpx.Client(base_url=base_a, timeout=30))
        http_b = stack.enter_context(httpx.Client(base_url=base_b, timeout=30))
        yield Federation(
            Platform(ledger_a, base_a, parties_a, http_a), Platform(ledger_b, base_b, parties_b, http_b), relay
        )


def as_json(response: httpx.Response) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(response.text)
    return parsed

"""A real packtrace log, a fork of it signed with the same key (a split view), and witnesses serving C2SP
tlog-witness in-process, each with a state directory of its own: the world of the policy tests and
scenarios (issue 14, acceptance 2)."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.witness import Identity, Witness, create_witness_app, init_state
from api.witness_store import HeadStore
from ledger.format.logkey import LogSigner
from ledger.format.witnessing import trusted_logs
from ledger.log import Ledger
from ledger.store.db import make_engine
from ledger.usecases.heads import commit_heads
from tests.api.inprocess import in_process_client
from tests.support import PRODUCED, T0, Actor, Clock, code, province

ORIGIN = "packtrace.test/log"
WITNESS_TIME = int(T0.timestamp())  # the witnesses' clock: before every reading of the ledgers' test clock


class RealLog:
    """A packtrace ledger in its own SQLite file."""

    def __init__(self, path: Path, key: Ed25519PrivateKey) -> None:
        self.path = path
        self.engine = make_engine(f"sqlite:///{path}")
        self.ledger = Ledger(self.engine, LogSigner(ORIGIN, key), clock=Clock())
        self.ledger.init()

    def close(self) -> None:
        self.ledger.close()
        self.engine.dispose()

    @property
    def verifier_key(self) -> str:
        return self.ledger.signer.verifier_key

    def size(self) -> int:
        return self.ledger.size()

    def checkpoint(self) -> str:
        stored = self.ledger.latest_checkpoint()
        assert stored is not None
        return stored.note

    def produce(self, maker: Actor, *serials: int) -> None:
        for serial in serials:
            self.ledger.append_one(*maker.claim(code(serial), "produced", PRODUCED))

    def submission(self, old: int) -> bytes:
        """The add-checkpoint body for the latest checkpoint with this log's proof from `old`."""
        new = self.size()
        proof = self.ledger.consistency_proof(old, new) if 0 < old < new else []
        lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
        return f"old {old}\n{lines}\n{self.checkpoint()}".encode()


@dataclass
class WitnessUnderTest:
    name: str
    identity: Identity
    state: Path
    client: httpx.Client
    cosigned_size: int = 0

    @property
    def verifier_key(self) -> str:
        return self.identity.verifier_key

    def post(self, body: bytes) -> httpx.Response:
        return self.client.post("/add-checkpoint", content=body)

    def cosign(self, log: RealLog) -> str:
        """Submit the log's latest checkpoint with a proof from the size this witness last cosigned; its
        cosignature line."""
        response = self.post(log.submission(self.cosigned_size))
        assert response.status_code == 200, response.text
        self.cosigned_size = log.size()
        return response.text

    def snapshot(self) -> dict[str, bytes]:
        """Every file of the state directory, byte for byte."""
        return {str(p.relative_to(self.state)): p.read_bytes() for p in sorted(self.state.rglob("*")) if p.is_file()}


@dataclass
class World:
    honest: RealLog
    fork: RealLog  # the honest log's database copied, then grown apart: the same key, another history
    actors: dict[str, Actor]
    witnesses: list[WitnessUnderTest]

    def cosigned_checkpoint(self) -> str:
        """The honest log's latest checkpoint with every witness's cosignature appended."""
        note = self.honest.checkpoint()
        return note + "".join(w.cosign(self.honest) for w in self.witnesses)


@contextmanager
def split_world(tmp: Path, witness_names: tuple[str, ...] = ("w1", "w2")) -> Iterator[World]:
    """The honest log with the province registered and pack 1 produced; the fork is a byte copy of it at
    that point (a common prefix), then each produces other packs. Witnesses trust the log's key."""
    key = Ed25519PrivateKey.generate()
    honest = RealLog(tmp / "honest.db", key)
    actors = province(honest.ledger)
    honest.produce(actors["catl"], 1)
    commit_heads(honest.ledger)  # so that pack 1's bundle needs no new commitment after the witnesses cosign
    honest.close()
    shutil.copyfile(tmp / "honest.db", tmp / "fork.db")
    with ExitStack() as stack:
        honest = RealLog(tmp / "honest.db", key)
        stack.callback(honest.close)
        fork = RealLog(tmp / "fork.db", key)
        stack.callback(fork.close)
        witnesses = []
        for name in witness_names:
            state = tmp / f"witness-{name}"
            identity = init_state(state, f"{name}.witness.test")
            app = create_witness_app(
                Witness(identity, trusted_logs([honest.verifier_key]), HeadStore(state), clock=lambda: WITNESS_TIME)
            )
            witnesses.append(WitnessUnderTest(name, identity, state, stack.enter_context(in_process_client(app))))
        yield World(honest, fork, actors, witnesses)


def policy_text(world: World, quorum: str, *, witnesses: list[WitnessUnderTest] | None = None) -> str:
    """A policy trusting the honest log's key and the given witnesses (default: all), with `quorum` (a
    name, none, or `group <k|all|any>` over every witness)."""
    chosen = world.witnesses if witnesses is None else witnesses
    lines = [f"log {world.honest.verifier_key}"]
    lines += [f"witness {w.name} {w.verifier_key}" for w in chosen]
    if quorum.startswith("group "):
        lines.append(f"group regulators {quorum.split()[1]} {' '.join(w.name for w in chosen)}")
        quorum = "regulators"
    lines.append(f"quorum {quorum}")
    return "\n".join(lines) + "\n"

"""Steps of features/log_key.feature: a log key rollover seen by a verifier holding the old key."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pytest_bdd import given, parsers, scenarios, then, when
from sqlalchemy import Engine

from events.errors import VerificationError
from ledger.format.logfollow import Followed, follow
from ledger.format.logkey import LogSigner, key_finder, load_key, load_or_create_key, retired_key_path
from ledger.format.logkeys import KeyState, label
from ledger.log import Ledger
from ledger.usecases import logrotation
from ledger.usecases.logrotation import LocalLog
from tests.support import PRODUCED, Actor, Clock, code

scenarios("log_key.feature")

ORIGIN = "packtrace.test/log"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "log.key"
    load_or_create_key(path)
    return path


@pytest.fixture
def ledger(engine: Engine, key_file: Path) -> Iterator[Ledger]:
    """The scenarios' ledger, signing with a key file (a rollover makes the new key beside it)."""
    signer = LogSigner(ORIGIN, load_key(key_file), find_key=key_finder(key_file, ORIGIN))
    lg = Ledger(engine, signer, clock=Clock())
    lg.init()
    yield lg
    lg.close()


@pytest.fixture
def world() -> dict[str, Any]:
    return {}


def signer_ids(checkpoint: str) -> list[str]:
    block = checkpoint.rsplit("\n\n", 1)[1]
    return [f"{ORIGIN}+{base64.b64decode(line.rsplit(' ', 1)[1])[:4].hex()}" for line in block.splitlines()]


def latest(ledger: Ledger) -> str:
    found = ledger.latest_checkpoint()
    assert found is not None
    return found.note


@given("a verifier trusts only the log's current key and has checked its latest checkpoint")
def verifier(ledger: Ledger, world: dict[str, Any]) -> None:
    world["old"] = ledger.signer.verifier_key
    world["verifier"] = follow(Followed.start(world["old"]), LocalLog(ledger)).state


@when("the operator starts a rollover of the log key")
def start(ledger: Ledger, key_file: Path, world: dict[str, Any]) -> None:
    world["new"] = logrotation.start(ledger, key_file).new


@when("the operator ends the rollover")
def finish(ledger: Ledger, key_file: Path) -> None:
    logrotation.finish(ledger, key_file)


@when(parsers.parse('"{maker}" produces pack {n:d}'))
def produces(ledger: Ledger, actors: dict[str, Actor], maker: str, n: int) -> None:
    ledger.append_one(*actors[maker].claim(code(n), "produced", PRODUCED))


@then("the latest checkpoint is signed by the old and the new key")
def signed_by_both(ledger: Ledger, world: dict[str, Any]) -> None:
    assert signer_ids(latest(ledger)) == [label(world["old"]), label(world["new"])]


@then("the latest checkpoint is signed by the new key alone")
def signed_by_new(ledger: Ledger, world: dict[str, Any]) -> None:
    assert signer_ids(latest(ledger)) == [label(world["new"])]


@then("the verifier accepts it and trusts the old and the new key")
def trusts_both(ledger: Ledger, world: dict[str, Any]) -> None:
    world["verifier"] = follow(world["verifier"], LocalLog(ledger)).state
    assert world["verifier"].keys == KeyState(world["old"], world["new"])
    assert world["verifier"].size == ledger.size()


@then("the verifier accepts it and trusts the new key alone")
def trusts_new(ledger: Ledger, world: dict[str, Any]) -> None:
    world["verifier"] = follow(world["verifier"], LocalLog(ledger)).state
    assert world["verifier"].keys == KeyState(world["new"])
    assert world["verifier"].size == ledger.size()


@then("the verifier refuses a checkpoint signed by the old key alone")
def refuses_old(ledger: Ledger, key_file: Path, world: dict[str, Any]) -> None:
    retired = LogSigner(ORIGIN, load_key(retired_key_path(key_file, world["old"])))
    found = ledger.latest_checkpoint()
    assert found is not None
    with pytest.raises(VerificationError, match="checkpoint refused: note has no signature by a trusted key"):
        follow(world["verifier"], Presenting(ledger, retired.sign_checkpoint(found.size, found.root)))


@when("someone presents a checkpoint of the log signed by a key the log never announced")
def present_other(ledger: Ledger, world: dict[str, Any]) -> None:
    found = ledger.latest_checkpoint()
    assert found is not None
    other = LogSigner(ORIGIN, Ed25519PrivateKey.generate())
    world["other"] = other.verifier_key
    try:
        follow(world["verifier"], Presenting(ledger, other.sign_checkpoint(found.size, found.root)))
    except VerificationError as exc:
        world["refusal"] = str(exc)


@then("the verifier refuses it, saying that no key it trusts signed it")
def refused(world: dict[str, Any]) -> None:
    assert world["refusal"].startswith(
        f"checkpoint refused: note has no signature by a trusted key (trusted: {label(world['old'])}); "
        f"found signatures by: {label(world['other'])}"
    )


class Presenting(LocalLog):
    """The log, but with `checkpoint` presented as its latest."""

    def __init__(self, ledger: Ledger, checkpoint: str) -> None:
        super().__init__(ledger)
        self.presented = checkpoint

    def checkpoint(self) -> str:
        return self.presented

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from tests.support import Actor, Clock, province

ORIGIN = "packtrace.test/log"


@pytest.fixture
def signer() -> LogSigner:
    return LogSigner(ORIGIN, Ed25519PrivateKey.generate())


@pytest.fixture
def ledger(engine: Engine, signer: LogSigner) -> Iterator[Ledger]:
    lg = Ledger(engine, signer, clock=Clock())
    lg.init()
    yield lg
    lg.close()


@pytest.fixture
def actors(ledger: Ledger) -> dict[str, Actor]:
    return province(ledger)


@pytest.fixture
def maker(actors: dict[str, Actor]) -> Actor:
    return actors["catl"]


@pytest.fixture
def tmp_key(tmp_path: Path) -> Path:
    return tmp_path / "log.key"

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import make_engine
from tests.conftest import SqliteTemplates, sqlite_path
from tests.support import Actor, Clock, province

ORIGIN = "packtrace.test/log"


@pytest.fixture
def signer() -> LogSigner:
    return LogSigner(ORIGIN, Ed25519PrivateKey.generate())


def _initialised(origin: str) -> Callable[[str], None]:
    def build(url: str) -> None:
        engine = make_engine(url)
        Ledger(engine, LogSigner(origin, Ed25519PrivateKey.generate())).init()
        engine.dispose()

    return build


@pytest.fixture
def ledger(engine: Engine, signer: LogSigner, sqlite_templates: SqliteTemplates) -> Iterator[Ledger]:
    target = sqlite_path(engine.url.render_as_string())
    if target is not None and not target.exists():  # nothing has opened it: start from an initialised copy
        sqlite_templates.copy(f"{signer.origin} initialised", target, _initialised(signer.origin))
    lg = Ledger(engine, signer, clock=Clock())
    lg.init()
    yield lg
    lg.close()


@pytest.fixture
def actors(ledger: Ledger) -> dict[str, Actor]:
    return province(ledger)


@pytest.fixture
def base(ledger: Ledger, actors: dict[str, Actor]) -> int:
    """The log's size once the province is registered: the index of the first pack entry a test appends."""
    return ledger.size()


@pytest.fixture
def maker(actors: dict[str, Actor]) -> Actor:
    return actors["catl"]


@pytest.fixture
def tmp_key(tmp_path: Path) -> Path:
    return tmp_path / "log.key"

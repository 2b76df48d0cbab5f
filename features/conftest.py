"""Fixtures for the scenarios: a fresh ledger per scenario on the backend the test run names."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from tests.conftest import database_url, engine  # noqa: F401  (fixtures shared with tests/)
from tests.support import Actor, Clock, province


@pytest.fixture
def ledger(engine: Engine) -> Iterator[Ledger]:  # noqa: F811
    lg = Ledger(engine, LogSigner("packtrace.test/log", Ed25519PrivateKey.generate()), clock=Clock())
    lg.init()
    yield lg
    lg.close()


@pytest.fixture
def actors(ledger: Ledger) -> dict[str, Actor]:
    return province(ledger)


@pytest.fixture
def base(ledger: Ledger, actors: dict[str, Actor]) -> int:
    """The log's size once the province is registered (its registry entries come first in the log)."""
    return ledger.size()


# -- steps shared by the feature files ---------------------------------------------------------------

from pytest_bdd import given, parsers  # noqa: E402

from tests.support import PRODUCED, code  # noqa: E402


@given("the province's organisations are registered with their signing keys")
def _registered(actors: dict[str, Actor], base: int) -> None:
    assert {"catl", "byd-auto", "fj-miit"} <= actors.keys()
    assert base == 2 * len(actors)  # an org_registered and a key_added entry each


@given(parsers.parse('"{maker}" has produced pack {n:d}'))
def _produced(ledger: Ledger, actors: dict[str, Actor], maker: str, n: int) -> None:
    ledger.append_one(*actors[maker].claim(code(n), "produced", PRODUCED))


@given(parsers.parse('"{sender}" has shipped pack {n:d} to "{receiver}", which received it'))
def _handed_over(ledger: Ledger, actors: dict[str, Actor], sender: str, n: int, receiver: str) -> None:
    ledger.append_one(*actors[sender].claim(code(n), "shipped", {"to": receiver}))
    ledger.append_one(*actors[receiver].claim(code(n), "received", {"from": sender}))

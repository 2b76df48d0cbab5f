"""Fixtures of the witness tests that run a log: a ledger with no organisations but one manufacturer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from events.orgs import Org, Role
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from tests.support import Actor, Clock, add_actor

ORIGIN = "packtrace.test/log"


@pytest.fixture
def ledger(engine: Engine) -> Iterator[Ledger]:
    lg = Ledger(engine, LogSigner(ORIGIN, Ed25519PrivateKey.generate()), clock=Clock())
    lg.init()
    yield lg
    lg.close()


@pytest.fixture
def maker(ledger: Ledger) -> Actor:
    return add_actor(ledger, Org("catl", "宁德时代", frozenset({Role.MANUFACTURER}), frozenset({"001"})))

"""Fixtures of the label and scan tests: the API over a ledger on the backend under test, with a public URL
of its own (so a QR code that decodes to it proves the setting reached the label), one party per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from events.orgs import Role
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import make_engine
from tests.api.inprocess import in_process_client
from tests.api.parties import Party, make_party
from tests.labels_api.world import labels_app
from tests.support import Clock


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    engine = make_engine(database_url)
    lg = Ledger(engine, LogSigner("labels.test/log", Ed25519PrivateKey.generate()), clock=Clock())
    lg.init()
    yield lg
    lg.close()
    engine.dispose()


@pytest.fixture
def app(ledger: Ledger, tmp_path: Path, database_url: str) -> FastAPI:
    return labels_app(ledger, tmp_path, database_url)


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    with in_process_client(app) as http:
        yield http


@pytest.fixture
def parties(ledger: Ledger) -> dict[Role, Party]:
    """One organisation of each of the 13 roles ('The <role>'), with a token and key `<org>/1`."""
    return {role: make_party(ledger, role) for role in Role}

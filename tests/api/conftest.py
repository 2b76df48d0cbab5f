"""Fixtures of the API tests: a ledger on the backend under test, the app over it, one party per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from api.app import create_app
from api.settings import Settings
from events.orgs import Role
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import make_engine
from tests.api.inprocess import in_process_client
from tests.api.parties import ADMIN_TOKEN, Party, make_party
from tests.support import Clock

ORIGIN = "packtrace.test/log"
MAX_BODY = 256 * 1024


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    engine = make_engine(database_url)
    lg = Ledger(engine, LogSigner(ORIGIN, Ed25519PrivateKey.generate()), clock=Clock())
    lg.init()
    yield lg
    lg.close()
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        log_key_file=tmp_path / "log.key",
        admin_token=ADMIN_TOKEN,
        max_body_bytes=MAX_BODY,
    )


@pytest.fixture
def app(ledger: Ledger, settings: Settings) -> FastAPI:
    return create_app(ledger, settings=settings)


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    with in_process_client(app) as http:
        yield http


@pytest.fixture
def admin() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def parties(ledger: Ledger) -> dict[Role, Party]:
    """One organisation of each of the 13 roles, with a token and key `<org>/1`."""
    return {role: make_party(ledger, role) for role in Role}

"""Fixtures of the API tests: a ledger on the backend under test, the app over it, one party per role."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy import Engine

from api.app import create_app
from api.settings import Settings
from events import corrections
from events.corrections import Correction
from events.orgs import Role
from ledger.append import steps
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import make_engine
from tests.api.inprocess import in_process_client
from tests.api.parties import ADMIN_TOKEN, Party, make_parties
from tests.conftest import SqliteTemplates, sqlite_path
from tests.support import Clock

ORIGIN = "packtrace.test/log"
MAX_BODY = 256 * 1024


@dataclass(frozen=True)
class Start:
    """What a test's ledger starts from when its SQLite file is a copy of a template: the template's
    parties (empty if the test takes none), the reading of its Clock after building them and the log key
    that signed its checkpoints (the test's ledger signs with it too)."""

    parties: dict[Role, Party]
    now: datetime
    log_key: Ed25519PrivateKey

    def fresh_parties(self) -> dict[Role, Party]:
        return {role: dataclasses.replace(party) for role, party in self.parties.items()}


def start_from_template(
    database_url: str, request: pytest.FixtureRequest, templates: SqliteTemplates, origin: str
) -> Start | None:
    """On SQLite, copy into the test's file a ledger already initialised for `origin` and, if the test takes
    `parties`, holding them: as `Ledger.init` then `make_parties` would leave it, built once per
    session. None on PostgreSQL (each test builds its own schema)."""
    target = sqlite_path(database_url)
    if target is None:
        return None
    with_parties = "parties" in request.fixturenames

    def build(url: str) -> Start:
        engine, clock, log_key = make_engine(url), Clock(), Ed25519PrivateKey.generate()
        lg = Ledger(engine, LogSigner(origin, log_key), clock=clock)
        lg.init()
        made = make_parties(lg) if with_parties else {}
        lg.close()
        engine.dispose()
        return Start(made, clock.now, log_key)

    return templates.copy(f"{origin} parties={with_parties}", target, build)


def open_ledger(database_url: str, origin: str, start: Start | None) -> tuple[Ledger, Engine]:
    engine = make_engine(database_url)
    clock = Clock()
    log_key = Ed25519PrivateKey.generate()
    if start is not None:
        clock.now, log_key = start.now, start.log_key
    lg = Ledger(engine, LogSigner(origin, log_key), clock=clock)
    lg.init()
    return lg, engine


@pytest.fixture
def ledger_start(database_url: str, request: pytest.FixtureRequest, sqlite_templates: SqliteTemplates) -> Start | None:
    return start_from_template(database_url, request, sqlite_templates, ORIGIN)


@pytest.fixture
def ledger(database_url: str, ledger_start: Start | None) -> Iterator[Ledger]:
    lg, engine = open_ledger(database_url, ORIGIN, ledger_start)
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
def parties(ledger: Ledger, ledger_start: Start | None) -> dict[Role, Party]:
    """One organisation of each of the 13 roles, with a token and key `<org>/1`."""
    if ledger_start is not None:
        return ledger_start.fresh_parties()
    return make_parties(ledger)


@pytest.fixture
def base(ledger: Ledger, parties: dict[Role, Party]) -> int:
    """The log's size once the parties are registered (their registry entries come first): the index the
    first pack entry of a test gets."""
    return ledger.size()


def write_log_key(ledger: Ledger, path: Path) -> None:
    """Save the key that signs `ledger`'s checkpoints where the CLI reads it (PACKTRACE_LOG_KEY_FILE): a
    fixture's registry entries already have checkpoints, and the CLI refuses to sign more with a new key."""
    path.write_bytes(
        ledger.signer.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


@pytest.fixture
def corrections_as_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Admit corrections as a log recorded them before events.corrections checked them (any members, ignored
    where not correctable), for tests of what such recorded entries show."""

    def lenient(*args: Any, admitting: bool) -> Correction | None:
        return corrections.corrected(*args, admitting=False)

    monkeypatch.setattr(steps, "corrected", lenient)

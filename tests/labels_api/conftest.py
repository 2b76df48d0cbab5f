"""Fixtures of the label and scan tests: the API over a ledger on the backend under test, with a public URL
of its own (so a QR code that decodes to it proves the setting reached the label), one party per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from events.orgs import Role
from ledger.log import Ledger
from tests.api.conftest import Start, open_ledger, start_from_template
from tests.api.inprocess import in_process_client
from tests.api.parties import Party, make_parties
from tests.conftest import SqliteTemplates
from tests.labels_api.world import labels_app

ORIGIN = "labels.test/log"


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
def app(ledger: Ledger, tmp_path: Path, database_url: str) -> FastAPI:
    return labels_app(ledger, tmp_path, database_url)


@pytest.fixture
def client(app: FastAPI) -> Iterator[httpx.Client]:
    with in_process_client(app) as http:
        yield http


@pytest.fixture
def parties(ledger: Ledger, ledger_start: Start | None) -> dict[Role, Party]:
    """One organisation of each of the 13 roles ('The <role>'), with a token and key `<org>/1`."""
    if ledger_start is not None:
        return ledger_start.fresh_parties()
    return make_parties(ledger)

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


# -- the app over the scenario's ledger, shared by the importers, leases, swaps and repurposing steps -------

from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

from api.app import create_app  # noqa: E402
from api.settings import Settings  # noqa: E402
from events.state import PackState  # noqa: E402
from tests.api.inprocess import in_process_client  # noqa: E402
from tests.api.parties import ADMIN_TOKEN  # noqa: E402
from tests.web.login import session_cookie  # noqa: E402

SEALING_KEY = bytes(range(7, 39))  # the platform's sealing secret: the scan page signs with platform-held keys


@dataclass
class AppDesk:
    """The scenario's ledger, the app over it (with a sealing secret) and the province's actors; the packs by
    the names the feature gives them; the last answer, page and the states and log size a step noted."""

    ledger: Ledger
    client: httpx.Client
    actors: dict[str, Actor]
    packs: dict[str, str] = field(default_factory=dict)  # name in the feature -> battery code
    page: str = ""
    answer: httpx.Response | None = None
    before: dict[str, PackState | None] = field(default_factory=dict)
    size: int = 0

    def auth(self, org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.actors[org].token}"}

    def session(self, org: str) -> dict[str, str]:
        return session_cookie(self.ledger, self.actors[org].token)

    def state(self, name: str) -> PackState:
        state = self.ledger.pack_state(self.packs[name])
        assert state is not None
        return state

    def post(self, org: str, *claims: tuple[str, str, dict[str, Any]]) -> None:
        """Straight into the ledger (what the scenario's Given steps set up): a pack by its name or code."""
        for pack, type_, data in claims:
            self.ledger.append_one(*self.actors[org].claim(self.packs.get(pack, pack), type_, data))

    def send(self, org: str, name: str, type_: str, data: dict[str, Any]) -> httpx.Response:
        """One signed claim over the API (POST /v1/events); the answer is kept."""
        claim, sig = self.actors[org].claim(self.packs[name], type_, data)
        self.answer = self.client.post("/v1/events", json={"claim": claim, "sig": sig}, headers=self.auth(org))
        return self.answer

    def view(self, org: str, name: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/packs/{self.packs[name]}", headers=self.auth(org))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
def app_peers() -> str:
    """The app's PACKTRACE_PEERS: none, unless a feature's steps say otherwise."""
    return ""


@pytest.fixture
def app_desk(ledger: Ledger, actors: dict[str, Actor], tmp_path: Path, app_peers: str) -> Iterator[AppDesk]:
    settings = Settings(
        database_url="sqlite:///unused.db", log_key_file=tmp_path / "log.key", admin_token=ADMIN_TOKEN, peers=app_peers
    )
    app = create_app(ledger, settings=settings)
    app.state.sealing_key = SEALING_KEY
    with in_process_client(app) as client:
        yield AppDesk(ledger, client, actors)

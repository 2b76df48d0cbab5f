"""Fixtures of the report and web tests: a province on the backend under test (one per module, since
building it is the slow part), the app over it, and the per-role parties of tests.api for the
authorisation tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from api.app import create_app
from api.settings import Settings
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.db import make_engine
from ledger.usecases import custodial
from tests.api.conftest import admin, app, base, client, ledger, ledger_start, parties, settings  # noqa: F401 -- fixtures
from tests.api.inprocess import in_process_client
from tests.api.parties import ADMIN_TOKEN
from tests.conftest import fresh_database
from tests.support import Clock
from tests.web import province as prov

ORIGIN = "packtrace.test/web"
SEALING_KEY = bytes(range(100, 132))
SCANNERS = ("xm-collect", "brunp")  # organisations that sign from the scan page with platform-held keys


@pytest.fixture(scope="module")
def module_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Like tests.conftest's `database_url`, for one module."""
    with fresh_database(tmp_path_factory.mktemp("web") / "ledger.db", "w") as url:
        yield url


@dataclass
class World:
    ledger: Ledger
    province: prov.Province
    app: FastAPI
    settings: Settings

    def auth(self, org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.province.token(org)}"}


def make_world(url: str, tmp: Path, *, public_url: str = "http://localhost:8000") -> tuple[World, Callable[[], None]]:
    """A ledger holding the province, the app over it (with a sealing secret, and platform-held keys for
    the scanning organisations); the second value closes it all."""
    engine = make_engine(url)
    lg = Ledger(engine, LogSigner(ORIGIN, Ed25519PrivateKey.generate()), clock=Clock(prov.NOW))
    lg.init()
    built = prov.build(lg)
    lg.clock = Clock(prov.NOW)
    for org in SCANNERS:
        custodial.create_platform_key(lg, org, sealing_key=SEALING_KEY)
    config = Settings(database_url=url, log_key_file=tmp / "log.key", admin_token=ADMIN_TOKEN, public_url=public_url)
    application = create_app(lg, settings=config)
    application.state.sealing_key = SEALING_KEY

    def close() -> None:
        lg.close()
        engine.dispose()

    return World(lg, built, application, config), close


@pytest.fixture(scope="module")
def world(module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    made, close = make_world(module_database_url, tmp_path_factory.mktemp("world"))
    yield made
    close()


@pytest.fixture(scope="module")
def web_client(world: World) -> Iterator[httpx.Client]:
    with in_process_client(world.app) as http:
        yield http

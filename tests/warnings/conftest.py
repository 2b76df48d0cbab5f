"""A generated province for the warning tests (tests.warnings.province) on the backend under test, and the
app over it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
from tests.api.inprocess import in_process_client
from tests.api.parties import ADMIN_TOKEN
from tests.conftest import fresh_database
from tests.support import Clock
from tests.warnings import province as gen


@dataclass
class Generated:
    ledger: Ledger
    made: gen.Generated
    app: FastAPI
    client: httpx.Client

    def auth(self, org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.made.actors[org].token}"}


@contextmanager
def generated(tmp: Path, *, batches: int, size: int, thermal: dict[str, int]) -> Iterator[Generated]:
    with fresh_database(tmp / "ledger.db", "w") as url:
        engine = make_engine(url)
        lg = Ledger(engine, LogSigner("packtrace.test/warnings", Ed25519PrivateKey.generate()), clock=Clock(gen.NOW))
        lg.init()
        made = gen.build(lg, batches=batches, size=size, thermal=thermal)
        config = Settings(database_url=url, log_key_file=tmp / "log.key", admin_token=ADMIN_TOKEN)
        try:
            app = create_app(lg, settings=config)
            with in_process_client(app) as http:
                yield Generated(lg, made, app, http)
        finally:
            lg.close()
            engine.dispose()


@pytest.fixture(scope="module")
def scaled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    """Acceptance 3 scaled down a hundredfold on the rest: 31 batches of 100 packs, six thermal events in
    B1 and one in each of B12 and B25 (two in the other 3,000 packs)."""
    with generated(
        tmp_path_factory.mktemp("scaled"), batches=31, size=100, thermal={"B1": 6, "B12": 1, "B25": 1}
    ) as made:
        yield made

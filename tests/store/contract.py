"""The store contract, written once (as eventsourcing's tests/persistence.py writes its recorder tests).

Each area of ledger.store adds a mixin class of `test_…` methods here or in a sibling module
(`contract_<area>.py`); tests/store/suite.py joins them in `StoreContract`, which tests/store/test_sqlite.py
and tests/store/test_postgres.py subclass in a few lines, so every statement of the store runs against both
databases in one run. Behaviour only one database has (PostgreSQL's plan caching) is tested in the subclass
of that database, where it lives.

A mixin uses the `engine` fixture: an empty database with the tables created.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from ledger.store.db import create_schema, make_engine


class StoreFixtures:
    """Subclasses provide `store_url`: the URL of an empty database of their backend."""

    @pytest.fixture
    def engine(self, store_url: str) -> Iterator[Engine]:
        eng = make_engine(store_url)
        create_schema(eng)
        yield eng
        eng.dispose()

"""The store contract on PostgreSQL (PACKTRACE_TEST_PG_URL, by default the local server), whichever
backend the rest of the suite runs on; and what only PostgreSQL does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import fresh_postgres_schema
from tests.store.contract import StoreFixtures
from tests.store.contract_reports import PackRowsContract, ReportStoreContract

PG_URL = os.environ.get("PACKTRACE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

pytestmark = pytest.mark.postgres


class TestPostgresStore(StoreFixtures, PackRowsContract, ReportStoreContract):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> Iterator[str]:
        with fresh_postgres_schema(PG_URL) as url:
            yield url

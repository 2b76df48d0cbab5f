"""The store contract on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.contract import StoreFixtures
from tests.store.contract_reports import PackRowsContract, ReportStoreContract


class TestSQLiteStore(StoreFixtures, PackRowsContract, ReportStoreContract):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'store.db'}"

"""The store contract on SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.store.contract import StoreFixtures
from tests.store.contract_append import AppendStoreContract
from tests.store.contract_registry import (
    LogMetaStoreContract,
    RegistryStoreContract,
    SessionStoreContract,
    SnapshotStoreContract,
)
from tests.store.contract_reports import PackRowsContract, ReportStoreContract


class TestSQLiteStore(
    AppendStoreContract,
    RegistryStoreContract,
    SessionStoreContract,
    LogMetaStoreContract,
    SnapshotStoreContract,
    PackRowsContract,
    ReportStoreContract,
    StoreFixtures,
):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'store.db'}"

"""The whole store contract: every area's mixin in one base, which each backend subclasses in a few lines."""

from __future__ import annotations

from tests.store.contract import StoreFixtures
from tests.store.contract_append import AppendStoreContract
from tests.store.contract_registry import (
    LogMetaStoreContract,
    RegistryStoreContract,
    SessionStoreContract,
    SnapshotStoreContract,
)
from tests.store.contract_reports import PackRowsContract, ReportStoreContract


class StoreContract(
    AppendStoreContract,
    RegistryStoreContract,
    SessionStoreContract,
    LogMetaStoreContract,
    SnapshotStoreContract,
    PackRowsContract,
    ReportStoreContract,
    StoreFixtures,
):
    """Subclasses provide the `store_url` fixture."""

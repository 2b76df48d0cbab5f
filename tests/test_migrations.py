"""The Alembic migrations build exactly the schema the models declare, and `migrate` stamps a database
that `Ledger.init()` made."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import ledger.store.schema  # noqa: F401
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store.migrate import migrate


def test_upgrade_head_matches_the_models(engine: Engine) -> None:
    assert migrate(engine) == "upgraded"
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    if engine.dialect.name != "postgresql":  # autogenerate ignores ddl_if: this index is PostgreSQL's only
        diff = [d for d in diff if not (d[0] == "add_index" and d[1].name == "ix_pack_code_pattern")]
    assert diff == []
    assert migrate(engine) == "upgraded"  # a second run has nothing to do


def test_a_database_made_by_init_is_stamped(engine: Engine) -> None:
    ledger = Ledger(engine, LogSigner("m.test/log", Ed25519PrivateKey.generate()))
    ledger.init()
    ledger.close()
    assert migrate(engine) == "stamped"
    assert "alembic_version" in inspect(engine).get_table_names()

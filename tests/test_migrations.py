"""The Alembic migrations build exactly the schema the models declare, and `migrate` stamps a database
that `Ledger.init()` made."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, inspect, text
from sqlmodel import SQLModel

import ledger.store.schema  # noqa: F401
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.store import handoverrows
from ledger.store.migrate import migrate
from ledger.store.schema import HANDOVER_BUNDLE


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


def test_the_handover_bundles_of_a_database_made_by_an_earlier_start_are_keyed_by_code_and_hash(
    engine: Engine,
) -> None:
    """A database made by a server's own start before migration b9e2c4a7d1f3 (`handover_bundle` keyed by code
    alone) gets the key at the next start, its rows kept: else a retried arrival would fail on the old key."""
    ledger = Ledger(engine, LogSigner("m.test/log", Ed25519PrivateKey.generate()))
    ledger.init()
    with engine.begin() as conn:
        HANDOVER_BUNDLE.drop(conn)
        conn.execute(text(
            "CREATE TABLE handover_bundle (code VARCHAR(32) NOT NULL, platform VARCHAR(200) NOT NULL, "
            "bundle_sha256 VARCHAR(64) NOT NULL, body BYTEA NOT NULL, PRIMARY KEY (code))".replace(
                "BYTEA", "BYTEA" if engine.dialect.name == "postgresql" else "BLOB"
            )
        ))  # fmt: skip
        handoverrows.save(conn, handoverrows.StoredBundle("C1", "fj", "ab", b"{}"))
    ledger.init()  # the next start
    assert inspect(engine).get_pk_constraint("handover_bundle")["constrained_columns"] == ["code", "bundle_sha256"]
    with engine.begin() as conn:
        handoverrows.save(conn, handoverrows.StoredBundle("C1", "fj", "cd", b"[]"))
        handoverrows.save(conn, handoverrows.StoredBundle("C1", "fj", "cd", b"[]"))  # kept once
        assert handoverrows.get(conn, "C1", "ab") == handoverrows.StoredBundle("C1", "fj", "ab", b"{}")
        assert conn.execute(text("SELECT count(*) FROM handover_bundle")).scalar() == 2
    ledger.init()  # and a start after that changes nothing
    assert inspect(engine).get_pk_constraint("handover_bundle")["constrained_columns"] == ["code", "bundle_sha256"]
    ledger.close()

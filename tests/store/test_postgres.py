"""The store contract on PostgreSQL (PACKTRACE_TEST_PG_URL, by default the local server), whichever
backend the rest of the suite runs on; and what only PostgreSQL does."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from ledger.store import appending
from ledger.store.driver import driver_sql
from tests.conftest import fresh_postgres_schema
from tests.store.contract_append import signed_claims, write_entries
from tests.store.suite import StoreContract

PG_URL = os.environ.get("PACKTRACE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

pytestmark = pytest.mark.postgres


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def store_url(self, tmp_path: Path) -> Iterator[str]:
        with fresh_postgres_schema(PG_URL) as url:
            yield url

    def test_the_idempotency_lookup_is_planned_with_its_values_every_time(self, engine: Engine) -> None:
        """psycopg prepares a statement run five times, and PostgreSQL may then keep a generic plan; for the
        (actor, claim id) lookup that plan read every entry of the actor, on every append."""
        claims = signed_claims(3)
        write_entries(engine, claims)
        prepared = "SELECT count(*) FROM pg_prepared_statements WHERE strpos(statement, 'claim_id IN') > 0"
        with engine.connect() as conn:
            for _ in range(8):
                found = appending.recorded_claims(conn, claims)
                assert sorted(found) == sorted((c.actor, c.id) for c in claims)
            assert conn.exec_driver_sql(prepared).scalar_one() == 0
            for _ in range(8):  # the same statement without `custom_plan` is prepared: the check means something
                sql = "SELECT idx FROM entry WHERE actor = ? AND claim_id IN (?)"
                driver_sql(conn, sql, ("catl", claims[0].id)).close()
            assert conn.exec_driver_sql(prepared).scalar_one() == 1

"""Shared fixtures: a fresh database per test on the backend PACKTRACE_TEST_DATABASE_URL names
("sqlite", the default, or a PostgreSQL URL; each test gets its own schema there)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from ledger.db import make_engine, normalise_url

TESTDATA = Path(__file__).resolve().parents[1].parent / "shared" / "testdata"


def backend_url() -> str:
    return os.environ.get("PACKTRACE_TEST_DATABASE_URL", "sqlite")


def is_postgres() -> bool:
    return backend_url().startswith("postgres")


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database; for PostgreSQL a fresh schema, dropped afterwards."""
    url = backend_url()
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'ledger.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(url))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{normalise_url(url)}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()

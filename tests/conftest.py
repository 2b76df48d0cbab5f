"""Shared fixtures: a fresh database per test on the backend PACKTRACE_TEST_DATABASE_URL names
("sqlite", the default, or a PostgreSQL URL; each test gets its own schema there)."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, create_engine, text

from ledger.store.db import make_engine, normalise_url
from tests import backendlog

# The tests run in development (api/settings.py defaults to production, which refuses placeholder secrets);
# subprocesses the tests start inherit it. tests/test_settings.py clears it to check the default.
os.environ["PACKTRACE_ENVIRONMENT"] = "development"

T = TypeVar("T")


def backend_url() -> str:
    backendlog.asked()
    return os.environ.get("PACKTRACE_TEST_DATABASE_URL", "sqlite")


def is_postgres() -> bool:
    return backend_url().startswith("postgres")


@contextmanager
def fresh_database(sqlite_file: Path, prefix: str = "t") -> Iterator[str]:
    """The URL of an empty database on the chosen backend: a SQLite file, or a new PostgreSQL schema that
    is dropped afterwards."""
    url = backend_url()
    if not url.startswith("postgres"):
        yield f"sqlite:///{sqlite_file}"
        return
    with fresh_postgres_schema(url, prefix) as schema_url:
        yield schema_url


@contextmanager
def fresh_postgres_schema(url: str, prefix: str = "t") -> Iterator[str]:
    """The URL of a new, empty PostgreSQL schema on the server `url` names; dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
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
def database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh database per test (see `fresh_database`)."""
    with fresh_database(tmp_path / "ledger.db") as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for another database)."""
    return Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None


class SqliteTemplates:
    """SQLite databases built once per session and copied into each test's own file: every test still has
    a database of its own, and what is the same for all of them (the tables, the log head, the parties)
    is built once rather than once per test."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._built: dict[str, Any] = {}

    def copy(self, name: str, target: Path, build: Callable[[str], T]) -> T:
        """Copy the template `name` to `target` (a file no connection has opened yet), building it first
        with `build(url)` if this session has not; answer what `build` answered."""
        source = self._root / f"{uuid.uuid5(uuid.NAMESPACE_URL, name).hex}.db"
        if name not in self._built:
            self._built[name] = build(f"sqlite:///{source}")
            leftovers = [p for p in (Path(f"{source}-wal"), Path(f"{source}-journal")) if p.exists()]
            assert not leftovers, f"the template {name!r} was left open: {leftovers}"
        shutil.copyfile(source, target)
        built: T = self._built[name]
        return built


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplates:
    return SqliteTemplates(tmp_path_factory.mktemp("templates"))

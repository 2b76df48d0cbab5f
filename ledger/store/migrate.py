"""Schema migrations (Alembic), used by PostgreSQL deployments (`packtrace migrate`).

A database whose tables were made by `Ledger.init()` (create_all) at the current version is stamped
rather than migrated, so either way of starting leads to the same managed schema.
"""

from __future__ import annotations

import functools

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", "ledger.store:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine, revision: str = "head") -> str:
    """Bring the schema to `revision` in one transaction; return what was done ("upgraded" or "stamped")."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" not in tables and "entry" in tables:
            command.stamp(config, revision)
            return "stamped"
        command.upgrade(config, revision)
        return "upgraded"


@functools.cache
def code_heads() -> tuple[str, ...]:
    """The head revisions of this version's migrations (read once: the code does not change while it runs)."""
    return tuple(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


def schema_revisions(engine: Engine) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """(the revisions the database is stamped at, None for a schema made by `Ledger.init` and never
    migrated; the head revisions of this version's migrations), for readiness (docs/operations.md §6)."""
    heads = code_heads()
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return None, heads
        return tuple(sorted(MigrationContext.configure(conn).get_current_heads())), heads

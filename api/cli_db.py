"""`packtrace migrate`: bring the database schema up to date (Alembic; for PostgreSQL deployments), and
record a registry kept outside the log by an earlier version as the log's registry entries."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli_config import load_settings
from api.cli_registry import open_ledger
from ledger.store.db import make_engine
from ledger.store.migrate import migrate as run_migrations
from ledger.store.registry import registry_state


def migrate(
    database_url: Annotated[
        str | None, typer.Option(help="Database to migrate (default: PACKTRACE_DATABASE_URL)")
    ] = None,
) -> None:
    """Apply the schema migrations (ledger/store/migrations) to the configured database, then record its
    organisations and keys in the log if an earlier version kept them outside it (needs the log key)."""
    settings = load_settings(database_url=database_url)
    engine = make_engine(settings.database_url)
    try:
        done = run_migrations(engine)
        before = registry_state(engine)
    finally:
        engine.dispose()
    typer.echo(f"schema {done} to the latest revision")
    if before.orgs and not before.logged:
        with open_ledger(database_url, existing=False) as ledger:  # binds the key files, then records the registry
            after = registry_state(ledger.engine)
        typer.echo(
            f"registry recorded in the log: {after.entries} registry entries for {after.orgs} organisations "
            f"and their keys（企业与密钥登记已写入日志）"
        )

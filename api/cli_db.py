"""`packtrace migrate`: bring the database schema up to date (Alembic; for PostgreSQL deployments)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli_config import load_settings
from ledger.store.db import make_engine
from ledger.store.migrate import migrate as run_migrations


def migrate(
    database_url: Annotated[
        str | None, typer.Option(help="Database to migrate (default: PACKTRACE_DATABASE_URL)")
    ] = None,
) -> None:
    """Apply the schema migrations (ledger/store/migrations) to the configured database."""
    settings = load_settings(database_url=database_url)
    engine = make_engine(settings.database_url)
    try:
        done = run_migrations(engine)
    finally:
        engine.dispose()
    typer.echo(f"schema {done} to the latest revision")

"""Settings and keys for the CLI's commands: a configuration they refuse (a placeholder secret outside
development, key files that are not the log's own, a database of another log) ends the command with its
message and exit status 1, never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from api.settings import Settings
from ledger.usecases.keybinding import KeyBindingError

console = Console(stderr=True, soft_wrap=True)


def _settings_problem(exc: ValidationError) -> str:
    return "; ".join(str(error["msg"]).removeprefix("Value error, ") for error in exc.errors())


@contextmanager
def refusals() -> Iterator[None]:
    """Print a refused configuration plainly and exit 1."""
    try:
        yield
    except ValidationError as exc:
        console.print(f"[red]configuration refused[/red]: {escape(_settings_problem(exc))}")
        raise typer.Exit(1) from None
    except (KeyBindingError, ValueError, FileNotFoundError) as exc:
        console.print(f"[red]configuration refused[/red]: {escape(str(exc))}")
        raise typer.Exit(1) from None


def load_settings(**overrides: Any) -> Settings:
    """The settings from the environment (PACKTRACE_*), with the given values set; None values are not set."""
    with refusals():
        return Settings(**{name: value for name, value in overrides.items() if value is not None})


def require_existing_database(settings: Settings) -> None:
    """For commands that check a database rather than make one (`packtrace verify`): an SQLite file that is
    not there is refused (exit 1) instead of being created empty."""
    from ledger.store.db import sqlite_file

    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        console.print(
            f"[red]configuration refused[/red]: no database at {escape(str(path.resolve()))}; run it where the "
            "platform's database is, or pass --database-url or set PACKTRACE_DATABASE_URL (nothing was created)"
        )
        raise typer.Exit(1)

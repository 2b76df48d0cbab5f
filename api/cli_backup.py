"""`packtrace backup DIR`: the database and the key files the log cannot be served without, together
(docs/operations.md §4). The database first (SQLite's online backup API, or pg_dump), then the log key (with a
rollover's `<file>.next` and the retired `<file>.retired-*` beside it) and the sealing secret: a key the copied
database names is then always among the copied files. Restoring is copying them back (docs/operations.md §5)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from api.cli_config import load_settings, require_existing_database
from ledger.store.backup import BackupError, backup_database

console = Console(stderr=True, soft_wrap=True)


def key_files_of(log_key: Path, sealing_key: Path) -> list[Path]:
    """The files to keep with the database: the log key and its rollover siblings, the sealing secret."""
    siblings = sorted(log_key.parent.glob(f"{log_key.name}.next")) + sorted(
        log_key.parent.glob(f"{log_key.name}.retired-*")
    )
    return [log_key, *siblings, sealing_key]


def backup(
    directory: Annotated[Path, typer.Argument(help="A new (or empty) directory to write the backup into")],
    database_url: Annotated[str | None, typer.Option(help="Database to back up (default: settings)")] = None,
) -> None:
    """Back up the database and both key files (log key, sealing secret) into DIRECTORY."""
    settings = load_settings(database_url=database_url)
    require_existing_database(settings)
    if directory.exists() and any(directory.iterdir()):
        console.print(f"[red]refused[/red]: {escape(str(directory))} is not empty; back up into a new directory")
        raise typer.Exit(1)
    files = key_files_of(settings.log_key_file, settings.sealing_key_file)
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        console.print(
            f"[red]refused[/red]: no key file at {escape(', '.join(missing))}; set PACKTRACE_LOG_KEY_FILE and "
            "PACKTRACE_SEALING_KEY_FILE to the server's"
        )
        raise typer.Exit(1)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        written = [backup_database(settings.database_url, directory)]
    except BackupError as exc:
        console.print(f"[red]backup failed[/red]: {escape(str(exc))}")
        raise typer.Exit(1) from None
    for path in files:
        target = directory / path.name
        shutil.copyfile(path, target)
        os.chmod(target, 0o600)
        written.append(target)
    typer.echo(f"backed up to {directory}: {', '.join(path.name for path in written)}")

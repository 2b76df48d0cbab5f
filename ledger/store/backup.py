"""The database half of a backup (`packtrace backup`, docs/operations.md §4): SQLite through its online
backup API (a consistent copy while the server appends), PostgreSQL through `pg_dump --format=custom` (a
consistent snapshot; restored with `pg_restore`)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import make_url

from ledger.store.db import normalise_url, sqlite_file

SQLITE_NAME = "packtrace.db"
POSTGRES_NAME = "packtrace.pgdump"


class BackupError(RuntimeError):
    """The backup could not be made (what to do is in the message)."""


def backup_database(url: str, directory: Path) -> Path:
    """Write the database `url` names into `directory` (which exists); the file written."""
    path = sqlite_file(url)
    if path is not None:
        if not path.exists():
            raise BackupError(f"no database at {path.resolve()}")
        target = directory / SQLITE_NAME
        with sqlite3.connect(path) as source, sqlite3.connect(target) as copy:
            source.backup(copy)
        source.close()
        copy.close()
        return target
    return _pg_dump(url, directory / POSTGRES_NAME)


def libpq_uri(url: str) -> tuple[str, str | None]:
    """(the libpq URI of a PostgreSQL URL, the schema its `options=-csearch_path=…` names, if any)."""
    parsed = make_url(normalise_url(url))
    options = unquote(str(parsed.query.get("options", "")))
    schema = options.removeprefix("-csearch_path=") if options.startswith("-csearch_path=") else None
    uri = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return uri, schema


def _pg_dump(url: str, target: Path) -> Path:
    program = shutil.which("pg_dump")
    if program is None:
        raise BackupError("pg_dump is not on PATH: install the PostgreSQL client of the server's major version")
    uri, schema = libpq_uri(url)
    command = [program, "--format=custom", "--no-owner", f"--file={target}"]
    if schema:  # a log kept in a schema of its own: that schema only
        command.append(f"--schema={schema}")
    done = subprocess.run([*command, uri], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip().splitlines()[-1] if done.stderr else done.returncode}")
    return target

"""The restore drill of docs/operations.md §4–5, on the backend under test: a ledger with entries is backed
up with `packtrace backup` (the database and both key files), destroyed, restored as the guide says (the
files copied back; PostgreSQL through pg_restore), `packtrace verify` passes and the log continues: another
entry is appended under the restored keys and verify passes again. Without the restored log key the server
refuses to start instead of signing with a new one."""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.bootstrap import build_ledger
from api.cli import app as cli
from api.settings import Settings
from ledger.store.backup import libpq_uri
from ledger.store.db import normalise_url, sqlite_file
from ledger.usecases.keybinding import KeyBindingError, key_id
from tests.ops.served import deployment_settings
from tests.support import PRODUCED, Actor, code, province

VERIFIED = re.compile(r"^OK: (\d+) entries, (\d+) packs, (\d+) checkpoints verified", re.MULTILINE)


@pytest.fixture
def live(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A deployment's settings, also in the environment the CLI reads."""
    keys = tmp_path / "keys"
    keys.mkdir()
    settings = deployment_settings(database_url, keys)
    for name, value in {
        "DATABASE_URL": database_url,
        "LOG_KEY_FILE": str(settings.log_key_file),
        "SEALING_KEY_FILE": str(settings.sealing_key_file),
        "PUBLIC_URL": settings.public_url,
    }.items():
        monkeypatch.setenv(f"PACKTRACE_{name}", value)
    yield settings


def run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return result.stdout


def verified(expected_packs: int) -> int:
    found = VERIFIED.search(run("verify"))
    assert found is not None
    assert int(found.group(2)) == expected_packs
    return int(found.group(1))


def destroy(settings: Settings) -> None:
    """The disk is lost: the database and both key files."""
    path = sqlite_file(settings.database_url)
    if path is not None:
        for leftover in path.parent.glob(path.name + "*"):  # the file, its -wal and -shm
            leftover.unlink()
    else:
        _, schema = libpq_uri(settings.database_url)
        assert schema is not None
        admin = create_engine(normalise_url(settings.database_url))
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()
    settings.log_key_file.unlink()
    settings.sealing_key_file.unlink()


def restore(settings: Settings, backup: Path, *, keys: bool = True) -> None:
    """docs/operations.md §5: the database first, then the key files to where the settings name them."""
    path = sqlite_file(settings.database_url)
    if path is not None:
        shutil.copyfile(backup / "packtrace.db", path)
    else:
        uri, _ = libpq_uri(settings.database_url)
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={uri}", str(backup / "packtrace.pgdump")], check=True)
    if keys:
        for name, target in ((settings.log_key_file.name, settings.log_key_file),
                             (settings.sealing_key_file.name, settings.sealing_key_file)):  # fmt: skip
            shutil.copyfile(backup / name, target)
            os.chmod(target, 0o600)


def own_verifier_key(settings: Settings) -> str:
    ledger = build_ledger(settings)
    try:
        return ledger.signer.verifier_key
    finally:
        ledger.close()
        ledger.engine.dispose()


def append(settings: Settings, maker: Actor | None, packs: range) -> tuple[int, Actor]:
    """Append `packs` produced by the maker (registered first when None); the log's size after, the maker."""
    ledger = build_ledger(settings)
    try:
        if maker is None:
            maker = province(ledger)["catl"]
        ledger.append([maker.claim(code(n), "produced", PRODUCED) for n in packs])
        return ledger.size(), maker
    finally:
        ledger.close()
        ledger.engine.dispose()


def test_back_up_destroy_restore_verify_and_the_log_continues(live: Settings, tmp_path: Path) -> None:
    size, maker = append(live, None, range(1, 6))
    assert verified(5) == size
    backup = tmp_path / "backup"
    database = "packtrace.db" if sqlite_file(live.database_url) else "packtrace.pgdump"
    assert run("backup", str(backup)).strip() == (
        f"backed up to {backup}: {database}, packtrace-log.key, packtrace-sealing.key"
    )
    assert sorted(p.name for p in backup.iterdir()) == sorted([database, "packtrace-log.key", "packtrace-sealing.key"])
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in backup.glob("*.key"))

    destroy(live)
    gone = CliRunner().invoke(cli, ["verify"])
    assert gone.exit_code == 1

    restore(live, backup)
    assert verified(5) == size
    # the log continues: the restored server signs with the restored key, and the new entry verifies
    after, _ = append(live, maker, range(6, 7))
    assert after == size + 1
    assert verified(6) == after


def test_without_the_restored_log_key_the_server_refuses_to_start(live: Settings, tmp_path: Path) -> None:
    size, _ = append(live, None, range(1, 3))
    verifier_key = own_verifier_key(live)
    backup = tmp_path / "backup"
    run("backup", str(backup))
    destroy(live)
    restore(live, backup, keys=False)
    with pytest.raises(KeyBindingError) as refused:
        build_ledger(live)
    assert str(refused.value).startswith(
        f"refusing to open this log: no log key at {live.log_key_file.resolve()}, and the log is bound to the log "
        f"key {key_id(verifier_key)} (recorded in the database); it holds {size} entries. A new key would make "
        "every later checkpoint fail verification: restore the key file"
    )
    assert not live.log_key_file.exists(), "no new log key was made for a log that has one"


def test_backup_refuses_a_directory_that_is_not_empty(live: Settings, tmp_path: Path) -> None:
    append(live, None, range(1, 2))
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "old.db").write_bytes(b"")
    refused = CliRunner().invoke(cli, ["backup", str(tmp_path / "used")])
    assert refused.exit_code == 1
    assert " ".join(refused.stderr.split()) == (
        f"refused: {tmp_path / 'used'} is not empty; back up into a new directory"
    )


def test_backup_refuses_without_the_key_files(live: Settings, tmp_path: Path) -> None:
    append(live, None, range(1, 2))
    live.sealing_key_file.unlink()
    refused = CliRunner().invoke(cli, ["backup", str(tmp_path / "b")])
    assert refused.exit_code == 1
    assert " ".join(refused.stderr.split()) == (
        f"refused: no key file at {live.sealing_key_file}; set PACKTRACE_LOG_KEY_FILE and "
        "PACKTRACE_SEALING_KEY_FILE to the server's"
    )
    assert not (tmp_path / "b").exists()


def test_backup_of_postgresql_without_pg_dump_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("log.key", "sealing.key"):
        (tmp_path / name).write_bytes(b"a key")
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", "postgresql://packtrace@db.invalid:5432/packtrace")
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_SEALING_KEY_FILE", str(tmp_path / "sealing.key"))
    monkeypatch.setattr(shutil, "which", lambda program: None)
    refused = CliRunner().invoke(cli, ["backup", str(tmp_path / "b")])
    assert refused.exit_code == 1
    assert " ".join(refused.stderr.split()) == (
        "backup failed: pg_dump is not on PATH: install the PostgreSQL client of the server's major version"
    )


def test_the_libpq_uri_keeps_an_escaped_password_and_the_log_s_schema() -> None:
    url = "postgresql+psycopg://pack:p%40ss%2Fw%3Ard@db:5433/packtrace?options=-csearch_path%3Dlog_2026"
    assert libpq_uri(url) == (
        "postgresql://pack:p%40ss%2Fw%3Ard@db:5433/packtrace?options=-csearch_path%3Dlog_2026",
        "log_2026",
    )
    assert libpq_uri("postgresql://pack@db/packtrace") == ("postgresql://pack@db/packtrace", None)

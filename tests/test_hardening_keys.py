"""Issue 11 item 4: a log keeps its keys. Starting on an existing database with other (or missing) key
files used to make a new log key and sealing secret without a word; after one append `verify` failed with
either key and the scan page's posts answered 500. Now the database records the keys' ids and a start with
other keys is refused, naming both ids and the files looked at (ledger/usecases/keybinding.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel
from typer.testing import CliRunner

from api.bootstrap import build_ledger
from api.cli import app as cli
from api.settings import Settings
from ledger.format.logkey import LogSigner, load_or_create_key
from ledger.log import Ledger
from ledger.store.migrate import migrate
from ledger.usecases import custodial, keybinding
from ledger.usecases.keybinding import KeyBindingError
from ledger.usecases.verify import verify_database
from tests.support import PRODUCED, code, province

ORIGIN = "keys.test/log"
REFUSAL = "refusing to open this log: "


def settings_in(folder: Path, database_url: str) -> Settings:
    """The settings of a server started in `folder`: its key files there, the database shared."""
    return Settings(
        database_url=database_url,
        log_origin=ORIGIN,
        log_key_file=folder / "log.key",
        sealing_key_file=folder / "sealing.key",
    )


def close(ledger: Ledger) -> None:
    ledger.close()
    ledger.engine.dispose()


@pytest.fixture
def first(tmp_path: Path, database_url: str) -> Iterator[Settings]:
    """The first server's settings; its start made the key files and recorded their ids."""
    settings = settings_in(tmp_path / "first", database_url)
    close(build_ledger(settings))
    yield settings


def append_one(settings: Settings) -> int:
    """Start with `settings`, register the organisations and record one pack; the log's size then (the
    registry's entries and the pack's)."""
    ledger = build_ledger(settings)
    try:
        ledger.append_one(*province(ledger)["catl"].claim(code(1), "produced", PRODUCED))
        return ledger.size()
    finally:
        close(ledger)


def recorded_row(engine: Engine) -> tuple[Any, ...]:
    with engine.connect() as conn:
        return tuple(conn.execute(text("SELECT log_verifier_key, sealing_key_id FROM log_head")).one())


def key_id_of(path: Path) -> str:
    return keybinding.key_id(LogSigner(ORIGIN, load_or_create_key(path)).verifier_key)


def sealing_id_of(path: Path) -> str:
    return keybinding.sealing_key_id(custodial.load_or_create_sealing_key(path))


def looked_at(folder: Path, engine: Engine) -> str:
    database = engine.url.render_as_string(hide_password=True)
    files = f"log key {folder / 'log.key'}, sealing secret {folder / 'sealing.key'}"
    return f"files looked at: {files}; database {database}"


# -- recording ------------------------------------------------------------------------------------------


def test_item4_the_first_start_records_both_key_ids_never_the_secret(first: Settings, engine: Engine) -> None:
    secret = custodial.load_or_create_sealing_key(first.sealing_key_file)
    verifier_key, sealing_id = recorded_row(engine)
    assert verifier_key == LogSigner(ORIGIN, load_or_create_key(first.log_key_file)).verifier_key
    assert sealing_id == keybinding.sealing_key_id(secret) and len(sealing_id) == 16
    assert secret.hex()[:16] not in sealing_id


# -- the log key ----------------------------------------------------------------------------------------


def test_item4_no_log_key_is_made_for_a_non_empty_log(
    first: Settings, tmp_path: Path, database_url: str, engine: Engine
) -> None:
    size = append_one(first)
    elsewhere = tmp_path / "elsewhere"
    with pytest.raises(KeyBindingError) as refused:
        build_ledger(settings_in(elsewhere, database_url))
    assert str(refused.value) == (
        f"{REFUSAL}no log key at {elsewhere / 'log.key'}, and the log is bound to the log key "
        f"{key_id_of(first.log_key_file)} (recorded in the database); it holds {size} entries. A new key would make "
        "every later checkpoint fail verification: restore the key file, or set PACKTRACE_LOG_KEY_FILE to "
        f"where it is ({looked_at(elsewhere, engine)})"
    )
    assert not (elsewhere / "log.key").exists() and not (elsewhere / "sealing.key").exists()
    # the log goes on with its own key and still verifies
    ledger = build_ledger(first)
    assert ledger.size() == size and verify_database(engine, ledger.signer.verifier_key).problems == []
    close(ledger)


@pytest.mark.parametrize("entries", [0, 1], ids=["empty log", "non-empty log"])
def test_item4_another_log_key_is_refused_naming_both_ids(
    first: Settings, tmp_path: Path, database_url: str, engine: Engine, entries: int
) -> None:
    if entries:
        append_one(first)
    elsewhere = tmp_path / "elsewhere"
    found = key_id_of(elsewhere / "log.key")  # a key of its own there (as a fresh start used to make)
    with pytest.raises(KeyBindingError) as refused:
        build_ledger(settings_in(elsewhere, database_url))
    assert str(refused.value) == (
        f"{REFUSAL}it is bound to the log key {key_id_of(first.log_key_file)} (named by the log's own entries), "
        f"but {elsewhere / 'log.key'} holds the key {found}. Set PACKTRACE_LOG_KEY_FILE to the log's own key file "
        f"({looked_at(elsewhere, engine)})"
    )
    assert recorded_row(engine)[0].startswith(key_id_of(first.log_key_file))


# -- the sealing secret ---------------------------------------------------------------------------------


def test_item4_no_sealing_secret_is_made_for_a_log_with_platform_held_keys(
    first: Settings, tmp_path: Path, database_url: str, engine: Engine
) -> None:
    ledger = build_ledger(first)
    province(ledger)
    custodial.create_platform_key(
        ledger, "xm-collect", sealing_key=custodial.load_or_create_sealing_key(first.sealing_key_file)
    )
    close(ledger)
    moved = settings_in(tmp_path / "moved", database_url).model_copy(update={"log_key_file": first.log_key_file})
    with pytest.raises(KeyBindingError) as refused:
        build_ledger(moved)
    expected_id = sealing_id_of(first.sealing_key_file)
    assert str(refused.value).startswith(
        f"{REFUSAL}no sealing secret at {moved.sealing_key_file}, and the log is bound to the sealing secret "
        f"{expected_id} (recorded in the database). A new secret would open none of the platform-held keys"
    )
    assert f"sealing secret {moved.sealing_key_file}" in str(refused.value)
    assert not moved.sealing_key_file.exists()

    found_id = sealing_id_of(moved.sealing_key_file)  # another secret there
    with pytest.raises(KeyBindingError) as other:
        build_ledger(moved)
    assert str(other.value).startswith(
        f"{REFUSAL}it is bound to the sealing secret {expected_id} (recorded in the database), but "
        f"{moved.sealing_key_file} holds the secret {found_id}. Set PACKTRACE_SEALING_KEY_FILE to the log's "
        "own sealing secret (files looked at: "
    )


# -- a database made before key ids were recorded -------------------------------------------------------


@pytest.fixture
def legacy(tmp_path: Path, engine: Engine) -> Path:
    """A database of the previous schema (Alembic 5d1e8c2f7a31: no key-id columns, no web sessions) holding
    one entry signed with the key in old/log.key and a platform-held key sealed with old/sealing.key."""
    folder = tmp_path / "old"
    migrate(engine, "5d1e8c2f7a31")
    ledger = Ledger(engine, LogSigner(ORIGIN, load_or_create_key(folder / "log.key")))
    ledger.init()
    maker = province(ledger)["catl"]
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    custodial.create_platform_key(
        ledger, "xm-collect", sealing_key=custodial.load_or_create_sealing_key(folder / "sealing.key")
    )
    ledger.close()
    with engine.connect() as conn:
        columns = [row[1] for row in conn.execute(text("PRAGMA table_info(log_head)"))] if _sqlite(engine) else None
    assert columns is None or "log_verifier_key" not in columns
    return folder


def _sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def test_item4_an_old_database_records_the_keys_that_signed_it(legacy: Path, database_url: str, engine: Engine) -> None:
    ledger = build_ledger(settings_in(legacy, database_url))
    assert recorded_row(engine) == (ledger.signer.verifier_key, sealing_id_of(legacy / "sealing.key"))
    assert verify_database(engine, ledger.signer.verifier_key).problems == []
    close(ledger)
    assert migrate(engine) == "upgraded"  # the migration finds the columns and the table there already
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert [d for d in diff if not (d[0] == "add_index" and d[1].name == "ix_pack_code_pattern")] == []


def test_item4_an_old_database_refuses_a_log_key_that_did_not_sign_it(
    legacy: Path, tmp_path: Path, database_url: str, engine: Engine
) -> None:
    other = settings_in(tmp_path / "other", database_url).model_copy(
        update={"sealing_key_file": legacy / "sealing.key"}
    )
    found = key_id_of(other.log_key_file)
    with pytest.raises(KeyBindingError) as refused:
        build_ledger(other)
    assert str(refused.value).startswith(
        f"{REFUSAL}the log key in {other.log_key_file} ({found}) did not sign the log's latest checkpoint ("
    )
    assert "no key was recorded for this log (it predates key ids)" in str(refused.value)
    assert recorded_row(engine) == (None, None)


def test_item4_an_old_database_refuses_a_sealing_secret_that_does_not_open_its_keys(
    legacy: Path, tmp_path: Path, database_url: str, engine: Engine
) -> None:
    other = settings_in(tmp_path / "other", database_url).model_copy(update={"log_key_file": legacy / "log.key"})
    found = sealing_id_of(other.sealing_key_file)
    with pytest.raises(KeyBindingError) as refused:
        build_ledger(other)
    assert str(refused.value).startswith(
        f"{REFUSAL}the sealing secret in {other.sealing_key_file} ({found}) does not open the log's "
        "platform-held keys ("
    )
    assert recorded_row(engine) == (None, None)
    missing = other.model_copy(update={"sealing_key_file": tmp_path / "none" / "sealing.key"})
    with pytest.raises(KeyBindingError, match=r"no sealing secret at .*platform-held keys sealed with a secret"):
        build_ledger(missing)
    assert not missing.sealing_key_file.exists()


# -- the CLI refuses the same way, without a traceback ----------------------------------------------------


@pytest.fixture
def moved_env(first: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The environment of a CLI run from another directory: the same database, key files of its own."""
    append_one(first)
    elsewhere = tmp_path / "cli"
    load_or_create_key(elsewhere / "log.key")
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", first.database_url)
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", ORIGIN)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(elsewhere / "log.key"))
    monkeypatch.setenv("PACKTRACE_SEALING_KEY_FILE", str(elsewhere / "sealing.key"))
    return elsewhere


@pytest.mark.parametrize("command", [["serve"], ["verify"], ["orgs", "list"], ["keys", "list"], ["migrate"]])
def test_item4_cli_commands_refuse_other_keys_plainly(
    first: Settings, moved_env: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server must not start"))
    result = CliRunner().invoke(cli, command)
    if command == ["migrate"]:  # needs no key: the schema is brought up to date all the same
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    message = " ".join(result.stderr.split())  # the console wraps long lines
    assert message.startswith(
        f"configuration refused: {REFUSAL}it is bound to the log key {key_id_of(first.log_key_file)} (named by "
        f"the log's own entries), but {moved_env / 'log.key'} holds the key {key_id_of(moved_env / 'log.key')}."
    )
    assert f"files looked at: log key {moved_env / 'log.key'}" in message


def test_item4_cli_verify_without_a_key_file_says_where_it_looked(
    first: Settings, moved_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(moved_env / "absent.key"))
    result = CliRunner().invoke(cli, ["verify"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    message = " ".join(result.stderr.split())
    assert message == (
        f"configuration refused: no log key at {moved_env / 'absent.key'}; pass --log-key or set PACKTRACE_LOG_KEY_FILE"
    )
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(first.log_key_file))
    ok = CliRunner().invoke(cli, ["verify"])
    ledger = build_ledger(first)
    size = ledger.size()  # the registry's entries and the one pack entry
    close(ledger)
    assert ok.exit_code == 0 and f"OK: {size} entries, 1 packs" in ok.stdout, ok.stdout


# -- the secret checked at start is the one used afterwards ---------------------------------------------


def vanish_after_build(monkeypatch: pytest.MonkeyPatch, module: Any, sealing_key_file: Path) -> None:
    """`module.build_ledger`, with the sealing secret's file gone once the start has checked it: whatever
    seals afterwards must use the checked secret, not read (or make) the file again."""
    real = module.build_ledger

    def build_then_vanish(settings: Settings, **kwargs: Any) -> Ledger:
        ledger = real(settings, **kwargs)
        sealing_key_file.unlink()
        return ledger

    monkeypatch.setattr(module, "build_ledger", build_then_vanish)


def sealed_keys(engine: Engine, org: str) -> list[tuple[str, bytes]]:
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT key_id, sealed_private_key FROM org_key WHERE org = :org AND platform_held"), {"org": org}
        ).all()
    return [(row[0], bytes(row[1])) for row in rows]


def test_item4_the_built_ledger_carries_the_checked_sealing_secret(first: Settings) -> None:
    secret = custodial.load_or_create_sealing_key(first.sealing_key_file)
    ledger = build_ledger(first)
    try:
        assert ledger.sealing_key == secret
    finally:
        close(ledger)


def test_item4_the_app_seals_with_the_secret_its_start_checked(
    first: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.app

    secret = custodial.load_or_create_sealing_key(first.sealing_key_file)
    vanish_after_build(monkeypatch, api.app, first.sealing_key_file)
    app = api.app.create_app(first)
    try:
        assert app.state.sealing_key == secret
        assert not first.sealing_key_file.exists()  # no new, unchecked secret was made
    finally:
        close(app.state.ledger)


def test_item4_cli_platform_keys_are_sealed_with_the_checked_secret(
    first: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.cli_registry

    append_one(first)  # registers the organisations
    secret = custodial.load_or_create_sealing_key(first.sealing_key_file)
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", first.database_url)
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", ORIGIN)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(first.log_key_file))
    monkeypatch.setenv("PACKTRACE_SEALING_KEY_FILE", str(first.sealing_key_file))
    vanish_after_build(monkeypatch, api.cli_registry, first.sealing_key_file)
    result = CliRunner().invoke(cli, ["keys", "add-platform", "xm-collect"])
    assert result.exit_code == 0, result.output
    assert not first.sealing_key_file.exists()
    [(key_id, blob)] = sealed_keys(engine, "xm-collect")
    custodial.unseal(blob, org_id="xm-collect", key_id=key_id, sealing_key=secret)  # opens with the checked one


def test_item4_the_demo_seals_with_the_secret_its_start_checked(
    first: Settings, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.cli_demo

    secret = custodial.load_or_create_sealing_key(first.sealing_key_file)
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", first.database_url)
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", ORIGIN)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(first.log_key_file))
    monkeypatch.setenv("PACKTRACE_SEALING_KEY_FILE", str(first.sealing_key_file))
    vanish_after_build(monkeypatch, api.cli_demo, first.sealing_key_file)
    tokens = tmp_path / "tokens.json"
    result = CliRunner().invoke(cli, ["demo", "--no-serve", "--packs", "3", "--tokens-file", str(tokens)])
    assert result.exit_code == 0, result.output
    assert not first.sealing_key_file.exists()
    with engine.connect() as conn:
        orgs = [row[0] for row in conn.execute(text("SELECT DISTINCT org FROM org_key WHERE platform_held"))]
    assert orgs  # the demo gives some organisations platform-held keys
    for org in orgs:
        for key_id, blob in sealed_keys(engine, org):
            custodial.unseal(blob, org_id=org, key_id=key_id, sealing_key=secret)


def test_cli_verify_outside_a_project_creates_no_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19: `packtrace verify` where there is no database said the log key was missing and left an empty
    packtrace.db behind; it now says there is no database, and creates nothing."""
    monkeypatch.chdir(tmp_path)
    for name in ("PACKTRACE_DATABASE_URL", "PACKTRACE_LOG_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["verify"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    message = " ".join(result.stderr.split())
    assert message == (
        f"configuration refused: no database at {tmp_path / 'packtrace.db'}; run it where the platform's database "
        "is, or pass --database-url or set PACKTRACE_DATABASE_URL (nothing was created)"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [["export", "log.jsonl"], ["export-tiles", "tiles"]])
def test_cli_reading_commands_outside_a_project_create_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """Issue 19: `packtrace export` where there is no database made a new log (database, log key, sealing
    secret) and exported its one entry; commands that read a platform's database now refuse instead."""
    monkeypatch.chdir(tmp_path)
    for name in ("PACKTRACE_DATABASE_URL", "PACKTRACE_LOG_KEY_FILE", "PACKTRACE_SEALING_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, command)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert " ".join(result.stderr.split()).startswith(
        f"configuration refused: no database at {tmp_path / 'packtrace.db'};"
    )
    assert list(tmp_path.iterdir()) == []

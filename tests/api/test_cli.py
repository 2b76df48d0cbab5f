"""The CLI: keygen, orgs, keys, submit (against a real server on a local port), export."""

from __future__ import annotations

import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main
import uvicorn
from fastapi import FastAPI
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.settings import Settings
from tests.api.parties import VIN
from tests.api.scenario import code
from tests.api.served import served

pytestmark = pytest.mark.served

runner = CliRunner()
MAKER_ROW = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}


@pytest.fixture
def env(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings for the CLI and the server: this test's database, a log key in tmp_path."""
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", "cli.test/log")
    monkeypatch.delenv("PACKTRACE_ADMIN_TOKEN", raising=False)
    return tmp_path


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def server(env: Path) -> Iterator[str]:
    """The API served by uvicorn on a free local port, in a thread."""
    with served(create_app(Settings())) as url:
        yield url


def make_maker(env: Path) -> tuple[str, str]:
    """A manufacturer org with a key made by keygen: (token, key file)."""
    code_, out, err = run(
        "orgs", "create", "catl", "--name", "宁德时代", "--role", "manufacturer", "--maker-code", "001"
    )
    assert code_ == 0, err
    token = out.strip()
    key_file = env / "catl.key"
    code_, public, err = run("keygen", str(key_file))
    assert code_ == 0, err
    assert run("keys", "add", "catl", "catl/1", public.strip())[0] == 0
    return token, str(key_file)


def test_keygen_writes_a_private_key_readable_by_its_owner_only(tmp_path: Path) -> None:
    key_file = tmp_path / "me.key"
    exit_code, out, err = run("keygen", str(key_file))

    assert exit_code == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert re.fullmatch(r"[A-Za-z0-9+/]{43}=\n", out)
    assert "keys add ORG KEY_ID" in err
    again = run("keygen", str(key_file))
    assert again[0] == 1 and "exists" in again[2]


def test_orgs_and_keys_are_administered_on_the_database(env: Path) -> None:
    make_maker(env)
    exit_code, out, _ = run("orgs", "list")
    assert exit_code == 0 and "catl" in out and "宁德时代" in out and "manufacturer" in out
    assert "catl/1" in run("keys", "list", "catl")[1]
    exit_code, _, err = run("keys", "revoke", "catl", "catl/1")
    assert exit_code == 0 and "revoked catl/1 of catl at" in err
    taken = run("orgs", "create", "catl", "--name", "again", "--role", "dealer")
    assert taken[0] == 1 and "org_exists: organisation 'catl' already exists" in taken[2]


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_submit_posts_a_file_and_a_rerun_posts_nothing_twice(env: Path, server: str) -> None:
    token, key_file = make_maker(env)
    rows = [{"pack": code(i), "type": "produced", "at": "2026-03-02T01:00:00Z", "data": MAKER_ROW} for i in range(5)]
    rows.append({"pack": code(0), "type": "incident", "at": "2026-03-02T02:00:00Z",
                 "data": {"kind": "other", "severity": "low", "description": "dropped"}})  # fmt: skip
    events = write_jsonl(env / "events.jsonl", rows)
    args = ["submit", str(events), "--actor", "catl", "--key-id", "catl/1", "--key-file", key_file, "--token", token]
    args += ["--url", server, "--batch-size", "4"]

    first = run(*args)
    assert first[0] == 0, first[2]
    assert first[1] == f"OK: 6 recorded, 0 already recorded, 0 refused, from 6 rows of {events}\n"
    again = run(*args)
    assert again[1] == f"OK: 0 recorded, 6 already recorded, 0 refused, from 6 rows of {events}\n"

    # a CSV file of the same kind of rows, with a JSON `data` column
    csv_file = env / "more.csv"
    csv_file.write_text(
        "pack,type,at,data\n"
        f'{code(7)},produced,2026-03-02T01:00:00Z,"{json.dumps(MAKER_ROW).replace(chr(34), chr(34) * 2)}"\n'
    )
    assert run(*[str(csv_file) if a == str(events) else a for a in args])[1].startswith("OK: 1 recorded")


def test_submit_names_the_rows_a_batch_was_refused_for(env: Path, server: str) -> None:
    token, key_file = make_maker(env)
    rows = [{"pack": code(i), "type": "produced", "at": "2026-03-02T01:00:00Z", "data": MAKER_ROW} for i in range(3)]
    rows[2]["data"] = {**MAKER_ROW, "mass_kg": -1}
    events = write_jsonl(env / "events.jsonl", rows)
    base = ["--actor", "catl", "--key-id", "catl/1", "--key-file", key_file, "--token", token, "--url", server]

    exit_code, out, err = run("submit", str(events), *base, "--batch-size", "2")
    assert exit_code == 1
    assert "row 3: invalid_payload: invalid 'produced' payload: data.mass_kg:" in err
    refused = env / "events.refused.jsonl"
    assert (
        out
        == f"2 recorded, 0 already recorded, 1 refused, from 3 rows of {events}; refused rows written to {refused}\n"
    )

    bad_row = write_jsonl(env / "bad.jsonl", [{"pack": code(1), "type": "produced", "at": "yesterday", "data": {}}])
    exit_code, _, err = run("submit", str(bad_row), *base)
    assert exit_code == 1
    assert "row 1: invalid_row: at must be RFC 3339 UTC with whole seconds and Z, found 'yesterday'" in err


def test_export_writes_the_log_and_a_bundle_that_verify_bundle_accepts(env: Path, server: str) -> None:
    token, key_file = make_maker(env)
    rows = [{"pack": code(1), "type": "produced", "at": "2026-03-02T01:00:00Z", "data": MAKER_ROW},
            {"pack": code(1), "type": "installed", "at": "2026-03-02T02:00:00Z", "data": {"vin": VIN}}]  # fmt: skip
    rows[1] = {**rows[1], "type": "retired", "data": {"reason": "damaged"}}
    events = write_jsonl(env / "events.jsonl", rows)
    registered = env / "registry.jsonl"  # the log before the events: catl's registry entries
    assert run("export", str(registered))[0] == 0
    base = len(registered.read_bytes().splitlines())
    assert base >= 2
    posted = run("submit", str(events), "--actor", "catl", "--key-id", "catl/1", "--key-file", key_file,
                 "--token", token, "--url", server)  # fmt: skip
    assert posted[0] == 0, posted[2]

    log_file, bundle_file = env / "log.jsonl", env / "bundle.json"
    assert run("export", str(log_file)) == (0, f"OK: {base + 2} entries written to {log_file}\n", "")
    lines = log_file.read_bytes().splitlines()
    assert lines[:base] == registered.read_bytes().splitlines()
    exported = [json.loads(line) for line in lines]
    assert [entry["index"] for entry in exported] == list(range(base + 2))
    assert [(entry["pack"], entry["seq"]) for entry in exported[base:]] == [(code(1), 0), (code(1), 1)]
    assert run("export", str(bundle_file), "--pack", code(1))[0] == 0
    log_key = json.loads(bundle_file.read_text())["log_key"]
    exit_code, out, _ = run("verify-bundle", str(bundle_file), "--log-key", log_key)
    assert exit_code == 0 and out.startswith(f"OK: pack {code(1)}: entries 0–1 proven (2 entries, verified and")


def test_serve_runs_uvicorn_on_the_app_of_the_settings(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(
        uvicorn,
        "run",
        lambda app, host, port, proxy_headers: served.update(app=app, host=host, port=port, proxies=proxy_headers),
    )

    assert run("serve", "--host", "0.0.0.0", "--port", "9000")[0] == 0
    # uvicorn's own X-Forwarded-* handling is off: the app honours them from PACKTRACE_TRUSTED_PROXIES only
    assert (served["host"], served["port"], served["proxies"]) == ("0.0.0.0", 9000, False)
    assert isinstance(served["app"], FastAPI)
    served["app"].state.ledger.close()
    served["app"].state.ledger.engine.dispose()


def test_every_command_has_help_text() -> None:
    def commands(group: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
        for name, command in group.commands.items():
            yield prefix + name, command
            if hasattr(command, "commands"):  # a group of sub-commands (typer vendors its own click)
                yield from commands(command, f"{prefix}{name} ")

    found = dict(commands(typer.main.get_command(cli)))
    assert {"serve", "orgs create", "orgs list", "keys add", "keys revoke", "keys list", "keygen", "submit",
            "export", "verify", "verify-bundle"} <= set(found)  # fmt: skip
    assert [name for name, command in found.items() if not (command.help or "").strip()] == []
    assert "pack, type, at, data" in (found["submit"].help or "")


def test_item7_verify_bundle_fails_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_bytes(b'{"format":"packtrace-bundle/1","pack":"\xff"}')
    exit_code, _, err = run("verify-bundle", str(path), "--log-key", _any_log_key())
    assert (exit_code, err) == (1, "FAILED bundle.json is not UTF-8 text (invalid byte at offset 39): not a bundle\n")


def test_item7_verify_bundle_fails_deeply_nested_json(tmp_path: Path) -> None:
    path = tmp_path / "bundle.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    exit_code, _, err = run("verify-bundle", str(path), "--log-key", _any_log_key())
    assert (exit_code, err) == (1, "FAILED bundle.json nests JSON too deeply to be read: not a bundle\n")


def _any_log_key() -> str:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.format import note

    return note.verifier_key("cli.test/log", Ed25519PrivateKey.generate().public_key())

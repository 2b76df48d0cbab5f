"""Steps of features/cli.feature: the command line's user errors, each one line and exit status 1."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, scenarios, then, when
from typer.testing import CliRunner

from api.cli import app as cli
from tests.api.scenario import code
from tests.api.test_cli import MAKER_ROW, write_jsonl

scenarios("cli.feature")
runner = CliRunner()


@dataclass
class Terminal:
    here: Path
    files: dict[str, Path] = field(default_factory=dict)
    exit_code: int = 0
    out: str = ""
    err: str = ""

    def run(self, *args: str) -> None:
        result = runner.invoke(cli, list(args))
        assert result.exception is None or isinstance(result.exception, SystemExit), "a traceback"
        self.exit_code, self.out, self.err = result.exit_code, result.stdout, result.stderr


@pytest.fixture
def terminal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Terminal:
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    for name in ("DATABASE_URL", "LOG_KEY_FILE", "SEALING_KEY_FILE", "LOG_ORIGIN", "PUBLIC_URL", "TOKEN", "DEBUG"):
        monkeypatch.delenv(f"PACKTRACE_{name}", raising=False)
    return Terminal(here)


@given("a clerk with a signing key and a file of events")
def clerk(terminal: Terminal, tmp_path: Path) -> None:
    key = tmp_path / "catl.key"
    terminal.run("keygen", str(key))
    assert terminal.exit_code == 0
    terminal.files["key"] = key
    row = {"pack": code(1), "type": "produced", "at": "2026-03-02T01:00:00Z", "data": MAKER_ROW}
    terminal.files["events"] = write_jsonl(tmp_path / "events.jsonl", [row])


@given("PACKTRACE_PUBLIC_URL names a server that does not answer")
def nowhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKTRACE_PUBLIC_URL", "http://127.0.0.1:9")


@given("a directory without a packtrace database")
def empty(terminal: Terminal) -> None:
    assert list(terminal.here.iterdir()) == []


def submit(terminal: Terminal, key: Path, *extra: str) -> None:
    terminal.run("submit", str(terminal.files["events"]), "--actor", "catl", "--key-id", "catl/1", "--key-file",
                 str(key), "--token", "pt_catl_token", *extra)  # fmt: skip


@when("the clerk submits the file without --url")
def submit_without_url(terminal: Terminal) -> None:
    submit(terminal, terminal.files["key"])


@when("the clerk submits the file signed with the events file as the key")
def submit_with_a_bad_key(terminal: Terminal) -> None:
    submit(terminal, terminal.files["events"], "--url", "http://127.0.0.1:9")


@when('the operator runs "packtrace verify" there')
def verify_here(terminal: Terminal) -> None:
    terminal.run("verify")


@when(parsers.parse('the operator runs "packtrace verify" on the database "{url}"'))
def verify_on(terminal: Terminal, url: str) -> None:
    terminal.run("verify", "--database-url", url)


@then(parsers.parse('the command fails with exit status 1 and one line: "{line}"'))
def one_line(terminal: Terminal, line: str) -> None:
    expected = line.format(here=terminal.here, events=terminal.files.get("events"))
    assert (terminal.exit_code, terminal.out, terminal.err) == (1, "", expected + "\n")


@then("the directory is still empty")
def still_empty(terminal: Terminal) -> None:
    assert list(terminal.here.iterdir()) == []

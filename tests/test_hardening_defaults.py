"""Issue 11 item 11: defaults that fail open. PACKTRACE_ENVIRONMENT used to default to development, which
accepts placeholder secrets such as `admin` for the admin token; now it defaults to production, and only
`packtrace demo` and the tests (tests/conftest.py) run in development. (The web login's rate limit, the
other half of the item, is tested in tests/api/test_hardening_tokens_login.py.)"""

from __future__ import annotations

import os
from typing import Any

import pytest
import typer
import uvicorn
from pydantic import ValidationError
from typer.testing import CliRunner

import api.cli_demo
from api.cli import app as cli
from api.settings import Settings

REFUSED_TOKEN = (
    "PACKTRACE_ADMIN_TOKEN is a placeholder or shorter than 24 characters (PACKTRACE_ENVIRONMENT is production)"
)


def test_item11_the_tests_themselves_run_in_development() -> None:
    assert os.environ["PACKTRACE_ENVIRONMENT"] == "development"
    assert Settings(admin_token="admin").environment == "development"


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment of a deployment that did not say which it is."""
    for name in ("DATABASE_URL", "ADMIN_TOKEN", "ENVIRONMENT"):
        monkeypatch.delenv(f"PACKTRACE_{name}", raising=False)


@pytest.mark.usefixtures("production")
@pytest.mark.parametrize("token", ["admin", "ADMIN", "changeme", "short-token"])
def test_item11_the_default_environment_is_production_and_refuses_placeholder_tokens(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    assert Settings().environment == "production"
    monkeypatch.setenv("PACKTRACE_ADMIN_TOKEN", token)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert [e["msg"] for e in refused.value.errors()] == [f"Value error, {REFUSED_TOKEN}"]


@pytest.mark.usefixtures("production")
def test_item11_a_placeholder_database_password_is_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", "postgresql://packtrace:changeme@db:5432/packtrace")
    with pytest.raises(ValidationError, match="the password in PACKTRACE_DATABASE_URL is a placeholder"):
        Settings()
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", "postgresql://packtrace:k7Jq-2mXv-P9sT@db:5432/packtrace")
    assert Settings().database_url.endswith("@db:5432/packtrace")
    assert Settings(environment="development", database_url="postgresql://u:changeme@db/x").environment


@pytest.mark.usefixtures("production")
def test_item11_an_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKTRACE_ENVIRONMENT", "dev")
    with pytest.raises(ValidationError, match="Input should be 'production' or 'development'"):
        Settings()


@pytest.mark.usefixtures("production")
def test_item11_serve_refuses_a_placeholder_token_and_only_the_demo_runs_in_development(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PACKTRACE_ADMIN_TOKEN", "admin")
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server must not start"))
    served = CliRunner().invoke(cli, ["serve"])
    assert served.exit_code == 1 and isinstance(served.exception, SystemExit)
    assert " ".join(served.stderr.split()) == f"configuration refused: {REFUSED_TOKEN}"
    for command in (["orgs", "list"], ["verify"], ["migrate"]):
        refused = CliRunner().invoke(cli, command)
        assert refused.exit_code == 1 and " ".join(refused.stderr.split()) == served.stderr.strip()

    seen: dict[str, Any] = {}

    def stop_after_settings(settings: Settings, **_: Any) -> None:
        seen["settings"] = settings
        raise typer.Exit(0)

    monkeypatch.setattr(api.cli_demo, "build_ledger", stop_after_settings)
    demo = CliRunner().invoke(cli, ["demo", "--no-serve"])
    assert demo.exit_code == 0, demo.output
    assert (seen["settings"].environment, seen["settings"].admin_token) == ("development", "admin")

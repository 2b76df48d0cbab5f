"""Deployment settings (issue 19, docs/operations.md §1): PACKTRACE_PUBLIC_URL required outside development
(the server's start, and any command that would start a new log, refuse naming it); the database by parts
(PACKTRACE_DB_HOST/PORT/USER/PASSWORD/NAME) with every part escaped, so a password with `@`, `/`, `:` or `%`
connects; parts and a URL together refused."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import uvicorn
from pydantic import ValidationError
from sqlalchemy import make_url, text
from typer.testing import CliRunner

from api.bootstrap import build_ledger
from api.cli import app as cli
from api.settings import PUBLIC_URL_REQUIRED, Settings
from ledger.store.db import make_engine

REQUIRED = (
    "PACKTRACE_PUBLIC_URL is required outside development (PACKTRACE_ENVIRONMENT is production): the log is "
    "named after it for good and the labels' QR codes link to it"
)
PASSWORD = "p@ss/w:rd%40?#x"
PG_HOST = urlsplit(os.environ.get("PACKTRACE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test"))


@pytest.fixture
def production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A production environment naming no public URL, its files in a directory of its own; that directory."""
    for name in ("PUBLIC_URL", "LOG_ORIGIN", "ADMIN_TOKEN", "DB_HOST", "DB_NAME", "DB_PASSWORD", "DB_USER"):
        monkeypatch.delenv(f"PACKTRACE_{name}", raising=False)
    monkeypatch.setenv("PACKTRACE_ENVIRONMENT", "production")
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", f"sqlite:///{tmp_path / 'packtrace.db'}")
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_SEALING_KEY_FILE", str(tmp_path / "sealing.key"))
    return tmp_path


def test_the_message_names_the_setting() -> None:
    assert PUBLIC_URL_REQUIRED == REQUIRED


def test_serve_refuses_to_start_without_the_public_url(production: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the server must not start"))
    refused = CliRunner().invoke(cli, ["serve"])
    assert refused.exit_code == 1
    assert " ".join(refused.stderr.split()) == f"configuration refused: {REQUIRED}"
    assert sorted(p.name for p in production.iterdir()) == [], "nothing was created: no database, no key"


def test_a_new_log_is_not_named_after_a_default(production: Path) -> None:
    with pytest.raises(ValueError, match="^" + REQUIRED.replace("(", r"\(").replace(")", r"\)") + "$"):
        build_ledger(Settings())
    orgs = CliRunner().invoke(cli, ["orgs", "list"])
    assert orgs.exit_code == 1 and " ".join(orgs.stderr.split()) == f"configuration refused: {REQUIRED}"


def test_with_the_public_url_the_log_is_named_after_it(production: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKTRACE_PUBLIC_URL", "https://trace.fujian.gov.cn")
    ledger = build_ledger(Settings())
    assert ledger.signer.origin == "trace.fujian.gov.cn/packtrace"
    ledger.close()
    ledger.engine.dispose()
    # an existing log keeps its name: commands that administer it need no public URL
    monkeypatch.delenv("PACKTRACE_PUBLIC_URL")
    again = build_ledger(Settings())
    assert again.signer.origin == "trace.fujian.gov.cn/packtrace"
    again.close()
    again.engine.dispose()


def test_an_explicit_log_origin_names_a_new_log_without_the_public_url(
    production: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", "trace.fujian.gov.cn/packtrace")
    ledger = build_ledger(Settings())
    assert ledger.signer.origin == "trace.fujian.gov.cn/packtrace"
    ledger.close()
    ledger.engine.dispose()


def test_development_accepts_the_localhost_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PACKTRACE_PUBLIC_URL", raising=False)
    settings = Settings(environment="development")
    settings.require_public_url()
    assert settings.public_url == "http://localhost:8000"


# -- the database by parts ------------------------------------------------------------------------------


def test_parts_make_an_escaped_url(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "HOST": "db",
        "PORT": "5433",
        "USER": "pack",
        "PASSWORD": PASSWORD,
        "NAME": "packtrace",
    }.items():
        monkeypatch.setenv(f"PACKTRACE_DB_{name}", value)
    monkeypatch.delenv("PACKTRACE_DATABASE_URL", raising=False)
    url = Settings().database_url
    assert url == "postgresql+psycopg://pack:p%40ss%2Fw%3Ard%2540%3F%23x@db:5433/packtrace"
    parsed = make_url(url)
    assert (parsed.username, parsed.password, parsed.host, parsed.port, parsed.database) == (
        "pack",
        PASSWORD,
        "db",
        5433,
        "packtrace",
    )


@pytest.mark.postgres
def test_a_password_with_at_slash_and_colon_connects(monkeypatch: pytest.MonkeyPatch) -> None:
    """psycopg receives each part as given (the local server trusts the connection, so the password is
    compared here as libpq holds it)."""
    monkeypatch.delenv("PACKTRACE_DATABASE_URL", raising=False)
    settings = Settings(
        db_host=PG_HOST.hostname or "127.0.0.1",
        db_port=PG_HOST.port or 5432,
        db_user=PG_HOST.username or "postgres",
        db_password=PASSWORD,
        db_name=PG_HOST.path.lstrip("/"),
    )
    engine = make_engine(settings.database_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
            info = conn.connection.dbapi_connection.info  # type: ignore[union-attr]
            assert (info.password, info.host, info.dbname) == (PASSWORD, PG_HOST.hostname, PG_HOST.path.lstrip("/"))
    finally:
        engine.dispose()


def test_parts_and_a_url_together_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", "postgresql://pack:x@db/packtrace")
    monkeypatch.setenv("PACKTRACE_DB_HOST", "db")
    monkeypatch.setenv("PACKTRACE_DB_NAME", "packtrace")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert [e["msg"] for e in refused.value.errors()] == [
        "Value error, set PACKTRACE_DATABASE_URL or the PACKTRACE_DB_* parts, not both"
    ]


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"DB_HOST": "db"}, "PACKTRACE_DB_NAME must be set with the other PACKTRACE_DB_* parts"),
        ({"DB_NAME": "packtrace"}, "PACKTRACE_DB_HOST must be set with the other PACKTRACE_DB_* parts"),
        (
            {"DB_PASSWORD": "k7Jq-2mXv"},
            "PACKTRACE_DB_PASSWORD is set but PACKTRACE_DB_HOST and PACKTRACE_DB_NAME are not",
        ),
        (
            {"DB_HOST": "db", "DB_NAME": "p", "DB_PORT": "five"},
            "Input should be a valid integer, unable to parse string as an integer",
        ),
    ],
)
def test_incomplete_parts_are_refused_naming_what_is_missing(
    monkeypatch: pytest.MonkeyPatch, given: dict[str, str], message: str
) -> None:
    monkeypatch.delenv("PACKTRACE_DATABASE_URL", raising=False)
    for name, value in given.items():
        monkeypatch.setenv(f"PACKTRACE_{name}", value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert [str(e["msg"]).removeprefix("Value error, ") for e in refused.value.errors()] == [message]


def test_a_placeholder_database_password_part_is_refused_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PACKTRACE_DATABASE_URL", raising=False)
    monkeypatch.setenv("PACKTRACE_ENVIRONMENT", "production")
    for name, value in {"DB_HOST": "db", "DB_NAME": "packtrace", "DB_PASSWORD": "changeme"}.items():
        monkeypatch.setenv(f"PACKTRACE_{name}", value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert [e["msg"] for e in refused.value.errors()] == [
        "Value error, PACKTRACE_DB_PASSWORD is a placeholder (PACKTRACE_ENVIRONMENT is production)"
    ]

"""Settings: defaults from DESIGN §1, derived origin, placeholder secrets refused outside development."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from api.settings import Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "PUBLIC_URL", "LOG_ORIGIN", "LOG_KEY_FILE", "ADMIN_TOKEN", "ENVIRONMENT"):
        monkeypatch.delenv(f"PACKTRACE_{name}", raising=False)


def test_defaults() -> None:
    s = Settings()
    assert s.database_url == "sqlite:///./packtrace.db"
    assert s.public_url == "http://localhost:8000"
    assert s.log_origin == "localhost:8000/packtrace"
    assert s.log_key_file == Path("./packtrace-log.key")
    assert s.admin_token is None


def test_origin_follows_the_public_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKTRACE_PUBLIC_URL", "https://trace.fujian.gov.cn/")
    s = Settings()
    assert (s.public_url, s.log_origin) == ("https://trace.fujian.gov.cn", "trace.fujian.gov.cn/packtrace")


@pytest.mark.parametrize("token", ["changeme", "short-token"])
def test_placeholder_admin_token_is_refused_in_production(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    monkeypatch.setenv("PACKTRACE_ENVIRONMENT", "production")
    monkeypatch.setenv("PACKTRACE_ADMIN_TOKEN", token)
    with pytest.raises(ValidationError, match="PACKTRACE_ADMIN_TOKEN is a placeholder or shorter than 24 characters"):
        Settings()


def test_empty_admin_token_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKTRACE_ENVIRONMENT", "production")
    monkeypatch.setenv("PACKTRACE_ADMIN_TOKEN", "")
    assert Settings().admin_token is None

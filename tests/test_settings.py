"""Settings: defaults from DESIGN §1, derived origin, placeholder secrets refused outside development."""

from __future__ import annotations

import re
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


def test_an_existing_log_keeps_its_origin_under_another_public_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.bootstrap import build_ledger

    monkeypatch.setenv("PACKTRACE_DATABASE_URL", f"sqlite:///{tmp_path / 'o.db'}")
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_PUBLIC_URL", "http://127.0.0.1:8000")
    first = build_ledger(Settings())
    first.close()
    first.engine.dispose()
    monkeypatch.setenv("PACKTRACE_PUBLIC_URL", "https://trace.example.cn")
    again = build_ledger(Settings())
    assert again.signer.origin == "127.0.0.1:8000/packtrace"
    again.close()
    again.engine.dispose()
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", "trace.example.cn/packtrace")
    with pytest.raises(ValueError, match=re.escape("this database holds the log '127.0.0.1:8000/packtrace'")):
        build_ledger(Settings())


def test_cli_verify_uses_the_origin_the_log_was_started_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from api.bootstrap import build_ledger
    from api.cli import app
    from tests.support import PRODUCED, code
    from tests.support import province as make_province

    monkeypatch.setenv("PACKTRACE_DATABASE_URL", f"sqlite:///{tmp_path / 'v.db'}")
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_PUBLIC_URL", "http://127.0.0.1:8000")
    ledger = build_ledger(Settings())
    maker = make_province(ledger)["catl"]
    ledger.append_one(*maker.claim(code(1), "produced", PRODUCED))
    size = ledger.size()  # the registry's entries (one checkpoint) and the pack's
    ledger.close()
    ledger.engine.dispose()
    monkeypatch.setenv("PACKTRACE_PUBLIC_URL", "https://trace.example.cn")
    result = CliRunner().invoke(app, ["verify"])
    assert result.exit_code == 0, result.output
    # three checkpoints: the log_key entry, the registry, the pack
    assert f"OK: {size} entries, 1 packs, 3 checkpoints verified" in result.output


PEER_KEY = "hb.packtrace.test/log+0fef2c7e+AeU5IneyJjIRjkS8/2ZIZqUH8mO1haJflLh/gThJJE/2"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nonsense", "PACKTRACE_PEERS item 1 'nonsense': expected <peer log verifier key>=<http(s) base URL>"),
        (
            "hb.example+00000000+AAAA=http://hb.example",
            "PACKTRACE_PEERS item 1 'hb.example+00000000+AAAA=http://hb.example': bad peer log verifier key: ",
        ),
        (
            f"{PEER_KEY}=https://hb.example,{PEER_KEY}=https://hb2.example",
            f"PACKTRACE_PEERS item 2 '{PEER_KEY}=https://hb2.example': peer 'hb.packtrace.test/log' is named twice",
        ),
    ],
)
def test_bad_peers_stop_the_start_naming_the_item(monkeypatch: pytest.MonkeyPatch, value: str, message: str) -> None:
    monkeypatch.setenv("PACKTRACE_PEERS", value)
    with pytest.raises(ValidationError, match=re.escape(message)):
        Settings()


def test_peers_are_read_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACKTRACE_PEERS", f" {PEER_KEY}=https://hb.example/ ")
    (peer,) = Settings().peer_platforms
    assert (peer.origin, peer.url, peer.verifier_key) == ("hb.packtrace.test/log", "https://hb.example", PEER_KEY)

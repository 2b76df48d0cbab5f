"""`packtrace keys add-platform`: a sealed, platform-held key registered for an organisation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app
from ledger.store.db import make_engine


def test_add_platform_key_registers_a_sealed_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'p.db'}"
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", url)
    runner = CliRunner()
    assert (
        runner.invoke(app, ["orgs", "create", "xm-collect", "--name", "厦门回收网点", "--role", "collector"]).exit_code
        == 0
    )
    result = runner.invoke(app, ["keys", "add-platform", "xm-collect"])
    assert result.exit_code == 0, result.output
    assert "registered platform-held key xm-collect/platform-1 for xm-collect" in result.output
    assert (tmp_path / "packtrace-sealing.key").stat().st_mode & 0o777 == 0o600
    engine = make_engine(url)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT platform_held, sealed_private_key FROM org_key")).one()
    engine.dispose()
    assert row.platform_held and len(row.sealed_private_key) > 32
    unknown = runner.invoke(app, ["keys", "add-platform", "nobody"])
    assert unknown.exit_code == 1 and "unknown organisation 'nobody'" in unknown.output

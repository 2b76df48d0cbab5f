"""`packtrace submit` against a real server on a local port, for tests/api/test_submit.py and
features/submit.feature: one manufacturer (`catl`, key `catl/1` made by keygen) and its CSV files."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.settings import Settings
from tests.api.served import served

runner = CliRunner()
MAKER_ROW = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


@dataclass
class Submitter:
    dir: Path
    url: str
    token: str
    key_file: str

    def submit(self, file: Path, *extra: str) -> tuple[int, str, str]:
        base = ["--actor", "catl", "--key-id", "catl/1", "--key-file", self.key_file, "--token", self.token]
        return run("submit", str(file), *base, "--url", self.url, *extra)

    def write_csv(self, name: str, rows: list[dict[str, Any]]) -> Path:
        """A CSV file of `rows` (`data` written as JSON text), as a spreadsheet exports it."""
        path = self.dir / name
        columns = [c for c in ("pack", "type", "at", "data", "prev", "id") if any(c in row for row in rows)]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({k: json.dumps(v, ensure_ascii=False) if k == "data" else v for k, v in row.items()})
        return path

    def chain_length(self, pack: str) -> int:
        """How many entries the log holds for `pack` (0 for a pack it does not know)."""
        answer = httpx.get(f"{self.url}/v1/packs/{pack}/events", headers={"Authorization": f"Bearer {self.token}"})
        if answer.status_code == 404:
            return 0
        assert answer.status_code == 200, answer.text
        total: int = answer.json()["total"]
        return total


@contextmanager
def submitting(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Submitter]:
    """A server over this test's database and the manufacturer `catl` registered on it."""
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", "submit.test/log")
    monkeypatch.delenv("PACKTRACE_ADMIN_TOKEN", raising=False)
    made, out, err = run(
        "orgs", "create", "catl", "--name", "宁德时代", "--role", "manufacturer", "--maker-code", "001"
    )
    assert made == 0, err
    key_file = tmp_path / "catl.key"
    made, public, err = run("keygen", str(key_file))
    assert made == 0, err
    assert run("keys", "add", "catl", "catl/1", public.strip())[0] == 0
    with served(create_app(Settings())) as url:
        yield Submitter(tmp_path, url, out.strip(), str(key_file))

"""GET /v1/log/tile/… (C2SP tlog-tiles), GET /v1/packs/{code}/proof (C2SP tlog-proof), `packtrace
export-tiles` served by a plain static file server, and `verify-bundle` on a tlog-proof. The client that
rebuilds roots and checks proofs (tests/tlog_client.py) imports nothing from `ledger/`."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from typer.testing import CliRunner

from api.cli import app as cli
from events.orgs import Role
from ledger.format.canonical import canonical
from ledger.log import Ledger
from tests import specverify, tlog_client
from tests.api.conftest import ORIGIN, write_log_key
from tests.api.inprocess import in_process_client
from tests.api.parties import Party
from tests.api.problem import assert_problem
from tests.logsizes import grow


@contextmanager
def log_client(app: FastAPI) -> Iterator[httpx.Client]:
    """An httpx client based at the log's tlog-tiles prefix, /v1/log/."""
    with in_process_client(app) as http:
        http.base_url = httpx.URL("http://testserver/v1/log/")
        yield http


@contextmanager
def static_server(root: Path) -> Iterator[httpx.Client]:
    """Python's http.server serving `root` on 127.0.0.1, and a client based there."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_address[1]}/") as http_client:
            yield http_client
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def cli_env(ledger: Ledger, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings for the CLI: this test's database and the key that signs its checkpoints."""
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_SEALING_KEY_FILE", str(tmp_path / "sealing.key"))
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", ORIGIN)
    write_log_key(ledger, tmp_path / "log.key")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def _check_size(app: FastAPI, ledger: Ledger, size: int, tmp_path: Path) -> None:
    grow(ledger, size)
    vkey = ledger.signer.verifier_key
    with log_client(app) as http:
        assert tlog_client.verified_root(http, vkey)[0] == size
        full = tlog_client.check_full_tiles(http, size)
    assert run("export-tiles", str(tmp_path / "tiles"))[0] == 0
    with static_server(tmp_path / "tiles") as http:
        assert tlog_client.verified_root(http, vkey)[0] == size
        assert tlog_client.check_full_tiles(http, size) == full


@pytest.mark.parametrize("size", [1, 255, 256, 257])
def test_an_independent_client_rebuilds_the_root_from_tiles(
    app: FastAPI, ledger: Ledger, size: int, tmp_path: Path, cli_env: None
) -> None:
    _check_size(app, ledger, size, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("size", [65_536, 70_000])
def test_an_independent_client_rebuilds_the_root_of_a_large_log(
    app: FastAPI, ledger: Ledger, size: int, tmp_path: Path, cli_env: None
) -> None:
    _check_size(app, ledger, size, tmp_path)

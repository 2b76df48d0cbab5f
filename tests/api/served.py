"""An app served by uvicorn on a free local port, in a thread: for commands that talk HTTP to a real URL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI


@contextmanager
def served(app: FastAPI) -> Iterator[str]:
    """The base URL of `app` served on 127.0.0.1 until the block ends."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    http = uvicorn.Server(config)
    thread = threading.Thread(target=http.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not http.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    port = http.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        http.should_exit = True
        thread.join(10)


def cli_environment(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Settings for the CLI and the server it talks to: this test's database, a log key in `tmp_path`, and no
    token, admin token or debug switch inherited from the shell."""
    monkeypatch.setenv("PACKTRACE_DATABASE_URL", database_url)
    monkeypatch.setenv("PACKTRACE_LOG_KEY_FILE", str(tmp_path / "log.key"))
    monkeypatch.setenv("PACKTRACE_LOG_ORIGIN", "cli.test/log")
    for name in ("PACKTRACE_ADMIN_TOKEN", "PACKTRACE_TOKEN", "PACKTRACE_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path

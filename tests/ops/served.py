"""A deployment as docs/operations.md describes it, for the operations tests: settings with both key files
on disk, the app made from them (`create_app(settings)`, as `packtrace serve` makes it), served by uvicorn on
127.0.0.1 in a thread of the test; and a forwarding reverse proxy (its own uvicorn, forwarding with httpx)
that rewrites Host as nginx's `proxy_pass` does and sets the X-Forwarded-* headers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp

from api.settings import Settings
from tests.api.parties import ADMIN_TOKEN

PUBLIC_HOST = "trace.example.cn"
PUBLIC_URL = f"https://{PUBLIC_HOST}"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host", "content-length"}


def deployment_settings(database_url: str, keys: Path, **extra: str) -> Settings:
    return Settings(
        database_url=database_url,
        log_key_file=keys / "packtrace-log.key",
        sealing_key_file=keys / "packtrace-sealing.key",
        admin_token=ADMIN_TOKEN,
        public_url=PUBLIC_URL,
        **extra,
    )


@contextmanager
def served(app: ASGIApp, host: str = "127.0.0.1", *, lifespan: str = "on") -> Iterator[str]:
    """Serve `app` on `host` at a free port for the block; its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", proxy_headers=False, lifespan=lifespan)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


def forwarding_proxy(upstream: str, *, source: str = "127.0.0.1") -> ASGIApp:
    """A reverse proxy terminating "TLS" (it says https): it forwards every request to `upstream` from the
    address `source`, with Host rewritten to the upstream's and X-Forwarded-For/-Proto/-Host set."""
    transport = httpx.AsyncHTTPTransport(local_address=source)

    async def proxy(scope: dict[str, object], receive: object, send: object) -> None:
        request = Request(scope, receive)  # type: ignore[arg-type]
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        client = request.client.host if request.client else "unknown"
        headers += [
            ("X-Forwarded-For", client),
            ("X-Forwarded-Proto", "https"),
            ("X-Forwarded-Host", request.headers.get("host", "")),
        ]
        async with httpx.AsyncClient(transport=transport, base_url=upstream) as hop:
            body = await request.body()
            answer = await hop.request(
                request.method, request.url.path, params=request.url.query, headers=headers, content=body
            )
        kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
        response = Response(answer.content, status_code=answer.status_code, headers=kept)
        await response(scope, receive, send)  # type: ignore[arg-type]

    return proxy  # type: ignore[return-value]

"""A synchronous httpx transport that runs an ASGI app in-process (httpx's own ASGITransport is async).

Used instead of starlette's TestClient, which warns when driven by `httpx` rather than `httpx2`.
Exceptions the app does not handle propagate to the test, so a 500 never hides a bug.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import anyio.from_thread
import httpx
from starlette.types import ASGIApp


class InProcessTransport(httpx.BaseTransport):
    def __init__(
        self, app: ASGIApp, portal: anyio.from_thread.BlockingPortal, *, raise_app_exceptions: bool = True
    ) -> None:
        self._asgi = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            answer = await self._asgi.handle_async_request(forwarded)
            content = await answer.aread()
            return answer.status_code, answer.headers.raw, content

        status, headers, content = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=content, request=request)


@contextmanager
def in_process_client(app: ASGIApp, *, raise_app_exceptions: bool = True) -> Iterator[httpx.Client]:
    """An httpx.Client whose requests go to `app`, base URL http://testserver."""
    with anyio.from_thread.start_blocking_portal() as portal:
        transport = InProcessTransport(app, portal, raise_app_exceptions=raise_app_exceptions)
        with httpx.Client(transport=transport, base_url="http://testserver") as client:
            yield client

"""The app as a whole: the factory, /docs and the OpenAPI description, the body limit, the 500 fallback."""

from __future__ import annotations

import json
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Receive, Scope, Send

from api.app import create_app
from api.limits import BodyLimit
from api.settings import Settings
from ledger.usecases import logreads
from tests.api.conftest import MAX_BODY
from tests.api.inprocess import in_process_client
from tests.api.problem import assert_problem


def test_the_app_built_from_settings_serves_and_owns_its_ledger(settings: Settings) -> None:
    app = create_app(settings)
    with in_process_client(app) as client:
        # a new log's first entry names the key that signs its checkpoints (the registry's log_key entry)
        assert client.get("/healthz").json() == {"status": "ok", "log_size": 1, "witnesses": []}
    [(_, _, body)] = app.state.ledger.entries(0, 1)
    entry = json.loads(body)
    assert (entry["subject"], entry["claim"]["type"], entry["claim"]["by"]) == ("log", "log_key", "log")
    assert entry["claim"]["data"] == {"verifier_key": app.state.ledger.signer.verifier_key}
    app.state.ledger.close()
    app.state.ledger.engine.dispose()


def test_docs_render(client: httpx.Client) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    assert "swagger-ui" in response.text and "/openapi.json" in response.text


def test_every_operation_is_described_and_its_errors_are_problems(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation["description"] and "\n" not in operation["description"], where
            success = [s for s in operation["responses"] if s.startswith("2")]
            assert success and all(operation["responses"][s].get("content") for s in success), where
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (where, status)
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_every_operation_that_takes_a_body_documents_the_body_limits_413(client: httpx.Client) -> None:
    """The schema fuzz found POST /v1/recalls answering 413 (api/limits.py, before any route) undocumented."""
    spec = client.get("/openapi.json").json()
    with_body = [
        (method, path, operation)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        if "requestBody" in operation
    ]
    assert ("post", "/v1/recalls") in [(method, path) for method, path, _ in with_body]
    for method, path, operation in with_body:
        assert "413" in operation["responses"], f"{method.upper()} {path}"
    token = {"Authorization": "Bearer x"}
    refused = client.post("/v1/recalls", content=b"{" + b" " * MAX_BODY + b"}", headers=token)
    assert_problem(refused, 413, "too_large", f"the request body is larger than the limit of {MAX_BODY} bytes")


def asgi_call(app: Any, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> list[Message]:
    """Run an ASGI app on one POST whose body arrives in `chunks`; answer the messages it sent."""
    sent: list[Message] = []
    queue = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive() -> Message:
        return queue.pop(0) if queue else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/v1/events", "headers": headers, "query_string": b""}
    anyio.run(app, scope, receive, send)
    return sent


def test_a_chunked_body_over_the_limit_is_refused_as_it_arrives() -> None:
    seen: list[bytes] = []

    async def echo(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((await receive())["body"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    refused = asgi_call(BodyLimit(echo, max_bytes=10), [b"12345", b"67890", b"X"], [])
    assert refused[0]["status"] == 413 and seen == []
    assert b'"code":"too_large"' in refused[1]["body"]

    accepted = asgi_call(BodyLimit(echo, max_bytes=10), [b"12345", b"67890"], [(b"content-length", b"10")])
    assert accepted[0]["status"] == 204 and seen == [b"1234567890"]


def test_an_unexpected_error_is_a_500_problem_without_internals(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("database exploded: password=hunter2")

    monkeypatch.setattr(logreads, "latest_checkpoint", broken)
    with in_process_client(app, raise_app_exceptions=False) as client:
        response = client.get("/v1/log/checkpoint")
    body = assert_problem(response, 500, "internal_error", "internal error; it has been logged")
    assert "hunter2" not in response.text and body["title"] == "Internal Server Error"

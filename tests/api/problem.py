"""Assertions on RFC 9457 problem responses."""

from __future__ import annotations

from typing import Any

import httpx


def assert_problem(response: httpx.Response, status: int, code: str, detail: str | None = None) -> dict[str, Any]:
    """The response is a problem+json of this status and code (and, when given, exactly this detail)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["status"] == status
    assert body["type"] == f"urn:packtrace:problem:{code}"
    assert body["title"] and body["instance"] == response.request.url.path
    if detail is not None:
        assert body["detail"] == detail
    return body

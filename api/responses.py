"""OpenAPI declarations of the problem responses a route may give."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from api.errors import PROBLEM_MEDIA_TYPE, Problem

DESCRIPTIONS = {
    401: "No bearer token, or an invalid one",
    403: "The caller may not do this (role, custody, actor, key)",
    404: "Unknown pack, organisation, key or tree size",
    409: "Conflict: stale `prev`, reused claim id, existing organisation or key",
    413: "Request body too large",
    422: "Invalid request: schema, code, VIN, signature, payload, lifecycle",
}

# An operation open to everyone that answers more to a bearer token (OpenAPI: `{}` = no security needed).
OPTIONAL_BEARER: dict[str, Any] = {"security": [{}, {"HTTPBearer": []}]}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"model": Problem, "description": DESCRIPTIONS.get(status, HTTPStatus(status).phrase)}
        for status in statuses
    }


def problem_content(schema: dict[str, Any]) -> dict[str, Any]:
    """Error responses are `application/problem+json`, whatever FastAPI generated."""
    return {PROBLEM_MEDIA_TYPE: {"schema": schema}}

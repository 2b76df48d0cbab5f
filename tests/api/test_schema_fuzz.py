"""Fuzz every operation of /openapi.json with schemathesis: no 5xx, and every answer (status, content type,
body) is one the schema declares. Bounded: a few examples per operation and mode, seconds in all.

schemathesis' pytest loader (`from_fixture`) does not run on pytest 9, so each operation's hypothesis
strategy is driven here directly, against the app of this test's own database.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from events.orgs import Role
from tests.api.parties import ADMIN_TOKEN, Party
from tests.api.scenario import in_vehicle

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 40
NOTHING_TO_GET_WRONG = {
    "GET /healthz",
    "GET /v1/log/checkpoint",
    "GET /v1/log/key",
    "GET /v1/packs/{code}",
    "GET /v1/packs/{code}/events",
    "GET /v1/packs/{code}/bundle",
    "DELETE /v1/orgs/{org}/keys/{key}",
    "GET /p/{code}",  # the path is free text: the public page answers every string (404 or 422 with a page)
}


def token_for(path: str, parties: dict[Role, Party]) -> str:
    """The administrator creates orgs, the regulator reads the log and lists packs, the maker does the rest."""
    if path.startswith("/v1/orgs"):
        return ADMIN_TOKEN
    if path.startswith(("/v1/log/entries", "/v1/packs")) and "{code}" not in path:
        return parties[Role.REGULATOR].token
    return parties[Role.MANUFACTURER].token


def fuzz(operation: Any, mode: GenerationMode, token: str) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def exercise(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    exercise()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_operation_answers_5xx_or_off_schema(
    app: FastAPI, client: httpx.Client, parties: dict[Role, Party], mode: GenerationMode
) -> None:
    in_vehicle(client, parties, 1)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations: list[Any] = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 15

    no_invalid_input = []
    for operation in operations:
        try:
            fuzz(operation, mode, token_for(operation.path, parties))
        except Unsatisfiable:
            assert mode is GenerationMode.NEGATIVE, operation.label
            no_invalid_input.append(operation.label)
    # only operations whose inputs are free-form text in the path (or nothing) have no invalid input
    assert set(no_invalid_input) <= NOTHING_TO_GET_WRONG

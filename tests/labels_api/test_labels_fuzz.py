"""Fuzz the label and scan operations from /openapi.json with schemathesis: no 5xx, and every answer is one
the schema declares (status, content type, body). Bounded: a few dozen examples per operation and mode."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from events.orgs import Role
from tests.api.parties import Party
from tests.api.scenario import in_vehicle

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
LABEL_OPERATIONS = {
    "GET /v1/packs/{code}/label.png",
    "GET /v1/packs/{code}/label.svg",
    "POST /v1/labels",
    "POST /v1/scan",
}


@pytest.mark.fuzz
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_no_label_operation_answers_5xx_or_off_schema(
    app: FastAPI, client: httpx.Client, parties: dict[Role, Party], mode: GenerationMode
) -> None:
    in_vehicle(client, parties, 1)
    token = parties[Role.AUTOMAKER].token  # the custodian: the farthest any request gets
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [op.ok() for op in schema.get_all_operations() if op.ok().label in LABEL_OPERATIONS]
    assert {op.label for op in operations} == LABEL_OPERATIONS
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def exercise(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

        exercise()

"""Fuzz the report operations and the QR target from /openapi.json (tests.api's schemathesis driver): no
5xx, and every answer is one the schema declares, JSON or CSV."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from events.orgs import Role
from tests.api.parties import Party
from tests.api.scenario import in_vehicle
from tests.api.test_schema_fuzz import fuzz

OURS = ("/v1/reports/", "/p/")


@pytest.mark.fuzz
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_item10_report_operations_answer_no_5xx_stay_on_schema_and_no_looser(
    app: FastAPI, client: httpx.Client, parties: dict[Role, Party], mode: GenerationMode
) -> None:
    in_vehicle(client, parties, 1)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations: list[Any] = [op.ok() for op in schema.get_all_operations()]  # type: ignore[union-attr]
    ours = [op for op in operations if op.path.startswith(OURS)]
    assert sorted(op.label for op in ours) == [
        "GET /p/{code}",
        "GET /v1/reports/compliance",
        "GET /v1/reports/lots",
        "GET /v1/reports/organisations",
        "GET /v1/reports/recall",
        "GET /v1/reports/recovery",
        "GET /v1/reports/warnings",
    ]
    for operation in ours:
        try:
            fuzz(operation, mode, parties[Role.REGULATOR].token)
        except Unsatisfiable:  # a free-form path segment has no invalid value
            assert mode is GenerationMode.NEGATIVE and operation.label == "GET /p/{code}"

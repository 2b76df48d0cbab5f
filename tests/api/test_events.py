"""POST /v1/events and /v1/events/batch: shapes, idempotency, atomicity."""

from __future__ import annotations

import base64
import hashlib

import httpx
import rfc8785

from events.orgs import Role
from ledger.usecases.views import BatchResult, EventResult
from tests.api.parties import Party
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code


def test_a_new_event_answers_201_with_its_entry(client: httpx.Client, parties: dict[Role, Party], base: int) -> None:
    maker = parties[Role.MANUFACTURER]
    body = maker.claim(code(1), "produced", PRODUCED)
    response = client.post("/v1/events", json=body, headers=maker.auth)

    assert response.status_code == 201
    answer = response.json()
    assert set(answer) == {"entry", "hash", "index", "seq", "created"}
    assert (answer["index"], answer["seq"], answer["created"]) == (base, 0, True)
    assert answer["entry"]["claim"] == body["claim"] and answer["entry"]["sig"] == body["sig"]
    assert answer["hash"] == hashlib.sha256(rfc8785.dumps(answer["entry"])).hexdigest()


def test_the_single_event_answer_is_what_event_result_serialises_to(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    """The answer is written around the stored entry bytes; it must be exactly EventResult's JSON."""
    maker = parties[Role.MANUFACTURER]
    response = client.post("/v1/events", json=maker.claim(code(1), "produced", PRODUCED), headers=maker.auth)

    assert response.headers["content-type"] == "application/json"
    assert EventResult.model_validate_json(response.content).model_dump() == response.json()
    assert set(response.json()) == set(EventResult.model_fields)


def test_a_retry_answers_200_with_the_same_entry(client: httpx.Client, parties: dict[Role, Party], base: int) -> None:
    maker = parties[Role.MANUFACTURER]
    body = maker.claim(code(1), "produced", PRODUCED)
    first = client.post("/v1/events", json=body, headers=maker.auth)
    again = client.post("/v1/events", json=body, headers=maker.auth)

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "created": False}
    assert client.get("/healthz").json() == {"status": "ok", "log_size": base + 1, "witnesses": []}


def test_a_batch_answers_201_with_results_in_request_order(
    client: httpx.Client, parties: dict[Role, Party], base: int
) -> None:
    maker, automaker = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER]
    events = [
        maker.claim(code(1), "produced", PRODUCED),
        maker.claim(code(2), "produced", PRODUCED),
        maker.claim(code(1), "shipped", {"to": automaker.id}),
    ]
    response = client.post("/v1/events/batch", json={"events": events}, headers=maker.auth)

    assert response.status_code == 201
    results = response.json()["results"]
    assert [(r["index"], r["entry"]["pack"], r["seq"]) for r in results] == [
        (base, code(1), 0),
        (base + 1, code(2), 0),
        (base + 2, code(1), 1),
    ]
    assert results[2]["entry"]["prev"] == results[0]["hash"]


def test_the_batch_answer_is_what_batch_result_serialises_to(client: httpx.Client, parties: dict[Role, Party]) -> None:
    """The answer is written around the stored entry bytes; it must be exactly BatchResult's JSON, retries
    (created false) included."""
    maker = parties[Role.MANUFACTURER]
    recorded = maker.claim(code(1), "produced", PRODUCED)
    client.post("/v1/events", json=recorded, headers=maker.auth)
    events = [recorded, maker.claim(code(2), "produced", PRODUCED)]
    response = client.post("/v1/events/batch", json={"events": events}, headers=maker.auth)

    assert (response.status_code, response.headers["content-type"]) == (201, "application/json")
    assert BatchResult.model_validate_json(response.content).model_dump() == response.json()
    assert [set(r) for r in response.json()["results"]] == [set(EventResult.model_fields)] * 2
    assert [r["created"] for r in response.json()["results"]] == [False, True]
    for result in response.json()["results"]:
        assert result["hash"] == hashlib.sha256(rfc8785.dumps(result["entry"])).hexdigest()


def test_a_batch_retry_answers_the_recorded_entries(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker = parties[Role.MANUFACTURER]
    events = [maker.claim(code(i), "produced", PRODUCED) for i in range(3)]
    first = client.post("/v1/events/batch", json={"events": events}, headers=maker.auth).json()["results"]
    # the second run repeats the three and adds one
    events.append(maker.claim(code(3), "produced", PRODUCED))
    again = client.post("/v1/events/batch", json={"events": events}, headers=maker.auth)

    assert again.status_code == 201
    results = again.json()["results"]
    assert [r["created"] for r in results] == [False, False, False, True]
    assert [r["hash"] for r in results[:3]] == [r["hash"] for r in first]


def test_a_batch_is_atomic_and_lists_every_item_failing_the_signature_pass(
    client: httpx.Client, parties: dict[Role, Party], base: int
) -> None:
    maker, automaker = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER]
    forged = maker.claim(code(3), "produced", PRODUCED)
    forged["sig"] = base64.b64encode(bytes(64)).decode()
    unknown_field = maker.claim(code(5), "produced", PRODUCED)
    unknown_field["claim"]["extra"] = 1
    events = [
        maker.claim(code(1), "produced", PRODUCED),
        forged,
        unknown_field,
        automaker.claim(code(4), "produced", PRODUCED),
        maker.claim(code(1), "shipped", {"to": automaker.id}),
    ]
    response = client.post("/v1/events/batch", json={"events": events}, headers=maker.auth)

    body = assert_problem(response, 422, "batch_rejected")
    assert body["detail"].startswith("3 item(s) rejected, nothing was recorded: #1: signature of claim")
    assert body["errors"] == [
        {
            "position": 1,
            "code": "invalid_signature",
            "status": 422,
            "detail": f"signature of claim {forged['claim']['id']} does not verify with key 'manufacturer/1'",
        },
        {"position": 2, "code": "invalid_claim", "status": 422, "detail": "claim has unknown fields: extra"},
        {
            "position": 3,
            "code": "actor_mismatch",
            "status": 403,
            "detail": "claim actor 'automaker' is not the authenticated organisation 'manufacturer'",
        },
    ]
    assert client.get("/healthz").json()["log_size"] == base


def test_a_batch_lists_every_item_failing_the_domain_rules(
    client: httpx.Client, parties: dict[Role, Party], base: int
) -> None:
    maker, recycler = parties[Role.MANUFACTURER], parties[Role.RECYCLER]
    events = [
        maker.claim(code(1), "produced", PRODUCED),
        maker.claim(code(1), "shipped", {"to": "Not An Org"}),
        maker.claim(code(1), "removed", {"reason": "repair"}),
        maker.claim(code(9), "shipped", {"to": recycler.id}),
        maker.claim(code(1), "shipped", {"to": recycler.id}),
    ]
    response = client.post("/v1/events/batch", json={"events": events}, headers=maker.auth)

    body = assert_problem(response, 422, "batch_rejected")
    assert [(e["position"], e["code"], e["status"]) for e in body["errors"]] == [
        (1, "invalid_payload", 422),
        (2, "illegal_transition", 422),
        (3, "not_found", 404),
    ]
    assert body["errors"][1]["detail"] == (
        "pack is produced: 'removed' is not allowed; allowed: corrected, exported, incident, installed, "
        "lease_ended, leased, lost, ownership_transferred, passport, recalled, retired, serviced, shipped, "
        "transferred"
    )
    assert body["errors"][2]["detail"] == f"unknown pack {code(9)}"
    assert client.get("/healthz").json()["log_size"] == base


def test_a_bad_produced_payload_is_not_blamed_on_the_first_item(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    maker = parties[Role.MANUFACTURER]
    events = [maker.claim(code(1), "produced", PRODUCED), maker.claim(code(2), "produced", {**PRODUCED, "mass_kg": -1})]
    response = client.post("/v1/events/batch", json={"events": events}, headers=maker.auth)

    body = assert_problem(response, 422, "batch_rejected")
    assert [e["position"] for e in body["errors"]] == [1]


def test_a_batch_whose_items_fail_alike_takes_their_status(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker = parties[Role.MANUFACTURER]
    first = client.post("/v1/events", json=maker.claim(code(1), "produced", PRODUCED), headers=maker.auth).json()
    stale = maker.claim(code(1), "incident", {"kind": "other", "severity": "low", "description": "x"}, prev="0" * 64)
    response = client.post("/v1/events/batch", json={"events": [stale]}, headers=maker.auth)

    body = assert_problem(response, 409, "batch_rejected")
    assert body["errors"] == [
        {
            "position": 0,
            "code": "stale_prev",
            "status": 409,
            "detail": f"stale prev for pack {code(1)}: the current head is {first['hash']}",
        }
    ]


def test_prev_equal_to_the_head_is_accepted(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker, automaker = parties[Role.MANUFACTURER], parties[Role.AUTOMAKER]
    head = client.post("/v1/events", json=maker.claim(code(1), "produced", PRODUCED), headers=maker.auth).json()
    response = client.post(
        "/v1/events", json=maker.claim(code(1), "shipped", {"to": automaker.id}, prev=head["hash"]), headers=maker.auth
    )
    assert response.status_code == 201
    assert response.json()["entry"]["prev"] == head["hash"]

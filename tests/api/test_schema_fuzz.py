"""Fuzz every operation of /openapi.json with schemathesis: no 5xx, and every answer (status, content type,
body) is one the schema declares. Bounded: a few examples per operation and mode, seconds in all.

schemathesis' pytest loader (`from_fixture`) does not run on pytest 9, so each operation's hypothesis
strategy is driven here directly, against the app of this test's own database.
"""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs  # schemathesis' validator
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
    "GET /metrics",
    "GET /v1/log/checkpoint",
    "GET /v1/log/key",
    "GET /v1/packs/{code}",
    "GET /v1/packs/{code}/events",
    "GET /v1/packs/{code}/bundle",
    "GET /v1/packs/{code}/epcis",
    "DELETE /v1/orgs/{org}/keys/{key}",
    "GET /p/{code}",  # the path is free text: the public page answers every string (404 or 422 with a page)
    "GET /v1/log/tile/{path}",  # free text: a C2SP tile path, read by the route (422 bad_tile_path)
    "GET /v1/schemas/events",  # no parameter at all (issue 19)
    "GET /v1/epcis/lots/{recycler}/{lot_id}",  # free text: the route reads the lot subject (422 invalid_lot)
}


def token_for(path: str, parties: dict[Role, Party]) -> str:
    """The administrator creates orgs, the regulator reads the log, lists packs and queries EPCIS, the maker does
    the rest."""
    if path.startswith("/v1/orgs"):
        return ADMIN_TOKEN
    if path.startswith(("/v1/log/entries", "/v1/packs", "/v1/epcis")) and "{code}" not in path:
        return parties[Role.REGULATOR].token
    return parties[Role.MANUFACTURER].token


REGISTRY_CLAIM_CHECKS = {
    "invalid_registry_claim",
    "key_id_prefix",
    "invalid_key_id",
    "invalid_key",
    "weak_key",
    "too_long",
    "invalid_character",
}
MAKER_CHECKS = {"unknown_manufacturer", "ambiguous_manufacturer"}  # events.makers: the registry's, per value
RECALL_SCOPE_CHECKS = {
    "empty_scope",
    "invalid_scope",
    "unknown_manufacturer",
    "unknown_pack",
    "scope_too_large",
    "invalid_campaign",
    "invalid_code",
}
FEDERATION_CHECKS = {"unknown_peer", "handover_required"}
# What a schema cannot say: for each operation, the 422 codes a request valid by its schema may still get
# (signatures, check digits, calendar dates, relations between parameters, the record's own state). Any
# other 422 to a schema-valid request means the schema is looser than the server (issue 11, item 10).
NOT_IN_A_SCHEMA: dict[str, set[str]] = {
    "POST /v1/orgs": set(),
    "POST /v1/orgs/{org}/keys": {"key_id_prefix", "invalid_key", "weak_key"},  # the org in the path; the curve
    "PATCH /v1/orgs/{org}": set(),
    # `data` follows `type` (docs/ledger-format.md §5), a key id its subject's org, `at` a calendar date; the curve
    "POST /v1/registry": REGISTRY_CLAIM_CHECKS,
    # `data` is one of the event types' payloads (their schemas are per type): its strings' characters and its
    # numbers' range (RFC 8785) are checked as the claim is read
    # and which platforms a pack may be transferred to is the configuration's (PACKTRACE_PEERS); an arrival goes
    # to POST /v1/handovers with its handover document (docs/federation.md)
    "POST /v1/events": {
        "invalid_claim",
        "invalid_code",
        "unknown_key",
        "invalid_signature",
        "invalid_character",
        *FEDERATION_CHECKS,
    },
    "POST /v1/events/batch": {"batch_rejected", *FEDERATION_CHECKS},
    # the origin platform must be a configured peer (no schema knows them); the claim is an arrival whose
    # payload follows its type, its handover document verifies
    "GET /v1/handovers/{code}": {"unknown_peer"},
    "POST /v1/handovers": {
        "invalid_claim",
        "invalid_code",
        "invalid_payload",
        "invalid_character",
        "not_an_arrival",
        "unknown_peer",
        "bad_handover",
        "unknown_key",
        "invalid_signature",
    },
    # check digit, from > to, a cursor we made; which maker a value names is the registry's, not a schema's
    "GET /v1/packs": {"invalid_vin", "invalid_filter", "invalid_cursor", *MAKER_CHECKS},
    "GET /v1/packs/{code}/events": {"invalid_cursor"},
    # EQ_epc must be this platform's EPC; times are RFC 3339 with an offset; perPage 1-1,000; a token we made
    "GET /v1/epcis/events": {"invalid_filter", "invalid_cursor"},
    "GET /v1/epcis/lots/{recycler}/{lot_id}": {"invalid_lot"},  # the lot subject's grammar and length
    "GET /v1/log/entries": {"invalid_range", "range_too_large"},  # start <= end <= start + 1,000
    "GET /v1/log/proof/inclusion": {"bad_proof_request"},  # index < size
    "GET /v1/log/proof/consistency": {"bad_proof_request"},  # from <= to
    "POST /v1/labels": {"invalid_code"},  # a calendar date in the code's letters
    "POST /v1/scan": {"foreign_code", "no_code_found", "invalid_image", "image_too_large"},  # what a photo shows
    # at least one filter; from <= to; the maker named
    "GET /v1/reports/recall": {"invalid_filter", *MAKER_CHECKS},
    "GET /v1/reports/warnings": {"invalid_filter"},  # as_of not after today
    "GET /v1/reports/compliance": {"invalid_filter"},  # a rule of the rule set chosen by `rules`
    # a scope names at least one filter; its makers, codes and dates are the record's; the claims match it
    "POST /v1/recalls/scope": RECALL_SCOPE_CHECKS | MAKER_CHECKS,
    "POST /v1/recalls": RECALL_SCOPE_CHECKS | MAKER_CHECKS | {"claims_do_not_match_scope", "batch_rejected"},
    "GET /v1/log/tile/{path}": {"bad_tile_path"},  # the C2SP tile path's grammar (level, x-segments, .p/W)
}
# these codes only for what their messages say: a calendar date (a 30 February in a code's letters or in
# `at`), or the content of `data`
CALENDAR_ONLY = {
    "invalid_claim": ("is not a real time", "claim is not canonicalisable JSON"),
    "invalid_code": ("which is not a calendar date",),
    "invalid_character": ("claim.data",),
}


def _check_problem(label: str, code: str, detail: str) -> None:
    assert code in NOT_IN_A_SCHEMA.get(label, set()), f"{label}: the schema allowed what the server refused: {detail}"
    if code in CALENDAR_ONLY:
        assert any(words in detail for words in CALENDAR_ONLY[code]), f"{label}: the schema allowed: {detail}"


def schema_says_what_the_server_checks(label: str, response: Any) -> None:
    """A 422 to a request valid by the schema has a code no schema could have prevented."""
    if response.status_code != 422:
        return
    problem = response.json()
    _check_problem(label, problem["code"], problem["detail"])
    for item in problem.get("errors") or []:  # a batch: each item as a single event
        if item["status"] == 422:
            _check_problem("POST /v1/events", item["code"], item["detail"])


def fuzz(operation: Any, mode: GenerationMode, token: str) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def exercise(case: Any) -> None:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        case.validate_response(response, checks=CHECKS)
        if mode is GenerationMode.POSITIVE:
            schema_says_what_the_server_checks(operation.label, response)

    exercise()


@pytest.mark.fuzz
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
def test_item10_no_operation_answers_5xx_off_schema_or_looser_than_its_schema(
    app: FastAPI, client: httpx.Client, parties: dict[Role, Party], mode: GenerationMode
) -> None:
    """Positive mode: no 5xx, answers on schema, and no 422 a schema could have said (item 10); negative
    mode: no 5xx and answers on schema."""
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


def test_item10_the_scan_schema_refuses_the_extra_form_fields_the_server_refuses(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    """Found by the positive fuzz: a multipart scan with the photo and nine more fields was valid by the
    schema, and the server (which reads at most 8 fields) answered 422 invalid_request."""
    fields = {f"note{n}": "x" for n in range(9)}
    body = client.get("/openapi.json").json()["paths"]["/v1/scan"]["post"]["requestBody"]
    schema = body["content"]["multipart/form-data"]["schema"]
    refused = client.post(
        "/v1/scan",
        files={"image": ("a.png", b"...", "image/png")},
        data=fields,
        headers=parties[Role.MANUFACTURER].auth,
    )
    assert refused.status_code == 422
    assert refused.json()["code"] == "invalid_request", refused.text
    assert not jsonschema_rs.validator_for(schema).is_valid({"image": "...", **fields})

"""Bad input of every kind gets a clear 4xx problem with its stable code, never a 500."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.orgs import Role
from ledger.format.claims import sign_claim
from tests.api.conftest import MAX_BODY
from tests.api.parties import ADMIN_TOKEN, Party, public_b64
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code, post, produced

LATER = datetime(2026, 3, 2, 2, 0, 0, tzinfo=UTC)


@dataclass
class World:
    """A produced pack code(1) with its head, a claim already recorded, a revoked key of the maker."""

    client: httpx.Client
    parties: dict[Role, Party]
    head: str
    recorded: dict[str, Any]
    recorded_index: int
    revoked: Party

    @property
    def maker(self) -> Party:
        return self.parties[Role.MANUFACTURER]

    def post_event(self, body: Any, party: Party | None = None) -> httpx.Response:
        return self.client.post("/v1/events", json=body, headers=(party or self.maker).auth)

    def claim(self, type: str = "shipped", data: dict[str, Any] | None = None, **changes: Any) -> dict[str, Any]:
        """A signed claim of the maker on code(1), with claim fields changed *before* signing."""
        body = self.maker.claim(code(1), type, {"to": "recycler"} if data is None else data, at=LATER)
        return self.resign(body, **changes)

    def resign(self, body: dict[str, Any], party: Party | None = None, **changes: Any) -> dict[str, Any]:
        claim = {**body["claim"], **changes}
        return {"claim": claim, "sig": sign_claim(claim, (party or self.maker).private)}


@pytest.fixture
def world(client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str]) -> World:
    head = produced(client, parties, 1)
    maker = parties[Role.MANUFACTURER]
    recorded = maker.claim(code(2), "produced", PRODUCED)
    recorded_index = client.get("/healthz").json()["log_size"]
    post(client, maker, recorded)
    private = Ed25519PrivateKey.generate()
    key = {"key_id": "manufacturer/old", "public_key": public_b64(private)}
    assert client.post("/v1/orgs/manufacturer/keys", json=key, headers=admin).status_code == 201
    assert client.delete("/v1/orgs/manufacturer/keys/manufacturer/old", headers=admin).status_code == 200
    return World(
        client, parties, head, recorded, recorded_index, Party(maker.id, maker.token, "manufacturer/old", private)
    )


ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class Prefix(str):
    """A detail that must start so (the rest depends on the clock or on random ids)."""


Request = Callable[[World], httpx.Response]
Detail = str | Callable[[World], str]


@dataclass(frozen=True)
class Case:
    id: str
    request: Request
    status: int
    code: str
    detail: Detail


def raw(path: str, content: bytes, content_type: str = "application/json") -> Request:
    return lambda w: w.client.post(path, content=content, headers={**w.maker.auth, "content-type": content_type})


def get(path: str, party: Role | None = Role.REGULATOR, **params: Any) -> Request:
    return lambda w: w.client.get(path, params=params, headers=w.parties[party].auth if party else {})


def forged(w: World) -> httpx.Response:
    body = w.claim()
    return w.post_event({**body, "sig": base64.b64encode(bytes(64)).decode()})


def reused_id(w: World) -> httpx.Response:
    changed = w.resign(w.recorded, data={**PRODUCED, "mass_kg": 381.0})
    return w.post_event(changed)


def batch_of_bad_items(w: World) -> httpx.Response:
    events = [w.claim(), w.claim(v=2), w.claim(type="produced", data=PRODUCED, actor="recycler"), w.claim()]
    return w.client.post("/v1/events/batch", json={"events": events}, headers=w.maker.auth)


CASES = [
    # the body itself
    Case("malformed JSON", raw("/v1/events", b'{"claim": '), 422, "invalid_json",
         "the request body is not valid JSON: Expecting value (at character 10)"),
    Case("body not UTF-8", raw("/v1/events", b'{"claim": "\xff\xfe"}'), 422, "invalid_json",
         "the request body is not valid JSON: it is not UTF-8 text"),
    Case("JSON array body", raw("/v1/events", b"[1, 2]"), 422, "invalid_request",
         "body: Input should be a valid dictionary or object to extract fields from"),
    Case("body as form data", raw("/v1/events", b'{"claim": {}, "sig": ""}', "application/x-www-form-urlencoded"),
         422, "invalid_request", "the request body must be JSON sent with 'Content-Type: application/json' "
         "(Content-Type: 'application/x-www-form-urlencoded')"),
    Case("sig missing", lambda w: w.post_event({"claim": w.claim()["claim"]}), 422, "invalid_request",
         "body.sig: Field required"),
    Case("unknown body field", lambda w: w.post_event({**w.claim(), "extra": 1}), 422, "invalid_request",
         "body.extra: Extra inputs are not permitted"),
    Case("sig of the wrong type", lambda w: w.post_event({**w.claim(), "sig": 123}), 422, "invalid_request",
         "body.sig: Input should be a valid string"),
    Case("oversized body", raw("/v1/events", b" " * (MAX_BODY + 1)), 413, "too_large",
         f"the request body is larger than the limit of {MAX_BODY} bytes"),
    # the claim envelope and signature
    Case("claim with an unknown field", lambda w: w.post_event(w.claim(extra=1)), 422, "invalid_claim",
         "claim has unknown fields: extra"),
    Case("claim version 2", lambda w: w.post_event(w.claim(v=2)), 422, "invalid_claim", "claim.v must be 1, found 2"),
    Case("claim id not a UUID", lambda w: w.post_event(w.claim(id="order-17")), 422, "invalid_claim_id",
         "claim.id must be a UUID in canonical form (8-4-4-4-12 lowercase hex digits), found 'order-17'"),
    Case("claim time with a fraction", lambda w: w.post_event(w.claim(at="2026-03-02T02:00:00.5Z")), 422,
         "invalid_claim", "claim.at must be RFC 3339 UTC with whole seconds and Z, found '2026-03-02T02:00:00.5Z'"),
    Case("forged signature", forged, 422, "invalid_signature",
         Prefix("signature of claim ")),
    Case("signature not base64", lambda w: w.post_event({**w.claim(), "sig": "not base64!"}), 422,
         "invalid_signature", "sig is not valid base64"),
    Case("actor is not the token's org", lambda w: w.post_event(w.claim(), w.parties[Role.RECYCLER]), 403,
         "actor_mismatch", "claim actor 'manufacturer' is not the authenticated organisation 'recycler'"),
    Case("key of another org", lambda w: w.post_event(w.resign(w.claim(key="recycler/1"), w.parties[Role.RECYCLER])),
         403, "key_not_owned", "key 'recycler/1' belongs to 'recycler', not to the claim's actor 'manufacturer'"),
    Case("unknown key", lambda w: w.post_event(w.claim(key="manufacturer/404")), 422, "unknown_key",
         "unknown signing key 'manufacturer/404'"),
    Case("revoked key", lambda w: w.post_event(w.resign(w.claim(key="manufacturer/old"), w.revoked)), 403,
         "key_revoked", "key 'manufacturer/old' is revoked"),
    Case("admin token posting an event", lambda w: w.client.post(
        "/v1/events", json=w.claim(), headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}), 403, "not_an_organisation",
         "posting events needs an organisation's token, not the admin token"),
    # conflicts
    Case("stale prev", lambda w: w.post_event(w.claim(prev="0" * 64)), 409, "stale_prev",
         lambda w: f"stale prev for pack {code(1)}: the current head is {w.head}"),
    Case("reused claim id", reused_id, 409, "claim_id_reused", lambda w: (
        f"claim id {w.recorded['claim']['id']} of 'manufacturer' was already used for a different claim "
        f"(entry {w.recorded_index})")),
    # the domain
    Case("bad battery code", lambda w: w.post_event(w.claim(pack="001XB12ABCDEFGG1F0000001")), 422, "invalid_code",
         "battery code 001XB12ABCDEFGG1F0000001: product type 'X' is not P (pack), M (module) or C (cell)"),
    Case("bad VIN", lambda w: w.post_event(w.claim("installed", {"vin": "LSVAU2180N2183294"})), 422,
         "invalid_payload", "invalid 'installed' payload: data.vin: VIN 'LSVAU2180N2183294': check digit "
         "(position 9) expected 'X', found '0'"),
    Case("unknown event type", lambda w: w.post_event(w.claim("teleported", {})), 422, "unknown_event_type",
         "unknown event type 'teleported'; event types are: arrived, corrected, dismantled, exported, found, incident, "
         "inspected, installed, lease_ended, leased, lost, lotted, ownership_transferred, passport, produced, "
         "recalled, received, recycled, removed, repurposed, retired, serviced, shipped, swapped, transferred"),
    Case("unknown payload field", lambda w: w.post_event(w.claim("shipped", {"to": "recycler", "eta": 3})), 422,
         "invalid_payload", "invalid 'shipped' payload: data.eta: unknown field"),
    Case("negative mass", lambda w: w.post_event(w.claim("produced", {**PRODUCED, "mass_kg": -5.0}, pack=code(7))),
         422, "invalid_payload", "invalid 'produced' payload: data.mass_kg: Input should be greater than 0, got -5.0"),
    Case("time far in the future", lambda w: w.post_event(w.claim(at="2099-01-01T00:00:00Z")), 422,
         "invalid_payload", Prefix("event time 2099-01-01T00:00:00Z is in the future: later than the recording time")),
    Case("illegal transition", lambda w: w.post_event(w.claim("removed", {"reason": "repair"})), 422,
         "illegal_transition", "pack is produced: 'removed' is not allowed; allowed: corrected, exported, incident, "
         "installed, lease_ended, leased, lost, ownership_transferred, passport, recalled, retired, serviced, shipped, "
         "transferred"),
    Case("role may not post it", lambda w: w.post_event(
        w.resign(w.claim("produced", PRODUCED, pack=code(8), actor="recycler", key="recycler/1"),
                 w.parties[Role.RECYCLER]), w.parties[Role.RECYCLER]), 403, "forbidden",
         "org 'recycler' (recycler) may not post 'produced': requires the manufacturer role and ownership of the "
         "maker prefix '001'"),
    Case("event on an unknown pack", lambda w: w.post_event(w.claim(pack=code(9))), 404, "not_found",
         f"unknown pack {code(9)}"),
    # batches
    Case("empty batch", lambda w: w.client.post("/v1/events/batch", json={"events": []}, headers=w.maker.auth),
         422, "invalid_request", "body.events: List should have at least 1 item after validation, not 0"),
    Case("batch over 10,000", lambda w: w.client.post(
        "/v1/events/batch", json={"events": [{"claim": {}, "sig": ""}] * 10_001}, headers=w.maker.auth), 422,
         "too_many", "a batch holds at most 10000 events, found 10001"),
    Case("batch with several bad items", batch_of_bad_items, 422, "batch_rejected",
         "3 item(s) rejected, nothing was recorded: #1: claim.v must be 1, found 2, #2: claim actor 'recycler' is "
         "not the authenticated organisation 'manufacturer', #3: pack is in_transit: 'shipped' is not allowed; "
         "allowed: corrected, incident, lease_ended, lost, ownership_transferred, passport, recalled, received"),
    # packs
    Case("pack code malformed", get("/v1/packs/not-a-code", None), 422, "invalid_code",
         "battery code not-a-code: 10 characters; a battery code has 24 (or 19 for a second-life code)"),
    Case("pack unknown", get(f"/v1/packs/{code(404)}", None), 404, "unknown_pack", f"unknown pack {code(404)}"),
    Case("list by unknown status", get("/v1/packs", status="flying"), 422, "invalid_filter",
         "unknown status 'flying'; statuses are: produced, in_transit, in_stock, in_vehicle, in_storage_system, "
         "retired, repurposed, dismantled, recycled, lost, exported, in_lot, transferred"),
    Case("list by bad VIN", get("/v1/packs", vin="LSVAU2180N2183294"), 422, "invalid_vin",
         "VIN 'LSVAU2180N2183294': check digit (position 9) expected 'X', found '0'"),
    Case("list by unknown chemistry", get("/v1/packs", chemistry="coal"), 422, "invalid_filter",
         "unknown chemistry 'coal'; chemistries are: LFP, NCM, NCA, LMO, LTO, NiMH, sodium-ion, other"),
    Case("list with limit 0", get("/v1/packs", limit=0), 422, "invalid_request",
         "query.limit: Input should be greater than or equal to 1"),
    Case("list with a bad cursor", get("/v1/packs", cursor="not a cursor!"), 422, "invalid_cursor",
         "cursor 'not a cursor!' is not one this API gave out"),
    Case("list with an unknown parameter", get("/v1/packs", colour="red"), 422, "invalid_request",
         "query.colour: Extra inputs are not permitted"),
    Case("list with dates reversed", get("/v1/packs", produced_from="2026-02-01", produced_to="2026-01-01"), 422,
         "invalid_filter", "produced_from 2026-02-01 is after produced_to 2026-01-01"),
    Case("list with a bad date", get("/v1/packs", produced_from="yesterday"), 422, "invalid_request",
         "query.produced_from: must be a date written YYYY-MM-DD, found 'yesterday'"),
    # the log
    Case("entries from a negative start", get("/v1/log/entries", start=-1), 422, "invalid_request",
         "query.start: Input should be greater than or equal to 0"),
    Case("inclusion proof without a size", get("/v1/log/proof/inclusion", None, index=0), 422, "invalid_request",
         "query.size: Field required"),
    Case("inclusion proof of a huge index", get("/v1/log/proof/inclusion", None, index=10**30, size=1), 422,
         "invalid_request", "query.index: Input should be less than or equal to 4611686018427387904"),
    # authentication
    Case("unknown bearer token", lambda w: w.client.get("/v1/packs", headers={"Authorization": "Bearer nope"}), 401,
         "invalid_token", "the bearer token is not valid"),
    Case("basic authentication", lambda w: w.client.get("/v1/packs", headers={"Authorization": "Basic YTpi"}), 401,
         "invalid_token", "the Authorization header must be 'Bearer <token>'"),
    Case("no token", get("/v1/packs", None), 401, "unauthenticated",
         "this request needs a bearer token: 'Authorization: Bearer <token>'"),
    # organisations and keys
    Case("org with an unknown role", lambda w: w.client.post(
        "/v1/orgs", json={"id": "acme", "name": "Acme", "roles": ["wizard"]},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}), 422, "invalid_input",
         "unknown role 'wizard'; roles are: admin, automaker, collector, dealer, importer, lessor, manufacturer, "
         "recycler, regulator, second_life, service, swap_operator, vehicle_dismantler"),
    Case("org with a bad id", lambda w: w.client.post(
        "/v1/orgs", json={"id": "Acme Inc", "name": "Acme", "roles": ["dealer"]},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}), 422, "invalid_input",
         "organisation id 'Acme Inc' must be 2-63 characters of lower-case letters, digits and '-', starting with "
         "a letter or digit"),
    # (a later key: the administrator's, since a token alone registers only an organisation's first key)
    Case("key not base64", lambda w: w.client.post(
        "/v1/orgs/manufacturer/keys", json={"key_id": "manufacturer/2", "public_key": "%%%"}, headers=ADMIN),
         422, "invalid_key", "public_key is not valid base64"),
    Case("key of the wrong length", lambda w: w.client.post(
        "/v1/orgs/manufacturer/keys", json={"key_id": "manufacturer/2", "public_key": "AAAA"}, headers=ADMIN),
         422, "invalid_key", "public_key must be 32 raw Ed25519 bytes, found 3"),
    # routing
    Case("unknown route", get("/v1/nothing", None), 404, "not_found", "Not Found"),
    Case("wrong method", lambda w: w.client.put("/v1/events", json={}), 405, "method_not_allowed",
         "Method Not Allowed"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_a_problem_with_its_code(world: World, case: Case) -> None:
    size_before = world.client.get("/healthz").json()["log_size"]
    response = case.request(world)

    if isinstance(case.detail, Prefix):
        assert assert_problem(response, case.status, case.code)["detail"].startswith(case.detail)
    else:
        detail = case.detail(world) if callable(case.detail) else case.detail
        assert_problem(response, case.status, case.code, detail)
    assert world.client.get("/healthz").json()["log_size"] == size_before


def test_there_are_at_least_25_kinds_of_bad_input() -> None:
    assert len(CASES) >= 25

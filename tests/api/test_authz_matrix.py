"""The authorisation matrix: every endpoint × every role (one organisation per role of events.orgs.Role),
the admin token and no token → the expected status.

The pack under test, code(1), is in a vehicle in the automaker's custody. Each endpoint is asserted as
one whole row, so a failure shows every caller that got a different answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.client import Signer
from events.orgs import Role
from tests.api.parties import ADMIN_TOKEN, Party, public_b64
from tests.api.scenario import PRODUCED, code, in_vehicle
from tests.support import T0

ANONYMOUS, ADMIN_TOKEN_CALLER = "anonymous", "admin-token"
CALLERS = [str(role) for role in Role] + [ANONYMOUS, ADMIN_TOKEN_CALLER]
AUTHORITIES = {"regulator", "admin", ADMIN_TOKEN_CALLER}


@dataclass
class Caller:
    name: str
    headers: dict[str, str]
    party: Party | None  # None: anonymous or the admin token
    serial: int  # a fresh battery-code serial for this caller's writes


def expect(default: int, **overrides: int) -> dict[str, int]:
    """`default` for every organisation, with overrides by caller name (`admin_token` for the admin token)."""
    row = {name: default for name in CALLERS}
    row[ANONYMOUS] = 401
    row.update({name.replace("admin_token", ADMIN_TOKEN_CALLER): status for name, status in overrides.items()})
    return row


def own_claim(caller: Caller, parties: dict[Role, Party]) -> dict[str, Any]:
    """A `produced` claim signed by the caller's own key (the maker's for the admin token and anonymous)."""
    signer = caller.party or parties[Role.MANUFACTURER]
    return signer.claim(code(caller.serial), "produced", PRODUCED)


def _recall(c: Caller) -> dict[str, Any]:
    return {"id": f"R-{c.serial}", "reason": "defect", "scope": {"codes": [code(1)]}}


def _recalled(c: Caller, parties: dict[Role, Party]) -> dict[str, Any]:
    signer = c.party or parties[Role.MANUFACTURER]
    return signer.claim(code(1), "recalled", {"campaign": f"R-{c.serial}", "reason": "defect"})


Call = Callable[[httpx.Client, Caller, dict[Role, Party]], httpx.Response]


def _new_org(client: httpx.Client, c: Caller, _: dict[Role, Party]) -> httpx.Response:
    body = {"id": f"new-{c.serial}", "name": "New", "roles": ["dealer"]}
    return client.post("/v1/orgs", json=body, headers=c.headers)


def _add_key(client: httpx.Client, c: Caller, _: dict[Role, Party]) -> httpx.Response:
    body = {"key_id": f"automaker/{c.serial}", "public_key": public_b64(Ed25519PrivateKey.generate())}
    return client.post("/v1/orgs/automaker/keys", json=body, headers=c.headers)


def _signed_key(client: httpx.Client, c: Caller, parties: dict[Role, Party]) -> httpx.Response:
    """A later key of the caller's own organisation, signed by its key (the admin token relays the maker's)."""
    party = c.party or parties[Role.MANUFACTURER]
    signer = Signer(party.id, party.key_id, party.private)
    body = signer.key_added(f"{party.id}/k{c.serial}", public_b64(Ed25519PrivateKey.generate()), at=T0)
    return client.post("/v1/registry", json=body, headers=c.headers)


ENDPOINTS: dict[str, tuple[Call, dict[str, int]]] = {
    "POST /v1/orgs": (_new_org, expect(403, admin=201, admin_token=201)),
    "PATCH /v1/orgs/{org}": (  # the administrator's (issue 13): a registry entry
        lambda client, c, _: client.patch("/v1/orgs/automaker", json={"name": f"Auto {c.serial}"}, headers=c.headers),
        expect(403, admin=200, admin_token=200),
    ),
    "GET /v1/orgs/{org}/history": (  # the organisation itself, regulators and the administrator
        lambda client, c, _: client.get("/v1/orgs/automaker/history", headers=c.headers),
        expect(403, automaker=200, regulator=200, admin=200, admin_token=200),
    ),
    "GET /v1/orgs/{org}/pool": (  # a swap station's pool (issue 16): the organisation itself and regulators
        lambda client, c, _: client.get("/v1/orgs/swap-operator/pool", headers=c.headers),
        expect(403, swap_operator=200, regulator=200),
    ),
    "POST /v1/registry": (_signed_key, expect(201)),  # any organisation, for itself, with its current key
    # a token adds only an organisation's first key (issue 13): the automaker's is registered already
    "POST /v1/orgs/{org}/keys": (_add_key, expect(403, admin=201, admin_token=201)),
    "GET /v1/orgs/{org}/keys": (  # public keys: any authenticated caller
        lambda client, c, _: client.get("/v1/orgs/automaker/keys", headers=c.headers),
        expect(200),
    ),
    "GET /v1/schemas/events": (  # the payload schemas: public (issue 19)
        lambda client, c, _: client.get("/v1/schemas/events", headers=c.headers),
        expect(200, anonymous=200),
    ),
    "GET /v1/schemas/events/{type}": (
        lambda client, c, _: client.get("/v1/schemas/events/shipped", headers=c.headers),
        expect(200, anonymous=200),
    ),
    "GET /v1/orgs/{org}/keys/{key}": (  # one public key: any authenticated caller (issue 19)
        lambda client, c, _: client.get("/v1/orgs/automaker/keys/automaker/1", headers=c.headers),
        expect(200),
    ),
    "DELETE /v1/orgs/{org}/keys/{key}": (
        lambda client, c, _: client.delete("/v1/orgs/automaker/keys/automaker/spare", headers=c.headers),
        expect(403, admin=200, admin_token=200),  # the organisation revokes with a signed claim (issue 13)
    ),
    "POST /v1/orgs/{org}/token": (  # the organisation itself or the administrator (issue 11 item 8)
        lambda client, c, _: client.post("/v1/orgs/automaker/token", headers=c.headers),
        expect(403, automaker=200, admin=200, admin_token=200),
    ),
    "POST /v1/events": (
        lambda client, c, parties: client.post("/v1/events", json=own_claim(c, parties), headers=c.headers),
        expect(403, manufacturer=201),
    ),
    "POST /v1/events/batch": (
        lambda client, c, parties: client.post(
            "/v1/events/batch", json={"events": [own_claim(c, parties)]}, headers=c.headers
        ),
        expect(403, manufacturer=201),
    ),
    "GET /v1/packs/{code}": (
        lambda client, c, _: client.get(f"/v1/packs/{code(1)}", headers=c.headers),
        expect(200, anonymous=200),
    ),
    "GET /v1/packs/{code}/events": (
        lambda client, c, _: client.get(f"/v1/packs/{code(1)}/events", headers=c.headers),
        expect(200),
    ),
    "GET /v1/packs/{code}/epcis": (  # the history as EPCIS 2.0: the history's tiers (docs/epcis.md)
        lambda client, c, _: client.get(f"/v1/packs/{code(1)}/epcis", headers=c.headers),
        expect(200),
    ),
    "GET /v1/epcis/events": (  # the EPCIS query: the history's tiers, pack by pack
        lambda client, c, _: client.get(
            "/v1/epcis/events", params={"EQ_epc": f"http://localhost:8000/p/{code(1)}"}, headers=c.headers
        ),
        expect(200),
    ),
    "GET /v1/epcis/lots/{recycler}/{lot_id}": (  # a lot's EPC: its recycler and the authorities (none here: 404)
        lambda client, c, _: client.get("/v1/epcis/lots/recycler/L1", headers=c.headers),
        expect(403, recycler=404, regulator=404, admin=404, admin_token=404),
    ),
    "GET /v1/packs/{code}/bundle": (
        lambda client, c, _: client.get(f"/v1/packs/{code(1)}/bundle", headers=c.headers),
        expect(200),  # redacted below the authority tier (issue 11 item 7)
    ),
    "GET /v1/packs/{code}/passport": (  # tiered like the pack view: the public tier sees the public attributes
        lambda client, c, _: client.get(f"/v1/packs/{code(1)}/passport", headers=c.headers),
        expect(200, anonymous=200),
    ),
    "GET /v1/packs/{code}/proof": (
        lambda client, c, _: client.get(f"/v1/packs/{code(1)}/proof", headers=c.headers),
        expect(200),  # a tlog-proof holds hashes only: every organisation, like the bundle
    ),
    "GET /v1/packs/{code}/handover": (  # the pack is in a vehicle: not handed over (docs/federation.md)
        lambda client, c, _: client.get(f"/v1/packs/{code(1)}/handover", headers=c.headers),
        expect(404),
    ),
    "GET /v1/packs/{code}/continuation": (  # only a peer platform's signed request, never a bearer token
        lambda client, c, _: client.get(f"/v1/packs/{code(1)}/continuation", headers=c.headers),
        expect(401, anonymous=401),
    ),
    "GET /v1/handovers/{code}": (  # no peer platform is configured: an organisation's request names none
        lambda client, c, _: client.get(f"/v1/handovers/{code(1)}", params={"from": "a.test/log"}, headers=c.headers),
        expect(422, admin_token=403),
    ),
    "POST /v1/handovers": (  # an arrival without its payload: any organisation gets to the payload's check
        lambda client, c, parties: client.post(
            "/v1/handovers",
            headers=c.headers,
            json={**(c.party or parties[Role.RECYCLER]).claim(code(c.serial), "arrived", {}), "handover": {}},
        ),
        expect(422, admin_token=403),
    ),
    "GET /v1/packs": (lambda client, c, _: client.get("/v1/packs", headers=c.headers), expect(200)),
    "GET /v1/log/checkpoint": (
        lambda client, c, _: client.get("/v1/log/checkpoint", headers=c.headers),
        expect(200, anonymous=200),
    ),
    "GET /v1/log/key": (lambda client, c, _: client.get("/v1/log/key", headers=c.headers), expect(200, anonymous=200)),
    "GET /v1/log/entries": (
        lambda client, c, _: client.get("/v1/log/entries", headers=c.headers),
        expect(403, regulator=200, admin=200, admin_token=200),
    ),
    "GET /v1/log/tile/{path}": (  # entry bundles; hash tiles are public (tests/api/test_tiles.py)
        lambda client, c, _: client.get("/v1/log/tile/entries/000.p/1", headers=c.headers),
        expect(403, regulator=200, admin=200, admin_token=200),
    ),
    "GET /v1/log/proof/inclusion": (
        lambda client, c, _: client.get("/v1/log/proof/inclusion", params={"index": 1, "size": 4}, headers=c.headers),
        expect(200, anonymous=200),
    ),
    "GET /v1/log/proof/consistency": (
        lambda client, c, _: client.get("/v1/log/proof/consistency", params={"from": 2, "to": 4}, headers=c.headers),
        expect(200, anonymous=200),
    ),
    # labels and scanning (api/routes/labels.py): the custodian, regulators and the administrator
    "GET /v1/packs/{code}/label.png": (
        lambda client, c, _: client.get(f"/v1/packs/{code(1)}/label.png", headers=c.headers),
        expect(403, automaker=200, regulator=200, admin=200, admin_token=200),
    ),
    "GET /v1/packs/{code}/label.svg": (
        lambda client, c, _: client.get(f"/v1/packs/{code(1)}/label.svg", headers=c.headers),
        expect(403, automaker=200, regulator=200, admin=200, admin_token=200),
    ),
    "POST /v1/labels": (
        lambda client, c, _: client.post("/v1/labels", json={"codes": [code(1)]}, headers=c.headers),
        expect(403, automaker=200, regulator=200, admin=200, admin_token=200),
    ),
    "POST /v1/scan": (
        lambda client, c, _: client.post("/v1/scan", json={"text": code(1)}, headers=c.headers),
        expect(200),
    ),
    # the regulator's reports (api/routes/reports.py)
    **{
        f"GET /v1/reports/{report}": (
            lambda client, c, _, report=report: client.get(
                f"/v1/reports/{report}", params={"manufacturer": "001"} if report == "recall" else {}, headers=c.headers
            ),
            expect(403, regulator=200),  # DESIGN §5: the regulator's; not the platform administrator's
        )
        for report in ("recall", "compliance", "recovery", "organisations", "warnings", "lots")
    },
    # recall campaigns (api/routes/recalls.py): a regulator, or the manufacturer for its own packs
    "POST /v1/recalls/scope": (
        lambda client, c, _: client.post("/v1/recalls/scope", json=_recall(c), headers=c.headers),
        expect(403, regulator=200, manufacturer=200),
    ),
    "POST /v1/recalls": (
        lambda client, c, parties: client.post(
            "/v1/recalls", json={**_recall(c), "claims": [_recalled(c, parties)]}, headers=c.headers
        ),
        expect(403, regulator=201, manufacturer=201),
    ),
    "GET /v1/recalls": (
        lambda client, c, _: client.get("/v1/recalls", headers=c.headers),
        expect(403, regulator=200, manufacturer=200),  # a manufacturer: its own campaigns
    ),
    "GET /v1/recalls/{campaign_id}": (
        lambda client, c, _: client.get("/v1/recalls/NONE", headers=c.headers),
        expect(403, regulator=404),
    ),
    "GET /healthz": (lambda client, c, _: client.get("/healthz", headers=c.headers), expect(200, anonymous=200)),
    "GET /metrics": (lambda client, c, _: client.get("/metrics", headers=c.headers), expect(200, anonymous=200)),
    "GET /p/{code}": (lambda client, c, _: client.get(f"/p/{code(1)}", headers=c.headers), expect(200, anonymous=200)),
}


@pytest.fixture
def callers(client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str]) -> list[Caller]:
    in_vehicle(client, parties, 1)
    spare = {"key_id": "automaker/spare", "public_key": public_b64(Ed25519PrivateKey.generate())}
    assert client.post("/v1/orgs/automaker/keys", json=spare, headers=admin).status_code == 201
    found = [Caller(str(role), party.auth, party, 100 + i) for i, (role, party) in enumerate(parties.items())]
    found.append(Caller(ANONYMOUS, {}, None, 200))
    found.append(Caller(ADMIN_TOKEN_CALLER, {"Authorization": f"Bearer {ADMIN_TOKEN}"}, None, 201))
    assert [c.name for c in found] == CALLERS
    return found


def test_the_matrix_covers_every_operation(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(ENDPOINTS) == {f"{method.upper()} {path}" for path, operations in paths.items() for method in operations}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_role_gets_the_expected_status(
    client: httpx.Client, parties: dict[Role, Party], callers: list[Caller], endpoint: str
) -> None:
    call, expected = ENDPOINTS[endpoint]
    actual = {}
    for caller in callers:
        response = call(client, caller, parties)
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        actual[caller.name] = response.status_code
    assert actual == expected


def test_only_authorities_query_epcis_without_eq_epc(
    client: httpx.Client, parties: dict[Role, Party], callers: list[Caller]
) -> None:
    statuses = {c.name: client.get("/v1/epcis/events", headers=c.headers).status_code for c in callers}
    assert statuses == expect(403, regulator=200, admin=200, admin_token=200)


def test_only_authorities_see_vins(client: httpx.Client, parties: dict[Role, Party], callers: list[Caller]) -> None:
    seen = {c.name: client.get(f"/v1/packs/{code(1)}", headers=c.headers).json()["vin"] is not None for c in callers}
    assert {name for name, sees in seen.items() if sees} == AUTHORITIES

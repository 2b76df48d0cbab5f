"""The authorisation matrix of the label and scan endpoints: every role of events.orgs.Role, the admin token
and no token. The pack is in a vehicle, in the automaker's custody; each endpoint is asserted as one row."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from events.orgs import Role
from tests.api.parties import ADMIN_TOKEN, Party
from tests.api.scenario import code, in_vehicle
from tests.labels_api.world import url_of

ANONYMOUS, ADMIN_TOKEN_CALLER = "anonymous", "admin-token"
CALLERS = [str(role) for role in Role] + [ANONYMOUS, ADMIN_TOKEN_CALLER]
PRINTERS = {"automaker", "regulator", "admin", ADMIN_TOKEN_CALLER}  # the custodian and the authorities

Call = Callable[[httpx.Client, dict[str, str]], httpx.Response]


def row(allowed: set[str], success: int = 200) -> dict[str, int]:
    return {name: success if name in allowed else 401 if name == ANONYMOUS else 403 for name in CALLERS}


ENDPOINTS: dict[str, tuple[Call, dict[str, int]]] = {
    "GET /v1/packs/{code}/label.png": (
        lambda client, headers: client.get(f"/v1/packs/{code(1)}/label.png", headers=headers),
        row(PRINTERS),
    ),
    "GET /v1/packs/{code}/label.svg": (
        lambda client, headers: client.get(f"/v1/packs/{code(1)}/label.svg", headers=headers),
        row(PRINTERS),
    ),
    "POST /v1/labels": (
        lambda client, headers: client.post("/v1/labels", json={"codes": [code(1)]}, headers=headers),
        row(PRINTERS),
    ),
    "POST /v1/scan": (
        lambda client, headers: client.post("/v1/scan", json={"text": url_of(code(1))}, headers=headers),
        row(set(CALLERS) - {ANONYMOUS}),
    ),
}


@pytest.fixture
def headers(client: httpx.Client, parties: dict[Role, Party]) -> dict[str, dict[str, str]]:
    in_vehicle(client, parties, 1)
    found = {str(role): party.auth for role, party in parties.items()}
    return {**found, ANONYMOUS: {}, ADMIN_TOKEN_CALLER: {"Authorization": f"Bearer {ADMIN_TOKEN}"}}


def test_the_matrix_covers_every_label_operation(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    labelled = {
        f"{method.upper()} {path}"
        for path, operations in paths.items()
        for method, operation in operations.items()
        if "labels" in operation.get("tags", [])
    }
    assert labelled == set(ENDPOINTS)


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_every_role_gets_the_expected_status(
    client: httpx.Client, headers: dict[str, dict[str, str]], endpoint: str
) -> None:
    call, expected = ENDPOINTS[endpoint]
    actual = {}
    for name in CALLERS:
        response = call(client, headers[name])
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json"
        actual[name] = response.status_code
    assert actual == expected


def test_scan_actions_follow_the_role(client: httpx.Client, headers: dict[str, dict[str, str]]) -> None:
    """In a vehicle, the custodian automaker may remove, retire, service … it; most others may do nothing;
    the admin token is no organisation and posts nothing."""
    actions = {
        name: client.post("/v1/scan", json={"text": code(1)}, headers=headers[name]).json()["next_actions"]
        for name in CALLERS
        if name != ANONYMOUS
    }
    assert actions["automaker"] == [
        "corrected", "exported", "incident", "lost", "passport", "removed", "retired", "serviced",
    ]  # fmt: skip
    assert actions["regulator"] == ["corrected", "exported", "incident", "lost", "recalled"]
    assert actions["manufacturer"] == ["corrected", "ownership_transferred", "passport", "recalled"]  # the owner too
    assert actions[ADMIN_TOKEN_CALLER] == []
    assert all(actions[name] == [] for name in ("dealer", "collector", "recycler", "second_life", "admin"))

"""GET /v1/orgs/{org}/keys and GET /v1/orgs/{org}/keys/{key} (issue 19): every organisation reads another's
public keys with their status as the registry stands; the forms a reader following the docs tries (a
trailing slash, one key's path) answer instead of 405."""

from __future__ import annotations

from datetime import timedelta

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.client import Signer
from events.orgs import Role
from ledger.log import Ledger
from tests.api.parties import Party, public_b64
from tests.api.problem import assert_problem
from tests.support import T0, Clock


def _spare_key_revoked(client: httpx.Client, maker: Party) -> None:
    signer = Signer(maker.id, maker.key_id, maker.private)
    spare = public_b64(Ed25519PrivateKey.generate())
    added = client.post("/v1/registry", json=signer.key_added("manufacturer/spare", spare, at=T0), headers=maker.auth)
    assert added.status_code == 201, added.text
    revoked = client.post("/v1/registry", json=signer.key_revoked("manufacturer/spare", at=T0), headers=maker.auth)
    assert revoked.status_code == 201, revoked.text


def test_the_keys_carry_their_status(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker, recycler = parties[Role.MANUFACTURER], parties[Role.RECYCLER]
    _spare_key_revoked(client, maker)

    listed = client.get("/v1/orgs/manufacturer/keys", headers=recycler.auth)

    assert listed.status_code == 200
    status = {key["key_id"]: key["status"] for key in listed.json()}
    assert status == {"manufacturer/1": "active", "manufacturer/spare": "revoked"}


def test_a_trailing_slash_lists_the_same_keys(client: httpx.Client, parties: dict[Role, Party]) -> None:
    auth = parties[Role.RECYCLER].auth
    plain = client.get("/v1/orgs/manufacturer/keys", headers=auth)
    slashed = client.get("/v1/orgs/manufacturer/keys/", headers=auth)
    assert slashed.status_code == 200 and slashed.json() == plain.json()


def test_one_key_is_read_by_its_id(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker, recycler = parties[Role.MANUFACTURER], parties[Role.RECYCLER]
    _spare_key_revoked(client, maker)

    one = client.get("/v1/orgs/manufacturer/keys/manufacturer/spare", headers=recycler.auth)

    assert one.status_code == 200
    listed = {key["key_id"]: key for key in client.get("/v1/orgs/manufacturer/keys", headers=recycler.auth).json()}
    assert one.json() == listed["manufacturer/spare"]
    assert one.json()["status"] == "revoked" and one.json()["revoked_at"] is not None


def test_a_key_of_another_organisation_is_not_found_under_this_one(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    auth = parties[Role.RECYCLER].auth
    assert_problem(
        client.get("/v1/orgs/manufacturer/keys/recycler/1", headers=auth),
        404,
        "unknown_key",
        "organisation 'manufacturer' has no key 'recycler/1'",
    )


def test_an_unknown_key_is_not_found(client: httpx.Client, parties: dict[Role, Party]) -> None:
    assert_problem(
        client.get("/v1/orgs/manufacturer/keys/manufacturer/404", headers=parties[Role.RECYCLER].auth),
        404,
        "unknown_key",
        "organisation 'manufacturer' has no key 'manufacturer/404'",
    )


def test_an_unknown_organisations_key_is_not_found(client: httpx.Client, parties: dict[Role, Party]) -> None:
    assert_problem(
        client.get("/v1/orgs/nobody/keys/nobody/1", headers=parties[Role.RECYCLER].auth),
        404,
        "unknown_org",
        "unknown organisation 'nobody'",
    )


def test_reading_a_key_needs_a_token(client: httpx.Client, parties: dict[Role, Party]) -> None:
    assert_problem(client.get("/v1/orgs/manufacturer/keys/manufacturer/1"), 401, "unauthenticated")


def test_a_key_registered_ahead_of_the_clock_is_not_yet_valid(
    client: httpx.Client, ledger: Ledger, parties: dict[Role, Party]
) -> None:
    """A key whose valid_from is after the reading (a server whose clock ran ahead registered it)."""
    assert isinstance(ledger.clock, Clock)
    ledger.clock = Clock(ledger.clock.now - timedelta(days=30))

    key = client.get("/v1/orgs/manufacturer/keys/manufacturer/1", headers=parties[Role.RECYCLER].auth)

    assert key.status_code == 200 and key.json()["status"] == "not_yet_valid"

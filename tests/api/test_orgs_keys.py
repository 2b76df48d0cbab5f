"""POST /v1/orgs, POST /v1/orgs/{org}/keys, DELETE /v1/orgs/{org}/keys/{key}, and the registry's rule for
keys (issue 13): a token adds only its organisation's first key; later keys and an organisation's own
revocations are claims signed by a current key, posted to POST /v1/registry."""

from __future__ import annotations

from datetime import datetime

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.client import Signer
from events.orgs import Role
from tests.api.parties import Party, public_b64
from tests.api.problem import assert_problem
from tests.api.scenario import PRODUCED, code
from tests.support import T0

LATER_KEY_NEEDS_SIGNATURE = (
    "a token alone registers only {org}'s first key: sign a key_added claim with a current key of {org} and "
    "post it to POST /v1/registry（仅凭令牌只能登记首个密钥：后续密钥请用本企业现行密钥签名 key_added 声明并提交至 "
    "POST /v1/registry）"
)
REVOKE_NEEDS_SIGNATURE = (
    "a token alone cannot revoke {org}'s keys: post a key_revoked claim signed by a current key of {org} to "
    "POST /v1/registry（仅凭令牌不能吊销密钥：请提交由本企业现行密钥签名的吊销声明）"
)


def signer_of(party: Party) -> Signer:
    return Signer(party.id, party.key_id, party.private)


CATL = {
    "id": "catl",
    "name": "宁德时代",
    "roles": ["manufacturer"],
    "manufacturer_codes": ["001"],
    "whitelisted": False,
}


def test_admin_creates_an_org_and_its_token_works_once_shown(client: httpx.Client, admin: dict[str, str]) -> None:
    response = client.post("/v1/orgs", json=CATL, headers=admin)

    assert response.status_code == 201
    answer = response.json()
    assert answer["org"] == {
        "id": "catl",
        "name": "宁德时代",
        "roles": ["manufacturer"],
        "manufacturer_codes": ["001"],
        "whitelisted": False,
        "region": None,
    }
    assert answer["token"].startswith("pt_catl_")
    # the token authenticates: catl may register its own key with it
    key = {"key_id": "catl/2026-1", "public_key": public_b64(Ed25519PrivateKey.generate())}
    own = client.post("/v1/orgs/catl/keys", json=key, headers={"Authorization": f"Bearer {answer['token']}"})
    assert own.status_code == 201


def test_an_org_id_is_taken_once(client: httpx.Client, admin: dict[str, str]) -> None:
    client.post("/v1/orgs", json=CATL, headers=admin)
    again = client.post("/v1/orgs", json=CATL, headers=admin)
    assert_problem(again, 409, "org_exists", "organisation 'catl' already exists")


def test_only_the_administrator_creates_orgs(client: httpx.Client, parties: dict[Role, Party]) -> None:
    response = client.post("/v1/orgs", json=CATL, headers=parties[Role.REGULATOR].auth)
    assert_problem(
        response,
        403,
        "forbidden",
        "only the platform administrator may create organisations; you are org 'regulator' (regulator)",
    )


def test_a_token_adds_only_the_first_key_and_a_later_key_is_signed_by_a_current_one(
    client: httpx.Client, admin: dict[str, str]
) -> None:
    token = client.post("/v1/orgs", json=CATL, headers=admin).json()["token"]
    own = {"Authorization": f"Bearer {token}"}
    first, later = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    added = client.post("/v1/orgs/catl/keys", json={"key_id": "catl/1", "public_key": public_b64(first)}, headers=own)
    assert added.status_code == 201

    refused = client.post("/v1/orgs/catl/keys", json={"key_id": "catl/2", "public_key": public_b64(later)}, headers=own)
    assert_problem(refused, 403, "registry_needs_signature", LATER_KEY_NEEDS_SIGNATURE.format(org="'catl'"))
    assert [k["key_id"] for k in client.get("/v1/orgs/catl/keys", headers=own).json()] == ["catl/1"]

    signed = Signer("catl", "catl/1", first).key_added("catl/2", public_b64(later), at=T0)
    posted = client.post("/v1/registry", json=signed, headers=own)
    assert posted.status_code == 201, posted.text
    answer = posted.json()
    assert answer["entry"]["claim"] == signed["claim"] and answer["entry"]["sig"] == signed["sig"]
    assert (answer["entry"]["subject"], answer["entry"]["index"], len(answer["hash"])) == (
        "org:catl",
        answer["index"],
        64,
    )
    keys = {k["key_id"]: k for k in client.get("/v1/orgs/catl/keys", headers=own).json()}
    assert keys["catl/2"]["public_key"] == public_b64(later) and keys["catl/2"]["revoked_at"] is None


def test_an_org_revokes_its_own_key_only_with_a_signed_claim(client: httpx.Client, parties: dict[Role, Party]) -> None:
    maker = parties[Role.MANUFACTURER]
    spare = Ed25519PrivateKey.generate()
    posted = client.post(
        "/v1/registry",
        json=signer_of(maker).key_added("manufacturer/2026-2", public_b64(spare), at=T0),
        headers=maker.auth,
    )
    assert posted.status_code == 201, posted.text
    key = client.get("/v1/orgs/manufacturer/keys", headers=maker.auth).json()[-1]
    assert (key["key_id"], key["org"], key["public_key"], key["revoked_at"], key["platform_held"]) == (
        "manufacturer/2026-2",
        "manufacturer",
        public_b64(spare),
        None,
        False,
    )
    assert datetime.fromisoformat(key["valid_from"]).tzinfo is not None
    signer = Party(maker.id, maker.token, "manufacturer/2026-2", spare)
    assert (
        client.post("/v1/events", json=signer.claim(code(1), "produced", PRODUCED), headers=maker.auth).status_code
        == 201
    )

    by_token = client.delete("/v1/orgs/manufacturer/keys/manufacturer/2026-2", headers=maker.auth)
    assert_problem(by_token, 403, "registry_needs_signature", REVOKE_NEEDS_SIGNATURE.format(org="'manufacturer'"))
    revoked = client.post(
        "/v1/registry", json=signer_of(maker).key_revoked("manufacturer/2026-2", at=T0), headers=maker.auth
    )
    assert revoked.status_code == 201, revoked.text
    assert revoked.json()["entry"]["claim"]["data"] == {"key_id": "manufacturer/2026-2"}
    again = client.post(
        "/v1/registry", json=signer_of(maker).key_revoked("manufacturer/2026-2", at=T0), headers=maker.auth
    )
    assert_problem(again, 409, "key_already_revoked", "key 'manufacturer/2026-2' is already revoked")

    refused = client.post("/v1/events", json=signer.claim(code(2), "produced", PRODUCED), headers=maker.auth)
    assert_problem(refused, 403, "key_revoked", "key 'manufacturer/2026-2' is revoked")


def test_the_administrator_manages_any_orgs_keys(
    client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str]
) -> None:
    body = {"key_id": "recycler/2", "public_key": public_b64(Ed25519PrivateKey.generate())}
    assert client.post("/v1/orgs/recycler/keys", json=body, headers=admin).status_code == 201
    assert client.delete("/v1/orgs/recycler/keys/recycler/2", headers=admin).status_code == 200


def test_an_org_may_not_touch_another_orgs_keys(client: httpx.Client, parties: dict[Role, Party]) -> None:
    body = {"key_id": "manufacturer/evil", "public_key": public_b64(Ed25519PrivateKey.generate())}
    added = client.post("/v1/orgs/manufacturer/keys", json=body, headers=parties[Role.RECYCLER].auth)
    assert_problem(
        added,
        403,
        "forbidden",
        "only 'manufacturer' itself or the platform administrator may register its keys; "
        "you are org 'recycler' (recycler)",
    )
    revoked = client.delete("/v1/orgs/manufacturer/keys/manufacturer/1", headers=parties[Role.RECYCLER].auth)
    assert_problem(
        revoked,
        403,
        "forbidden",
        "only 'manufacturer' itself or the platform administrator may revoke its keys; "
        "you are org 'recycler' (recycler)",
    )


def test_key_ids_are_unique_and_keys_belong_to_known_orgs(
    client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str]
) -> None:
    body = {"key_id": "manufacturer/1", "public_key": public_b64(Ed25519PrivateKey.generate())}
    taken = client.post("/v1/orgs/manufacturer/keys", json=body, headers=admin)
    assert_problem(taken, 409, "key_exists", "key 'manufacturer/1' is already registered")
    nobody = client.post("/v1/orgs/nobody/keys", json={**body, "key_id": "nobody/1"}, headers=admin)
    assert_problem(nobody, 404, "unknown_org", "unknown organisation 'nobody'")
    missing = client.delete("/v1/orgs/manufacturer/keys/manufacturer/404", headers=admin)
    assert_problem(missing, 404, "unknown_key", "organisation 'manufacturer' has no key 'manufacturer/404'")


def test_any_organisation_lists_an_organisations_public_keys(client: httpx.Client, parties: dict[Role, Party]) -> None:
    """GET /v1/orgs/{org}/keys, which docs/integration.md describes (it answered 405): a verifier learns
    each key's validity and whether the platform holds it."""
    maker, recycler = parties[Role.MANUFACTURER], parties[Role.RECYCLER]
    spare = Ed25519PrivateKey.generate()
    signer = signer_of(maker)
    client.post(
        "/v1/registry", json=signer.key_added("manufacturer/spare", public_b64(spare), at=T0), headers=maker.auth
    )
    client.post("/v1/registry", json=signer.key_revoked("manufacturer/spare", at=T0), headers=maker.auth)
    revoked = next(k for k in client.get("/v1/orgs/manufacturer/keys", headers=maker.auth).json()
                   if k["key_id"] == "manufacturer/spare")  # fmt: skip
    assert revoked["revoked_at"] is not None

    listed = client.get("/v1/orgs/manufacturer/keys", headers=recycler.auth)

    assert listed.status_code == 200
    keys = {key["key_id"]: key for key in listed.json()}
    assert sorted(keys) == [maker.key_id, "manufacturer/spare"]
    assert keys[maker.key_id]["public_key"] == public_b64(maker.private) and keys[maker.key_id]["revoked_at"] is None
    assert keys["manufacturer/spare"] == revoked
    assert_problem(
        client.get("/v1/orgs/nobody/keys", headers=recycler.auth), 404, "unknown_org", "unknown organisation 'nobody'"
    )
    assert client.get("/v1/orgs/manufacturer/keys").status_code == 401

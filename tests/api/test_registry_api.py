"""PATCH /v1/orgs/{org}, POST /v1/registry and GET /v1/orgs/{org}/history (issue 13): every change of the
registry is an entry of the log, and says who authorised it."""

from __future__ import annotations

import base64
from datetime import date

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.client import Signer
from events.orgs import Role
from events.timestamps import china_date
from ledger.log import Ledger
from ledger.usecases.verify import verify_database
from tests.api.parties import Party, public_b64
from tests.api.problem import assert_problem
from tests.api.scenario import code, post, produced
from tests.support import T0

REFUSED_RECYCLING = (
    "org 'recycler' (recycler) may not post 'recycled': requires the recycler role (whitelisted under 规范条件); "
    "'recycler' is not on the 规范条件 whitelist"
)

WHITELIST_OFF = {"whitelisted": False, "effective": "2026-06-01", "reference": "工业和信息化部公告2026年第12号"}


def signer_of(party: Party) -> Signer:
    return Signer(party.id, party.key_id, party.private)


def test_the_administrator_changes_an_organisation_and_the_change_is_a_registry_entry(
    client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str]
) -> None:
    body = {"name": "福建回收", "roles": ["recycler", "collector"], "region": "350000", **WHITELIST_OFF}
    changed = client.patch("/v1/orgs/recycler", json=body, headers=admin)

    assert changed.status_code == 200, changed.text
    assert changed.json() == {
        "id": "recycler",
        "name": "福建回收",
        "roles": ["collector", "recycler"],
        "manufacturer_codes": [],
        "whitelisted": False,  # off since 2026-06-01: the view says today's status
        "region": "350000",
    }
    last = client.get("/v1/orgs/recycler/history", headers=admin).json()[-1]
    assert last["entry"]["claim"]["type"] == "org_changed" and last["entry"]["claim"]["by"] == "admin"
    assert last["entry"]["claim"]["data"] == {
        "name": "福建回收",
        "roles": ["collector", "recycler"],
        "region": "350000",
        "whitelist": {"listed": False, "effective": "2026-06-01", "reference": "工业和信息化部公告2026年第12号"},
    }
    cleared = client.patch("/v1/orgs/recycler", json={"region": None}, headers=admin)
    assert cleared.json()["region"] is None


def test_a_change_of_an_organisation_is_refused_unless_it_is_complete_and_the_administrators(
    client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str]
) -> None:
    assert_problem(
        client.patch("/v1/orgs/recycler", json={"whitelisted": False}, headers=admin),
        422,
        "whitelist_needs_date_and_reference",
        "a 规范条件 change needs `effective` (the date it takes effect) and `reference` (e.g. the MIIT announcement "
        "number)（规范条件变更须注明生效日期和依据文号）",
    )
    assert_problem(
        client.patch("/v1/orgs/recycler", json={}, headers=admin),
        422,
        "nothing_to_change",
        "nothing to change（未指定任何变更）",
    )
    assert_problem(
        client.patch("/v1/orgs/recycler", json={"effective": "2026-06-01", "reference": "x"}, headers=admin),
        422,
        "invalid_registry_claim",
        "`effective` and `reference` go with `whitelisted`",
    )
    unknown = client.patch("/v1/orgs/recycler", json={"whitelist": False}, headers=admin)
    assert_problem(unknown, 422, "invalid_request", "body.whitelist: Extra inputs are not permitted")
    nulls = client.patch("/v1/orgs/recycler", json={"name": None, "roles": None}, headers=admin)
    assert_problem(
        nulls,
        422,
        "invalid_request",
        "body: Value error, only region may be null; leave out what does not change: name, roles",
    )
    bad_day = client.patch("/v1/orgs/recycler", json={**WHITELIST_OFF, "effective": "1 June"}, headers=admin)
    assert_problem(bad_day, 422, "invalid_request")
    assert_problem(
        client.patch("/v1/orgs/nobody", json={"name": "Nobody"}, headers=admin),
        404,
        "unknown_org",
        "unknown organisation 'nobody'",
    )
    assert_problem(
        client.patch("/v1/orgs/manufacturer", json={"manufacturer_codes": ["S2L"]}, headers=admin),
        409,
        "manufacturer_code_taken",
        "manufacturer code already owned by another organisation: 'S2L' by 'second-life'",
    )
    assert_problem(
        client.patch("/v1/orgs/recycler", json={"name": "Mine now"}, headers=parties[Role.RECYCLER].auth),
        403,
        "forbidden",
        "only the platform administrator may change organisations; you are org 'recycler' (recycler)",
    )
    assert client.patch("/v1/orgs/recycler", json={"name": "Mine now"}).status_code == 401


def test_a_regulator_changes_the_whitelist_and_revokes_a_key_by_signed_claims(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    regulator = signer_of(parties[Role.REGULATOR])
    auth = parties[Role.REGULATOR].auth
    off = regulator.whitelist_changed(
        "recycler", listed=False, effective=date(2026, 3, 1), reference="公告2026-3", at=T0
    )
    posted = client.post("/v1/registry", json=off, headers=auth)
    assert posted.status_code == 201, posted.text
    assert (posted.json()["entry"]["claim"]["actor"], posted.json()["entry"]["subject"]) == (
        "regulator",
        "org:recycler",
    )
    revoked = client.post("/v1/registry", json=regulator.key_revoked("recycler/1", at=T0), headers=auth)
    assert revoked.status_code == 201, revoked.text
    keys = client.get("/v1/orgs/recycler/keys", headers=auth).json()
    assert keys[0]["key_id"] == "recycler/1" and keys[0]["revoked_at"] is not None


def test_a_signed_registry_claim_is_refused_when_its_signer_may_not_make_it(
    client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str]
) -> None:
    maker, recycler = parties[Role.MANUFACTURER], parties[Role.RECYCLER]
    public = public_b64(Ed25519PrivateKey.generate())
    own_whitelist = signer_of(recycler).whitelist_changed(
        "recycler", listed=True, effective=date(2026, 3, 1), reference="self-declared", at=T0
    )
    assert_problem(
        client.post("/v1/registry", json=own_whitelist, headers=recycler.auth),
        403,
        "registry_not_authorised",
        "org_changed (the 规范条件 status alone) of org:recycler may not be authorised by own key: only by admin, "
        "regulator key（仅限：平台管理员、监管部门密钥签名）",
    )
    other_org = signer_of(maker).sign_registry(
        "recycler", "key_added", {"key_id": "recycler/evil", "public_key": public, "platform_held": False}, at=T0
    )
    assert_problem(
        client.post("/v1/registry", json=other_org, headers=maker.auth),
        403,
        "registry_not_authorised",
        "'manufacturer' signs a change of org:recycler: only the organisation itself or a regulator may",
    )
    forged = Signer("manufacturer", "manufacturer/1", Ed25519PrivateKey.generate()).key_added(
        "manufacturer/2", public, at=T0
    )
    assert_problem(
        client.post("/v1/registry", json=forged, headers=maker.auth),
        403,
        "bad_signature",
        "the signature does not verify with key 'manufacturer/1'",
    )
    relayed = signer_of(maker).key_added("manufacturer/2", public, at=T0)
    assert_problem(
        client.post("/v1/registry", json=relayed, headers=recycler.auth),
        403,
        "not_your_claim",
        "org 'recycler' (recycler) may not post a claim signed by 'manufacturer'",
    )
    assert client.post("/v1/registry", json=relayed, headers=admin).status_code == 201  # the administrator relays
    unsigned = {**relayed["claim"], "by": "admin"}
    del unsigned["actor"], unsigned["key"]
    assert_problem(
        client.post("/v1/registry", json={"claim": unsigned, "sig": relayed["sig"]}, headers=admin),
        422,
        "registry_needs_signature",
        "POST /v1/registry takes claims authorised by 'signature'; the administrator's changes use "
        "PATCH /v1/orgs/{org} and the keys endpoints",
    )
    assert_problem(client.post("/v1/registry", json={"claim": relayed["claim"]}, headers=admin), 422, "invalid_request")


def test_an_organisation_reads_its_own_registry_history_and_others_may_not(
    client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str]
) -> None:
    maker = parties[Role.MANUFACTURER]
    later = public_b64(Ed25519PrivateKey.generate())
    client.post("/v1/registry", json=signer_of(maker).key_added("manufacturer/2", later, at=T0), headers=maker.auth)

    history = client.get("/v1/orgs/manufacturer/history", headers=maker.auth)

    assert history.status_code == 200
    entries = history.json()
    assert [(e["entry"]["claim"]["type"], e["entry"]["claim"]["by"]) for e in entries] == [
        ("org_registered", "admin"),
        ("key_added", "admin"),
        ("key_added", "signature"),
    ]
    assert [e["entry"]["seq"] for e in entries] == [0, 1, 2]
    assert [e["entry"]["prev"] for e in entries[1:]] == [e["hash"] for e in entries[:-1]]
    assert entries[2]["entry"]["claim"]["data"]["public_key"] == later
    assert client.get("/v1/orgs/manufacturer/history", headers=parties[Role.REGULATOR].auth).json() == entries
    assert_problem(
        client.get("/v1/orgs/manufacturer/history", headers=parties[Role.AUTOMAKER].auth),
        403,
        "forbidden",
        "only 'manufacturer' itself, a regulator or the platform administrator may read its registry history; "
        "you are org 'automaker' (automaker)（仅本企业、监管部门或平台管理员可查看其登记记录）",
    )
    assert_problem(
        client.get("/v1/orgs/nobody/history", headers=admin), 404, "unknown_org", "unknown organisation 'nobody'"
    )


RECYCLED = {
    "feed_mass_kg": 380.0,
    "content_kg": {"Li": 5.2, "Fe": 41.0, "Cu": 22.0},
    "recovered_kg": {"Li": 4.9, "Fe": 40.5, "Cu": 21.7},
}
DISMANTLED = {"outputs": [{"kind": "material", "name": "黑粉 black mass", "mass_kg": 150.0}]}


def test_taking_a_recycler_off_the_whitelist_refuses_its_later_recycling_and_keeps_its_earlier_verifying(
    client: httpx.Client, parties: dict[Role, Party], admin: dict[str, str], ledger: Ledger
) -> None:
    """Acceptance 2 of issue 13: the 规范条件 list changes in batches several times a year; a change through
    PATCH /v1/orgs/{org} judges the recycler's entries after it, and never invalidates earlier ones."""
    maker, recycler = parties[Role.MANUFACTURER], parties[Role.RECYCLER]
    for serial in (1, 2):
        pack = code(serial)
        produced(client, parties, serial)
        post(client, maker, maker.claim(pack, "shipped", {"to": recycler.id}))
        post(client, recycler, recycler.claim(pack, "received", {"from": maker.id}))
        post(client, recycler, recycler.claim(pack, "retired", {"reason": "end_of_life"}))
        post(client, recycler, recycler.claim(pack, "dismantled", DISMANTLED))
    earlier = post(client, recycler, recycler.claim(code(1), "recycled", RECYCLED))

    today = china_date(ledger.clock())  # the day the ledger records entries on
    off = {"whitelisted": False, "effective": today.isoformat(), "reference": "工业和信息化部公告2026年第12号"}
    assert client.patch("/v1/orgs/recycler", json=off, headers=admin).status_code == 200

    refused = client.post("/v1/events", json=recycler.claim(code(2), "recycled", RECYCLED), headers=recycler.auth)
    assert_problem(refused, 403, "forbidden", REFUSED_RECYCLING)
    report = verify_database(ledger.engine, ledger.signer.verifier_key)
    assert report.problems == [] and report.packs == 2
    history = client.get(f"/v1/packs/{code(1)}/events", headers=parties[Role.REGULATOR].auth).json()["events"]
    assert history[-1]["hash"] == earlier and history[-1]["type"] == "recycled"


def test_a_signed_key_added_claim_is_refused_a_weak_public_key(
    client: httpx.Client, parties: dict[Role, Party]
) -> None:
    """As POST /v1/orgs/{org}/keys refuses it (tests/api/test_hardening_inputs.py): a small-order point as a
    public key would verify a constant "signature" on any claim."""
    maker = parties[Role.MANUFACTURER]
    identity = base64.b64encode((1).to_bytes(32, "little")).decode()
    weak = signer_of(maker).key_added("manufacturer/weak", identity, at=T0)
    body = assert_problem(client.post("/v1/registry", json=weak, headers=maker.auth), 422, "weak_key")
    assert body["detail"].startswith("public_key is a ") and body["detail"].endswith(
        "no signature made with it proves anything"
    )
    assert [k["key_id"] for k in client.get("/v1/orgs/manufacturer/keys", headers=maker.auth).json()] == [
        "manufacturer/1"
    ]


def test_a_retried_registry_claim_answers_its_entry_again_and_a_reused_id_is_refused(
    client: httpx.Client, parties: dict[Role, Party], ledger: Ledger
) -> None:
    regulator = signer_of(parties[Role.REGULATOR])
    auth = parties[Role.REGULATOR].auth
    off = regulator.whitelist_changed("recycler", listed=False, effective=date(2026, 3, 1), reference="公告", at=T0)
    first = client.post("/v1/registry", json=off, headers=auth)
    assert (first.status_code, first.json()["created"]) == (201, True)
    size = ledger.size()
    again = client.post("/v1/registry", json=off, headers=auth)  # a network retry: the same signed claim
    assert (again.status_code, again.json()["created"]) == (200, False)
    assert {k: again.json()[k] for k in ("index", "hash", "entry")} == {
        k: first.json()[k] for k in ("index", "hash", "entry")
    }
    assert ledger.size() == size
    other = regulator.whitelist_changed(
        "recycler", listed=True, effective=date(2026, 4, 1), reference="公告", at=T0, claim_id=off["claim"]["id"]
    )
    assert_problem(
        client.post("/v1/registry", json=other, headers=auth),
        409,
        "claim_id_reused",
        f"claim id {off['claim']['id']} of 'regulator' was already used for a different claim "
        f"(entry {first.json()['index']})",
    )

"""Acceptance 1 of issue 13, checked from outside: every registry change is an entry of the log that a
regulator can read, and the log's own entries prove a newly added key.

Nothing here comes from `ledger/` or `events/`. Requests go over HTTP
(the fixtures `client` and `admin` of tests/api/conftest.py: an in-process client of the app), claims
are signed with `cryptography` and `rfc8785`, and every check is made by `tests.specverify`, the
verifier written from docs/ledger-format.md.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests import specverify

PACK = "001PB12ABCDEFGG1F0000001"
PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}
WhitelistChange = Callable[[str, bool, date, str], None]


@pytest.fixture
def change_whitelist(client: httpx.Client, admin: dict[str, str]) -> WhitelistChange:
    """The administrator's 规范条件 change, `PATCH /v1/orgs/{org}`."""

    def change(org_id: str, listed: bool, effective: date, reference: str) -> None:
        body = {"whitelisted": listed, "effective": effective.isoformat(), "reference": reference}
        response = client.patch(f"/v1/orgs/{org_id}", json=body, headers=admin)
        assert response.status_code == 200, response.text
        assert response.json()["whitelisted"] is (listed or effective > date.today())

    return change


# --- HTTP alone from here on --------------------------------------------------------------------------


def raw_public(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def register(client: httpx.Client, admin: dict[str, str], org_id: str, roles: list[str], **extra: Any) -> str:
    body = {"id": org_id, "name": org_id, "roles": roles, **extra}
    created = client.post("/v1/orgs", json=body, headers=admin)
    assert created.status_code == 201, created.text
    return str(created.json()["token"])


def add_key(
    client: httpx.Client, headers: dict[str, str], org_id: str, key_id: str, private: Ed25519PrivateKey
) -> None:
    body = {"key_id": key_id, "public_key": base64.b64encode(raw_public(private)).decode()}
    added = client.post(f"/v1/orgs/{org_id}/keys", json=body, headers=headers)
    assert added.status_code == 201, added.text


def signed_checkpoint(client: httpx.Client, vkey: str) -> specverify.Checkpoint:
    return specverify.verify_checkpoint(client.get("/v1/log/checkpoint").text, vkey)


def entries(client: httpx.Client, regulator: dict[str, str], start: int, end: int) -> list[dict[str, Any]]:
    """Entries [start, end) as `/v1/log/entries` serves them to a regulator, each hash checked."""
    found: list[dict[str, Any]] = []
    while start + len(found) < end:
        page = client.get("/v1/log/entries", params={"start": start + len(found), "end": end}, headers=regulator)
        assert page.status_code == 200, page.text
        for item in page.json()["entries"]:
            assert item["index"] == start + len(found) == item["entry"]["index"]
            assert item["hash"] == specverify.entry_hash(item["entry"])
            found.append(item["entry"])
    return found


class Growth:
    """Each registry change grows the log: the entries it added, read back as a regulator."""

    def __init__(self, client: httpx.Client, vkey: str) -> None:
        self.client, self.vkey = client, vkey
        self.size = signed_checkpoint(client, vkey).size
        self.regulator: dict[str, str] = {}

    def new_entries(self) -> list[dict[str, Any]]:
        size = signed_checkpoint(self.client, self.vkey).size
        assert size > self.size, "the change did not grow the log"
        grown = entries(self.client, self.regulator, self.size, size)
        self.size = size
        return grown


def test_each_registry_change_is_an_entry_that_proves_the_new_key(
    client: httpx.Client,
    admin: dict[str, str],
    change_whitelist: WhitelistChange,
) -> None:
    vkey = client.get("/v1/log/key").json()["verifier_key"]
    regulator_token = register(client, admin, "fj-miit", ["regulator"])
    log = Growth(client, vkey)
    log.regulator = {"Authorization": f"Bearer {regulator_token}"}

    # Registering an organisation: one org_registered entry of subject org:gem.
    register(client, admin, "gem", ["recycler"], whitelisted=True)
    [registered] = log.new_entries()
    assert (registered["subject"], registered["claim"]["type"], registered["claim"]["by"]) == (
        "org:gem", "org_registered", "admin")  # fmt: skip
    assert registered["claim"]["data"] == {"name": "gem", "roles": ["recycler"], "manufacturer_codes": [],
                                           "region": None, "whitelisted": True}  # fmt: skip
    assert "sig" not in registered

    # Adding a key (the organisation's first, on the administrator's token): the public key's bytes are in the log.
    first, second = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    add_key(client, admin, "gem", "gem/1", first)
    [added] = log.new_entries()
    assert (added["subject"], added["seq"], added["prev"]) == ("org:gem", 1, specverify.entry_hash(registered))
    assert added["claim"]["type"] == "key_added" and added["claim"]["data"]["key_id"] == "gem/1"
    assert base64.b64decode(added["claim"]["data"]["public_key"]) == raw_public(first)

    # A later key, added by the administrator; then the first one revoked.
    add_key(client, admin, "gem", "gem/2", second)
    [later] = log.new_entries()
    assert base64.b64decode(later["claim"]["data"]["public_key"]) == raw_public(second)
    revoked = client.delete("/v1/orgs/gem/keys/gem/1", headers=admin)
    assert revoked.status_code == 200, revoked.text
    [revocation] = log.new_entries()
    assert (revocation["claim"]["type"], revocation["claim"]["data"], revocation["claim"]["by"]) == (
        "key_revoked", {"key_id": "gem/1"}, "admin")  # fmt: skip

    # Changing the 规范条件 flag, with the date it takes effect and the decision's reference.
    change_whitelist("gem", False, date(2027, 1, 1), "工信部公告 2026年第30号")
    [delisted] = log.new_entries()
    assert (delisted["subject"], delisted["claim"]["type"], delisted["claim"]["data"]) == (
        "org:gem", "org_changed",
        {"whitelist": {"listed": False, "effective": "2027-01-01", "reference": "工信部公告 2026年第30号"}},
    )  # fmt: skip

    # An organisation's own first key on its own token, and an event it signs with it.
    maker_token = register(client, admin, "maker", ["manufacturer"], manufacturer_codes=["001"])
    maker = Ed25519PrivateKey.generate()
    add_key(client, {"Authorization": f"Bearer {maker_token}"}, "maker", "maker/1", maker)
    claim: dict[str, Any] = {"v": 1, "id": str(uuid.uuid4()), "pack": PACK, "type": "produced"}
    claim |= {"at": "2026-03-02T01:00:00Z", "actor": "maker", "key": "maker/1", "data": PRODUCED}
    event = {"claim": claim, "sig": base64.b64encode(maker.sign(rfc8785.dumps(claim))).decode()}
    posted = client.post("/v1/events", json=event, headers={"Authorization": f"Bearer {maker_token}"})
    assert posted.status_code == 201, posted.text
    grown = log.new_entries()
    assert [e.get("subject", e.get("pack")) for e in grown] == ["org:maker", "org:maker", PACK]
    assert grown[1]["claim"]["by"] == "token" and grown[1]["claim"]["actor"] == "maker"

    # The whole log, read as a regulator: the registry it folds holds the keys as the changes made them, every
    # signature checks with a key valid at its position, and the root of all entries is the checkpoint's.
    checkpoint = signed_checkpoint(client, vkey)
    everything = entries(client, log.regulator, 0, checkpoint.size)
    registry = specverify.verify_entries(everything)
    assert registry.keys["gem/2"].public_key == raw_public(second)
    assert registry.keys["gem/1"].revoked == revocation["index"]
    assert registry.orgs["gem"].whitelist == [(False, date(2027, 1, 1), "工信部公告 2026年第30号", delisted["index"])]
    assert specverify.root_of(everything) == checkpoint.root
    leaves = [hashlib.sha256(b"\x00" + specverify.entry_bytes(e)).digest() for e in everything]
    assert len(set(leaves)) == checkpoint.size


def test_the_log_key_endpoint_verifies_the_checkpoint_over_registry_entries(
    client: httpx.Client,
    admin: dict[str, str],
) -> None:
    """Before any pack event, the log already holds entries: the organisations registered, with a checkpoint
    signed by the key `/v1/log/key` publishes, and nothing else signs it."""
    token = register(client, admin, "fj-miit", ["regulator"])
    published = client.get("/v1/log/key").json()
    name, _, key = published["verifier_key"].split("+", 2)  # base64 may hold '+', a key name may not
    assert base64.b64decode(published["public_key"]) == base64.b64decode(key)[1:]
    checkpoint = signed_checkpoint(client, published["verifier_key"])
    served = entries(client, {"Authorization": f"Bearer {token}"}, 0, checkpoint.size)
    assert [e["claim"]["type"] for e in served][-1] == "org_registered"
    assert specverify.root_of(served) == checkpoint.root
    other = Ed25519PrivateKey.generate()
    key_id = hashlib.sha256(name.encode() + b"\n\x01" + raw_public(other)).digest()[:4]
    blob = base64.b64encode(b"\x01" + raw_public(other)).decode()
    stranger = f"{name}+{key_id.hex()}+{blob}"
    with pytest.raises(specverify.SpecViolation, match="no signature by"):
        specverify.verify_checkpoint(client.get("/v1/log/checkpoint").text, stranger)

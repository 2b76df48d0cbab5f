"""Verify the log over HTTP alone, as an outside auditor would: nothing from `ledger/` or `events/` is
imported here; claims are signed with `cryptography` and `rfc8785` directly, and every check is made by
`tests.specverify`, the verifier written from the specifications.

The fixtures `client` (an httpx client of the app) and `admin` (the admin token's header) are the only
things this test takes from the rest of the suite.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

import httpx
import pytest
import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from tests import specverify

PACKS = ["001PB12ABCDEFGG1F0000001", "001PB12ABCDEFGG1F0000002", "001PB12ABCDEFGG1F0000003"]
VIN = "LSVAU218XN2183294"
PRODUCED = {"chemistry": "LFP", "rated_capacity_kwh": 60.0, "nominal_voltage_v": 350.0, "mass_kg": 380.0}


class Org:
    """An organisation made over HTTP, with its own Ed25519 key."""

    def __init__(self, client: httpx.Client, admin: dict[str, str], org_id: str, role: str, **extra: Any) -> None:
        created = client.post("/v1/orgs", json={"id": org_id, "name": org_id, "roles": [role], **extra}, headers=admin)
        assert created.status_code == 201, created.text
        self.id, self.key_id = org_id, f"{org_id}/1"
        self.auth = {"Authorization": f"Bearer {created.json()['token']}"}
        self.private = Ed25519PrivateKey.generate()
        self.public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        body = {"key_id": self.key_id, "public_key": base64.b64encode(self.public).decode()}
        assert client.post(f"/v1/orgs/{org_id}/keys", json=body, headers=self.auth).status_code == 201

    def event(self, pack: str, type: str, data: dict[str, Any]) -> dict[str, Any]:
        claim: dict[str, Any] = {
            "v": 1,
            "id": str(uuid.uuid4()),
            "pack": pack,
            "type": type,
            "at": "2026-03-02T01:00:00Z",
            "actor": self.id,
            "key": self.key_id,
            "data": data,
        }
        return {"claim": claim, "sig": base64.b64encode(self.private.sign(rfc8785.dumps(claim))).decode()}


def post(client: httpx.Client, org: Org, *events: dict[str, Any]) -> None:
    response = client.post("/v1/events/batch", json={"events": list(events)}, headers=org.auth)
    assert response.status_code == 201, response.text


def checkpoint(client: httpx.Client, vkey: str) -> specverify.Checkpoint:
    response = client.get("/v1/log/checkpoint")
    assert response.headers["content-type"].startswith("text/plain")
    return specverify.verify_checkpoint(response.text, vkey)


def all_entries(client: httpx.Client, regulator: Org, size: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    while len(entries) < size:
        page = client.get("/v1/log/entries", params={"start": len(entries), "end": min(size, len(entries) + 2)},
                          headers=regulator.auth).json()  # fmt: skip
        assert page["start"] == len(entries) and page["entries"], page
        for item in page["entries"]:
            assert item["index"] == len(entries) == item["entry"]["index"]
            assert item["hash"] == specverify.entry_hash(item["entry"])
            entries.append(item["entry"])
    return entries


def check_claim(entry: dict[str, Any], public_keys: dict[str, bytes]) -> None:
    claim = entry["claim"]
    Ed25519PublicKey.from_public_bytes(public_keys[claim["key"]]).verify(
        base64.b64decode(entry["sig"]), rfc8785.dumps(claim)
    )


def check_bundle(bundle: dict[str, Any], vkey: str, pack: str) -> None:
    """DESIGN §3.4: signed checkpoint, the chain from seq 0, every signature, the last entry's inclusion."""
    signed = specverify.verify_checkpoint(bundle["checkpoint"], vkey)
    keys = {k["key_id"]: base64.b64decode(k["public_key"]) for k in bundle["keys"]}
    prev = None
    for seq, entry in enumerate(bundle["entries"]):
        assert (entry["pack"], entry["seq"], entry["prev"]) == (pack, seq, prev)
        check_claim(entry, keys)
        prev = specverify.entry_hash(entry)
    proof = bundle["proof"]
    assert (proof["index"], proof["tree_size"]) == (bundle["entries"][-1]["index"], signed.size)
    last = specverify.entry_bytes(bundle["entries"][-1])
    specverify.verify_inclusion(last, proof["index"], proof["tree_size"], proof["hashes"], signed.root)


def test_an_auditor_verifies_the_log_over_http(client: httpx.Client, admin: dict[str, str]) -> None:
    maker = Org(client, admin, "maker", "manufacturer", manufacturer_codes=["001"])
    automaker = Org(client, admin, "automaker", "automaker")
    regulator = Org(client, admin, "regulator", "regulator")
    vkey = client.get("/v1/log/key").json()["verifier_key"]
    registered = checkpoint(client, vkey).size  # the organisations and their keys are the log's first entries
    assert registered >= 6

    # (1) a first state of the log, and its signed checkpoint
    post(client, maker, *(maker.event(pack, "produced", PRODUCED) for pack in PACKS))
    post(client, maker, maker.event(PACKS[0], "shipped", {"to": "automaker"}))
    old = checkpoint(client, vkey)
    assert old.size == registered + 4

    # (2) the log grows
    post(client, automaker, automaker.event(PACKS[0], "received", {"from": "maker"}))
    post(client, automaker, automaker.event(PACKS[0], "installed", {"vin": VIN}))
    post(client, maker, maker.event(PACKS[1], "shipped", {"to": "automaker"}))
    new = checkpoint(client, vkey)
    assert (new.origin, new.size) == (old.origin, registered + 7)

    # (3) the entries recompute the checkpoint's root; every hash, link and signature holds
    entries = all_entries(client, regulator, new.size)
    leaves = [specverify.entry_bytes(e) for e in entries]
    assert specverify.mth(leaves) == new.root
    assert specverify.mth(leaves[: old.size]) == old.root
    # the keys the claims are checked with are the ones the log's registry entries published (each
    # organisation's first key, registered with its own token: an unsigned registry claim)
    assert all("subject" in entry and "pack" not in entry for entry in entries[:registered])
    assert all("pack" in entry for entry in entries[registered:])
    published = {
        e["claim"]["data"]["key_id"]: base64.b64decode(e["claim"]["data"]["public_key"])
        for e in entries[:registered]
        if e["claim"]["type"] == "key_added"
    }
    assert published == {org.key_id: org.public for org in (maker, automaker, regulator)}
    heads: dict[str, str | None] = {}
    for entry in entries:
        chain = entry["pack"] if "pack" in entry else entry["subject"]  # a pack's chain, or an organisation's
        assert entry["prev"] == heads.get(chain)
        heads[chain] = hashlib.sha256(rfc8785.dumps(entry)).hexdigest()
        if "pack" in entry:
            check_claim(entry, published)
        else:
            assert "sig" not in entry and entry["claim"]["by"] in {"admin", "token"}

    # (4) every entry's inclusion proof, and the consistency of the two checkpoints
    for index, leaf in enumerate(leaves):
        proof = client.get("/v1/log/proof/inclusion", params={"index": index, "size": new.size}).json()
        specverify.verify_inclusion(leaf, index, new.size, proof["hashes"], new.root)
    consistency = client.get("/v1/log/proof/consistency", params={"from": old.size, "to": new.size}).json()
    assert (consistency["from"], consistency["to"]) == (old.size, new.size)
    specverify.verify_consistency(old.size, new.size, consistency["hashes"], old.root, new.root)

    # (5) a pack's offline bundle checks with public keys alone
    bundle = client.get(f"/v1/packs/{PACKS[0]}/bundle", headers=regulator.auth).json()
    check_bundle(bundle, vkey, PACKS[0])
    assert bundle["entries"][-1]["claim"]["data"] == {"vin": VIN}
    assert client.get(f"/v1/packs/{PACKS[0]}").json()["head"] == heads[PACKS[0]]


def test_a_tampered_bundle_fails_the_independent_check(client: httpx.Client, admin: dict[str, str]) -> None:
    maker = Org(client, admin, "maker", "manufacturer", manufacturer_codes=["001"])
    regulator = Org(client, admin, "regulator", "regulator")
    post(client, maker, maker.event(PACKS[0], "produced", PRODUCED))
    post(client, maker, maker.event(PACKS[0], "recalled", {"campaign": "R1", "reason": "cells"}))
    vkey = client.get("/v1/log/key").json()["verifier_key"]
    bundle = client.get(f"/v1/packs/{PACKS[0]}/bundle", headers=regulator.auth).json()
    check_bundle(bundle, vkey, PACKS[0])

    signed_anew = {**bundle["entries"][1], "sig": bundle["entries"][1]["sig"]}
    bundle["entries"][1]["claim"]["data"]["reason"] = "nothing happened"
    with pytest.raises(InvalidSignature):
        check_bundle(bundle, vkey, PACKS[0])
    # re-signed by the maker itself, the edit still cannot hide: the entry is not the one in the log
    signed_anew["claim"] = bundle["entries"][1]["claim"]
    signed_anew["sig"] = base64.b64encode(maker.private.sign(rfc8785.dumps(signed_anew["claim"]))).decode()
    bundle["entries"][1] = signed_anew
    with pytest.raises(specverify.SpecViolation):
        check_bundle(bundle, vkey, PACKS[0])

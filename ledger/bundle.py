"""The offline bundle of one pack (DESIGN §3.4) and its verification with public keys alone.

Because each entry commits to its predecessor's hash, one inclusion proof of the pack's last entry
against a signed checkpoint authenticates the whole chain.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events.errors import NotFoundError, PacktraceError, VerificationError
from ledger import merkle, note, registry
from ledger.canonical import canonical, entry_hash
from ledger.claims import parse_recorded_at
from ledger.log import Ledger

BUNDLE_FORMAT = "packtrace-bundle/1"


def _iso(moment: Any) -> str | None:
    if moment is None:
        return None
    return str(registry.as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def make_bundle(ledger: Ledger, code: str) -> dict[str, Any]:
    """Everything needed to check `code`'s history offline, against the latest checkpoint."""
    checkpoint = ledger.latest_checkpoint()
    rows = ledger.pack_entries(code)
    if not rows or checkpoint is None:
        raise NotFoundError(f"unknown pack {code}", code="unknown_pack")
    entries = [json.loads(body) for _, _, body in rows]
    last_index = rows[-1][0]
    if last_index >= checkpoint.size:  # appended after the checkpoint we read: read it again
        checkpoint = ledger.latest_checkpoint()
        assert checkpoint is not None and last_index < checkpoint.size
    with ledger.engine.connect() as conn:
        keys = registry.get_keys(conn, {e["claim"]["key"] for e in entries})
    return {
        "format": BUNDLE_FORMAT,
        "pack": code,
        "entries": entries,
        "keys": [
            {
                "key_id": k.key_id,
                "org": k.org,
                "public_key": base64.b64encode(k.public_key).decode(),
                "valid_from": _iso(k.valid_from),
                "revoked_at": _iso(k.revoked_at),
                "platform_held": k.platform_held,
            }
            for k in sorted(keys.values(), key=lambda k: k.key_id)
        ],
        "proof": {
            "index": last_index,
            "tree_size": checkpoint.size,
            "hashes": [h.hex() for h in ledger.inclusion_proof(last_index, checkpoint.size)],
        },
        "checkpoint": checkpoint.note,
        "log_key": ledger.signer.verifier_key,
    }


@dataclass(frozen=True)
class BundleSummary:
    pack: str
    entries: int
    tree_size: int
    root: bytes


def verify_bundle(bundle: Any, log_key: str) -> BundleSummary:
    """Check a bundle with the log's verifier key; return what it proves or raise VerificationError.

    (1) the checkpoint is signed by the log key; (2) the entries form the pack's chain from seq 0;
    (3) every claim is signed by a listed key of its actor, valid when recorded; (4) the last entry is
    included in the checkpointed tree.
    """
    try:
        return _verify(bundle, log_key)
    except VerificationError:
        raise
    except (PacktraceError, KeyError, TypeError, ValueError) as exc:
        raise VerificationError(f"malformed bundle: {exc!r}") from None


def _verify(bundle: dict[str, Any], log_key: str) -> BundleSummary:
    if bundle.get("format") != BUNDLE_FORMAT:
        raise VerificationError(f"not a {BUNDLE_FORMAT} file (format {bundle.get('format')!r})")
    # (1):
    checkpoint = note.parse_checkpoint(note.open_note(bundle["checkpoint"], log_key))
    code = bundle["pack"]
    entries = bundle["entries"]
    if not entries:
        raise VerificationError("the bundle holds no entries")
    keys = {k["key_id"]: k for k in bundle["keys"]}
    # (2):
    prev: str | None = None
    last_bytes = b""
    for position, entry in enumerate(entries):
        where = f"entry seq {position} (index {entry.get('index')})"
        if entry["pack"] != code or entry["claim"]["pack"] != code:
            raise VerificationError(f"{where} belongs to pack {entry['pack']}, not {code}")
        if entry["seq"] != position:
            raise VerificationError(f"{where}: expected seq {position}, found {entry['seq']}")
        if entry["prev"] != prev:
            raise VerificationError(f"{where}: prev {entry['prev']} but the previous entry hashes to {prev}")
        last_bytes = canonical(entry)
        prev = entry_hash(last_bytes)
        # (3):
        claim = entry["claim"]
        key = keys.get(claim["key"])
        if key is None or key["org"] != claim["actor"]:
            raise VerificationError(f"{where}: no key {claim['key']!r} of {claim['actor']!r} in the bundle")
        recorded = parse_recorded_at(entry["recorded_at"])
        valid_from = parse_recorded_at(key["valid_from"])
        revoked = parse_recorded_at(key["revoked_at"]) if key["revoked_at"] else None
        if recorded < valid_from or (revoked is not None and recorded >= revoked):
            raise VerificationError(f"{where}: key {claim['key']!r} was not valid at {entry['recorded_at']}")
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
        try:
            public.verify(base64.b64decode(entry["sig"]), canonical(claim))
        except InvalidSignature:
            raise VerificationError(f"{where}: signature does not verify with key {claim['key']!r}") from None
    # (4):
    proof = bundle["proof"]
    if proof["tree_size"] != checkpoint.size:
        raise VerificationError(f"proof is for tree size {proof['tree_size']}, checkpoint is {checkpoint.size}")
    if proof["index"] != entries[-1]["index"]:
        raise VerificationError(f"proof is for index {proof['index']}, the last entry is {entries[-1]['index']}")
    merkle.verify_inclusion(
        merkle.leaf_hash(last_bytes),
        proof["index"],
        proof["tree_size"],
        [bytes.fromhex(h) for h in proof["hashes"]],
        checkpoint.root,
    )
    return BundleSummary(code, len(entries), checkpoint.size, checkpoint.root)

"""The signed claim of DESIGN §3.1: its envelope, canonical bytes and Ed25519 signature."""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from events.errors import InvalidClaim
from events.state import Event
from events.text import INVALID_CHARACTER, check_text, refused_character
from events.timestamps import format_at, from_rfc3339
from ledger.format import ed25519
from ledger.format.canonical import canonical, canonical_claim

CLAIM_FIELDS = frozenset({"v", "id", "pack", "type", "at", "actor", "key", "prev", "data"})
REQUIRED_FIELDS = CLAIM_FIELDS - {"prev"}
_AT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_HEX_HASH = re.compile(r"^[0-9a-f]{64}$")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class SignedClaim:
    """A claim as received: the object exactly as signed, its canonical bytes, the signature, and the
    envelope's members (checked by `parse_claim`) read once, since the append path asks for them often."""

    claim: Mapping[str, Any]
    claim_bytes: bytes
    sig: str
    at: datetime
    id: str
    actor: str
    pack: str
    type: str
    key_id: str
    prev: str | None
    event: Event

    def signature(self) -> bytes:
        return base64.b64decode(self.sig, validate=True)


def _text(claim: Mapping[str, Any], name: str) -> str:
    value = claim[name]
    if not isinstance(value, str) or not value or len(value) > _MAX_TEXT:
        raise InvalidClaim(f"claim.{name} must be a non-empty string of at most {_MAX_TEXT} characters")
    return check_text(value, f"claim.{name}", error=InvalidClaim)


def _claim_id(claim: Mapping[str, Any]) -> str:
    """The id, in the one spelling a UUID has here: one UUID spelled two ways would be two idempotency keys."""
    value = claim["id"]
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        shown = repr(value[:60]) if isinstance(value, str) else type(value).__name__
        raise InvalidClaim(
            f"claim.id must be a UUID in canonical form (8-4-4-4-12 lowercase hex digits), found {shown}",
            code="invalid_claim_id",
        )
    return value


def _check_data_text(data: dict[str, Any]) -> None:
    """Every member name and string inside `data`, however nested, holds no refused character (free text
    may hold line breaks and tabs; member names may not)."""
    stack: list[Any] = [(("data",), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            bad = refused_character(value, free_text=True)
            if bad is not None:
                raise InvalidClaim(f"claim.{'.'.join(path)} holds {bad}", code=INVALID_CHARACTER)
        elif isinstance(value, dict):
            for name, member in value.items():
                if isinstance(name, str) and refused_character(name) is not None:
                    raise InvalidClaim(
                        f"claim.{'.'.join(path)} has a member name holding {refused_character(name)}",
                        code=INVALID_CHARACTER,
                    )
                stack.append(((*path, str(name)), member))
        elif isinstance(value, list):
            stack.extend(((*path, str(i)), item) for i, item in enumerate(value))


def parse_claim(claim: Any, sig: Any) -> SignedClaim:
    """Check the claim envelope (not the payload, not the signature) and canonicalise it."""
    if not isinstance(claim, dict):
        raise InvalidClaim("claim must be a JSON object")
    if not claim.keys() <= CLAIM_FIELDS:
        raise InvalidClaim(f"claim has unknown fields: {', '.join(sorted(set(claim) - CLAIM_FIELDS))}")
    if not claim.keys() >= REQUIRED_FIELDS:
        raise InvalidClaim(f"claim is missing fields: {', '.join(sorted(REQUIRED_FIELDS - set(claim)))}")
    if claim["v"] != 1 or isinstance(claim["v"], bool):
        raise InvalidClaim(f"claim.v must be 1, found {claim['v']!r}")
    claim_id = _claim_id(claim)
    pack, kind, actor, key = _text(claim, "pack"), _text(claim, "type"), _text(claim, "actor"), _text(claim, "key")
    at_text = claim["at"]
    if not isinstance(at_text, str) or not _AT.match(at_text):
        raise InvalidClaim(f"claim.at must be RFC 3339 UTC with whole seconds and Z, found {at_text!r}")
    try:
        at = from_rfc3339(at_text)  # its form is checked above
    except ValueError:
        raise InvalidClaim(f"claim.at is not a real time: {at_text!r}") from None
    prev = claim.get("prev")
    if prev is not None and (not isinstance(prev, str) or not _HEX_HASH.match(prev)):
        raise InvalidClaim("claim.prev must be null or a lowercase hex SHA-256 entry hash")
    data = claim["data"]
    if not isinstance(data, dict):
        raise InvalidClaim("claim.data must be a JSON object")
    _check_data_text(data)
    if not isinstance(sig, str):
        raise InvalidClaim("sig must be a base64 string")
    try:
        raw = base64.b64decode(sig, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidClaim("sig is not valid base64", code="invalid_signature") from None
    if len(raw) != 64:
        raise InvalidClaim(f"sig must be 64 bytes of Ed25519 signature, found {len(raw)}", code="invalid_signature")
    return SignedClaim(
        claim=claim,
        claim_bytes=canonical_claim(claim),
        sig=sig,
        at=at,
        id=claim_id,
        actor=actor,
        pack=pack,
        type=kind,
        key_id=key,
        prev=prev,
        event=Event(pack=pack, type=kind, at=at, actor=actor, data=data),
    )


def bad_signature(signed: SignedClaim) -> InvalidClaim:
    return InvalidClaim(
        f"signature of claim {signed.id} does not verify with key {signed.key_id!r}", code="invalid_signature"
    )


def verify_signature(signed: SignedClaim, public_key: Ed25519PublicKey) -> None:
    if not ed25519.verify(public_key.public_bytes_raw(), signed.signature(), signed.claim_bytes):
        raise bad_signature(signed)


def sign_claim(claim: Mapping[str, Any], private_key: Ed25519PrivateKey) -> str:
    """The `sig` of a claim: standard base64 of Ed25519 over its RFC 8785 bytes."""
    return base64.b64encode(private_key.sign(canonical(dict(claim)))).decode()


def new_claim(
    *,
    pack: str,
    type: str,
    actor: str,
    key: str,
    data: Mapping[str, Any],
    at: datetime,
    claim_id: str | None = None,
    prev: str | None = None,
) -> dict[str, Any]:
    """A claim dict for clients and tests; `prev` is included only when given."""
    claim: dict[str, Any] = {
        "v": 1,
        "id": claim_id or str(uuid.uuid4()),
        "pack": pack,
        "type": type,
        "at": format_at(at),
        "actor": actor,
        "key": key,
        "data": dict(data),
    }
    if prev is not None:
        claim["prev"] = prev
    return claim


def make_signed_claim(
    private_key: Ed25519PrivateKey,
    *,
    pack: str,
    type: str,
    actor: str,
    key: str,
    data: Mapping[str, Any],
    at: datetime,
    claim_id: str | None = None,
    prev: str | None = None,
) -> tuple[dict[str, Any], str]:
    """A new claim signed with `private_key` (registered as `key`): the claim and its `sig`, as every
    signer (the client, the platform for its custodial keys, the demo, the tests) makes them."""
    claim = new_claim(pack=pack, type=type, actor=actor, key=key, data=data, at=at, claim_id=claim_id, prev=prev)
    return claim, sign_claim(claim, private_key)

"""Registering organisations, their API tokens (stored hashed) and their Ed25519 public keys: the rules
a registration keeps (names, key ids, key bytes, no code or id taken twice).

Functions here take a connection inside the caller's transaction and never commit; the rows are
ledger.store.registry's.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events.errors import ConflictError, InputError, NotFoundError
from events.orgs import ORG_ID, Org, check_org_name
from events.text import KEY_ID_MAX, check_text
from events.timestamps import as_utc
from ledger.format import edwards
from ledger.store import registry
from ledger.store.db import Connection
from ledger.store.registry import KeyRecord

KEY_NAME = re.compile(r"[A-Za-z0-9._-]+")
KEY_ID_PATTERN = rf"^[a-z0-9][a-z0-9-]{{1,62}}/{KEY_NAME.pattern}$"  # with the organisation's own id in front


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(org_id: str) -> str:
    return f"pt_{org_id}_{secrets.token_urlsafe(24)}"


def create_org(conn: Connection, org: Org, *, now: datetime) -> str:
    """Insert an organisation and return its API token (only its hash is stored)."""
    check_org_name(org.id, org.name)
    if registry.org_exists(conn, org.id):
        raise ConflictError(f"organisation {org.id!r} already exists", code="org_exists")
    owners = registry.code_owners(conn, org.manufacturer_codes)
    if owners:
        taken = ", ".join(f"{code!r} by {owner!r}" for code, owner in sorted(owners.items()))
        raise ConflictError(
            f"manufacturer code already owned by another organisation: {taken}", code="manufacturer_code_taken"
        )
    token = new_token(org.id)
    registry.insert_org(conn, org, token_hash=token_hash(token), now=now)
    return token


def rotate_token(conn: Connection, org_id: str) -> str:
    token = new_token(org_id)
    if not registry.set_token_hash(conn, org_id, token_hash(token)):
        raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
    return token


def org_by_token(conn: Connection, token: str) -> Org | None:
    return registry.org_by_token_hash(conn, token_hash(token))


def decode_public_key(text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("public_key is not valid base64", code="invalid_key") from None
    if len(raw) != 32:
        raise InputError(f"public_key must be 32 raw Ed25519 bytes, found {len(raw)}", code="invalid_key")
    try:
        Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise InputError("public_key is not an Ed25519 public key", code="invalid_key") from None
    refused = edwards.refusal(raw)
    if refused is not None:
        if refused.weak:
            raise InputError(
                f"public_key is {refused.reason}: no signature made with it proves anything", code="weak_key"
            )
        raise InputError(f"public_key is {refused.reason}", code="invalid_key")
    return raw


def check_key_id(org_id: str, key_id: str) -> str:
    """A new key's id: `<org id>/<name>`, the name of letters, digits, '.', '_' and '-', at most KEY_ID_MAX
    characters in all (so no organisation can take another's key ids first)."""
    check_text(key_id, "key_id", max_length=KEY_ID_MAX)
    if not key_id.startswith(f"{org_id}/"):
        raise InputError(
            f"key_id {key_id!r} must start with its organisation's id and '/': {org_id}/…", code="key_id_prefix"
        )
    if not KEY_NAME.fullmatch(key_id[len(org_id) + 1 :]):
        raise InputError(
            f"key_id {key_id!r}: after '{org_id}/' come 1 or more letters, digits, '.', '_' or '-'",
            code="invalid_key_id",
        )
    return key_id


def add_key(
    conn: Connection,
    org_id: str,
    key_id: str,
    public_key: bytes,
    *,
    now: datetime,
    platform_held: bool = False,
    sealed_private_key: bytes | None = None,
) -> KeyRecord:
    check_key_id(org_id, key_id)
    if not ORG_ID.fullmatch(org_id) or not registry.org_exists(conn, org_id):
        raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
    if registry.key_exists(conn, key_id):
        raise ConflictError(f"key {key_id!r} is already registered", code="key_exists")
    record = KeyRecord(key_id, org_id, public_key, as_utc(now), None, platform_held)
    registry.insert_key(conn, record, sealed_private_key=sealed_private_key)
    return record


def revoke_key(conn: Connection, org_id: str, key_id: str, *, now: datetime) -> KeyRecord:
    record = registry.get_keys(conn, [key_id]).get(key_id)
    if record is None or record.org != org_id:
        raise NotFoundError(f"organisation {org_id!r} has no key {key_id!r}", code="unknown_key")
    if record.revoked_at is None:
        registry.set_revoked(conn, key_id, now)
    return registry.get_keys(conn, [key_id])[key_id]

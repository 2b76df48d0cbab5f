"""What a registration needs beside its registry entry: API tokens (stored hashed, never in the log), key
ids, and the check that a public key is a usable Ed25519 key. Which registry changes are allowed and who
may authorise them is events.registry's; the entries are written by ledger.append.registry.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events import registry as registry_rules
from events.errors import InputError, NotFoundError
from events.orgs import Org
from events.registry import KEY_NAME
from ledger.format import edwards
from ledger.store import registry
from ledger.store.db import Connection

KEY_ID_PATTERN = rf"^[a-z0-9][a-z0-9-]{{1,62}}/{KEY_NAME.pattern}$"  # with the organisation's own id in front


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(org_id: str) -> str:
    return f"pt_{org_id}_{secrets.token_urlsafe(24)}"


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
    """A new key's id: `<org id>/<name>` (events.registry.check_key_id)."""
    return registry_rules.check_key_id(org_id, key_id)


def next_key_id(conn: Connection, org_id: str, stem: str) -> str:
    """`<org>/<stem><n>` with the lowest n not taken (key ids are unique across organisations)."""
    prefix = f"{org_id}/{stem}"
    taken = registry.key_ids_starting(conn, prefix)
    number = 1
    while f"{prefix}{number}" in taken:
        number += 1
    return f"{prefix}{number}"

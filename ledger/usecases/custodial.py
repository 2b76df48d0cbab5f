"""Platform-held signing keys (DESIGN §3.1): for an organisation without a signing system of its own.

The platform generates the organisation's Ed25519 key, stores the private key sealed (AES-256-GCM under
a key derived with HKDF-SHA256 from the server's sealing secret), registers the public key like any
other with `platform_held` set, and signs claims with it only on that organisation's own authenticated
requests. A verifier reads `platform_held` in the key registry (and in every bundle): such a signature
attests that the organisation's authenticated session asked the platform to post, not that the
organisation's own system signed.

A sealed key is `version ‖ nonce ‖ ciphertext`; the associated data binds it to its key id and
organisation, so a sealed key copied into another organisation's row does not open.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from events.errors import AuthorisationError, NotFoundError
from events.registry import By, new_registry_claim, org_subject
from ledger.append.outcome import Appended
from ledger.format.claims import make_signed_claim
from ledger.log import Ledger
from ledger.store import registry
from ledger.store.db import Connection
from ledger.usecases import places, registration
from ledger.usecases.access import Caller, require_org

MIN_SEALING_KEY_BYTES = 32
SEALED_VERSION = b"\x01"
_NONCE_BYTES = 12
_HKDF_INFO = b"packtrace platform-held signing keys v1"


class SealingError(RuntimeError):
    """A sealed key does not open with this server's sealing secret: a configuration fault, not a request's."""


def load_or_create_sealing_key(path: Path) -> bytes:
    """The sealing secret in `path` (32 random bytes, hex), created readable by its owner only if missing.

    Losing this file makes every platform-held key unusable (their organisations then need new keys);
    keep it out of the database and its backups.
    """
    try:
        return _parse_sealing_key(path, path.read_text())
    except FileNotFoundError:
        pass
    secret = os.urandom(MIN_SEALING_KEY_BYTES)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it first: use theirs
        return _parse_sealing_key(path, path.read_text())
    with os.fdopen(fd, "w") as out:
        out.write(secret.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    return secret


def _parse_sealing_key(path: Path, text: str) -> bytes:
    try:
        secret = bytes.fromhex(text.strip())
    except ValueError:
        raise ValueError(f"{path} must hold the sealing secret as hex") from None
    _check_secret(secret)
    return secret


def _check_secret(sealing_key: bytes) -> None:
    if len(sealing_key) < MIN_SEALING_KEY_BYTES:
        raise ValueError(f"the sealing secret must be at least {MIN_SEALING_KEY_BYTES} bytes, found {len(sealing_key)}")


def _aead(sealing_key: bytes) -> AESGCM:
    _check_secret(sealing_key)
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(sealing_key)
    return AESGCM(derived)


def _associated_data(org_id: str, key_id: str) -> bytes:
    return f"packtrace-key\n{org_id}\n{key_id}".encode()


def seal(private_key: Ed25519PrivateKey, *, org_id: str, key_id: str, sealing_key: bytes) -> bytes:
    raw = private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _aead(sealing_key).encrypt(nonce, raw, _associated_data(org_id, key_id))
    return SEALED_VERSION + nonce + sealed


def unseal(sealed: bytes, *, org_id: str, key_id: str, sealing_key: bytes) -> Ed25519PrivateKey:
    if not sealed.startswith(SEALED_VERSION) or len(sealed) <= 1 + _NONCE_BYTES:
        raise SealingError(f"the sealed private key of {key_id!r} is not in a known format")
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        raw = _aead(sealing_key).decrypt(nonce, body, _associated_data(org_id, key_id))
    except InvalidTag:
        raise SealingError(
            f"the private key of {key_id!r} does not open with this server's sealing secret "
            "(a different secret, or a sealed key moved between rows)"
        ) from None
    return Ed25519PrivateKey.from_private_bytes(raw)


def create_platform_key(ledger: Ledger, org_id: str, *, sealing_key: bytes) -> registry.KeyRecord:
    """Generate a key for `org_id` on the server, seal it, and register it as platform-held: a `key_added`
    registry entry with `platform_held` set, authorised by the administrator (the CLI, the demo), with the
    sealed private half written beside it in the same transaction (never into the log).

    Key ids are `<org>/platform-<n>`. An organisation may hold several (to rotate: create, then revoke
    the old one); `post_as` signs with the newest valid one.
    """
    _check_secret(sealing_key)
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    with ledger.engine.connect() as conn:
        if registry.get_org(conn, org_id) is None:
            raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
        key_id = registration.next_key_id(conn, org_id, "platform-")
    sealed = seal(private, org_id=org_id, key_id=key_id, sealing_key=sealing_key)
    claim = new_registry_claim(
        subject=org_subject(org_id),
        type="key_added",
        by=By.ADMIN,
        data={"key_id": key_id, "public_key": base64.b64encode(public).decode(), "platform_held": True},
        at=ledger.clock(),
    )

    def store_sealed(conn: Connection, _: list[Appended]) -> None:
        registry.set_sealed_private_key(conn, key_id, sealed)

    ledger.append_registry([(claim, None)], after=store_sealed)
    with ledger.engine.connect() as conn:
        return registry.get_keys(conn, [key_id])[key_id]


def _signing_key(ledger: Ledger, org_id: str, *, sealing_key: bytes) -> tuple[str, Ed25519PrivateKey]:
    """The newest platform-held key of `org_id` valid now, unsealed; 403 when there is none."""
    with ledger.engine.connect() as conn:
        sealed = {key.key_id: key.sealed_private_key for key in registry.platform_held_keys(conn, org_id)}
        records = registry.get_keys(conn, set(sealed))
        if not sealed and registry.get_org(conn, org_id) is None:
            raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
    now = ledger.clock()
    newest_first = sorted(records.values(), key=lambda r: (r.valid_from, r.key_id), reverse=True)
    for record in newest_first:
        blob = sealed[record.key_id]
        if record.valid_at(now) and blob is not None:
            private = unseal(blob, org_id=org_id, key_id=record.key_id, sealing_key=sealing_key)
            if private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw) != record.public_key:
                raise SealingError(f"the sealed private key of {record.key_id!r} does not match its public key")
            return record.key_id, private
    if records:
        revoked = ", ".join(repr(key_id) for key_id in sorted(records))
        raise AuthorisationError(
            f"every platform-held key of {org_id!r} is revoked ({revoked}); the platform cannot sign for it",
            code="key_revoked",
        )
    raise AuthorisationError(f"{org_id!r} has no platform-held key; it signs its own claims", code="no_platform_key")


def post_as(
    ledger: Ledger,
    org_id: str,
    *,
    pack: str,
    type: str,
    data: Mapping[str, Any],
    at: datetime | None = None,
    prev: str | None = None,
    claim_id: str | None = None,
    sealing_key: bytes,
) -> Appended:
    """Sign a claim of `org_id` with its platform-held key and append it, exactly as a client's would be.

    Call this only on `org_id`'s own authenticated request (the web pages: `post_for`, which takes the
    caller): the platform signs on its behalf. Pass the form's `claim_id` and `at` to make a resubmitted form
    an idempotent retry rather than a second event.
    """
    key_id, private = _signing_key(ledger, org_id, sealing_key=sealing_key)
    claim, sig = make_signed_claim(
        private, pack=pack, type=type, actor=org_id, key=key_id, data=data, at=at or ledger.clock(), prev=prev,
        claim_id=claim_id,
    )  # fmt: skip
    return ledger.append_one(claim, sig, as_org=org_id)


def post_together_as(
    ledger: Ledger,
    org_id: str,
    claims: list[tuple[str, str, Mapping[str, Any], str | None]],
    *,
    at: datetime | None = None,
    sealing_key: bytes,
) -> list[Appended]:
    """`post_as` for claims that travel together, `(pack, type, data, prev)` each: one request, all or none."""
    key_id, private = _signing_key(ledger, org_id, sealing_key=sealing_key)
    when = at or ledger.clock()
    items = [
        make_signed_claim(private, pack=pack, type=type, actor=org_id, key=key_id, data=data, at=when, prev=prev)
        for pack, type, data, prev in claims
    ]
    return ledger.append(items, as_org=org_id)


def post_for(
    ledger: Ledger,
    caller: Caller,
    *,
    pack: str,
    type: str,
    data: Mapping[str, Any],
    at: datetime | None = None,
    prev: str | None = None,
    claim_id: str | None = None,
    sealing_key: bytes,
) -> Appended:
    """`post_as` for the organisation of an authenticated request, so the platform cannot sign for anyone else."""
    org = require_org(caller, "posting events")
    places.require_writes_in_jurisdiction(ledger, caller, [{"pack": pack}])
    return post_as(
        ledger, org.id, pack=pack, type=type, data=data, at=at, prev=prev, claim_id=claim_id, sealing_key=sealing_key
    )

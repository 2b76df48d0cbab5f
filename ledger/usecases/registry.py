"""Organisations, their API tokens (stored hashed) and their Ed25519 public keys.

Functions here take a connection inside the caller's transaction and never commit.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, insert, select, update

from events.errors import ConflictError, InputError, NotFoundError
from events.orgs import ORG_ID, Org, Role, check_org_name
from events.text import KEY_ID_MAX, check_text
from ledger.format import edwards
from ledger.store.schema import Org as OrgRow
from ledger.store.schema import OrgKey

KEY_NAME = re.compile(r"[A-Za-z0-9._-]+")
KEY_ID_PATTERN = rf"^[a-z0-9][a-z0-9-]{{1,62}}/{KEY_NAME.pattern}$"  # with the organisation's own id in front

ORG_TABLE = OrgRow.__table__  # type: ignore[attr-defined]
KEY_TABLE = OrgKey.__table__  # type: ignore[attr-defined]


def as_utc(moment: datetime) -> datetime:
    """Timestamps are aware UTC everywhere (SQLModel stores them so on both backends)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(org_id: str) -> str:
    return f"pt_{org_id}_{secrets.token_urlsafe(24)}"


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    org: str
    public_key: bytes
    valid_from: datetime
    revoked_at: datetime | None
    platform_held: bool

    def public(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(self.public_key)

    def valid_at(self, moment: datetime) -> bool:
        moment = as_utc(moment)
        return as_utc(self.valid_from) <= moment and (self.revoked_at is None or moment < as_utc(self.revoked_at))


def _org_from_row(row: object) -> Org:
    return Org(
        id=row.id,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        roles=frozenset(Role(r) for r in row.roles),  # type: ignore[attr-defined]
        manufacturer_codes=frozenset(row.manufacturer_codes),  # type: ignore[attr-defined]
        whitelisted=bool(row.whitelisted),  # type: ignore[attr-defined]
    )


def _owners_of_codes(conn: Connection, codes: frozenset[str]) -> dict[str, str]:
    """Which organisation owns each of `codes` already (few organisations: read them all)."""
    owners: dict[str, str] = {}
    for row in conn.execute(select(ORG_TABLE.c.id, ORG_TABLE.c.manufacturer_codes)):
        owners.update({code: row.id for code in row.manufacturer_codes if code in codes})
    return owners


def create_org(conn: Connection, org: Org, *, now: datetime) -> str:
    """Insert an organisation and return its API token (only its hash is stored)."""
    check_org_name(org.id, org.name)
    if conn.execute(select(ORG_TABLE.c.id).where(ORG_TABLE.c.id == org.id)).first():
        raise ConflictError(f"organisation {org.id!r} already exists", code="org_exists")
    owners = _owners_of_codes(conn, org.manufacturer_codes)
    if owners:
        taken = ", ".join(f"{code!r} by {owner!r}" for code, owner in sorted(owners.items()))
        raise ConflictError(
            f"manufacturer code already owned by another organisation: {taken}", code="manufacturer_code_taken"
        )
    token = new_token(org.id)
    conn.execute(
        insert(ORG_TABLE).values(
            id=org.id,
            name=org.name,
            roles=sorted(r.value for r in org.roles),
            manufacturer_codes=sorted(org.manufacturer_codes),
            whitelisted=org.whitelisted,
            token_hash=token_hash(token),
            created_at=as_utc(now),
        )
    )
    return token


def rotate_token(conn: Connection, org_id: str) -> str:
    token = new_token(org_id)
    result = conn.execute(update(ORG_TABLE).where(ORG_TABLE.c.id == org_id).values(token_hash=token_hash(token)))
    if result.rowcount == 0:
        raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
    return token


def get_org(conn: Connection, org_id: str) -> Org | None:
    row = conn.execute(select(ORG_TABLE).where(ORG_TABLE.c.id == org_id)).first()
    return _org_from_row(row) if row else None


def list_orgs(conn: Connection) -> list[Org]:
    return [_org_from_row(r) for r in conn.execute(select(ORG_TABLE).order_by(ORG_TABLE.c.id))]


def org_by_token(conn: Connection, token: str) -> Org | None:
    row = conn.execute(select(ORG_TABLE).where(ORG_TABLE.c.token_hash == token_hash(token))).first()
    return _org_from_row(row) if row else None


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
    if not ORG_ID.fullmatch(org_id) or get_org(conn, org_id) is None:
        raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
    if conn.execute(select(KEY_TABLE.c.key_id).where(KEY_TABLE.c.key_id == key_id)).first():
        raise ConflictError(f"key {key_id!r} is already registered", code="key_exists")
    conn.execute(
        insert(KEY_TABLE).values(
            key_id=key_id,
            org=org_id,
            public_key=public_key,
            valid_from=as_utc(now),
            revoked_at=None,
            platform_held=platform_held,
            sealed_private_key=sealed_private_key,
        )
    )
    return KeyRecord(key_id, org_id, public_key, as_utc(now), None, platform_held)


def revoke_key(conn: Connection, org_id: str, key_id: str, *, now: datetime) -> KeyRecord:
    record = get_keys(conn, [key_id]).get(key_id)
    if record is None or record.org != org_id:
        raise NotFoundError(f"organisation {org_id!r} has no key {key_id!r}", code="unknown_key")
    if record.revoked_at is None:
        conn.execute(update(KEY_TABLE).where(KEY_TABLE.c.key_id == key_id).values(revoked_at=as_utc(now)))
    return get_keys(conn, [key_id])[key_id]


def _key_from_row(row: object) -> KeyRecord:
    return KeyRecord(
        key_id=row.key_id,  # type: ignore[attr-defined]
        org=row.org,  # type: ignore[attr-defined]
        public_key=bytes(row.public_key),  # type: ignore[attr-defined]
        valid_from=row.valid_from,  # type: ignore[attr-defined]
        revoked_at=row.revoked_at,  # type: ignore[attr-defined]
        platform_held=bool(row.platform_held),  # type: ignore[attr-defined]
    )


def get_keys(conn: Connection, key_ids: list[str] | set[str]) -> dict[str, KeyRecord]:
    if not key_ids:
        return {}
    rows = conn.execute(select(KEY_TABLE).where(KEY_TABLE.c.key_id.in_(sorted(key_ids))))
    return {r.key_id: _key_from_row(r) for r in rows}


def keys_of(conn: Connection, org_ids: list[str] | set[str]) -> list[KeyRecord]:
    rows = conn.execute(select(KEY_TABLE).where(KEY_TABLE.c.org.in_(sorted(org_ids))).order_by(KEY_TABLE.c.key_id))
    return [_key_from_row(r) for r in rows]


def all_keys(conn: Connection) -> dict[str, KeyRecord]:
    return {r.key_id: _key_from_row(r) for r in conn.execute(select(KEY_TABLE))}

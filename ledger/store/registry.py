"""The key registry's rows: organisations (with their API token's hash) and their Ed25519 public keys.

Functions take a connection inside the caller's transaction and never commit. Timestamps come back aware
UTC on both backends (SQLite hands SQLModel's datetime columns back naive).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, insert, select, update

from events.orgs import Org, Role
from events.timestamps import as_utc
from ledger.format.keys import KeyValidity
from ledger.store.schema import ORG, ORG_KEY


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

    @property
    def validity(self) -> KeyValidity:
        return KeyValidity(self.valid_from, self.revoked_at)

    def valid_at(self, moment: datetime) -> bool:
        return self.validity.covers(as_utc(moment))


@dataclass(frozen=True)
class SealedKey:
    """A platform-held key's sealed private half, with the names its sealing is bound to."""

    key_id: str
    org: str
    sealed_private_key: bytes | None


# -- organisations --------------------------------------------------------------------------------------


def _org(row: Any) -> Org:
    return Org(
        id=row.id,
        name=row.name,
        roles=frozenset(Role(r) for r in row.roles),
        manufacturer_codes=frozenset(row.manufacturer_codes),
        whitelisted=bool(row.whitelisted),
    )


def insert_org(conn: Connection, org: Org, *, token_hash: str, now: datetime) -> None:
    conn.execute(
        insert(ORG).values(
            id=org.id,
            name=org.name,
            roles=sorted(r.value for r in org.roles),
            manufacturer_codes=sorted(org.manufacturer_codes),
            whitelisted=org.whitelisted,
            token_hash=token_hash,
            created_at=as_utc(now),
        )
    )


def org_exists(conn: Connection, org_id: str) -> bool:
    return conn.execute(select(ORG.c.id).where(ORG.c.id == org_id)).first() is not None


def code_owners(conn: Connection, codes: Collection[str]) -> dict[str, str]:
    """Which organisation owns each of `codes` already (few organisations: read them all)."""
    owners: dict[str, str] = {}
    for row in conn.execute(select(ORG.c.id, ORG.c.manufacturer_codes)):
        owners.update({code: row.id for code in row.manufacturer_codes if code in codes})
    return owners


def set_token_hash(conn: Connection, org_id: str, token_hash: str) -> bool:
    """Replace the organisation's token hash; False when there is no such organisation."""
    result = conn.execute(update(ORG).where(ORG.c.id == org_id).values(token_hash=token_hash))
    return bool(result.rowcount)


def get_org(conn: Connection, org_id: str) -> Org | None:
    row = conn.execute(select(ORG).where(ORG.c.id == org_id)).first()
    return _org(row) if row else None


def list_orgs(conn: Connection) -> list[Org]:
    return [_org(r) for r in conn.execute(select(ORG).order_by(ORG.c.id))]


def org_by_token_hash(conn: Connection, token_hash: str) -> Org | None:
    row = conn.execute(select(ORG).where(ORG.c.token_hash == token_hash)).first()
    return _org(row) if row else None


# -- keys -----------------------------------------------------------------------------------------------


def _key(row: Any) -> KeyRecord:
    return KeyRecord(
        key_id=row.key_id,
        org=row.org,
        public_key=bytes(row.public_key),
        valid_from=as_utc(row.valid_from),
        revoked_at=None if row.revoked_at is None else as_utc(row.revoked_at),
        platform_held=bool(row.platform_held),
    )


def insert_key(conn: Connection, record: KeyRecord, *, sealed_private_key: bytes | None = None) -> None:
    conn.execute(
        insert(ORG_KEY).values(
            key_id=record.key_id,
            org=record.org,
            public_key=record.public_key,
            valid_from=as_utc(record.valid_from),
            revoked_at=None if record.revoked_at is None else as_utc(record.revoked_at),
            platform_held=record.platform_held,
            sealed_private_key=sealed_private_key,
        )
    )


def key_exists(conn: Connection, key_id: str) -> bool:
    return conn.execute(select(ORG_KEY.c.key_id).where(ORG_KEY.c.key_id == key_id)).first() is not None


def set_revoked(conn: Connection, key_id: str, at: datetime) -> None:
    conn.execute(update(ORG_KEY).where(ORG_KEY.c.key_id == key_id).values(revoked_at=as_utc(at)))


def get_keys(conn: Connection, key_ids: Collection[str]) -> dict[str, KeyRecord]:
    if not key_ids:
        return {}
    rows = conn.execute(select(ORG_KEY).where(ORG_KEY.c.key_id.in_(sorted(key_ids))))
    return {r.key_id: _key(r) for r in rows}


def keys_of(conn: Connection, org_ids: Collection[str]) -> list[KeyRecord]:
    rows = conn.execute(select(ORG_KEY).where(ORG_KEY.c.org.in_(sorted(org_ids))).order_by(ORG_KEY.c.key_id))
    return [_key(r) for r in rows]


def all_keys(conn: Connection) -> dict[str, KeyRecord]:
    return {r.key_id: _key(r) for r in conn.execute(select(ORG_KEY))}


def key_ids_starting(conn: Connection, prefix: str) -> set[str]:
    """Key ids that start with `prefix` (taken literally: `%` and `_` match only themselves)."""
    rows = conn.execute(select(ORG_KEY.c.key_id).where(ORG_KEY.c.key_id.startswith(prefix, autoescape=True)))
    return set(rows.scalars())


def platform_held_keys(conn: Connection, org_id: str) -> list[SealedKey]:
    rows = conn.execute(
        select(ORG_KEY.c.key_id, ORG_KEY.c.org, ORG_KEY.c.sealed_private_key).where(
            ORG_KEY.c.org == org_id, ORG_KEY.c.platform_held.is_(True)
        )
    )
    return [
        SealedKey(r.key_id, r.org, None if r.sealed_private_key is None else bytes(r.sealed_private_key)) for r in rows
    ]


def first_sealed_key(conn: Connection) -> SealedKey | None:
    """The sealed key with the lowest key id, if any key is sealed."""
    row = conn.execute(
        select(ORG_KEY.c.key_id, ORG_KEY.c.org, ORG_KEY.c.sealed_private_key)
        .where(ORG_KEY.c.sealed_private_key.is_not(None))
        .order_by(ORG_KEY.c.key_id)
        .limit(1)
    ).first()
    return None if row is None else SealedKey(row.key_id, row.org, bytes(row.sealed_private_key))

"""The registry's projection rows: organisations (with their API token's hash) and their Ed25519 public
keys, as the registry entries of the log make them (events.registry; written by ledger.append.registry in
the entry's transaction), and the last entry of each registry subject's chain.

Functions take a connection inside the caller's transaction and never commit. Timestamps come back aware
UTC on both backends (SQLite hands SQLModel's datetime columns back naive).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Connection, Engine, func, insert, inspect, select, text, update

from events.orgs import Org, Role
from events.registry import REGISTRY_TYPES, KeyState, OrgRecord, WhitelistChange
from events.timestamps import as_utc
from ledger.format.keys import KeyValidity
from ledger.store.schema import ENTRY, ORG, ORG_KEY


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


def _record(row: Any) -> OrgRecord:
    return OrgRecord(
        id=row.id,
        name=row.name,
        roles=frozenset(Role(r) for r in row.roles),
        manufacturer_codes=frozenset(row.manufacturer_codes),
        region=row.region,
        whitelisted=bool(row.whitelisted),
        whitelist=tuple(WhitelistChange.from_dict(w) for w in row.whitelist or ()),
    )


def _org(row: Any) -> Org:
    """The organisation as it stands now (its 规范条件 status on today's date)."""
    return _record(row).at(datetime.now(UTC))


def _org_values(record: OrgRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "roles": sorted(r.value for r in record.roles),
        "manufacturer_codes": sorted(record.manufacturer_codes),
        "region": record.region,
        "whitelisted": record.whitelisted,
        "whitelist": [w.to_dict() for w in record.whitelist],
    }


def put_org(conn: Connection, record: OrgRecord, *, now: datetime) -> None:
    """Write an organisation's projection row as the registry now holds it (insert or update)."""
    values = _org_values(record)
    if conn.execute(update(ORG).where(ORG.c.id == record.id).values(**values)).rowcount == 0:
        conn.execute(insert(ORG).values(id=record.id, created_at=as_utc(now), token_hash=None, **values))


def get_org_record(conn: Connection, org_id: str) -> OrgRecord | None:
    row = conn.execute(select(ORG).where(ORG.c.id == org_id)).first()
    return _record(row) if row else None


def org_records(conn: Connection) -> list[OrgRecord]:
    return [_record(r) for r in conn.execute(select(ORG).order_by(ORG.c.id))]


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


def put_key(conn: Connection, key: KeyState) -> None:
    """Write a key's projection row as the registry now holds it (insert, or update its revocation)."""
    revoked_at = None if key.revoked_at is None else as_utc(key.revoked_at)
    if conn.execute(update(ORG_KEY).where(ORG_KEY.c.key_id == key.key_id).values(revoked_at=revoked_at)).rowcount:
        return
    conn.execute(
        insert(ORG_KEY).values(
            key_id=key.key_id,
            org=key.org,
            public_key=key.public_key,
            valid_from=as_utc(key.valid_from),
            revoked_at=revoked_at,
            platform_held=key.platform_held,
            sealed_private_key=None,
        )
    )


def set_sealed_private_key(conn: Connection, key_id: str, sealed: bytes) -> None:
    conn.execute(update(ORG_KEY).where(ORG_KEY.c.key_id == key_id).values(sealed_private_key=sealed))


def key_states(conn: Connection) -> list[KeyState]:
    """Every key as a registry state in force now (positions before any entry still to come)."""
    return [
        KeyState(k.key_id, k.org, k.public_key, k.platform_held, k.valid_from, -1, k.revoked_at,
                 None if k.revoked_at is None else -1)
        for k in all_keys(conn).values()
    ]  # fmt: skip


def key_exists(conn: Connection, key_id: str) -> bool:
    return conn.execute(select(ORG_KEY.c.key_id).where(ORG_KEY.c.key_id == key_id)).first() is not None


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


# -- registry subjects' chains and the columns of this version ---------------------------------------------


def subject_head(conn: Connection, subject: str) -> tuple[str | None, int]:
    """(hash, seq) of the last entry of a registry subject's chain; (None, -1) before its first."""
    row = conn.execute(
        select(ENTRY.c.hash, ENTRY.c.seq).where(ENTRY.c.pack == subject).order_by(ENTRY.c.seq.desc()).limit(1)
    ).first()
    return (None, -1) if row is None else (str(row.hash), int(row.seq))


def has_registry_entries(conn: Connection) -> bool:
    """Whether the log records any organisation (ix_entry_type_at serves the lookup)."""
    found = conn.execute(select(ENTRY.c.idx).where(ENTRY.c.type == "org_registered").limit(1)).first()
    return found is not None


def org_count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(ORG)).scalar_one())


class RegistryState(NamedTuple):
    orgs: int  # organisation rows
    logged: bool  # the log records organisations (this version's registry entries)
    entries: int  # registry entries in the log


def registry_state(engine: Engine) -> RegistryState:
    """How far a database's registry is in its log (`packtrace migrate`, `packtrace verify`); a database
    whose `org` table predates the registry in the log reads as not logged."""
    with engine.connect() as conn:
        if "whitelist" not in {c["name"] for c in inspect(conn).get_columns("org")}:
            count = conn.execute(text("SELECT count(*) FROM org")).scalar_one()
            return RegistryState(int(count), False, 0)
        entries = conn.execute(
            select(func.count()).select_from(ENTRY).where(ENTRY.c.type.in_(sorted(REGISTRY_TYPES)))
        ).scalar_one()
        return RegistryState(org_count(conn), has_registry_entries(conn), int(entries))


def add_missing_columns(engine: Engine) -> None:
    """Give a database made before the registry was in the log the columns of this version (migration
    7a4c1e9b2d60 does the same for Alembic-managed databases)."""
    inspector = inspect(engine)
    present = {c["name"] for c in inspector.get_columns("org")}
    pack = next(c for c in inspector.get_columns("entry") if c["name"] == "pack")
    pack_length = getattr(pack["type"], "length", None)
    with engine.begin() as conn:
        if "region" not in present:
            kind = ORG.c.region.type.compile(dialect=engine.dialect)
            conn.execute(text(f"ALTER TABLE org ADD COLUMN region {kind}"))
        if "whitelist" not in present:
            kind = ORG.c.whitelist.type.compile(dialect=engine.dialect)
            conn.execute(text(f"ALTER TABLE org ADD COLUMN whitelist {kind} NOT NULL DEFAULT '[]'"))
        if engine.dialect.name == "postgresql" and pack_length is not None and pack_length < 80:
            conn.execute(text("ALTER TABLE entry ALTER COLUMN pack TYPE VARCHAR(80)"))


def org_created(conn: Connection) -> dict[str, datetime]:
    """When each organisation's row was made (the migration dates its `org_registered` by it)."""
    return {r.id: as_utc(r.created_at) for r in conn.execute(select(ORG.c.id, ORG.c.created_at))}


def subject_entries(conn: Connection, subject: str) -> list[tuple[int, str, bytes]]:
    """(index, hash, bytes) of every entry of a registry subject's chain, in order."""
    rows = conn.execute(
        select(ENTRY.c.idx, ENTRY.c.hash, ENTRY.c.body).where(ENTRY.c.pack == subject).order_by(ENTRY.c.seq)
    )
    return [(int(r.idx), str(r.hash), bytes(r.body)) for r in rows]

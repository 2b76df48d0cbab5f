"""Organisations and their keys as the API and the CLI manage them: register, list, revoke.

Each function checks what the caller may do (ledger.usecases.access), does its work in at most one
transaction (the rules of a registration: ledger.usecases.registration), and answers an output model of
ledger.usecases.views.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

from events.errors import NotFoundError
from events.orgs import Org, parse_roles
from events.timestamps import as_utc
from ledger.append import head as log_head
from ledger.log import Ledger
from ledger.store import head as stored_head
from ledger.store import registry
from ledger.store.db import write_connection
from ledger.usecases import registration
from ledger.usecases.access import Caller, require_admin, require_authenticated, require_self_or_admin
from ledger.usecases.views import KeyView, OrgCreated, OrgView


def create_org(
    ledger: Ledger,
    caller: Caller,
    *,
    org_id: str,
    name: str,
    roles: Sequence[str],
    manufacturer_codes: Sequence[str] = (),
    whitelisted: bool = False,
) -> OrgCreated:
    require_admin(caller, "create organisations")
    org = Org(org_id, name, parse_roles(roles), frozenset(manufacturer_codes), whitelisted)
    with write_connection(ledger.engine) as conn, conn.begin():
        token = registration.create_org(conn, org, now=ledger.clock())
    return OrgCreated(org=OrgView.of(org), token=token)


def list_orgs(ledger: Ledger, caller: Caller) -> list[OrgView]:
    require_admin(caller, "list organisations")
    with ledger.engine.connect() as conn:
        return [OrgView.of(org) for org in registry.list_orgs(conn)]


def _key_view(record: registry.KeyRecord) -> KeyView:
    return KeyView(
        key_id=record.key_id,
        org=record.org,
        public_key=base64.b64encode(record.public_key).decode(),
        valid_from=as_utc(record.valid_from),
        revoked_at=as_utc(record.revoked_at) if record.revoked_at else None,
        platform_held=record.platform_held,
    )


def add_key(ledger: Ledger, caller: Caller, org_id: str, *, key_id: str, public_key: str) -> KeyView:
    """Register an Ed25519 public key (standard base64 of its 32 raw bytes) for `org_id`."""
    require_self_or_admin(caller, org_id, "register its keys")
    raw = registration.decode_public_key(public_key)
    with write_connection(ledger.engine) as conn, conn.begin():
        record = registration.add_key(conn, org_id, key_id, raw, now=ledger.clock())
    return _key_view(record)


def revoke_key(ledger: Ledger, caller: Caller, org_id: str, key_id: str) -> KeyView:
    """Revoke a key from now on; revoking a revoked key changes nothing."""
    require_self_or_admin(caller, org_id, "revoke its keys")
    with write_connection(ledger.engine, durable=True) as conn, conn.begin():
        # Under the log head's lock, like an append: the revocation comes after every entry recorded so
        # far and before every later one (ledger/append/head.py).
        at = log_head.revocation_time(conn, stored_head.lock(conn), ledger.clock)
        record = registration.revoke_key(conn, org_id, key_id, now=at)
    return _key_view(record)


def list_keys(ledger: Ledger, caller: Caller, org_id: str | None = None) -> list[KeyView]:
    """Every organisation's keys (the administrator), or one organisation's, with their validity, to any
    authenticated caller: they are public keys, which bundles hand to every organisation anyway."""
    with ledger.engine.connect() as conn:
        if org_id is None:
            require_admin(caller, "list every organisation's keys")
            records = sorted(registry.all_keys(conn).values(), key=lambda k: k.key_id)
        else:
            require_authenticated(caller, "listing an organisation's keys")
            if registry.get_org(conn, org_id) is None:
                raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
            records = registry.keys_of(conn, [org_id])
    return [_key_view(r) for r in records]

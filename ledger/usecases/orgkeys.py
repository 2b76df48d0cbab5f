"""Organisations and their keys as the API and the CLI manage them: register, change, add and revoke keys,
list, and read an organisation's registry history.

Every change is a registry entry of the log (events.registry, docs/ledger-format.md §5), appended with
its projection rows in one transaction (`Ledger.append_registry`). Each function checks what the caller
may do (ledger.usecases.access) and says who authorised the change: the administrator's token, the
organisation's own token (its first key only), or a signed claim (`submit`). Answers are output models
of ledger.usecases.views.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from events.errors import AuthorisationError, InvalidClaim, NotFoundError
from events.orgs import Org, check_org_name, parse_roles
from events.registry import (
    By,
    RegistryType,
    new_registry_claim,
    org_subject,
    parse_registry_claim,
    registered_data,
)
from events.timestamps import as_utc
from ledger.append.outcome import Appended
from ledger.log import Ledger
from ledger.store import registry
from ledger.store.db import Connection
from ledger.usecases import registration
from ledger.usecases.access import (
    Caller,
    require_admin,
    require_authenticated,
    require_self_or_admin,
)
from ledger.usecases.views import KeyStatus, KeyView, OrgCreated, OrgView, RegistryAppended, RegistryEntryView


def create_org(
    ledger: Ledger,
    caller: Caller,
    *,
    org_id: str,
    name: str,
    roles: Sequence[str],
    manufacturer_codes: Sequence[str] = (),
    whitelisted: bool = False,
    region: str | None = None,
) -> OrgCreated:
    require_admin(caller, "create organisations")
    org = Org(org_id, name, parse_roles(roles), frozenset(manufacturer_codes), whitelisted, region)
    check_org_name(org.id, org.name)
    token = registration.new_token(org.id)
    claim = new_registry_claim(
        subject=org_subject(org.id), type="org_registered", by=By.ADMIN, data=registered_data(org), at=ledger.clock()
    )

    def store_token(conn: Connection, _: list[Appended]) -> None:
        registry.set_token_hash(conn, org.id, registration.token_hash(token))

    ledger.append_registry([(claim, None)], after=store_token)
    return OrgCreated(org=OrgView.of(org), token=token)


def register_many(
    ledger: Ledger, caller: Caller, orgs: Sequence[tuple[Org, Sequence[tuple[str, bytes]]]]
) -> dict[str, str]:
    """The administrator registers organisations with their first keys (key id, raw public key) in one
    registry transaction, as the demo province and test fixtures do; their API tokens, by organisation."""
    require_admin(caller, "create organisations")
    tokens = {org.id: registration.new_token(org.id) for org, _ in orgs}
    items: list[tuple[dict[str, Any], str | None]] = []
    at = ledger.clock()
    for org, keys in orgs:
        check_org_name(org.id, org.name)
        subject = org_subject(org.id)
        items.append((new_registry_claim(subject=subject, type="org_registered", by=By.ADMIN,
                                         data=registered_data(org), at=at), None))  # fmt: skip
        for key_id, raw in keys:
            registration.check_key_id(org.id, key_id)
            registration.decode_public_key(base64.b64encode(raw).decode())
            data = {"key_id": key_id, "public_key": base64.b64encode(raw).decode(), "platform_held": False}
            items.append((new_registry_claim(subject=subject, type="key_added", by=By.ADMIN, data=data, at=at), None))

    def store_tokens(conn: Connection, _: list[Appended]) -> None:
        for org_id, token in tokens.items():
            registry.set_token_hash(conn, org_id, registration.token_hash(token))

    ledger.append_registry(items, after=store_tokens)
    return tokens


def update_org(
    ledger: Ledger,
    caller: Caller,
    org_id: str,
    *,
    name: str | None = None,
    roles: Sequence[str] | None = None,
    manufacturer_codes: Sequence[str] | None = None,
    region: str | None = None,
    whitelisted: bool | None = None,
    effective: date | None = None,
    reference: str | None = None,
) -> OrgView:
    """The administrator changes an organisation (`PATCH /v1/orgs/{org}`, `packtrace orgs update`): one
    `org_changed` entry with what changes. A 规范条件 change needs the date it takes effect and the
    decision's reference (e.g. the MIIT announcement number)."""
    require_admin(caller, "change organisations")
    data: dict[str, Any] = {}
    if name is not None:
        data["name"] = name
    if roles is not None:
        data["roles"] = sorted({str(r) for r in parse_roles(roles)})
    if manufacturer_codes is not None:
        data["manufacturer_codes"] = sorted(set(manufacturer_codes))
    if region is not None:
        data["region"] = region or None
    if whitelisted is not None:
        if effective is None or not reference:
            raise InvalidClaim(
                "a 规范条件 change needs `effective` (the date it takes effect) and `reference` (e.g. the MIIT "
                "announcement number)（规范条件变更须注明生效日期和依据文号）",
                code="whitelist_needs_date_and_reference",
            )
        data["whitelist"] = {"listed": whitelisted, "effective": effective.isoformat(), "reference": reference}
    elif effective is not None or reference is not None:
        raise InvalidClaim("`effective` and `reference` go with `whitelisted`", code="invalid_registry_claim")
    if not data:
        raise InvalidClaim("nothing to change（未指定任何变更）", code="nothing_to_change")
    claim = new_registry_claim(subject=org_subject(org_id), type="org_changed", by=By.ADMIN, data=data,
                               at=ledger.clock())  # fmt: skip
    ledger.append_registry([(claim, None)])
    return _org_view(ledger, org_id)


def _org_view(ledger: Ledger, org_id: str) -> OrgView:
    org = ledger.org(org_id)
    if org is None:
        raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
    return OrgView.of(org)


def list_orgs(ledger: Ledger, caller: Caller) -> list[OrgView]:
    require_admin(caller, "list organisations")
    with ledger.engine.connect() as conn:
        return [OrgView.of(org) for org in registry.list_orgs(conn)]


def _key_status(record: registry.KeyRecord, now: datetime) -> KeyStatus:
    refusal = record.validity.refusal(as_utc(now))
    if refusal == "key_revoked":
        return "revoked"
    return "not_yet_valid" if refusal == "key_not_yet_valid" else "active"


def _key_view(record: registry.KeyRecord, now: datetime) -> KeyView:
    return KeyView(
        key_id=record.key_id,
        org=record.org,
        public_key=base64.b64encode(record.public_key).decode(),
        valid_from=as_utc(record.valid_from),
        revoked_at=as_utc(record.revoked_at) if record.revoked_at else None,
        platform_held=record.platform_held,
        status=_key_status(record, now),
    )


def _key(ledger: Ledger, key_id: str) -> KeyView:
    with ledger.engine.connect() as conn:
        return _key_view(registry.get_keys(conn, [key_id])[key_id], ledger.clock())


def add_key(ledger: Ledger, caller: Caller, org_id: str, *, key_id: str, public_key: str) -> KeyView:
    """Register an Ed25519 public key (standard base64 of its 32 raw bytes) for `org_id`, on a token: the
    administrator's, or the organisation's own for its first key. A later key needs a claim signed by a
    current key of the organisation (`submit`)."""
    require_self_or_admin(caller, org_id, "register its keys")
    if not caller.is_admin:
        with ledger.engine.connect() as conn:
            later = bool(registry.keys_of(conn, [org_id]))
        if later:  # the registry would refuse it too (AUTHORITY): this says what to do instead
            raise AuthorisationError(
                f"a token alone registers only {org_id!r}'s first key: sign a key_added claim with a current key "
                f"of {org_id!r} and post it to POST /v1/registry（仅凭令牌只能登记首个密钥：后续密钥请用本企业现行"
                "密钥签名 key_added 声明并提交至 POST /v1/registry）",
                code="registry_needs_signature",
            )
    registration.check_key_id(org_id, key_id)
    raw = registration.decode_public_key(public_key)
    by = By.ADMIN if caller.is_admin else By.TOKEN
    claim = new_registry_claim(
        subject=org_subject(org_id),
        type="key_added",
        by=by,
        actor=None if by == By.ADMIN else caller.org_id,
        data={"key_id": key_id, "public_key": base64.b64encode(raw).decode(), "platform_held": False},
        at=ledger.clock(),
    )
    ledger.append_registry([(claim, None)])
    return _key(ledger, key_id)


def revoke_key(ledger: Ledger, caller: Caller, org_id: str, key_id: str) -> KeyView:
    """The administrator revokes a key from the next entry on; revoking a revoked key changes nothing.
    An organisation or a regulator revokes with a signed claim (`submit`)."""
    if not caller.is_admin:
        require_self_or_admin(caller, org_id, "revoke its keys")
        raise AuthorisationError(
            f"a token alone cannot revoke {org_id!r}'s keys: post a key_revoked claim signed by a current key of "
            f"{org_id!r} to POST /v1/registry（仅凭令牌不能吊销密钥：请提交由本企业现行密钥签名的吊销声明）",
            code="registry_needs_signature",
        )
    with ledger.engine.connect() as conn:
        record = registry.get_keys(conn, [key_id]).get(key_id)
    if record is None or record.org != org_id:
        raise NotFoundError(f"organisation {org_id!r} has no key {key_id!r}", code="unknown_key")
    if record.revoked_at is None:
        claim = new_registry_claim(subject=org_subject(org_id), type="key_revoked", by=By.ADMIN,
                                   data={"key_id": key_id}, at=ledger.clock())  # fmt: skip
        ledger.append_registry([(claim, None)])
    return _key(ledger, key_id)


def submit(ledger: Ledger, caller: Caller, claim: Mapping[str, Any], sig: str) -> RegistryAppended:
    """Append a signed registry claim (`POST /v1/registry`): a later key of the organisation, a
    revocation by the organisation or a regulator, a 规范条件 change by a regulator. The caller is the
    claim's signer (or the administrator relaying it); its signature and the signer's authority are
    checked against the registry in force (events.registry.Registry.apply)."""
    require_authenticated(caller, "posting registry claims")
    if not isinstance(claim, Mapping) or not isinstance(sig, str):
        raise InvalidClaim("a registry claim is {claim, sig}: a JSON object and its base64 signature")
    parsed = parse_registry_claim(claim)
    if parsed.by != By.SIGNATURE:
        raise InvalidClaim(
            "POST /v1/registry takes claims authorised by 'signature'; the administrator's changes use "
            "PATCH /v1/orgs/{org} and the keys endpoints",
            code="registry_needs_signature",
        )
    if not caller.is_admin and caller.org_id != parsed.actor:
        raise AuthorisationError(f"{caller.describe()} may not post a claim signed by {parsed.actor!r}",
                                 code="not_your_claim")  # fmt: skip
    if parsed.type == RegistryType.KEY_ADDED:  # an ordinary Ed25519 key, as POST /v1/orgs/{org}/keys checks
        registration.decode_public_key(parsed.data["public_key"])
    appended = ledger.append_registry([(dict(claim), sig)])[0]
    return RegistryAppended(index=appended.index, hash=appended.hash, entry=appended.entry, created=appended.created)


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
    now = ledger.clock()
    return [_key_view(r, now) for r in records]


def get_key(ledger: Ledger, caller: Caller, org_id: str, key_id: str) -> KeyView:
    """One of the organisation's public keys with its validity (`GET /v1/orgs/{org}/keys/{key}`), to any
    authenticated caller, like `list_keys`."""
    require_authenticated(caller, "reading an organisation's key")
    with ledger.engine.connect() as conn:
        if registry.get_org(conn, org_id) is None:
            raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
        record = registry.get_keys(conn, [key_id]).get(key_id)
    if record is None or record.org != org_id:
        raise NotFoundError(f"organisation {org_id!r} has no key {key_id!r}", code="unknown_key")
    return _key_view(record, ledger.clock())


def history(ledger: Ledger, caller: Caller, org_id: str) -> list[RegistryEntryView]:
    """Every registry entry about `org_id`, in order (`GET /v1/orgs/{org}/history`): to the organisation
    itself, regulators and the administrator, so a company can watch its own identity."""
    require_authenticated(caller, "reading an organisation's registry history")
    if not (caller.is_admin or caller.is_regulator or caller.org_id == org_id):
        raise AuthorisationError(
            f"only {org_id!r} itself, a regulator or the platform administrator may read its registry history; "
            f"you are {caller.describe()}（仅本企业、监管部门或平台管理员可查看其登记记录）"
        )
    with ledger.engine.connect() as conn:
        if registry.get_org(conn, org_id) is None:
            raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
        rows = registry.subject_entries(conn, org_subject(org_id))
    return [RegistryEntryView(index=idx, hash=digest, entry=json.loads(body)) for idx, digest, body in rows]

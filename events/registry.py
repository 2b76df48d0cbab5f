"""The registry as the log records it: who an organisation is, which keys sign for it, and who said so.

Every fact that decides whether an entry is valid (an organisation's roles, manufacturer codes and 规范条件
status, its public keys, the log's own key) is an entry of the same Merkle log as the battery events
(docs/ledger-format.md §5). This module is that registry's domain, pure: the claim types, who may
authorise each (`AUTHORITY`, as data), and `Registry`, the fold that replays registry claims in log order
and answers, for an entry at a given position, which organisation and key were in force. The working-day
calendar a regulator imports is a registry entry too (`calendar_imported`, subject `calendar`): it decides
no entry's validity, but the deadlines counted with it (events.calendar).

The append path folds the claim it is about to record onto the registry read from the projection tables;
`packtrace verify` and bundle verification fold the log's own registry entries. Both call the same
`Registry.apply`, so the rule that admits a registry change is the rule that replays it.
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from events import regions
from events.calendar import parse_year
from events.errors import AuthorisationError, ConflictError, InputError, NotFoundError
from events.orgs import MANUFACTURER_CODE, ORG_ID, Org, Role, check_org_name, parse_roles
from events.regions import OutOfJurisdiction
from events.text import KEY_ID_MAX, check_text
from events.timestamps import china_date, format_at, from_rfc3339

ORG_SUBJECT = "org:"
LOG_SUBJECT = "log"
HEADS_SUBJECT = "heads"  # the log's commitments to every chain's head (docs/ledger-format.md §6.4)
CALENDAR_SUBJECT = "calendar"  # the working-day calendar's imports (docs/calendar.md)
HASH_HEX = re.compile(r"[0-9a-f]{64}")
REGION = re.compile(r"[0-9]{6}")  # a GB/T 2260 administrative division code, e.g. 350000 Fujian, 350200 Xiamen
KEY_NAME = re.compile(r"[A-Za-z0-9._-]+")
REFERENCE_MAX = 200


class RegistryType(StrEnum):
    ORG_REGISTERED = "org_registered"
    ORG_CHANGED = "org_changed"
    KEY_ADDED = "key_added"
    KEY_REVOKED = "key_revoked"
    LOG_KEY = "log_key"
    LOG_ROLLOVER_STARTED = "log_rollover_started"
    LOG_ROLLOVER_ENDED = "log_rollover_ended"
    HEADS_COMMITTED = "heads_committed"
    CALENDAR_IMPORTED = "calendar_imported"


REGISTRY_TYPES = frozenset(t.value for t in RegistryType)


class By(StrEnum):
    """Who authorised a registry entry."""

    SIGNATURE = "signature"  # signed by `key`, a key of `actor` in force at the entry's position
    ADMIN = "admin"  # the platform administrator's token
    TOKEN = "token"  # the API token of organisation `actor` (its own first key only)
    MIGRATION = "migration"  # imported from a database made before registry entries existed
    LOG = "log"  # the log operator (subject `log` only)


class Authority(StrEnum):
    """The kinds of authority `AUTHORITY` grants; `By.SIGNATURE` splits by whose key signed."""

    ADMIN = "admin"
    OWN_TOKEN = "own token"
    OWN_KEY = "own key"
    REGULATOR_KEY = "regulator key"
    MIGRATION = "migration"
    LOG = "log"


# Which authority may record which change (docs/ledger-format.md §5.3). The keys are the change's kind:
# `org_changed` splits into the whitelist alone and anything else, `key_added` into an organisation's
# first key and a later one.
AUTHORITY: Mapping[str, frozenset[Authority]] = {
    "org_registered": frozenset({Authority.ADMIN, Authority.MIGRATION}),
    "org_changed": frozenset({Authority.ADMIN}),
    "org_changed whitelist": frozenset({Authority.ADMIN, Authority.REGULATOR_KEY}),
    "key_added first": frozenset({Authority.ADMIN, Authority.OWN_TOKEN, Authority.MIGRATION}),
    "key_added": frozenset({Authority.ADMIN, Authority.OWN_KEY, Authority.MIGRATION}),
    "key_revoked": frozenset({Authority.ADMIN, Authority.OWN_KEY, Authority.REGULATOR_KEY}),
    "log_key": frozenset({Authority.LOG, Authority.MIGRATION}),
    "log_rollover_started": frozenset({Authority.LOG}),
    "log_rollover_ended": frozenset({Authority.LOG}),
    "heads_committed": frozenset({Authority.LOG}),
    "calendar_imported": frozenset({Authority.ADMIN}),
}

KIND_NAMES: Mapping[str, str] = {  # how refusals name the kinds `org_changed` and `key_added` split into
    "org_changed whitelist": " (the 规范条件 status alone)",
    "key_added first": " (the organisation's first key)",
    "key_added": " (a later key)",
}

AUTHORITY_ZH: Mapping[Authority, str] = {
    Authority.ADMIN: "平台管理员",
    Authority.OWN_TOKEN: "本企业令牌（仅限首个密钥）",
    Authority.OWN_KEY: "本企业现行密钥签名",
    Authority.REGULATOR_KEY: "监管部门密钥签名",
    Authority.MIGRATION: "数据迁移",
    Authority.LOG: "日志运营方",
}


def org_subject(org_id: str) -> str:
    return f"{ORG_SUBJECT}{org_id}"


def is_subject(value: str) -> bool:
    """True for a registry subject (`org:<id>`, `log`, `heads`, `calendar`); pack codes are never one."""
    return value in (LOG_SUBJECT, HEADS_SUBJECT, CALENDAR_SUBJECT) or value.startswith(ORG_SUBJECT)


# -- the state in force ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class WhitelistChange:
    listed: bool
    effective: date
    reference: str
    index: int  # the registry entry that recorded it

    def to_dict(self) -> dict[str, Any]:
        return {"listed": self.listed, "effective": self.effective.isoformat(), "reference": self.reference,
                "index": self.index}  # fmt: skip

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> WhitelistChange:
        return cls(bool(d["listed"]), date.fromisoformat(d["effective"]), str(d["reference"]), int(d["index"]))


@dataclass(frozen=True)
class OrgRecord:
    """An organisation as the registry holds it: `whitelisted` is its status when registered, and
    `whitelist` the changes since, each in force from its `effective` date (China time)."""

    id: str
    name: str
    roles: frozenset[Role]
    manufacturer_codes: frozenset[str] = frozenset()
    region: str | None = None
    whitelisted: bool = False
    whitelist: tuple[WhitelistChange, ...] = ()

    def listed_on(self, day: date) -> bool:
        listed = self.whitelisted
        for change in self.whitelist:  # in log order: the latest change in force wins
            if change.effective <= day:
                listed = change.listed
        return listed

    def at(self, moment: datetime) -> Org:
        """The organisation as it stood for an entry recorded at `moment`."""
        return Org(self.id, self.name, self.roles, self.manufacturer_codes, self.listed_on(china_date(moment)),
                   self.region)  # fmt: skip

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(Role(r) for r in self.roles))
        object.__setattr__(self, "manufacturer_codes", frozenset(self.manufacturer_codes))


@dataclass(frozen=True)
class KeyState:
    """A key as the registry holds it, with the positions that bound it.

    A key added at index `added` signs entries after it; revoked at index `revoked`, none after that.
    A key the migration imported also keeps its time window (`valid_from` ≤ recorded_at < `revoked_at`).
    `valid_from` and `revoked_at` are the recording times of the entries that added and revoked it (or
    the migrated values): what the projection table stores and the API shows."""

    key_id: str
    org: str
    public_key: bytes
    platform_held: bool
    valid_from: datetime
    added: int
    revoked_at: datetime | None = None
    revoked: int | None = None
    migrated: bool = False

    def refusal(self, index: int, recorded_at: datetime) -> str | None:
        """Why this key may not sign the entry at `index` recorded at `recorded_at` (a code), or None."""
        if self.revoked is not None and index > self.revoked:
            return "key_revoked"
        if index <= self.added and not self.migrated:
            return "key_not_yet_valid"
        if self.migrated:
            if recorded_at < self.valid_from:
                return "key_not_yet_valid"
            if self.revoked_at is not None and self.revoked is None and recorded_at >= self.revoked_at:
                return "key_revoked"
        return None


@dataclass
class Registry:
    """The registry in force after the entries folded so far."""

    orgs: dict[str, OrgRecord] = field(default_factory=dict)
    keys: dict[str, KeyState] = field(default_factory=dict)
    log_keys: list[str] = field(default_factory=list)  # the log's verifier keys in force
    rollover: tuple[str, str] | None = None  # (old, new) while a log key rollover runs
    heads_size: int = 0  # the log size the latest head commitment covers

    def org_at(self, org_id: str, moment: datetime) -> Org | None:
        record = self.orgs.get(org_id)
        return None if record is None else record.at(moment)

    def keys_of(self, org_id: str) -> list[KeyState]:
        return [k for k in self.keys.values() if k.org == org_id]

    def key_refusal(self, key_id: str, actor: str, index: int, recorded_at: datetime) -> tuple[str, str] | None:
        """(code, message) if the key may not sign `actor`'s entry at `index`, recorded at `recorded_at`."""
        key = self.keys.get(key_id)
        if key is None:
            return "unknown_key", f"signed by key {key_id!r}, which the registry does not show before entry {index}"
        if key.org != actor:
            return "key_org_mismatch", f"key {key_id!r} belongs to {key.org!r}, not to the claim's actor {actor!r}"
        refusal = key.refusal(index, recorded_at)
        if refusal == "key_revoked":
            return refusal, f"key {key_id!r} was revoked before entry {index}"
        if refusal == "key_not_yet_valid":
            return refusal, f"key {key_id!r} was not yet valid at entry {index}"
        return None

    def apply(
        self,
        index: int,
        recorded_at: datetime,
        claim: Mapping[str, Any],
        signature_ok: Callable[[bytes], bool] | None = None,
    ) -> str:
        """Fold one registry claim recorded at `index`; raise a PacktraceError if it is malformed or its
        authority may not make it. `signature_ok(public_key)` checks a signed claim's signature with the
        signing key's public key (None: the claim carries no signature). Returns the organisation id the
        change is about ('' for the log's own entries)."""
        check = parse_registry_claim(claim)
        kind = self._kind(check)
        authority = self._authority(check, index, recorded_at, signature_ok)
        allowed = AUTHORITY[kind]
        if authority not in allowed:
            names = "、".join(AUTHORITY_ZH[a] for a in sorted(allowed)) or "无"
            change = f"{check.type}{KIND_NAMES.get(kind, '')} of {check.subject}"
            raise AuthorisationError(
                f"{change} may not be authorised by {authority.value}: "
                f"only by {', '.join(sorted(a.value for a in allowed))}（仅限：{names}）",
                code="registry_not_authorised",
            )
        return self._change(check, index, recorded_at)

    # -- the steps of `apply` ---------------------------------------------------------------------------

    def _kind(self, c: RegistryClaim) -> str:
        if c.type == RegistryType.ORG_CHANGED and set(c.data) == {"whitelist"}:
            return "org_changed whitelist"
        if c.type == RegistryType.KEY_ADDED and not self.keys_of(c.org_id):
            return "key_added first"
        return c.type.value

    def _authority(
        self, c: RegistryClaim, index: int, recorded_at: datetime, signature_ok: Callable[[bytes], bool] | None
    ) -> Authority:
        if c.by == By.ADMIN:
            return Authority.ADMIN
        if c.by == By.MIGRATION:
            return Authority.MIGRATION
        if c.by == By.LOG:
            return Authority.LOG
        actor = self.orgs.get(c.actor or "")
        if actor is None:
            raise NotFoundError(f"unknown organisation {c.actor!r} authorises {c.type}", code="unknown_org")
        if c.by == By.TOKEN:
            if c.actor != c.org_id:
                raise AuthorisationError(
                    f"{c.actor!r}'s token may change only its own registration, not {c.subject}",
                    code="registry_not_authorised",
                )
            return Authority.OWN_TOKEN
        # By.SIGNATURE
        assert c.key is not None and c.actor is not None
        refused = self.key_refusal(c.key, c.actor, index, recorded_at)
        if refused is not None:
            code, message = refused
            raise AuthorisationError(message, code=code)
        if signature_ok is None or not signature_ok(self.keys[c.key].public_key):
            raise AuthorisationError(f"the signature does not verify with key {c.key!r}", code="bad_signature")
        if c.actor == c.org_id:
            return Authority.OWN_KEY
        signer = actor.at(recorded_at)
        if signer.has(Role.REGULATOR):
            subject = self.orgs.get(c.org_id or "")
            where = subject.at(recorded_at).region if subject is not None else None
            if signer.region is not None and (where is None or not regions.covers(signer.region, where)):
                raise OutOfJurisdiction(
                    f"{c.actor!r} is a regulator of {signer.region} ({regions.name(signer.region, 'en')}); "
                    f"{c.subject} is located in {where or 'no registered region'}, outside its jurisdiction",
                )
            return Authority.REGULATOR_KEY
        raise AuthorisationError(
            f"{c.actor!r} signs a change of {c.subject}: only the organisation itself or a regulator may",
            code="registry_not_authorised",
        )

    def _change(self, c: RegistryClaim, index: int, recorded_at: datetime) -> str:
        handler = _CHANGES[c.type]
        handler(self, c, index, recorded_at)
        return c.org_id

    def _org_registered(self, c: RegistryClaim, index: int, recorded_at: datetime) -> None:
        if c.org_id in self.orgs:
            raise ConflictError(f"organisation {c.org_id!r} already exists", code="org_exists")
        d = c.data
        self._check_codes_free(c.org_id, d["manufacturer_codes"])
        self.orgs[c.org_id] = OrgRecord(
            c.org_id, d["name"], parse_roles(d["roles"]), frozenset(d["manufacturer_codes"]), d.get("region"),
            bool(d.get("whitelisted", False)),
        )  # fmt: skip

    def _org_changed(self, c: RegistryClaim, index: int, recorded_at: datetime) -> None:
        record = self._org(c.org_id)
        d = c.data
        if "manufacturer_codes" in d:
            self._check_codes_free(c.org_id, d["manufacturer_codes"])
        changes: dict[str, Any] = {}
        if "name" in d:
            changes["name"] = d["name"]
        if "roles" in d:
            changes["roles"] = parse_roles(d["roles"])
        if "manufacturer_codes" in d:
            changes["manufacturer_codes"] = frozenset(d["manufacturer_codes"])
        if "region" in d:
            changes["region"] = d["region"]
        if "whitelist" in d:
            w = d["whitelist"]
            change = WhitelistChange(w["listed"], date.fromisoformat(w["effective"]), w["reference"], index)
            changes["whitelist"] = (*record.whitelist, change)
        self.orgs[c.org_id] = replace(record, **changes)

    def _key_added(self, c: RegistryClaim, index: int, recorded_at: datetime) -> None:
        self._org(c.org_id)
        d = c.data
        key_id = d["key_id"]
        if key_id in self.keys:
            raise ConflictError(f"key {key_id!r} is already registered", code="key_exists")
        migrated = c.by == By.MIGRATION and "valid_from" in d
        self.keys[key_id] = KeyState(
            key_id=key_id,
            org=c.org_id,
            public_key=decode_key_bytes(d["public_key"]),
            platform_held=bool(d["platform_held"]),
            valid_from=from_rfc3339(d["valid_from"]) if migrated else recorded_at,
            added=index,
            revoked_at=from_rfc3339(d["revoked_at"]) if migrated and d.get("revoked_at") else None,
            migrated=migrated,
        )

    def _key_revoked(self, c: RegistryClaim, index: int, recorded_at: datetime) -> None:
        key_id = c.data["key_id"]
        key = self.keys.get(key_id)
        if key is None or key.org != c.org_id:
            raise NotFoundError(f"organisation {c.org_id!r} has no key {key_id!r}", code="unknown_key")
        if key.revoked is not None or (key.revoked_at is not None and key.migrated):
            raise ConflictError(f"key {key_id!r} is already revoked", code="key_already_revoked")
        self.keys[key_id] = replace(key, revoked=index, revoked_at=recorded_at)

    def _log_key(self, c: RegistryClaim, index: int, recorded_at: datetime) -> None:
        self.log_keys = [c.data["verifier_key"]]

    def _rollover_started(self, c: RegistryClaim, index: int, recorded_at: datetime) -> None:
        if self.rollover is not None:
            raise ConflictError("a log key rollover is already running", code="rollover_running")
        self.rollover = (c.data["old"], c.data["new"])
        self.log_keys = [c.data["old"], c.data["new"]]

    def _rollover_ended(self, c: RegistryClaim, index: int, recorded_at: datetime) -> None:
        if self.rollover != (c.data["old"], c.data["new"]):
            raise ConflictError("no such log key rollover is running", code="no_rollover")
        self.rollover = None
        self.log_keys = [c.data["new"]]

    def _heads_committed(self, c: RegistryClaim, index: int, recorded_at: datetime) -> None:
        size = c.data["size"]
        if size > index:
            raise _bad(f"a head commitment at entry {index} cannot cover the log at size {size}, beyond itself")
        if size < self.heads_size:
            raise ConflictError(
                f"a head commitment at size {size} follows one at size {self.heads_size}: sizes never go back",
                code="heads_behind",
            )
        self.heads_size = size

    def _calendar_imported(self, c: RegistryClaim, index: int, recorded_at: datetime) -> None:
        """Changes nothing the registry holds: the calendar in force is read from these entries
        (ledger.usecases.calendar)."""

    def _org(self, org_id: str) -> OrgRecord:
        record = self.orgs.get(org_id)
        if record is None:
            raise NotFoundError(f"unknown organisation {org_id!r}", code="unknown_org")
        return record

    def _check_codes_free(self, org_id: str, codes: Iterable[str]) -> None:
        taken = sorted(
            f"{code!r} by {other.id!r}"
            for other in self.orgs.values()
            if other.id != org_id
            for code in codes
            if code in other.manufacturer_codes
        )
        if taken:
            raise ConflictError(
                f"manufacturer code already owned by another organisation: {', '.join(taken)}",
                code="manufacturer_code_taken",
            )


_CHANGES: dict[RegistryType, Callable[[Registry, RegistryClaim, int, datetime], None]] = {
    RegistryType.ORG_REGISTERED: Registry._org_registered,
    RegistryType.ORG_CHANGED: Registry._org_changed,
    RegistryType.KEY_ADDED: Registry._key_added,
    RegistryType.KEY_REVOKED: Registry._key_revoked,
    RegistryType.LOG_KEY: Registry._log_key,
    RegistryType.LOG_ROLLOVER_STARTED: Registry._rollover_started,
    RegistryType.LOG_ROLLOVER_ENDED: Registry._rollover_ended,
    RegistryType.HEADS_COMMITTED: Registry._heads_committed,
    RegistryType.CALENDAR_IMPORTED: Registry._calendar_imported,
}


# -- the claim ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegistryClaim:
    """A registry claim whose envelope and data have been checked."""

    subject: str
    type: RegistryType
    by: By
    actor: str | None
    key: str | None
    data: Mapping[str, Any]

    @property
    def org_id(self) -> str:
        return self.subject[len(ORG_SUBJECT) :] if self.subject.startswith(ORG_SUBJECT) else ""


_ENVELOPE = {"v", "id", "subject", "type", "at", "by", "data"}
_DATA: Mapping[RegistryType, tuple[frozenset[str], frozenset[str]]] = {  # (required, optional)
    RegistryType.ORG_REGISTERED: (
        frozenset({"name", "roles", "manufacturer_codes", "whitelisted"}),
        frozenset({"region"}),
    ),
    RegistryType.ORG_CHANGED: (frozenset(), frozenset({"name", "roles", "manufacturer_codes", "region", "whitelist"})),
    RegistryType.KEY_ADDED: (
        frozenset({"key_id", "public_key", "platform_held"}),
        frozenset({"valid_from", "revoked_at"}),
    ),
    RegistryType.KEY_REVOKED: (frozenset({"key_id"}), frozenset({"reason"})),
    RegistryType.LOG_KEY: (frozenset({"verifier_key"}), frozenset()),
    RegistryType.LOG_ROLLOVER_STARTED: (frozenset({"old", "new"}), frozenset()),
    RegistryType.LOG_ROLLOVER_ENDED: (frozenset({"old", "new"}), frozenset()),
    RegistryType.HEADS_COMMITTED: (frozenset({"size", "count", "root"}), frozenset()),
    RegistryType.CALENDAR_IMPORTED: (frozenset({"year", "source", "holidays", "workdays"}), frozenset({"note"})),
}
_LOG_TYPES = frozenset({RegistryType.LOG_KEY, RegistryType.LOG_ROLLOVER_STARTED, RegistryType.LOG_ROLLOVER_ENDED})


def _bad(message: str) -> InputError:
    return InputError(message, code="invalid_registry_claim")


def parse_registry_claim(claim: Mapping[str, Any]) -> RegistryClaim:
    """Check a registry claim's envelope and data (docs/ledger-format.md §5.2)."""
    if not isinstance(claim, Mapping):
        raise _bad("a registry claim is a JSON object")
    by_text = claim.get("by")
    try:
        by = By(str(by_text))
    except ValueError:
        raise _bad(f"'by' must be one of {', '.join(By)}, not {by_text!r}") from None
    expected = set(_ENVELOPE)
    if by in (By.SIGNATURE, By.TOKEN):
        expected.add("actor")
    if by == By.SIGNATURE:
        expected.add("key")
    if set(claim) != expected:
        missing, extra = sorted(expected - set(claim)), sorted(set(claim) - expected)
        raise _bad(f"a registry claim authorised by {by.value} has members {sorted(expected)}; missing "
                   f"{missing}, unexpected {extra}")  # fmt: skip
    if claim["v"] != 1 or isinstance(claim["v"], bool):
        raise _bad(f"unknown registry claim version {claim['v']!r}")
    for name in ("id", "subject", "type", "at"):
        if not isinstance(claim[name], str):
            raise _bad(f"'{name}' must be a string")
    try:
        uuid.UUID(claim["id"])
        if format_at(from_rfc3339(claim["at"])) != claim["at"]:
            raise ValueError
    except ValueError:
        raise _bad("'id' must be a UUID and 'at' an RFC 3339 UTC time in whole seconds ending in Z") from None
    try:
        kind = RegistryType(claim["type"])
    except ValueError:
        raise _bad(f"unknown registry type {claim['type']!r}; types are: {', '.join(RegistryType)}") from None
    subject = claim["subject"]
    if kind == RegistryType.HEADS_COMMITTED:
        if subject != HEADS_SUBJECT:
            raise _bad(f"{kind.value} commits to the log's heads: its subject is {HEADS_SUBJECT!r}, not {subject!r}")
    elif kind == RegistryType.CALENDAR_IMPORTED:
        if subject != CALENDAR_SUBJECT:
            raise _bad(f"{kind.value} is about the calendar: its subject is {CALENDAR_SUBJECT!r}, not {subject!r}")
    elif kind in _LOG_TYPES:
        if subject != LOG_SUBJECT:
            raise _bad(f"{kind.value} is about the log: its subject is {LOG_SUBJECT!r}, not {subject!r}")
    elif not (subject.startswith(ORG_SUBJECT) and ORG_ID.fullmatch(subject[len(ORG_SUBJECT) :])):
        raise _bad(f"subject {subject!r} must be 'org:' followed by an organisation id")
    actor, key = claim.get("actor"), claim.get("key")
    if actor is not None and not (isinstance(actor, str) and ORG_ID.fullmatch(actor)):
        raise _bad(f"actor {actor!r} is not an organisation id")
    if key is not None and not isinstance(key, str):
        raise _bad("'key' must be a string")
    data = claim["data"]
    if not isinstance(data, Mapping):
        raise _bad("'data' must be an object")
    _check_data(kind, data, subject)
    if by != By.MIGRATION and ("valid_from" in data or "revoked_at" in data):
        raise _bad(
            "only the migration states a key's valid_from and revoked_at; a key added now is valid from its entry"
        )
    return RegistryClaim(subject, kind, by, actor, key, data)


def _check_data(kind: RegistryType, data: Mapping[str, Any], subject: str) -> None:
    required, optional = _DATA[kind]
    if not required <= set(data) <= required | optional:
        raise _bad(f"{kind.value} data has {sorted(required)} and may have {sorted(optional)}; found {sorted(data)}")
    if kind == RegistryType.ORG_CHANGED and not data:
        raise _bad("org_changed must change something")
    if kind == RegistryType.CALENDAR_IMPORTED:
        try:
            parse_year(data)
        except InputError as exc:
            raise _bad(f"calendar_imported data: {exc.message}") from None
        return
    org_id = subject[len(ORG_SUBJECT) :]
    if "name" in data:
        if not isinstance(data["name"], str):
            raise _bad("'name' must be a string")
        check_org_name(org_id, data["name"])
    if "roles" in data:
        roles = data["roles"]
        if not (isinstance(roles, list) and roles and all(isinstance(r, str) for r in roles)):
            raise _bad("'roles' must be a non-empty list of role names")
        parse_roles(roles)
        if roles != sorted(set(roles)):
            raise _bad("'roles' must be sorted, without repeats")
    if "manufacturer_codes" in data:
        codes = data["manufacturer_codes"]
        if not (isinstance(codes, list) and all(isinstance(c, str) and MANUFACTURER_CODE.fullmatch(c) for c in codes)):
            raise _bad("'manufacturer_codes' must be a list of 3-character upper-case codes")
        if codes != sorted(set(codes)):
            raise _bad("'manufacturer_codes' must be sorted, without repeats")
    region = data.get("region")
    if region is not None and not (isinstance(region, str) and REGION.fullmatch(region)):
        raise _bad(f"region {data['region']!r} must be a 6-digit GB/T 2260 division code, e.g. 350000")
    for flag in ("whitelisted", "platform_held"):
        if flag in data and not isinstance(data[flag], bool):
            raise _bad(f"'{flag}' must be true or false")
    if "whitelist" in data:
        _check_whitelist(data["whitelist"])
    if "key_id" in data:
        check_key_id(org_id, data["key_id"])
    if "public_key" in data:
        decode_key_bytes(data["public_key"])
    for moment in ("valid_from", "revoked_at"):
        if moment in data and not (moment == "revoked_at" and data[moment] is None):
            try:
                from_rfc3339(data[moment])
            except (TypeError, ValueError):
                raise _bad(f"'{moment}' must be an RFC 3339 time") from None
    for count in ("size", "count"):
        value = data.get(count, 0)
        if not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            raise _bad(f"'{count}' must be a whole number, 0 or more")
    if "root" in data and not (isinstance(data["root"], str) and HASH_HEX.fullmatch(data["root"])):
        raise _bad("'root' must be 64 lower-case hex digits (a SHA-256 hash)")
    for text in ("reason", "verifier_key", "old", "new"):
        if text in data and not isinstance(data[text], str):
            raise _bad(f"'{text}' must be a string")


def _check_whitelist(w: Any) -> None:
    if not (isinstance(w, Mapping) and set(w) == {"listed", "effective", "reference"}):
        raise _bad("'whitelist' is {listed, effective, reference}")
    if not isinstance(w["listed"], bool):
        raise _bad("'whitelist.listed' must be true or false")
    try:
        date.fromisoformat(w["effective"])
        if not (isinstance(w["effective"], str) and len(w["effective"]) == 10):
            raise ValueError
    except (TypeError, ValueError):
        raise _bad(f"'whitelist.effective' must be a date YYYY-MM-DD, not {w['effective']!r}") from None
    if not isinstance(w["reference"], str) or not w["reference"].strip():
        raise _bad("'whitelist.reference' must name the decision, e.g. the MIIT announcement number")
    check_text(w["reference"], "whitelist.reference", max_length=REFERENCE_MAX)


def check_key_id(org_id: str, key_id: Any) -> str:
    """A key's id: `<org id>/<name>`, the name of letters, digits, '.', '_' and '-', at most KEY_ID_MAX
    characters in all (so no organisation can take another's key ids first)."""
    if not isinstance(key_id, str):
        raise InputError("key_id must be a string", code="invalid_key_id")
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


def decode_key_bytes(text: Any) -> bytes:
    """The 32 raw bytes of a public key in standard base64 (whether they are a usable Ed25519 key is the
    ledger's check: ledger.format.edwards)."""
    try:
        raw = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
    except (binascii.Error, ValueError):
        raise InputError("public_key is not valid base64", code="invalid_key") from None
    if len(raw) != 32:
        raise InputError(f"public_key must be 32 raw Ed25519 bytes, found {len(raw)}", code="invalid_key")
    return raw


def new_registry_claim(
    *,
    subject: str,
    type: RegistryType | str,
    by: By | str,
    data: Mapping[str, Any],
    at: datetime,
    actor: str | None = None,
    key: str | None = None,
    claim_id: str | None = None,
) -> dict[str, Any]:
    """A registry claim as a dict, ready to canonicalise (and to sign when `by` is `signature`)."""
    claim: dict[str, Any] = {
        "v": 1,
        "id": claim_id or str(uuid.uuid4()),
        "subject": subject,
        "type": str(RegistryType(type)),
        "at": format_at(at),
        "by": str(By(by)),
        "data": dict(data),
    }
    if actor is not None:
        claim["actor"] = actor
    if key is not None:
        claim["key"] = key
    return claim


def registered_data(org: Org) -> dict[str, Any]:
    """`org_registered` data for an organisation."""
    return {
        "name": org.name,
        "roles": sorted(r.value for r in org.roles),
        "manufacturer_codes": sorted(org.manufacturer_codes),
        "region": org.region,
        "whitelisted": org.whitelisted,
    }

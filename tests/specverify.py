"""An independent verifier, written from the specification texts only, for tests.

Sources: RFC 6962 §2.1 (Merkle tree hash), RFC 9162 §2.1.3-§2.1.4 (inclusion and consistency proofs),
c2sp.org/signed-note and c2sp.org/tlog-checkpoint, RFC 8785 (through the `rfc8785` package), and
docs/ledger-format.md §1-§5 for entries, claims and the registry in the log (`verify_entries`).

It imports nothing from `ledger` or `events` and computes differently from `ledger.format.merkle` (textbook
recursion over the definitions instead of stored nodes and bit arithmetic), so a bug in one shows up
as a disagreement with the other. Every failure raises `SpecViolation`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, NamedTuple

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class SpecViolation(AssertionError):
    """The input does not satisfy the specification."""


class VKey(NamedTuple):
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


class Checkpoint(NamedTuple):
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _b64(text: str) -> bytes:
    """RFC 4648 §4 standard base64, padded, canonical (spare bits zero)."""
    if not re.fullmatch(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", text):
        raise SpecViolation(f"not standard base64: {text!r}")
    raw = base64.b64decode(text)
    if base64.b64encode(raw).decode() != text:
        raise SpecViolation(f"non-canonical base64: {text!r}")
    return raw


def _hash(value: bytes | str, what: str) -> bytes:
    """A 32-byte hash given as bytes or lowercase hex."""
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise SpecViolation(f"{what} is not 64 lowercase hex digits: {value!r}")
        return bytes.fromhex(value)
    if len(value) != 32:
        raise SpecViolation(f"{what} is {len(value)} bytes, not 32")
    return value


# --- RFC 8785 entries -------------------------------------------------------------------------------


def entry_bytes(entry: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of an entry."""
    return bytes(rfc8785.dumps(dict(entry)))


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 of the entry's canonical bytes, lowercase hex."""
    return hashlib.sha256(entry_bytes(entry)).hexdigest()


# --- RFC 6962 §2.1 Merkle tree hash -----------------------------------------------------------------


def _k(n: int) -> int:
    """The largest power of two smaller than n, for n > 1."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _node(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right)


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over the raw leaf inputs, straight from the recursive definition."""
    n = len(leaves)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + leaves[0])
    k = _k(n)
    return _node(mth(leaves[:k]), mth(leaves[k:n]))


# --- RFC 9162 §2.1.3 inclusion ----------------------------------------------------------------------


def _path_root(m: int, n: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """The head of D[n] from PATH(m, D[n]); the sibling at the top split is the proof's last hash."""
    if n == 1:
        return leaf
    if not proof:
        raise SpecViolation("inclusion proof is too short")
    k = _k(n)
    sibling = proof.pop()
    if m < k:
        return _node(_path_root(m, k, leaf, proof), sibling)
    return _node(sibling, _path_root(m - k, n - k, leaf, proof))


def verify_inclusion(
    leaf: bytes,
    index: int,
    size: int,
    hashes: Sequence[str],
    root: bytes | str,
    *,
    hashed: bool = False,
) -> None:
    """Check an inclusion proof of entry bytes `leaf` (or of a leaf hash, with `hashed=True`)."""
    leaf_hash = _hash(leaf, "leaf hash") if hashed else _sha256(b"\x00" + leaf)
    proof = [_hash(h, "proof hash") for h in hashes]
    if not 0 <= index < size:
        raise SpecViolation(f"leaf index {index} is not inside a tree of size {size}")
    computed = _path_root(index, size, leaf_hash, proof)
    if proof:
        raise SpecViolation(f"inclusion proof has {len(proof)} hashes too many")
    if computed != _hash(root, "root"):
        raise SpecViolation(f"inclusion proof gives root {computed.hex()}, not {_hash(root, 'root').hex()}")


# --- RFC 9162 §2.1.4 consistency --------------------------------------------------------------------


def _subproof_heads(m: int, n: int, whole: bool, proof: list[bytes], old_root: bytes) -> tuple[bytes, bytes]:
    """(hash of the old leaves D[0:m], hash of D[n]) of this subtree, from SUBPROOF(m, D[n], whole)."""
    if m == n:
        if whole:
            return old_root, old_root
        if not proof:
            raise SpecViolation("consistency proof is too short")
        h = proof.pop()
        return h, h
    if not proof:
        raise SpecViolation("consistency proof is too short")
    k = _k(n)
    sibling = proof.pop()
    if m <= k:
        old, new = _subproof_heads(m, k, whole, proof, old_root)
        return old, _node(new, sibling)
    old, new = _subproof_heads(m - k, n - k, False, proof, old_root)
    return _node(sibling, old), _node(sibling, new)


def verify_consistency(
    old_size: int, new_size: int, hashes: Sequence[str], old_root: bytes | str, new_root: bytes | str
) -> None:
    """Check that the tree of `new_size` leaves extends the tree of `old_size` leaves."""
    old_head, new_head = _hash(old_root, "old root"), _hash(new_root, "new root")
    proof = [_hash(h, "proof hash") for h in hashes]
    if not 0 <= old_size <= new_size:
        raise SpecViolation(f"sizes {old_size} -> {new_size} do not grow")
    if old_size in (0, new_size):
        if proof:
            raise SpecViolation(f"consistency proof from {old_size} to {new_size} must be empty")
        if old_size == 0 and old_head != _sha256(b""):
            raise SpecViolation("the empty tree's root is SHA-256 of the empty string")
        if old_size == new_size and old_head != new_head:
            raise SpecViolation("two roots for the same tree size")
        return
    old, new = _subproof_heads(old_size, new_size, True, proof, old_head)
    if proof:
        raise SpecViolation(f"consistency proof has {len(proof)} hashes too many")
    if old != old_head or new != new_head:
        raise SpecViolation(f"consistency proof gives roots {old.hex()} and {new.hex()}")


# --- C2SP signed-note -------------------------------------------------------------------------------


def _key_name_ok(name: str) -> bool:
    return bool(name) and not any(c.isspace() or c == "+" or ord(c) < 0x20 for c in name)


def parse_vkey(vkey: str) -> VKey:
    """`<name>+<hex key id>+<base64(0x01 ‖ 32-byte Ed25519 key)>`."""
    name, _, rest = vkey.partition("+")
    id_hex, _, key_b64 = rest.partition("+")
    if not _key_name_ok(name) or not re.fullmatch(r"[0-9a-f]{8}", id_hex):
        raise SpecViolation(f"bad verifier key {vkey!r}")
    raw = _b64(key_b64)
    if len(raw) != 33 or raw[0] != 0x01:
        raise SpecViolation("verifier key is not type 0x01 followed by a 32-byte Ed25519 key")
    key_id = _sha256(name.encode() + b"\n" + raw)[:4]
    if key_id.hex() != id_hex:
        raise SpecViolation(f"verifier key id {id_hex} is not SHA-256(name, 0x0A, key)[:4] = {key_id.hex()}")
    return VKey(name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:]))


def verify_note(note: str | bytes, vkey: str) -> str:
    """The note's text, if it carries a valid signature by `vkey`; unknown keys' lines are skipped."""
    key = parse_vkey(vkey)
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SpecViolation("a signed note must be valid UTF-8") from exc
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise SpecViolation("a signed note may hold no control characters but newline")
    if not note.endswith("\n"):
        raise SpecViolation("a signed note ends with a newline")
    lines = note.split("\n")[:-1]
    blanks = [i for i, line in enumerate(lines) if line == ""]
    if not blanks or blanks[-1] == 0:
        raise SpecViolation("a signed note is a non-empty text, a blank line, then signatures")
    text = "\n".join(lines[: blanks[-1]]) + "\n"
    signature_lines = lines[blanks[-1] + 1 :]
    if not signature_lines:
        raise SpecViolation("a signed note has at least one signature line")
    good = 0
    for line in signature_lines:
        match = re.fullmatch(r"\u2014 (\S+) (\S+)", line)
        if not match or not _key_name_ok(match[1]):
            raise SpecViolation(f"bad signature line {line!r}")
        blob = _b64(match[2])
        if len(blob) < 5:
            raise SpecViolation(f"signature line {line!r} is shorter than key id plus signature")
        if match[1] != key.name or blob[:4] != key.key_id:
            continue
        try:
            key.public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise SpecViolation(f"signature by {key.name} fails") from None
        good += 1
    if not good:
        raise SpecViolation(f"no signature by {key.name}+{key.key_id.hex()}")
    return text


# --- C2SP tlog-checkpoint ---------------------------------------------------------------------------


def parse_checkpoint(text: str) -> Checkpoint:
    """Origin, tree size, root hash, and any extension lines of a checkpoint note text."""
    if not text.endswith("\n"):
        raise SpecViolation("checkpoint text ends in a newline")
    lines = text.split("\n")[:-1]
    if len(lines) < 3 or "" in lines:
        raise SpecViolation("checkpoint text is at least three non-empty lines")
    if not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
        raise SpecViolation(f"tree size {lines[1]!r} is not decimal without leading zeroes")
    root = _b64(lines[2])
    if len(root) != 32:
        raise SpecViolation(f"root hash is {len(root)} bytes, not 32")
    return Checkpoint(lines[0], int(lines[1]), root, tuple(lines[3:]))


def verify_checkpoint(note: str | bytes, vkey: str) -> Checkpoint:
    """A checkpoint signed by `vkey`."""
    return parse_checkpoint(verify_note(note, vkey))


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- docs/ledger-format.md §2, §5: entries, the registry in the log, validity as at each entry ---------

ROLES = frozenset({"manufacturer", "automaker", "importer", "dealer", "service", "swap_operator", "lessor",
                   "collector", "vehicle_dismantler", "second_life", "recycler", "regulator", "admin"})  # fmt: skip
_ORG_ID = r"[a-z0-9][a-z0-9-]{1,62}"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_AT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z"
_RECORDED_AT = r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CHINA = timezone(timedelta(hours=8))

# §5.2: data members by type, (required, optional)
REGISTRY_DATA: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "org_registered": (frozenset({"name", "roles", "manufacturer_codes", "whitelisted"}), frozenset({"region"})),
    "org_changed": (frozenset(), frozenset({"name", "roles", "manufacturer_codes", "region", "whitelist"})),
    "key_added": (frozenset({"key_id", "public_key", "platform_held"}), frozenset({"valid_from", "revoked_at"})),
    "key_revoked": (frozenset({"key_id"}), frozenset({"reason"})),
    "log_key": (frozenset({"verifier_key"}), frozenset()),
    "log_rollover_started": (frozenset({"old", "new"}), frozenset()),
    "log_rollover_ended": (frozenset({"old", "new"}), frozenset()),
    "heads_committed": (frozenset({"size", "count", "root"}), frozenset()),
    "calendar_imported": (frozenset({"year", "source", "holidays", "workdays"}), frozenset({"note"})),
}
LOG_TYPES = frozenset({"log_key", "log_rollover_started", "log_rollover_ended"})
SUBJECT_OF = {"heads_committed": "heads", "calendar_imported": "calendar"}  # §5.1, §6.4: their own subjects

# §5.3: kind -> the authorities that may make it
MAY_AUTHORISE: dict[str, frozenset[str]] = {
    "org_registered": frozenset({"admin", "migration"}),
    "org_changed": frozenset({"admin"}),
    "org_changed whitelist": frozenset({"admin", "regulator key"}),
    "key_added first": frozenset({"admin", "own token", "migration"}),
    "key_added": frozenset({"admin", "own key", "migration"}),
    "key_revoked": frozenset({"admin", "own key", "regulator key", "migration"}),
    "log_key": frozenset({"log", "migration"}),
    "log_rollover_started": frozenset({"log"}),
    "log_rollover_ended": frozenset({"log"}),
    "heads_committed": frozenset({"log"}),
    "calendar_imported": frozenset({"admin"}),
}


def _instant(text: Any, what: str) -> datetime:
    if not isinstance(text, str):
        raise SpecViolation(f"{what} is not an RFC 3339 string: {text!r}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SpecViolation(f"{what} is not an RFC 3339 time: {text!r}") from None
    if moment.tzinfo is None:
        raise SpecViolation(f"{what} has no time zone: {text!r}")
    return moment


@dataclass
class SpecOrg:
    id: str
    name: str
    roles: frozenset[str]
    codes: frozenset[str]
    region: str | None
    whitelisted: bool
    whitelist: list[tuple[bool, date, str, int]] = field(default_factory=list)  # listed, effective, reference, index

    def listed_at(self, recorded_at: datetime) -> bool:
        """§5.4: the 规范条件 status for an entry recorded at `recorded_at` (the China date decides)."""
        day = recorded_at.astimezone(_CHINA).date()
        listed = self.whitelisted
        for change_listed, effective, _, _ in self.whitelist:
            if effective <= day:
                listed = change_listed
        return listed


@dataclass
class SpecKey:
    key_id: str
    org: str
    public_key: bytes
    platform_held: bool
    added: int
    valid_from: datetime
    revoked: int | None = None
    revoked_at: datetime | None = None
    migrated: bool = False

    def may_sign(self, index: int, recorded_at: datetime) -> str | None:
        """§5.4 rules 1, 3, 4 (2 is the caller's): None, or why not."""
        if index <= self.added and not self.migrated:
            return f"key {self.key_id!r} was added at entry {self.added}, not before entry {index}"
        if self.revoked is not None and index > self.revoked:
            return f"key {self.key_id!r} was revoked at entry {self.revoked}, before entry {index}"
        if self.migrated:
            if recorded_at < self.valid_from:
                return f"migrated key {self.key_id!r} is valid from {self.valid_from.isoformat()}"
            if self.revoked is None and self.revoked_at is not None and recorded_at >= self.revoked_at:
                return f"migrated key {self.key_id!r} was revoked at {self.revoked_at.isoformat()}"
        return None


@dataclass
class SpecRegistry:
    """The registry in force after the registry entries folded so far (§5.3)."""

    orgs: dict[str, SpecOrg] = field(default_factory=dict)
    keys: dict[str, SpecKey] = field(default_factory=dict)
    log_keys: list[str] = field(default_factory=list)
    rollover: tuple[str, str] | None = None
    heads_size: int = 0  # the size the latest head commitment covers

    def signing_key(self, key_id: Any, actor: Any, index: int, recorded_at: datetime) -> SpecKey:
        key = self.keys.get(key_id) if isinstance(key_id, str) else None
        if key is None:
            raise SpecViolation(f"entry {index}: key {key_id!r} is not in the registry before entry {index}")
        if key.org != actor:
            raise SpecViolation(f"entry {index}: key {key_id!r} belongs to {key.org!r}, not to {actor!r}")
        why = key.may_sign(index, recorded_at)
        if why is not None:
            raise SpecViolation(f"entry {index}: {why}")
        return key

    def apply(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], sig: str | None) -> None:
        """Check one registry claim (§5.2, §5.3) against the registry in force and fold it in."""
        check_registry_claim(claim, index)
        kind, data, subject = claim["type"], claim["data"], claim["subject"]
        org_id = subject[4:] if subject.startswith("org:") else ""
        authority = self._authority(index, recorded_at, claim, sig, org_id)
        if kind == "org_changed" and set(data) == {"whitelist"}:
            kind = "org_changed whitelist"
        elif kind == "key_added" and not any(k.org == org_id for k in self.keys.values()):
            kind = "key_added first"
        if authority not in MAY_AUTHORISE[kind]:
            raise SpecViolation(f"entry {index}: {kind} may not be authorised by {authority}")
        getattr(self, "_" + claim["type"])(index, recorded_at, claim, org_id)

    def _authority(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], sig: str | None,
                   org_id: str) -> str:  # fmt: skip
        by = claim["by"]
        if (sig is not None) != (by == "signature"):
            raise SpecViolation(f"entry {index}: 'sig' is present exactly when 'by' is 'signature'")
        if by in ("admin", "migration", "log"):
            return str(by)
        actor = self.orgs.get(claim["actor"])
        if actor is None:
            raise SpecViolation(f"entry {index}: {claim['actor']!r} is not a registered organisation")
        if by == "token":
            if claim["actor"] != org_id:
                raise SpecViolation(f"entry {index}: a token changes only its own organisation")
            return "own token"
        key = self.signing_key(claim["key"], claim["actor"], index, recorded_at)
        assert sig is not None
        try:
            Ed25519PublicKey.from_public_bytes(key.public_key).verify(_b64(sig), bytes(rfc8785.dumps(dict(claim))))
        except InvalidSignature:
            raise SpecViolation(f"entry {index}: the registry claim's signature fails with {key.key_id!r}") from None
        if claim["actor"] == org_id:
            return "own key"
        if "regulator" in actor.roles:
            return "regulator key"
        raise SpecViolation(f"entry {index}: {claim['actor']!r} signs a change of {claim['subject']}")

    def _codes_free(self, index: int, org_id: str, codes: list[str]) -> None:
        for other in self.orgs.values():
            if other.id != org_id and other.codes & set(codes):
                raise SpecViolation(f"entry {index}: manufacturer code of {other.id!r} given to {org_id!r}")

    def _org_registered(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], org_id: str) -> None:
        d = claim["data"]
        if org_id in self.orgs:
            raise SpecViolation(f"entry {index}: organisation {org_id!r} is registered already")
        self._codes_free(index, org_id, d["manufacturer_codes"])
        self.orgs[org_id] = SpecOrg(org_id, d["name"], frozenset(d["roles"]), frozenset(d["manufacturer_codes"]),
                                    d.get("region"), d["whitelisted"])  # fmt: skip

    def _org_changed(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], org_id: str) -> None:
        org, d = self.orgs.get(org_id), claim["data"]
        if org is None:
            raise SpecViolation(f"entry {index}: no organisation {org_id!r} to change")
        if "manufacturer_codes" in d:
            self._codes_free(index, org_id, d["manufacturer_codes"])
            org.codes = frozenset(d["manufacturer_codes"])
        org.name = d.get("name", org.name)
        org.roles = frozenset(d.get("roles", org.roles))
        org.region = d.get("region", org.region)
        if "whitelist" in d:
            w = d["whitelist"]
            org.whitelist.append((w["listed"], date.fromisoformat(w["effective"]), w["reference"], index))

    def _key_added(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], org_id: str) -> None:
        d = claim["data"]
        if org_id not in self.orgs:
            raise SpecViolation(f"entry {index}: no organisation {org_id!r} to add a key to")
        if d["key_id"] in self.keys:
            raise SpecViolation(f"entry {index}: key {d['key_id']!r} exists already")
        migrated = claim["by"] == "migration" and "valid_from" in d
        revoked_at = d.get("revoked_at") if migrated else None
        self.keys[d["key_id"]] = SpecKey(
            d["key_id"], org_id, _b64(d["public_key"]), d["platform_held"], index,
            _instant(d["valid_from"], "valid_from") if migrated else recorded_at,
            revoked_at=None if revoked_at is None else _instant(revoked_at, "revoked_at"), migrated=migrated,
        )  # fmt: skip

    def _key_revoked(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], org_id: str) -> None:
        key = self.keys.get(claim["data"]["key_id"])
        if key is None or key.org != org_id:
            raise SpecViolation(f"entry {index}: {org_id!r} has no key {claim['data']['key_id']!r}")
        if key.revoked is not None or key.revoked_at is not None:
            raise SpecViolation(f"entry {index}: key {key.key_id!r} is revoked already")
        key.revoked, key.revoked_at = index, recorded_at

    def _log_key(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], org_id: str) -> None:
        self.log_keys = [claim["data"]["verifier_key"]]

    def _log_rollover_started(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], _: str) -> None:
        if self.rollover is not None:
            raise SpecViolation(f"entry {index}: a log key rollover is running already")
        self.rollover = (claim["data"]["old"], claim["data"]["new"])
        self.log_keys = list(self.rollover)

    def _heads_committed(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], _: str) -> None:
        size = claim["data"]["size"]
        if size < self.heads_size:
            raise SpecViolation(f"entry {index}: a head commitment at size {size} follows one at {self.heads_size}")
        self.heads_size = size  # its root is checked by `verify_entries`, which holds every chain's head

    def _calendar_imported(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], _: str) -> None:
        return None  # §5.2: changes nothing the registry holds

    def _log_rollover_ended(self, index: int, recorded_at: datetime, claim: Mapping[str, Any], _: str) -> None:
        if self.rollover != (claim["data"]["old"], claim["data"]["new"]):
            raise SpecViolation(f"entry {index}: no such log key rollover is running")
        self.rollover, self.log_keys = None, [claim["data"]["new"]]


def _sorted_unique(value: Any, pattern: str, what: str, index: int, *, empty: bool) -> None:
    if not (isinstance(value, list) and all(isinstance(v, str) and re.fullmatch(pattern, v) for v in value)):
        raise SpecViolation(f"entry {index}: {what} is not a list of {pattern}")
    if value != sorted(set(value)) or (not empty and not value):
        raise SpecViolation(f"entry {index}: {what} must be sorted, without repeats{'' if empty else ', non-empty'}")


def check_registry_claim(claim: Any, index: int) -> None:
    """§5.2: the members of a registry claim and of its data."""
    if not isinstance(claim, dict):
        raise SpecViolation(f"entry {index}: a registry claim is an object")
    by = claim.get("by")
    if by not in ("signature", "admin", "token", "migration", "log"):
        raise SpecViolation(f"entry {index}: unknown 'by' {by!r}")
    members = {"v", "id", "subject", "type", "at", "by", "data"}
    members |= {"actor"} if by in ("signature", "token") else set()
    members |= {"key"} if by == "signature" else set()
    if set(claim) != members:
        raise SpecViolation(f"entry {index}: registry claim by {by} has members {sorted(claim)}, not {sorted(members)}")
    if claim["v"] != 1 or isinstance(claim["v"], bool):
        raise SpecViolation(f"entry {index}: registry claim version {claim['v']!r}")
    if not (isinstance(claim["id"], str) and re.fullmatch(_UUID, claim["id"])):
        raise SpecViolation(f"entry {index}: claim id {claim['id']!r} is not a UUID")
    if not (isinstance(claim["at"], str) and re.fullmatch(_AT, claim["at"])):
        raise SpecViolation(f"entry {index}: 'at' {claim['at']!r} is not RFC 3339 UTC whole seconds")
    _instant(claim["at"], "at")
    kind, subject, data = claim["type"], claim["subject"], claim["data"]
    if kind not in REGISTRY_DATA:
        raise SpecViolation(f"entry {index}: unknown registry type {kind!r}")
    if kind in SUBJECT_OF:
        if subject != SUBJECT_OF[kind]:
            raise SpecViolation(f"entry {index}: {kind} has subject {SUBJECT_OF[kind]!r}, not {subject!r}")
    elif kind in LOG_TYPES:
        if subject != "log":
            raise SpecViolation(f"entry {index}: {kind} has subject 'log', not {subject!r}")
    elif not (isinstance(subject, str) and re.fullmatch("org:" + _ORG_ID, subject)):
        raise SpecViolation(f"entry {index}: subject {subject!r} is not 'org:<organisation id>'")
    if "actor" in claim and not (isinstance(claim["actor"], str) and re.fullmatch(_ORG_ID, claim["actor"])):
        raise SpecViolation(f"entry {index}: actor {claim['actor']!r} is not an organisation id")
    if "key" in claim and not isinstance(claim["key"], str):
        raise SpecViolation(f"entry {index}: 'key' is not a string")
    if not isinstance(data, dict):
        raise SpecViolation(f"entry {index}: 'data' is not an object")
    required, optional = REGISTRY_DATA[kind]
    if not required <= set(data) <= required | optional or (kind == "org_changed" and not data):
        raise SpecViolation(f"entry {index}: {kind} data has members {sorted(data)}")
    org_id = subject[4:]
    if "name" in data and not (isinstance(data["name"], str) and len(data["name"]) <= 200
                               and not _CONTROL.search(data["name"])):  # fmt: skip
        raise SpecViolation(f"entry {index}: bad organisation name {data['name']!r}")
    if "roles" in data:
        _sorted_unique(data["roles"], "|".join(sorted(ROLES)), "roles", index, empty=False)
    if "manufacturer_codes" in data:
        _sorted_unique(data["manufacturer_codes"], r"[A-Z0-9]{3}", "manufacturer_codes", index, empty=True)
    if data.get("region") is not None and not (isinstance(data["region"], str)
                                               and re.fullmatch(r"[0-9]{6}", data["region"])):  # fmt: skip
        raise SpecViolation(f"entry {index}: region {data['region']!r} is not a 6-digit code")
    for flag in ("whitelisted", "platform_held"):
        if flag in data and not isinstance(data[flag], bool):
            raise SpecViolation(f"entry {index}: {flag} is not true or false")
    if "whitelist" in data:
        w = data["whitelist"]
        if not (isinstance(w, dict) and set(w) == {"listed", "effective", "reference"}
                and isinstance(w["listed"], bool) and isinstance(w["effective"], str)
                and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", w["effective"])
                and isinstance(w["reference"], str) and w["reference"].strip() and len(w["reference"]) <= 200
                and not _CONTROL.search(w["reference"])):  # fmt: skip
            raise SpecViolation(f"entry {index}: whitelist is {{listed, effective, reference}}, not {w!r}")
        try:
            date.fromisoformat(w["effective"])
        except ValueError:
            raise SpecViolation(f"entry {index}: whitelist.effective {w['effective']!r} is no date") from None
    if "key_id" in data:
        key_id = data["key_id"]
        if not (isinstance(key_id, str) and len(key_id) <= 128 and re.fullmatch(re.escape(org_id) + r"/[A-Za-z0-9._-]+",
                                                                                key_id)):  # fmt: skip
            raise SpecViolation(f"entry {index}: key id {key_id!r} is not '{org_id}/<name>'")
    if "public_key" in data and (not isinstance(data["public_key"], str) or len(_b64(data["public_key"])) != 32):
        raise SpecViolation(f"entry {index}: public_key is not 32 bytes in base64")
    for moment in ("valid_from", "revoked_at"):
        if moment in data and data[moment] is not None:
            _instant(data[moment], moment)
    if data.get("valid_from", "") is None:
        raise SpecViolation(f"entry {index}: valid_from may not be null")
    for text in ("reason", "verifier_key", "old", "new", "source", "note"):
        if text in data and not isinstance(data[text], str):
            raise SpecViolation(f"entry {index}: {text} is not a string")
    if kind == "heads_committed":
        for count in ("size", "count"):
            if not (isinstance(data[count], int) and not isinstance(data[count], bool) and data[count] >= 0):
                raise SpecViolation(f"entry {index}: heads_committed {count} is not a whole number")
        if not (isinstance(data["root"], str) and re.fullmatch(r"[0-9a-f]{64}", data["root"])):
            raise SpecViolation(f"entry {index}: heads_committed root is not 64 lower-case hex digits")
        if data["size"] > index:
            raise SpecViolation(f"entry {index}: a head commitment covers size {data['size']}, beyond itself")


def _check_pack_claim(entry: Mapping[str, Any], registry: SpecRegistry, index: int, recorded_at: datetime) -> None:
    """§1, §5.4: a pack entry's claim is signed by a key of its actor that may sign at this index."""
    claim = entry["claim"]
    if not isinstance(claim, dict) or not {"v", "id", "pack", "type", "at", "actor", "key", "data"} <= set(claim):
        raise SpecViolation(f"entry {index}: a pack claim lacks members")
    if set(claim) - {"v", "id", "pack", "type", "at", "actor", "key", "data", "prev"}:
        raise SpecViolation(f"entry {index}: a pack claim has unknown members")
    key = registry.signing_key(claim["key"], claim["actor"], index, recorded_at)
    if not isinstance(entry.get("sig"), str):
        raise SpecViolation(f"entry {index}: a pack entry carries 'sig'")
    try:
        Ed25519PublicKey.from_public_bytes(key.public_key).verify(_b64(entry["sig"]), bytes(rfc8785.dumps(claim)))
    except InvalidSignature:
        raise SpecViolation(f"entry {index}: signature fails with key {key.key_id!r}") from None


def _pre_migration_registry(entries: Sequence[Mapping[str, Any]]) -> SpecRegistry | None:
    """§5.6: for a log whose registry opens with the migration, the registry its run of `by: migration`
    entries records (what the entries before it are judged against); None for any other log."""
    first = next((i for i, e in enumerate(entries) if "subject" in e), None)
    if first is None or first == 0 or entries[first]["claim"].get("by") != "migration":
        return None
    registry = SpecRegistry()
    for entry in entries[first:]:
        if "subject" not in entry or entry["claim"].get("by") != "migration":
            break
        registry.apply(entry["index"], _instant(entry["recorded_at"], "recorded_at"), entry["claim"], entry.get("sig"))
    return registry


def verify_entries(entries: Sequence[Mapping[str, Any]]) -> SpecRegistry:
    """§2, §5, §7 steps 1-3 over a whole log's entries in index order (as `/v1/log/entries` serves them):
    canonical members, dense indices, every pack's and subject's chain, the registry folded in index order,
    every signature checked with a key valid at its entry's position. The registry the log makes."""
    registry = SpecRegistry()
    before = _pre_migration_registry(entries)
    heads: dict[str, tuple[str, int]] = {}
    at: dict[str, int] = {}  # chain -> the index of its last entry so far
    due = sorted(
        (e["claim"]["data"]["size"], e["index"], e["claim"]["data"]) for e in entries
        if isinstance(e, dict) and "subject" in e and isinstance(e.get("claim"), dict)
        and e["claim"].get("type") == "heads_committed" and isinstance(e["claim"].get("data"), dict)
        and isinstance(e["claim"]["data"].get("size"), int)
    )  # fmt: skip
    last_recorded: datetime | None = None
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or entry.get("v") != 1 or entry.get("index") != position:
            raise SpecViolation(f"entry {position}: not an entry of version 1 at index {position}")
        registry_entry = "subject" in entry
        chain_member = "subject" if registry_entry else "pack"
        members = {"claim", "index", "prev", "recorded_at", "seq", "v", chain_member}
        if registry_entry:
            members |= {"sig"} if "sig" in entry else set()
        else:
            members |= {"sig"}
        if set(entry) != members:
            raise SpecViolation(f"entry {position}: members {sorted(entry)}, not {sorted(members)}")
        chain = entry[chain_member]
        if not isinstance(chain, str) or not isinstance(entry["claim"], dict):
            raise SpecViolation(f"entry {position}: {chain_member} is not a string or claim not an object")
        if entry["claim"].get(chain_member) != chain or (registry_entry and "pack" in entry["claim"]):
            raise SpecViolation(f"entry {position}: the claim's {chain_member} is not the entry's {chain!r}")
        if registry_entry != (chain in ("log", "heads", "calendar") or chain.startswith("org:")):
            raise SpecViolation(f"entry {position}: {chain_member} {chain!r} is not a {chain_member}")
        while due and due[0][0] <= position:
            _check_heads(due.pop(0), heads, at)
        last_hash, last_seq = heads.get(chain, (None, -1))
        if entry["seq"] != last_seq + 1 or entry["prev"] != last_hash:
            raise SpecViolation(f"entry {position}: {chain} seq {entry['seq']} prev {entry['prev']} does not follow "
                                f"seq {last_seq} hash {last_hash}")  # fmt: skip
        heads[chain], at[chain] = (entry_hash(entry), entry["seq"]), position
        if not (isinstance(entry["recorded_at"], str) and re.fullmatch(_RECORDED_AT, entry["recorded_at"])):
            raise SpecViolation(f"entry {position}: recorded_at {entry['recorded_at']!r} is not µs UTC")
        recorded_at = _instant(entry["recorded_at"], "recorded_at")
        if last_recorded is not None and recorded_at < last_recorded:
            raise SpecViolation(f"entry {position}: recorded_at goes backwards")
        last_recorded = recorded_at
        if registry_entry:
            registry.apply(position, recorded_at, entry["claim"], entry.get("sig"))
        else:
            in_force = before if before is not None and not registry.orgs else registry
            _check_pack_claim(entry, in_force, position, recorded_at)
    for commitment in due:
        _check_heads(commitment, heads, at)
    return registry


def _check_heads(
    commitment: tuple[int, int, Mapping[str, Any]], heads: Mapping[str, tuple[str, int]], at: Mapping[str, int]
) -> None:
    """§6.4: a head commitment's root is the RFC 6962 root over every chain's last entry before its size
    (the `heads` chain left out), one leaf per chain, sorted by the subject's UTF-8 bytes, each leaf the
    RFC 8785 bytes of {hash, index, seq, subject}."""
    size, index, data = commitment
    subjects = sorted((s for s in heads if s != "heads"), key=lambda s: s.encode())
    leaves = [
        bytes(rfc8785.dumps({"hash": heads[s][0], "index": at[s], "seq": heads[s][1], "subject": s})) for s in subjects
    ]
    root = mth(leaves).hex() if leaves else _sha256(b"").hex()
    if (root, len(leaves)) != (data["root"], data["count"]):
        raise SpecViolation(
            f"entry {index}: head commitment root {data['root']} over {data['count']} chains, but the chains at "
            f"size {size} give {root} over {len(leaves)}"
        )


def root_of(entries: Sequence[Mapping[str, Any]]) -> bytes:
    """MTH over the entries' canonical bytes (§3)."""
    return mth([entry_bytes(e) for e in entries])

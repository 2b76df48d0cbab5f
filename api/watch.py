"""What `packtrace watch-org` checks: an organisation's registry history (GET /v1/orgs/{org}/history)
against the keys the organisation knows it has.

The known-keys file lists one key a line: its key id (`catl/2026-1`), its public key (standard base64 of
the 32 raw bytes, as `packtrace keygen` prints it), or both separated by spaces; `#` starts a comment.
A key of the log is known when a line names it (a line with both must match both: the stricter form,
since a key id alone does not say which public key the log holds under it). Any other key the history
shows, revoked since or not, is unexpected: whoever holds its private key could sign for the organisation.
The history's entries must also chain (dense `seq`, each `prev` the previous entry's hash, each hash that
of the entry's canonical bytes), so an entry left out of the middle shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger.format.canonical import canonical, entry_hash

_PUBLIC_KEY = re.compile(r"[A-Za-z0-9+/]{43}=")


class KnownKeysError(ValueError):
    """The known-keys file cannot be read as one."""


@dataclass(frozen=True)
class KnownKey:
    key_id: str | None
    public_key: str | None

    def matches(self, key_id: str, public_key: str) -> bool:
        return (self.key_id is None or self.key_id == key_id) and (
            self.public_key is None or self.public_key == public_key
        )


@dataclass(frozen=True)
class UnexpectedKey:
    key_id: str
    public_key: str
    index: int  # the registry entry that added it
    recorded_at: str
    authorised_by: str
    revoked_at_index: int | None

    def describe(self) -> str:
        revoked = f"; revoked at entry {self.revoked_at_index}" if self.revoked_at_index is not None else ""
        return (
            f"UNEXPECTED KEY {self.key_id} (public key {self.public_key}) added by log entry {self.index} at "
            f"{self.recorded_at}, authorised by {self.authorised_by}{revoked}"
        )


def parse_known_keys(lines: Iterable[str]) -> list[KnownKey]:
    known: list[KnownKey] = []
    for number, line in enumerate(lines, start=1):
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        key_id = public_key = None
        for word in words:
            if "/" in word and not _PUBLIC_KEY.fullmatch(word) and key_id is None:
                key_id = word
            elif _PUBLIC_KEY.fullmatch(word) and public_key is None:
                public_key = word
            else:
                raise KnownKeysError(
                    f"line {number}: {word!r} is neither a key id (ORG/NAME) nor a base64 public key, or repeats one"
                    "（每行应为密钥编号和/或公钥）"
                )
        known.append(KnownKey(key_id, public_key))
    if not known:
        raise KnownKeysError("lists no key: one key id or base64 public key a line（未列出任何密钥）")
    return known


def authorised_by(claim: Mapping[str, Any]) -> str:
    """Who authorised a registry claim, in words (docs/ledger-format.md §5: its `by`)."""
    by = claim.get("by")
    if by == "signature":
        return f"a signature of {claim.get('actor')!r} with key {claim.get('key')!r}（企业密钥签名）"
    if by == "token":
        return f"the API token of {claim.get('actor')!r}（企业令牌）"
    if by == "admin":
        return "the platform administrator's token（平台管理员）"
    if by == "migration":
        return "the migration of a database older than the registry（数据迁移）"
    return f"{by!r}"


def chain_problem(history: Sequence[Mapping[str, Any]]) -> str | None:
    """Why the entries do not form one subject's chain from its first entry, or None."""
    previous: str | None = None
    for position, item in enumerate(history):
        entry = item["entry"]
        if entry_hash(canonical(entry)) != item["hash"]:
            return f"entry {item['index']}: its hash is not the hash of its bytes"
        if entry.get("seq") != position or entry.get("prev") != previous or entry.get("index") != item["index"]:
            return f"entry {item['index']}: seq {entry.get('seq')} does not follow the history's entry {position - 1}"
        previous = item["hash"]
    return None


def unexpected_keys(history: Sequence[Mapping[str, Any]], known: Sequence[KnownKey]) -> list[UnexpectedKey]:
    """The keys the history adds that no line of `known` names, in log order."""
    revoked = {
        item["entry"]["claim"]["data"]["key_id"]: int(item["index"])
        for item in history
        if item["entry"]["claim"]["type"] == "key_revoked"
    }
    found: list[UnexpectedKey] = []
    for item in history:
        claim = item["entry"]["claim"]
        if claim["type"] != "key_added":
            continue
        key_id, public_key = str(claim["data"]["key_id"]), str(claim["data"]["public_key"])
        if any(k.matches(key_id, public_key) for k in known):
            continue
        found.append(
            UnexpectedKey(
                key_id, public_key, int(item["index"]), str(item["entry"]["recorded_at"]), authorised_by(claim),
                revoked.get(key_id),
            )
        )  # fmt: skip
    return found

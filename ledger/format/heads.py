"""Head commitments (docs/ledger-format.md §6.4): the log's commitment to the last entry of every chain.

A `heads_committed` entry (subject `heads`, by `log`) holds the RFC 6962 root over one leaf per chain of
the log as it stood at `size` (packs and registry subjects alike, the `heads` chain itself excluded),
sorted by subject (UTF-8 bytes). A leaf is the canonical JSON

    {"hash":"<entry hash, hex>","index":<log index>,"seq":<seq>,"subject":"<pack code or subject>"}

of the chain's last entry with index < `size`, hashed as an RFC 6962 leaf (SHA-256 of 0x00 ‖ bytes). With
an inclusion proof of its leaf under a commitment that the checkpoint includes, a bundle proves that its
last entry before `size` *is* the chain's head then: entries cut from its end are refused.

Pure: building the tree from heads, and checking a proof of one leaf; storage is ledger.store.heads.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from events.errors import VerificationError
from ledger.format import merkle

HEADS_TYPE = "heads_committed"


@dataclass(frozen=True, order=True)
class Head:
    """The last entry of one chain: its subject (a pack code, `org:<id>` or `log`), index, seq and hash."""

    subject: str
    index: int
    seq: int
    hash: str

    def leaf(self) -> bytes:
        return json.dumps(
            {"hash": self.hash, "index": self.index, "seq": self.seq, "subject": self.subject},
            ensure_ascii=False,
            separators=(",", ":"),
            sort_keys=True,
        ).encode()

    def leaf_hash(self) -> bytes:
        return merkle.leaf_hash(self.leaf())

    def to_json(self) -> dict[str, Any]:
        return {"subject": self.subject, "index": self.index, "seq": self.seq, "hash": self.hash}


def ordered(heads: Iterable[Head]) -> list[Head]:
    """The tree's leaf order: by subject, compared as UTF-8 bytes."""
    return sorted(heads, key=lambda h: h.subject.encode())


@dataclass(frozen=True)
class HeadTree:
    """The heads in leaf order, the tree's complete-subtree nodes (merkle's (level, idx) keys) and root."""

    heads: list[Head]
    nodes: dict[merkle.Key, bytes]
    root: bytes

    @property
    def count(self) -> int:
        return len(self.heads)


def build(heads: Iterable[Head]) -> HeadTree:
    """The commitment's tree over `heads` (one per subject)."""
    leaves = ordered(heads)
    subjects = [h.subject for h in leaves]
    if len(set(subjects)) != len(subjects):
        raise ValueError("a head commitment has one leaf per subject")
    created, frontier = merkle.append_leaves(0, [], [h.leaf_hash() for h in leaves])
    return HeadTree(leaves, dict(created), merkle.root_from_frontier(frontier))


def root_of(heads: Iterable[Head]) -> tuple[bytes, int]:
    """(root, count) of the commitment over `heads`, without keeping the nodes (what `verify` needs)."""
    leaves = ordered(heads)
    return merkle.root([h.leaf_hash() for h in leaves]), len(leaves)


def proof(position: int, count: int, nodes: Mapping[merkle.Key, bytes]) -> list[bytes]:
    """The inclusion proof of leaf `position` in a tree of `count` leaves, from its stored nodes."""
    return merkle.resolve_proof(merkle.inclusion_ranges(position, count), nodes)


def proof_keys(position: int, count: int) -> set[merkle.Key]:
    return merkle.proof_node_keys(merkle.inclusion_ranges(position, count))


@dataclass(frozen=True)
class Commitment:
    """A `heads_committed` entry, as a bundle's verifier reads it: its log index, the size it covers, the
    number of leaves and the root."""

    index: int
    size: int
    count: int
    root: bytes
    recorded_at: str


def read_commitment(entry: Mapping[str, Any]) -> Commitment:
    """The commitment an entry object states; VerificationError when it is not a head commitment."""
    claim = entry.get("claim")
    if set(entry) != {"claim", "index", "prev", "recorded_at", "seq", "subject", "v"} or entry.get("v") != 1:
        raise VerificationError("the bundle's head commitment is not a registry entry of the format (§5.1)")
    if (
        entry.get("subject") != "heads"
        or not isinstance(claim, Mapping)
        or claim.get("type") != HEADS_TYPE
        or claim.get("by") != "log"
        or claim.get("subject") != "heads"
    ):
        raise VerificationError("the bundle's head commitment is not a `heads_committed` entry of the log")
    data = claim.get("data")
    if not isinstance(data, Mapping) or set(data) != {"size", "count", "root"}:
        raise VerificationError("the head commitment's data is not {size, count, root}")
    size, count, root = data["size"], data["count"], data["root"]
    index = entry.get("index")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (size, count, index)):
        raise VerificationError("the head commitment's size, count and index must be whole numbers")
    assert isinstance(index, int) and isinstance(size, int) and isinstance(count, int)
    if size > index:
        raise VerificationError(f"a head commitment at entry {index} cannot cover the log at size {size}")
    try:
        raw = bytes.fromhex(root) if isinstance(root, str) and len(root) == 64 else b""
    except ValueError:
        raw = b""
    if len(raw) != merkle.HASH_SIZE:
        raise VerificationError("the head commitment's root is not 64 hex digits")
    return Commitment(index, size, count, raw, str(entry.get("recorded_at")))


def read_head(value: Any) -> Head:
    """A leaf as a bundle lists it ({subject, index, seq, hash})."""
    if not isinstance(value, Mapping) or set(value) != {"subject", "index", "seq", "hash"}:
        raise VerificationError("a head is {subject, index, seq, hash}")
    subject, index, seq, digest = value["subject"], value["index"], value["seq"], value["hash"]
    if not (isinstance(subject, str) and isinstance(digest, str) and len(digest) == 64):
        raise VerificationError("a head's subject and hash must be strings (the hash 64 hex digits)")
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (index, seq)):
        raise VerificationError("a head's index and seq must be whole numbers")
    return Head(subject, index, seq, digest)


def check_leaf(head: Head, position: int, path: Sequence[str], commitment: Commitment) -> None:
    """The head is leaf `position` of the commitment's tree; VerificationError naming why not."""
    try:
        hashes = [bytes.fromhex(h) for h in path]
    except (TypeError, ValueError):
        raise VerificationError("the head's proof holds a hash that is not hex") from None
    if not (isinstance(position, int) and not isinstance(position, bool)):
        raise VerificationError("the head's position must be a whole number")
    try:
        merkle.verify_inclusion(head.leaf_hash(), position, commitment.count, hashes, commitment.root)
    except VerificationError as exc:
        raise VerificationError(
            f"the head of {head.subject} (seq {head.seq}, entry {head.index}) is not in the log's head commitment at "
            f"entry {commitment.index}: {exc.message}"
        ) from None


@dataclass(frozen=True)
class Listed:
    """One item of a chain as a bundle lists it: its seq, and its index and hash when it is shown (None
    for an entry a redacted bundle withholds)."""

    seq: int
    index: int | None
    hash: str | None


def check_complete(what: str, subject: str, listed: Sequence[Listed], member: Any, commitment: Commitment) -> Head:
    """The chain's items as `listed` end where the log's head commitment says the chain stood at its size:
    the committed head (`member`: {head, position, path}, proven under `commitment`) is the last listed
    item before that size. Refuses, naming why, a chain with items cut from its end."""
    if not isinstance(member, Mapping) or set(member) != {"head", "position", "path"}:
        raise VerificationError(f"{what}: no proof of its head ({{head, position, path}}): completeness is unproven")
    head = read_head(member["head"])
    if head.subject != subject:
        raise VerificationError(f"{what}: the head proven is {head.subject!r}'s, not {subject!r}'s")
    if not isinstance(member["path"], list):
        raise VerificationError(f"{what}: the head's path must be a list of hashes")
    check_leaf(head, member["position"], member["path"], commitment)
    where = f"the log's head commitment at entry {commitment.index} (log size {commitment.size})"
    if head.seq >= len(listed):
        raise VerificationError(
            f"{what}: entries were removed from its end: {where} says the chain had {head.seq + 1} entries "
            f"(the last, seq {head.seq}, at entry {head.index}), but the bundle lists {len(listed)}"
        )
    item = listed[head.seq]
    if (item.index is not None and item.index != head.index) or (item.hash is not None and item.hash != head.hash):
        raise VerificationError(
            f"{what}: entry seq {head.seq} is not the one {where} names as the chain's head (entry {head.index})"
        )
    later = next((i for i in listed[head.seq + 1 :] if i.index is not None), None)
    if later is not None and later.index is not None and later.index < commitment.size:
        raise VerificationError(
            f"{what}: entry seq {later.seq} (entry {later.index}) comes before log size {commitment.size}, but "
            f"{where} says the chain ended at seq {head.seq}"
        )
    return head

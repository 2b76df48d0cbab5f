"""How a bundle proves its keys (docs/ledger-format.md §6.3): the registry chains it carries, checked
against the bundle's checkpoint and folded by the log's own registry rules (events.registry).

A bundle's `registry` member holds, for every organisation whose key signed a shown entry, that
organisation's registry entries (subject `org:<id>`) from seq 0 in order, with an inclusion proof of the
last one: as for a pack's chain, the proof authenticates the last entry and the `prev` links every one
before it. The entries of all chains are folded in index order with `Registry.apply`, which checks each
one's authority (and the signature of a signed one), so the keys a bundle uses are exactly the keys the
log's registry entries added, with the positions that bound them.

Each chain also carries the proof of its head under the bundle's head commitment (ledger.format.heads):
the chain is complete up to the log size the commitment covers, so a registry entry cut from its end (a
revocation, say) is refused. Entries recorded after that size are proven when shown, and not ruled out.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from events.errors import PacktraceError, VerificationError
from events.registry import ORG_SUBJECT, By, KeyState, Registry
from events.timestamps import format_recorded_at, from_rfc3339
from ledger.format import ed25519, heads, merkle, note
from ledger.format.canonical import canonical, entry_hash


def check_proof(
    proof: Mapping[str, Any], entry: Mapping[str, Any], body: bytes, checkpoint: note.Checkpoint, what: str = ""
) -> None:
    """The inclusion proof of `entry` (canonical bytes `body`) takes its leaf hash to the checkpoint's root."""
    if not all(type(proof[k]) is int for k in ("index", "tree_size")):
        raise VerificationError(f"{what}proof's index and tree_size must be whole numbers")
    if proof["tree_size"] != checkpoint.size:
        raise VerificationError(f"{what}proof is for tree size {proof['tree_size']}, checkpoint is {checkpoint.size}")
    if proof["index"] != entry["index"]:
        raise VerificationError(f"{what}proof is for index {proof['index']}, the last entry is {entry['index']}")
    try:
        merkle.verify_inclusion(
            merkle.leaf_hash(body),
            proof["index"],
            proof["tree_size"],
            [bytes.fromhex(h) for h in proof["hashes"]],
            checkpoint.root,
        )
    except VerificationError as exc:
        raise VerificationError(f"{what}{exc.message}") from None


@dataclass(frozen=True)
class ShownChain:
    """One organisation's registry chain as a bundle shows it: entries seq 0…`last_seq`, the last at
    `last_index` (proven, with every entry before it; nothing after it is proven or ruled out)."""

    org: str
    last_seq: int
    last_index: int
    committed_seq: int | None = None  # the chain's head by the bundle's head commitment, if it was checked


def key_summary(key: KeyState) -> dict[str, Any]:
    """A key as a bundle's `keys` member lists it: what the registry entries shown made of it."""
    return {
        "key_id": key.key_id,
        "org": key.org,
        "public_key": base64.b64encode(key.public_key).decode(),
        "valid_from": format_recorded_at(key.valid_from),
        "revoked_at": None if key.revoked_at is None else format_recorded_at(key.revoked_at),
        "platform_held": key.platform_held,
    }


def fold(chains: Iterable[tuple[str, list[dict[str, Any]]]]) -> Registry:
    """The registry that `chains` (org subject, its registry entries) make when folded in index order."""
    merged = sorted(((e["index"], subject, e) for subject, entries in chains for e in entries), key=lambda t: t[0])
    registry = Registry()
    seen: dict[int, str] = {}
    logged = False  # a registry entry not by the migration was folded: no migration entry may follow
    for index, subject, entry in merged:
        if type(index) is not int:
            raise VerificationError(f"registry {subject} seq {entry.get('seq')}: index {index!r} is not a whole number")
        if index in seen:
            raise VerificationError(f"registry {subject} and {seen[index]} both hold an entry at index {index}")
        seen[index] = subject
        where = f"registry {subject} seq {entry['seq']} (index {index})"
        claim = entry["claim"]
        sig = entry.get("sig")
        if (sig is not None) != (claim.get("by") == By.SIGNATURE):
            raise VerificationError(f"{where}: carries `sig` exactly when its claim is authorised by 'signature'")
        if claim.get("by") == By.MIGRATION and logged:
            raise VerificationError(f"{where}: a migration entry follows registry entries made in the log")
        logged = logged or claim.get("by") != By.MIGRATION
        try:
            registry.apply(index, from_rfc3339(entry["recorded_at"]), claim, _signature_check(claim, sig))
        except PacktraceError as exc:
            raise VerificationError(
                f"{where}: the log's registry rules refuse {claim.get('type')}: {exc.message}"
            ) from None
    return registry


def _signature_check(claim: Mapping[str, Any], sig: Any) -> Callable[[bytes], bool] | None:
    if sig is None:
        return None
    claim_bytes, signature = canonical(claim), base64.b64decode(sig)

    def check(public_key: bytes) -> bool:
        return ed25519.verify(public_key, signature, claim_bytes)  # the one verifier: the appends' rule

    return check


class BundleKeys:
    """The keys a bundle proves: its `registry` chains, each checked and proven under `checkpoint`, folded
    into the registry they make."""

    def __init__(self, chains: Any, checkpoint: note.Checkpoint, commitment: heads.Commitment | None = None) -> None:
        if not isinstance(chains, list):
            raise VerificationError("the bundle holds no registry chains (member 'registry'): its keys are unproven")
        shown: list[ShownChain] = []
        parsed: list[tuple[str, list[dict[str, Any]]]] = []
        for chain in chains:
            subject = chain["subject"]
            if not (isinstance(subject, str) and subject.startswith(ORG_SUBJECT)):
                raise VerificationError(f"registry chain {subject!r}: only organisations' chains (org:<id>) are shown")
            if any(s == subject for s, _ in parsed):
                raise VerificationError(f"registry {subject}: the chain is shown twice")
            entries = chain["entries"]
            if not entries:
                raise VerificationError(f"registry {subject}: the chain holds no entries")
            body = _check_chain(subject, entries)
            check_proof(chain["proof"], entries[-1], body, checkpoint, f"registry {subject}: ")
            committed = None
            if commitment is not None:
                listed = [heads.Listed(e["seq"], e["index"], entry_hash(canonical(e))) for e in entries]
                committed = heads.check_complete(f"registry {subject}", subject, listed, chain.get("head"), commitment)
            parsed.append((subject, entries))
            shown.append(ShownChain(subject[len(ORG_SUBJECT) :], len(entries) - 1, entries[-1]["index"],
                                    None if committed is None else committed.seq))  # fmt: skip
        self.registry = fold(parsed)
        self.chains = tuple(sorted(shown, key=lambda c: c.org))
        self._indices = {e["index"]: subject for subject, entries in parsed for e in entries}

    def public_key(self, claim: Mapping[str, Any], index: int, recorded_at: str, where: str) -> bytes:
        """The public key that must have signed `claim` (the pack entry at `index`), or refuse the entry:
        judged by position as `packtrace verify` judges it (docs/ledger-format.md §5)."""
        if index in self._indices:
            raise VerificationError(f"{where}: registry {self._indices[index]} holds an entry at the same index")
        key_id, actor = claim["key"], claim["actor"]
        key = self.registry.keys.get(key_id)
        if key is None:
            raise VerificationError(
                f"{where}: key {key_id!r} is not shown by the log's registry entries in this bundle"
            )
        # The key rules are positional (KeyState.refusal): judged against the chains folded whole, an entry
        # gets exactly the verdict the registry in force at its index gives, and a key the migration
        # imported after it keeps its time window.
        if key.org == actor and key.added > index and not key.migrated:
            raise VerificationError(
                f"{where}: key {key_id!r} is added by the log's registry entry at index {key.added}, after this entry"
            )
        refused = self.registry.key_refusal(key_id, actor, index, from_rfc3339(recorded_at))
        if refused is not None:
            raise VerificationError(f"{where}: {refused[1]}")
        return key.public_key

    def check_summary(self, listed: Any, key_ids: set[str]) -> None:
        """The bundle's `keys` (for readers; optional) are exactly the keys of `key_ids` as the registry chains
        show them."""
        want = [key_summary(self.registry.keys[k]) for k in sorted(key_ids)]
        if listed is None or listed == want:
            return
        shown = {k["key_id"]: k for k in want}
        for item in listed if isinstance(listed, list) else []:
            key_id = item.get("key_id") if isinstance(item, dict) else None
            if key_id not in shown:
                raise VerificationError(f"keys: lists {key_id!r}, which signed no entry shown in this bundle")
            differs = sorted(name for name in {*item, *shown[key_id]} if item.get(name) != shown[key_id].get(name))
            if differs:
                raise VerificationError(
                    f"keys: key {key_id!r} differs from the log's registry entries in this bundle in "
                    f"{', '.join(differs)}"
                )
        raise VerificationError(
            f"keys: must list exactly the keys that signed the entries shown, by key id: {', '.join(shown)}"
        )


_MEMBERS = frozenset({"claim", "index", "prev", "recorded_at", "seq", "subject", "v"})  # and `sig` if signed


def _check_chain(subject: str, entries: list[dict[str, Any]]) -> bytes:
    """Each entry of one organisation's registry chain is the subject's, at its seq, linked to the one before
    it, at a higher index; answer the last one's canonical bytes."""
    prev: str | None = None
    body, last_index = b"", -1
    for position, entry in enumerate(entries):
        where = f"registry {subject} seq {position} (index {entry.get('index')})"
        if entry.get("subject") != subject or entry["claim"].get("subject") != subject or "pack" in entry:
            raise VerificationError(f"{where} belongs to {entry.get('subject', entry.get('pack'))!r}, not {subject}")
        if entry.get("v") != 1:
            raise VerificationError(f"{where}: unknown entry version {entry.get('v')!r}")
        if set(entry) - {"sig"} != _MEMBERS:
            raise VerificationError(f"{where}: has members {sorted(entry)}, not those of a registry entry")
        if entry["seq"] != position:
            raise VerificationError(f"{where}: expected seq {position}, found {entry['seq']}")
        if entry["prev"] != prev:
            raise VerificationError(f"{where}: prev {entry['prev']} but the previous entry hashes to {prev}")
        index = entry["index"]
        if type(index) is not int or index <= last_index or index < position:
            raise VerificationError(f"{where}: index must increase along the chain from at least its seq")
        body, last_index = canonical(entry), index
        prev = entry_hash(body)
    return body

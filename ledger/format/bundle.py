"""An offline bundle of one pack (DESIGN §3.4, docs/ledger-format.md §6) checked with public keys alone:
no database, nothing but the bundle's JSON and the log's verifier key.

Because each entry commits to its predecessor's hash, one inclusion proof of the bundle's last entry
against a signed checkpoint authenticates every entry up to it: a *prefix* of the pack's chain. That the
chain ends there is proven by the log's head commitment (ledger.format.heads, docs/ledger-format.md §6.4):
a `heads_committed` entry, included under the same checkpoint, whose tree holds the pack's head as the log
stood at the size it covers; the bundle's last entry before that size must be that head, so entries cut
from its end are refused. (Entries recorded after that size are proven when shown, and not ruled out: the
server commits again before it writes a bundle whose pack's head is newer than the latest commitment.)

The keys are proven the same way (ledger.format.bundlekeys): the bundle carries the registry chains of the
organisations whose keys signed the entries it shows, each proven under the same checkpoint and complete
by the same commitment, and every entry's key is judged by the log's own registry rules at the entry's
position.

Two forms:

- the **full** bundle (`packtrace-bundle/3`, the authority tier): every entry verbatim;
- the **redacted** bundle (`packtrace-redacted-bundle/3`, the legitimate-interest tier): an entry is
  disclosed verbatim only if the reader may read all of it; any other is withheld whole and stands as
  its `seq` alone. An entry's hash is SHA-256 over its whole canonical bytes, so no part of an entry can
  be shown authenticated without all of it: each disclosed entry is authenticated through the `prev` of
  the disclosed entry after it or, where none follows, by an inclusion proof of its own. Nothing about a
  withheld entry is claimed but that it exists (and, where a disclosed entry follows, its hash, which
  that entry's `prev` states).

Bundles are written by ledger.usecases.bundles.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

from events.errors import PacktraceError, VerificationError
from ledger.format import ed25519, heads, note
from ledger.format.bundlekeys import BundleKeys, ShownChain, check_proof
from ledger.format.canonical import canonical, entry_hash

BUNDLE_FORMAT = "packtrace-bundle/3"
REDACTED_FORMAT = "packtrace-redacted-bundle/3"
# The first formats listed their keys unsigned, from the server's tables: nothing in them proves who signed.
UNPROVEN_FORMATS = ("packtrace-bundle/1", "packtrace-redacted-bundle/1")
# The second proved its keys but not its end: entries cut from it went unnoticed.
PREFIX_FORMATS = ("packtrace-bundle/2", "packtrace-redacted-bundle/2")
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class BundleSummary:
    """What a bundle proved: entries `seq` 0…`proven_through` exist in the pack's chain (a prefix: entries
    after it are neither proven nor ruled out), `disclosed` of them verbatim and authenticated.
    `entries` counts the items the bundle lists, including `claimed_after` withheld items after the last
    disclosed entry, which only the server claims (nothing proves them). `registry`: the registry chains
    that proved the keys, each a prefix of the organisation's chain (seq 0…`last_seq`)."""

    pack: str
    entries: int
    tree_size: int
    root: bytes
    disclosed: int
    proven_through: int | None
    claimed_after: int = 0
    registry: tuple[ShownChain, ...] = ()
    complete_through: int | None = None  # the chain's head by the log's head commitment (None: not checked)
    committed_size: int | None = None  # the log size that commitment covers
    commitment: int | None = None  # its entry's index

    @property
    def withheld(self) -> int:
        """Items withheld, proven or not (see `withheld_proven`, `claimed_after`)."""
        return self.entries - self.disclosed

    @property
    def proven(self) -> int:
        """How many entries the bundle proves exist: `seq` 0…`proven_through`."""
        return 0 if self.proven_through is None else self.proven_through + 1

    @property
    def withheld_proven(self) -> int:
        """Withheld entries among those proven to exist (before the last disclosed one)."""
        return self.proven - self.disclosed


def verify_bundle(bundle: Any, log_key: str) -> BundleSummary:
    """Check a bundle (full or redacted) with the log's verifier key; return what it proves or raise
    VerificationError.

    (1) the checkpoint is signed by the log key; (2) the entries form the pack's chain from seq 0, their
    `index` increasing along it (by at least one per entry between, across withheld ones), no claim
    (actor, id) twice; (3) every claim is signed by a key of its actor that the bundle's registry chains
    (each proven under the checkpoint, folded by the log's registry rules) show in force at the entry's
    position, and the `keys` listed are those keys as the chains show them; (4) the last entry is included
    in the checkpointed tree (redacted: at least one entry is disclosed, and every disclosed entry is
    authenticated, by the next entry's `prev` or by an inclusion proof of its own).
    What that proves is a prefix of the chain, not its end (see the module's docstring).
    """
    try:
        if isinstance(bundle, dict) and bundle.get("format") in UNPROVEN_FORMATS:
            raise VerificationError(
                f"{bundle['format']} lists its keys unsigned, so it cannot prove who signed its entries: fetch the "
                f"bundle again ({BUNDLE_FORMAT} or {REDACTED_FORMAT} prove the keys from the log's registry entries)"
            )
        if isinstance(bundle, dict) and bundle.get("format") in PREFIX_FORMATS:
            raise VerificationError(
                f"{bundle['format']} cannot prove that it is complete (entries cut from its end go unnoticed): fetch "
                f"the bundle again ({BUNDLE_FORMAT} or {REDACTED_FORMAT} prove the pack's head by the log's head "
                "commitment)"
            )
        if isinstance(bundle, dict) and bundle.get("format") == REDACTED_FORMAT:
            return _verify_redacted(bundle, log_key)
        return _verify(bundle, log_key)
    except VerificationError:
        raise
    except RecursionError:
        raise VerificationError("malformed bundle: a value is nested too deeply") from None
    except (PacktraceError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise VerificationError(f"malformed bundle: {exc!r}") from None


def verify_window(bundle: dict[str, Any], log_key: str) -> BundleSummary:
    """Check a `window_bundle`: the entries shown, linked to each other and the last one included in the
    checkpointed tree (the first one's `prev` is taken as it stands unless it is seq 0)."""
    try:
        return _verify(bundle, log_key, first_seq=int(bundle["entries"][0]["seq"]))
    except VerificationError:
        raise
    except (PacktraceError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise VerificationError(f"malformed bundle: {exc!r}") from None


ROLLED_OVER = (
    "; the log's origin signed it with another key: if the log's key was rolled over, learn the new key by "
    "the log's own entries (packtrace log follow --url URL --log-key <the key you hold> --state FILE) and "
    "verify with it"
)


def _checkpoint(bundle: dict[str, Any], log_key: str) -> note.Checkpoint:
    try:
        return note.parse_checkpoint(note.open_note(bundle["checkpoint"], log_key))
    except VerificationError as exc:
        origin = note.parse_verifier_key(log_key).name
        if exc.message.startswith("note has no signature by") and f"signatures by: {origin}+" in exc.message:
            raise VerificationError(exc.message + ROLLED_OVER) from None
        raise


class _Seen:
    """What the entries checked so far fix for the next ones: the last one's (seq, index), and each claim's
    (actor, id) with the seq it was seen at."""

    def __init__(self) -> None:
        self.last: tuple[int, int] | None = None
        self.claims: dict[tuple[str, str], int] = {}

    def check(self, entry: dict[str, Any], position: int, where: str) -> None:
        index = entry["index"]
        if type(index) is not int:
            raise VerificationError(f"{where}: index {index!r} is not a whole number")
        if self.last is None:  # the `position` entries before it hold earlier indices
            if index < position:
                raise VerificationError(f"{where}: index {index} is less than its seq")
        else:
            seq, before = self.last
            if position - seq == 1 and index <= before:
                raise VerificationError(
                    f"{where}: index must increase along the chain, but entry seq {seq} has index {before}"
                )
            if index < before + (position - seq):
                raise VerificationError(
                    f"{where}: index must exceed index {before} of entry seq {seq} by at least {position - seq}, "
                    f"as the {position - seq - 1} withheld entries between them have indices of their own"
                )
        self.last = (position, index)
        claim = entry["claim"]
        key = (claim["actor"], claim["id"])
        if not all(isinstance(part, str) for part in key):
            raise VerificationError(f"{where}: the claim's actor and id must be strings")
        first = self.claims.setdefault(key, position)
        if first != position:
            raise VerificationError(
                f"{where}: claim {key[1]!r} of {key[0]!r} appears twice in the bundle (first as entry seq {first}): "
                "a replayed claim"
            )


def _check_entry(
    entry: dict[str, Any],
    position: int,
    code: str,
    keys: BundleKeys,
    prev: str | None,
    seen: _Seen,
    *,
    link: bool = True,
) -> bytes:
    """Checks (2) and (3) of one entry at `position`, whose predecessor hashes to `prev` (`link`: known);
    answer its canonical bytes."""
    where = f"entry seq {position} (index {entry.get('index')})"
    if entry["pack"] != code or entry["claim"]["pack"] != code:
        raise VerificationError(f"{where} belongs to pack {entry['pack']}, not {code}")
    if entry["seq"] != position:
        raise VerificationError(f"{where}: expected seq {position}, found {entry['seq']}")
    if link and entry["prev"] != prev:
        raise VerificationError(f"{where}: prev {entry['prev']} but the previous entry hashes to {prev}")
    seen.check(entry, position, where)
    claim = entry["claim"]
    public = keys.public_key(claim, entry["index"], entry["recorded_at"], where)
    if not ed25519.verify(public, base64.b64decode(entry["sig"]), canonical(claim)):  # the appends' rule
        raise VerificationError(f"{where}: signature does not verify with key {claim['key']!r}") from None
    return canonical(entry)


def _commitment(bundle: dict[str, Any], checkpoint: note.Checkpoint) -> heads.Commitment:
    """(5): the bundle's head commitment, an entry of the log proven under the checkpoint."""
    member = bundle.get("heads")
    if not isinstance(member, dict) or not {"entry", "proof"} <= set(member):
        raise VerificationError(
            "the bundle carries no head commitment (member 'heads'): it cannot prove that it is complete"
        )
    entry = member["entry"]
    commitment = heads.read_commitment(entry)
    if checkpoint.size != commitment.index + 1:
        # An older commitment under a newer checkpoint would let entries recorded between them be cut.
        raise VerificationError(
            f"the head commitment at entry {commitment.index} is not the last entry of the checkpointed log (size "
            f"{checkpoint.size}): a bundle is proven complete only against its commitment's own checkpoint (size "
            f"{commitment.index + 1})"
        )
    check_proof(member["proof"], entry, canonical(entry), checkpoint, "head commitment: ")
    return commitment


def _verify(bundle: dict[str, Any], log_key: str, *, first_seq: int | None = None) -> BundleSummary:
    if bundle.get("format") != BUNDLE_FORMAT:
        raise VerificationError(f"not a {BUNDLE_FORMAT} file (format {bundle.get('format')!r})")
    # (1):
    checkpoint = _checkpoint(bundle, log_key)
    code = bundle["pack"]
    entries = bundle["entries"]
    if not entries:
        raise VerificationError("the bundle holds no entries")
    commitment = _commitment(bundle, checkpoint) if first_seq is None else None  # a window claims no end
    keys = BundleKeys(bundle.get("registry"), checkpoint, commitment)
    first_seq = first_seq or 0
    # (2), (3):
    prev: str | None = None
    last_bytes = b""
    seen = _Seen()
    for position, entry in enumerate(entries, start=first_seq):
        last_bytes = _check_entry(entry, position, code, keys, prev, seen, link=position == 0 or position > first_seq)
        prev = entry_hash(last_bytes)
    # (4):
    check_proof(bundle["proof"], entries[-1], last_bytes, checkpoint)
    keys.check_summary(bundle.get("keys"), {e["claim"]["key"] for e in entries})
    last = first_seq + len(entries) - 1
    # (5):
    committed = None
    if commitment is not None:
        listed = [heads.Listed(e["seq"], e["index"], entry_hash(canonical(e))) for e in entries]
        committed = heads.check_complete(f"pack {code}", code, listed, bundle["heads"].get("head"), commitment)
    return BundleSummary(code, len(entries), checkpoint.size, checkpoint.root, len(entries), last,
                         registry=keys.chains, **_completeness(commitment, committed))  # fmt: skip


def _completeness(commitment: heads.Commitment | None, head: heads.Head | None) -> dict[str, Any]:
    if commitment is None or head is None:
        return {}
    return {"complete_through": head.seq, "committed_size": commitment.size, "commitment": commitment.index}


def _verify_redacted(bundle: dict[str, Any], log_key: str) -> BundleSummary:
    # (1):
    checkpoint = _checkpoint(bundle, log_key)
    code = bundle["pack"]
    items = bundle["items"]
    if not items:
        raise VerificationError("the bundle holds no entries")
    commitment = _commitment(bundle, checkpoint)
    keys = BundleKeys(bundle.get("registry"), checkpoint, commitment)
    listed: list[heads.Listed] = []
    signers: set[str] = set()
    prev: str | None = None  # hash of the item before, when it was disclosed
    unproven: int | None = None  # position of a disclosed entry not yet authenticated
    disclosed, proven_through = 0, None
    seen = _Seen()
    for position, item in enumerate(items):
        if item.get("withheld") is not None:
            if item["withheld"] is not True or set(item) != {"seq", "withheld"}:
                raise VerificationError(f"item {position}: a withheld entry holds only its seq")
            if item["seq"] != position:
                raise VerificationError(f"withheld entry at {position}: expected seq {position}, found {item['seq']}")
            if unproven is not None:
                raise VerificationError(f"entry seq {unproven}: followed by a withheld entry, it needs a proof")
            prev = None
            listed.append(heads.Listed(position, None, None))
            continue
        entry = item["entry"]
        # (2), (3); after a withheld entry `prev` is whatever this signed-over entry says it is:
        if position > 0 and prev is None and not (isinstance(entry["prev"], str) and _HASH.fullmatch(entry["prev"])):
            raise VerificationError(f"entry seq {position}: prev {entry['prev']!r} is not an entry hash")
        body = _check_entry(entry, position, code, keys, prev, seen, link=position == 0 or prev is not None)
        prev = entry_hash(body)
        listed.append(heads.Listed(position, entry["index"], prev))
        signers.add(entry["claim"]["key"])
        # (4):
        if "proof" in item:
            check_proof(item["proof"], entry, body, checkpoint)
            unproven = None
        else:
            unproven = position
        disclosed, proven_through = disclosed + 1, position
    if proven_through is None:
        raise VerificationError(f"no entry is disclosed: this bundle proves nothing about pack {code}")
    if unproven is not None:
        raise VerificationError(f"entry seq {unproven}: the last disclosed entry needs a proof")
    keys.check_summary(bundle.get("keys"), signers)
    # (5): the committed head proves the chain's length then, withheld entries included
    committed = heads.check_complete(f"pack {code}", code, listed, bundle["heads"].get("head"), commitment)
    proven_through = max(proven_through, committed.seq)
    claimed_after = len(items) - 1 - proven_through  # withheld items after the last proven one
    return BundleSummary(code, len(items), checkpoint.size, checkpoint.root, disclosed, proven_through, claimed_after,
                         keys.chains, **_completeness(commitment, committed))  # fmt: skip

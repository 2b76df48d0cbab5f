"""Writing the offline bundle of one pack from the ledger (its format and verification:
ledger.format.bundle).

Both forms are written as a stream, a page of entries at a time, so a long chain never sits whole in
memory: the full bundle (the authority tier) with every entry verbatim, the redacted one (the
legitimate-interest tier) with the entries `disclose` refuses withheld whole. After the entries come the
registry chains that prove their keys: those of the organisations that signed the entries shown (and of
any organisation whose key signed one of those chains' entries, a regulator revoking a key, say), up to
the bundle's checkpoint.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any

from events.errors import NotFoundError
from events.registry import By, org_subject
from ledger.format.bundle import BUNDLE_FORMAT, REDACTED_FORMAT
from ledger.format.bundlekeys import fold, key_summary
from ledger.log import Ledger
from ledger.store import cosignatures as cosignature_store
from ledger.store import heads as head_commitments
from ledger.store import logreads as logreads_store
from ledger.store import registry
from ledger.store.logreads import LoggedEntry, StoredCheckpoint
from ledger.usecases.cosigning import cosigned_checkpoint
from ledger.usecases.heads import Committed, ensure_covered

PAGE = 1_000  # entries read from storage at a time
COSIGN_WAIT = 3.0  # seconds a bundle waits for witnesses to cosign a checkpoint covering it

Disclose = Callable[[Mapping[str, Any]], bool]


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class _Frame:
    """What a bundle is written against: the pack's chain up to `last_seq`, a checkpoint covering it and,
    for a whole chain, the head commitment (made now if the latest one is older than the pack's head)."""

    code: str
    last_seq: int
    checkpoint: StoredCheckpoint
    commitment: Committed | None = None


def _frame(ledger: Ledger, code: str, last_seq: int | None = None) -> _Frame:
    """A whole chain is written against a head commitment covering its head and that commitment's own
    checkpoint (size = its index + 1, docs/ledger-format.md §6.4), up to the head the commitment names; a
    window (`last_seq`) against the newest cosigned checkpoint covering it."""
    head = ledger.pack_head(code)
    if head is None:
        raise NotFoundError(f"unknown pack {code}", code="unknown_pack")
    _, seq, last_index = head
    if last_seq is not None:
        checkpoint = _checkpoint(ledger, last_index + 1)
        if checkpoint is None or last_index >= checkpoint.size:
            raise NotFoundError(f"unknown pack {code}", code="unknown_pack")
        return _Frame(code, min(seq, last_seq), checkpoint)
    commitment = ensure_covered(ledger, last_index)
    with ledger.engine.connect() as conn:
        found = head_commitments.head_proof(conn, commitment.index, code, commitment.count)
    if found is None:  # its tree was dropped meanwhile (RETAINED): a newer commitment covers the head too
        commitment = ensure_covered(ledger, commitment.index)
        with ledger.engine.connect() as conn:
            found = head_commitments.head_proof(conn, commitment.index, code, commitment.count)
        if found is None:
            raise NotFoundError("the log's head commitment changed while the bundle was made: ask again",
                                code="commitment_gone")  # fmt: skip
    committed, _, _ = found  # the pack's head as the commitment names it: entries after it are not listed
    return _Frame(code, committed.seq, _commitment_checkpoint(ledger, commitment.index + 1), commitment)


def _checkpoint(ledger: Ledger, at_least: int) -> StoredCheckpoint | None:
    """A window's checkpoint: the newest one of size `at_least` or more that witnesses cosigned, with their
    cosignatures; else the latest."""
    return cosigned_checkpoint(ledger, at_least) or ledger.latest_checkpoint()


def _commitment_checkpoint(ledger: Ledger, size: int) -> StoredCheckpoint:
    """The checkpoint of exactly `size` (a head commitment's transaction), with the cosignatures gathered
    for it; a log whose witnesses cosign gets up to COSIGN_WAIT seconds for theirs (the gatherer submits
    every commitment's checkpoint: ledger.usecases.cosigning)."""
    deadline = time.monotonic() + COSIGN_WAIT
    witnessed: bool | None = None
    while True:
        with ledger.engine.connect() as conn:
            checkpoint = logreads_store.checkpoint_at(conn, size)
            lines = cosignature_store.lines_at(conn, size)
        assert checkpoint is not None, f"no checkpoint of size {size}: a commitment's transaction signs one"
        if lines:
            return replace(checkpoint, note=checkpoint.note + lines)
        if witnessed is None:
            witnessed = cosigned_checkpoint(ledger, 0) is not None
        if not witnessed or time.monotonic() >= deadline:
            return checkpoint
        time.sleep(0.1)


def _heads(ledger: Ledger, frame: _Frame, subjects: list[str]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The bundle's `heads` member (the commitment entry and its inclusion proof) and, for each of
    `subjects`, the proof of its head in the commitment's tree ({head, position, path})."""
    commitment = frame.commitment
    assert commitment is not None
    proofs: dict[str, dict[str, Any]] = {}
    with ledger.engine.connect() as conn:
        body = logreads_store.entries(conn, commitment.index, commitment.index + 1)[0].body
        for subject in subjects:
            found = head_commitments.head_proof(conn, commitment.index, subject, commitment.count)
            if found is None:
                raise NotFoundError(
                    f"the head commitment at entry {commitment.index} no longer keeps its tree: ask again",
                    code="commitment_gone",
                )
            head, position, path = found
            proofs[subject] = {"head": head.to_json(), "position": position, "path": [h.hex() for h in path]}
    member = {"entry": json.loads(body), "proof": _proof(ledger, commitment.index, frame.checkpoint)}
    return member, proofs


def _pages(ledger: Ledger, code: str, first: int, last: int) -> Iterator[list[LoggedEntry]]:
    """The chain's entries with `seq` first…last, a page at a time."""
    start = first
    while start <= last:
        rows = ledger.pack_entries(code, start, min(PAGE, last - start + 1))
        if not rows:
            return
        yield rows
        start += len(rows)


def _registry(
    ledger: Ledger, orgs: set[str], key_ids: set[str], checkpoint: StoredCheckpoint, frame: _Frame | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The bundle's `registry` (the registry chains of `orgs`, and of every organisation whose key signed
    an entry of one of them, each up to `checkpoint` with an inclusion proof of its last entry) and `keys`
    (the keys `key_ids` as those chains make them)."""
    chains: dict[str, list[dict[str, Any]]] = {}
    wanted = sorted(orgs)
    with ledger.engine.connect() as conn:
        while wanted:
            org = wanted.pop()
            if org in chains:
                continue
            rows = registry.subject_entries(conn, org_subject(org))
            chains[org] = [json.loads(body) for index, _, body in rows if index < checkpoint.size]
            wanted += [e["claim"]["actor"] for e in chains[org] if e["claim"]["by"] == By.SIGNATURE]
    shown = {org_subject(org): entries for org, entries in sorted(chains.items()) if entries}
    made = fold(shown.items())
    members = [
        {"subject": subject, "entries": entries, "proof": _proof(ledger, entries[-1]["index"], checkpoint)}
        for subject, entries in shown.items()
    ]
    if frame is not None and frame.commitment is not None:
        _, proofs = _heads(ledger, frame, list(shown))
        for member in members:
            member["head"] = proofs[str(member["subject"])]
    return members, [key_summary(made.keys[k]) for k in sorted(key_ids) if k in made.keys]


def _keys_chunk(ledger: Ledger, signers: set[tuple[str, str]], frame: _Frame) -> bytes:
    """`registry` and `keys` for entries signed by `signers` (actor, key id), and `heads`: the pack's head
    commitment and the proof of its head."""
    members, keys = _registry(
        ledger, {actor for actor, _ in signers}, {key for _, key in signers}, frame.checkpoint, frame
    )
    heads_member, proofs = _heads(ledger, frame, [frame.code])
    heads_member["head"] = proofs[frame.code]
    return b'"registry":%s,"keys":%s,"heads":%s' % (_json(members), _json(keys), _json(heads_member))


def _proof(ledger: Ledger, index: int, checkpoint: StoredCheckpoint) -> dict[str, Any]:
    hashes = ledger.inclusion_proof(index, checkpoint.size)
    return {"index": index, "tree_size": checkpoint.size, "hashes": [h.hex() for h in hashes]}


# -- the full bundle ------------------------------------------------------------------------------------


def bundle_chunks(ledger: Ledger, code: str) -> Iterator[bytes]:
    """The full bundle of `code` as JSON, in pieces; the pack and its checkpoint are looked up before the
    first piece (an unknown pack raises here, not half-way through a response)."""
    return _full_chunks(ledger, _frame(ledger, code))


def _full_chunks(ledger: Ledger, frame: _Frame) -> Iterator[bytes]:
    yield b'{"format":%s,"pack":%s,"entries":[' % (_json(BUNDLE_FORMAT), _json(frame.code))
    signers: set[tuple[str, str]] = set()
    last_index, separator = -1, b""
    for rows in _pages(ledger, frame.code, 0, frame.last_seq):
        for _, _, body in rows:
            claim = json.loads(body)["claim"]
            signers.add((claim["actor"], claim["key"]))
        last_index = rows[-1][0]
        yield separator + b",".join(body for _, _, body in rows)  # an entry's canonical bytes are its JSON
        separator = b","
    yield b'],%s,"proof":%s,"checkpoint":%s,"log_key":%s}' % (
        _keys_chunk(ledger, signers, frame),
        _json(_proof(ledger, last_index, frame.checkpoint)),
        _json(frame.checkpoint.note),
        _json(ledger.signer.verifier_key),
    )


def make_bundle(ledger: Ledger, code: str) -> dict[str, Any]:
    """Everything needed to check `code`'s history offline, against the latest checkpoint (in memory:
    for a chain of any length, write `bundle_chunks` out instead)."""
    parsed: dict[str, Any] = json.loads(b"".join(bundle_chunks(ledger, code)))
    return parsed


def window_bundle(ledger: Ledger, code: str, first_seq: int, last_seq: int) -> dict[str, Any]:
    """A full bundle of the chain's entries `first_seq`…`last_seq` only (what one page of the regulator's
    dossier shows), for `verify_window`; not a file format: it proves nothing about earlier entries."""
    frame = _frame(ledger, code, last_seq)
    entries = [json.loads(body) for rows in _pages(ledger, code, first_seq, frame.last_seq) for _, _, body in rows]
    if not entries:
        raise NotFoundError(f"pack {code} has no entry seq {first_seq}", code="unknown_entry")
    members, keys = _registry(
        ledger, {e["claim"]["actor"] for e in entries}, {e["claim"]["key"] for e in entries}, frame.checkpoint
    )
    return {
        "format": BUNDLE_FORMAT,
        "pack": code,
        "entries": entries,
        "registry": members,
        "keys": keys,
        "proof": _proof(ledger, entries[-1]["index"], frame.checkpoint),
        "checkpoint": frame.checkpoint.note,
        "log_key": ledger.signer.verifier_key,
    }


# -- the redacted bundle --------------------------------------------------------------------------------


def redacted_bundle_chunks(ledger: Ledger, code: str, disclose: Disclose, *, tier: str) -> Iterator[bytes]:
    """The redacted bundle of `code` for a reader of `tier`: entries `disclose` accepts verbatim, the
    others withheld whole (see the module's docstring)."""
    return _redacted_chunks(ledger, _frame(ledger, code), disclose, tier)


def _redacted_chunks(ledger: Ledger, frame: _Frame, disclose: Disclose, tier: str) -> Iterator[bytes]:
    yield b'{"format":%s,"pack":%s,"tier":%s,"items":[' % (
        _json(REDACTED_FORMAT),
        _json(frame.code),
        _json(tier),
    )
    signers: set[tuple[str, str]] = set()
    held: tuple[int, bytes] | None = None  # a disclosed entry waiting to learn whether a disclosed one follows
    separator = b""
    for rows in _pages(ledger, frame.code, 0, frame.last_seq):
        out: list[bytes] = []
        for index, _, body in rows:
            entry = json.loads(body)
            shown = disclose(entry)
            if held is not None:  # followed by a disclosed entry, `held` is authenticated by its `prev`
                out.append(b'{"entry":%s}' % held[1] if shown else _with_proof(ledger, held, frame))
                held = None
            if shown:
                signers.add((entry["claim"]["actor"], entry["claim"]["key"]))
                held = (index, body)
            else:
                out.append(b'{"seq":%d,"withheld":true}' % entry["seq"])
        if out:
            yield separator + b",".join(out)
            separator = b","
    if held is not None:
        yield separator + _with_proof(ledger, held, frame)
    yield b'],%s,"checkpoint":%s,"log_key":%s}' % (
        _keys_chunk(ledger, signers, frame),
        _json(frame.checkpoint.note),
        _json(ledger.signer.verifier_key),
    )


def _with_proof(ledger: Ledger, held: tuple[int, bytes], frame: _Frame) -> bytes:
    index, body = held
    return b'{"entry":%s,"proof":%s}' % (body, _json(_proof(ledger, index, frame.checkpoint)))


def make_redacted_bundle(ledger: Ledger, code: str, disclose: Disclose, *, tier: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(b"".join(redacted_bundle_chunks(ledger, code, disclose, tier=tier)))
    return parsed

"""A verifier that follows the log's key across rollovers by the log's own evidence (docs/ledger-format.md
§4.1): it starts from one trusted verifier key and never takes a key from anything but the log.

    (1) a checkpoint is accepted only when a trusted key signed it (every signature by a trusted key must
        verify) under the log's origin, and it is consistent with the last one accepted (RFC 9162
        consistency proof; a smaller tree is a rollback and refused);
    (2) a key event (a `log` subject entry: `log_key`, `log_rollover_started`, `log_rollover_ended`) is
        learned only once its entry is proven (RFC 9162 inclusion proof) under the accepted checkpoint,
        and only in its chain's order (`seq` dense from 0, each `prev` the hash of the one before), so the
        server can withhold the latest events but never one in the middle;
    (3) a proven `log_rollover_started` adds the new key to the trusted ones; a proven
        `log_rollover_ended` drops the old one. A checkpoint signed by a key not (yet) trusted is refused.

`follow` runs the steps against a `LogSource` (the HTTP API, or a ledger in tests): each key event not
learned yet is proven under the checkpoint the log signed when it added that event (during a rollover
signed by both keys), and then the latest checkpoint is accepted. Pure: no database, no clock, no network.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from events.errors import VerificationError
from ledger.format import merkle, note
from ledger.format.canonical import canonical, entry_hash
from ledger.format.logkeys import (
    LOG_SUBJECT,
    ROLLOVER_ENDED,
    ROLLOVER_STARTED,
    KeyState,
    apply,
    key_event,
    label,
)

STATE_FORMAT = "packtrace-log-follower/1"


@dataclass(frozen=True)
class KeyRecord:
    """A key event as the log serves it: its index, its entry object, and the checkpoint the log signed in
    the transaction that added it."""

    index: int
    entry: Mapping[str, Any]
    checkpoint: str


class LogSource(Protocol):
    def checkpoint(self) -> str: ...

    def key_records(self) -> Sequence[KeyRecord]: ...

    def inclusion_proof(self, index: int, size: int) -> Sequence[bytes]: ...

    def consistency_proof(self, old: int, new: int) -> Sequence[bytes]: ...


@dataclass(frozen=True)
class Followed:
    """What the follower trusts: the keys, the last accepted checkpoint, and how far it has read the log's
    key chain (`seq` of the next key event expected, hash of the last one learned)."""

    origin: str
    keys: KeyState
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    checkpoint: str | None = None
    next_seq: int = 0
    last_hash: str | None = None
    last_index: int = -1

    @classmethod
    def start(cls, verifier_key: str) -> Followed:
        """Trust one verifier key (C2SP form); its name is the log's origin."""
        verifier = note.parse_verifier_key(verifier_key)
        return cls(verifier.name, KeyState(verifier_key))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": STATE_FORMAT,
            "origin": self.origin,
            "keys": list(self.keys.in_force),
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "checkpoint": self.checkpoint,
            "next_seq": self.next_seq,
            "last_hash": self.last_hash,
            "last_index": self.last_index,
        }

    @classmethod
    def from_json(cls, data: Any) -> Followed:
        """A state written by `to_json`; refuses anything else."""
        try:
            if data["format"] != STATE_FORMAT:
                raise VerificationError(f"not a follower state: format {data['format']!r}, expected {STATE_FORMAT}")
            keys = [str(k) for k in data["keys"]]
            for key in keys:
                note.parse_verifier_key(key)
            if len(keys) not in (1, 2):
                raise VerificationError(f"a follower trusts one or two keys, the state lists {len(keys)}")
            state = cls(
                origin=str(data["origin"]),
                keys=KeyState(keys[0], keys[1] if len(keys) == 2 else None),
                size=int(data["size"]),
                root=base64.b64decode(data["root"], validate=True),
                checkpoint=None if data["checkpoint"] is None else str(data["checkpoint"]),
                next_seq=int(data["next_seq"]),
                last_hash=None if data["last_hash"] is None else str(data["last_hash"]),
                last_index=int(data["last_index"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise VerificationError(f"not a follower state: {exc!r}") from None
        if state.checkpoint is not None:  # the stored checkpoint must still be one its keys signed
            fresh = replace(state, size=0, root=merkle.EMPTY_ROOT, checkpoint=None)
            accepted = accept_checkpoint(fresh, state.checkpoint, ())
            if (accepted.size, accepted.root) != (state.size, state.root):
                raise VerificationError("follower state: its checkpoint does not match its size and root")
        return state


def accept_checkpoint(state: Followed, checkpoint: str, consistency: Sequence[bytes]) -> Followed:
    """(1): the state with `checkpoint` accepted, or VerificationError saying why it is refused."""
    try:
        text, _ = note.open_note_any(checkpoint, state.keys.in_force)
    except VerificationError as exc:
        raise VerificationError(
            f"checkpoint refused: {exc}. A key is trusted only once the log has shown its rollover, in an "
            "entry proven under a checkpoint already trusted"
        ) from None
    parsed = note.parse_checkpoint(text)
    if parsed.origin != state.origin:
        raise VerificationError(f"checkpoint refused: its origin is {parsed.origin!r}, the log's is {state.origin!r}")
    if state.checkpoint is not None or state.size:
        if parsed.size < state.size:
            raise VerificationError(
                f"checkpoint refused: tree size {parsed.size} is smaller than the {state.size} already accepted "
                "(a rollback)"
            )
        try:
            merkle.verify_consistency(state.size, parsed.size, consistency, state.root, parsed.root)
        except VerificationError as exc:
            raise VerificationError(
                f"checkpoint refused: tree size {parsed.size} is not consistent with the accepted tree size "
                f"{state.size}: {exc}"
            ) from None
    return replace(state, size=parsed.size, root=parsed.root, checkpoint=checkpoint)


def learn(state: Followed, index: int, entry: Mapping[str, Any], inclusion: Sequence[bytes]) -> Followed:
    """(2), (3): the state after the key event `entry` at `index`, proven under the accepted checkpoint."""
    if index >= state.size:
        raise VerificationError(
            f"key event at entry {index} refused: it is not under the accepted checkpoint (tree size {state.size})"
        )
    if entry.get("index") != index:
        raise VerificationError(f"key event at entry {index} refused: the entry says index {entry.get('index')!r}")
    body = canonical(entry)
    try:
        merkle.verify_inclusion(merkle.leaf_hash(body), index, state.size, inclusion, state.root)
    except VerificationError as exc:
        raise VerificationError(
            f"key event at entry {index} refused: it is not included in the accepted checkpoint of tree size "
            f"{state.size} ({exc})"
        ) from None
    if entry.get("subject") != LOG_SUBJECT:
        raise VerificationError(f"entry {index} refused: its subject is {entry.get('subject')!r}, not {LOG_SUBJECT!r}")
    if entry.get("seq") != state.next_seq or entry.get("prev") != state.last_hash:
        raise VerificationError(
            f"key event at entry {index} refused: the log's key chain continues with seq {state.next_seq} after "
            f"{state.last_hash or 'nothing'}, the entry has seq {entry.get('seq')!r} after {entry.get('prev')!r}"
        )
    chained = replace(state, next_seq=state.next_seq + 1, last_hash=entry_hash(body), last_index=index)
    event = key_event(index, entry)
    if event is None:  # another kind of `log` entry: chained, nothing to learn
        return chained
    keys = apply(state.keys, event)
    if keys.current.split("+", 1)[0] != state.origin:
        raise VerificationError(f"entry {index} refused: its key is not named after the log's origin {state.origin!r}")
    return replace(chained, keys=keys)


@dataclass(frozen=True)
class FollowReport:
    """The state reached and what changed on the way, one line each."""

    state: Followed
    changes: tuple[str, ...]


def follow(state: Followed, source: LogSource) -> FollowReport:
    """Learn the key events not learned yet, then accept the latest checkpoint; VerificationError on the
    first refusal (the state given is then still the last trusted one)."""
    changes: list[str] = []
    records = sorted(source.key_records(), key=lambda r: r.index)
    for record in records:
        if record.index <= state.last_index:
            continue
        if record.index >= state.size:
            state = _accept(state, record.checkpoint, source)
        before = state.keys
        state = learn(state, record.index, record.entry, source.inclusion_proof(record.index, state.size))
        kind = record.entry.get("claim", {}).get("type")
        if kind == ROLLOVER_STARTED and state.keys != before:
            assert state.keys.next is not None
            changes.append(f"entry {record.index}: rollover started, now trusting {label(state.keys.next)} too")
        elif kind == ROLLOVER_ENDED and state.keys != before:
            assert before.next is not None
            changes.append(
                f"entry {record.index}: rollover ended, {label(before.current)} dropped, trusting "
                f"{label(state.keys.current)} alone"
            )
    state = _accept(state, source.checkpoint(), source)
    return FollowReport(state, tuple(changes))


def _accept(state: Followed, checkpoint: str, source: LogSource) -> Followed:
    """Accept `checkpoint`, asking `source` for the consistency proof from the accepted tree to its size."""
    text, blank, _ = checkpoint.partition("\n\n")
    try:
        size = note.parse_checkpoint(text + "\n").size if blank else 0
    except VerificationError as exc:
        raise VerificationError(f"checkpoint refused: {exc}") from None
    proof: Sequence[bytes] = ()
    if 0 < state.size < size:
        proof = source.consistency_proof(state.size, size)
    return accept_checkpoint(state, checkpoint, proof)

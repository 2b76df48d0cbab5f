"""The log key rollover, verifier side and pure (ledger.format.note, logkeys, logfollow): notes signed by two
keys, the keys in force at each size, and a follower that starts from the old key alone and takes the new
one only from proven entries of the log."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.errors import InputError, VerificationError
from ledger.format import merkle, note
from ledger.format.canonical import canonical, entry_hash
from ledger.format.logfollow import Followed, KeyRecord, accept_checkpoint, follow, learn
from ledger.format.logkeys import KeyEvent, KeyHistory, KeyState, apply, key_event, label

ORIGIN = "packtrace.test/log"
OLD = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
NEW = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
THIRD = Ed25519PrivateKey.from_private_bytes(bytes(range(2, 34)))
V_OLD, V_NEW, V_THIRD = (note.verifier_key(ORIGIN, k.public_key()) for k in (OLD, NEW, THIRD))
TEXT = note.checkpoint_text(ORIGIN, 3, b"\x01" * 32)


# --- notes signed by two keys ---------------------------------------------------------------------------


def test_a_note_signed_by_two_keys_opens_with_either() -> None:
    signed = note.sign_note_keys(TEXT, ORIGIN, [OLD, NEW])
    lines = signed.split("\n\n", 1)[1].splitlines()
    assert len(lines) == 2 and all(line.startswith(f"— {ORIGIN} ") for line in lines)
    assert note.open_note(signed, V_OLD) == note.open_note(signed, V_NEW) == TEXT
    assert note.open_note_all(signed, [V_OLD, V_NEW]) == TEXT
    assert [v.label for v in note.open_note_any(signed, [V_NEW, V_THIRD])[1]] == [label(V_NEW)]
    assert note.sign_note_keys(TEXT, ORIGIN, [OLD]) == note.sign_note(TEXT, ORIGIN, OLD)


def test_every_required_key_must_have_signed() -> None:
    signed = note.sign_note(TEXT, ORIGIN, OLD)
    with pytest.raises(VerificationError) as caught:
        note.open_note_all(signed, [V_OLD, V_NEW])
    assert str(caught.value) == (
        f"note has no signature by {label(V_NEW)} (required: {label(V_OLD)}, {label(V_NEW)}); "
        f"found signatures by: {label(V_OLD)}"
    )


def test_no_trusted_signature_is_refused_naming_both_sides() -> None:
    signed = note.sign_note(TEXT, ORIGIN, NEW)
    with pytest.raises(VerificationError) as caught:
        note.open_note_any(signed, [V_OLD])
    assert str(caught.value) == (
        f"note has no signature by a trusted key (trusted: {label(V_OLD)}); found signatures by: {label(V_NEW)}"
    )


def test_a_bad_signature_by_a_trusted_key_is_not_outvoted_by_a_good_one() -> None:
    signed = note.sign_note_keys(TEXT, ORIGIN, [OLD, NEW])
    forged = note.sign_note(TEXT.replace("3", "4", 1), ORIGIN, NEW).split("\n\n", 1)[1]
    tampered = signed.rsplit("— ", 1)[0] + forged
    assert note.open_note(tampered, V_OLD) == TEXT  # the other key's line is not the old key's business
    with pytest.raises(VerificationError, match=re.escape(f"signature by {label(V_NEW)} does not verify")):
        note.open_note_any(tampered, [V_OLD, V_NEW])


def test_one_key_signs_once() -> None:
    with pytest.raises(InputError, match="distinct keys"):
        note.sign_note_keys(TEXT, ORIGIN, [OLD, OLD])
    with pytest.raises(InputError, match="distinct keys"):
        note.sign_note_keys(TEXT, ORIGIN, [])


# --- the keys in force ----------------------------------------------------------------------------------


def event(index: int, kind: str, **data: str) -> KeyEvent:
    return KeyEvent(index, kind, data)


def started(index: int, old: str = V_OLD, new: str = V_NEW) -> KeyEvent:
    return event(index, "log_rollover_started", old=old, new=new)


def ended(index: int, old: str = V_OLD, new: str = V_NEW) -> KeyEvent:
    return event(index, "log_rollover_ended", old=old, new=new)


def test_keys_in_force_and_signers_by_size() -> None:
    history = KeyHistory(V_OLD, [event(2, "log_key", verifier_key=V_OLD), started(5), ended(9)])
    assert [history.in_force(n) for n in (0, 3, 5, 6, 9, 10, 20)] == [
        (V_OLD,),
        (V_OLD,),
        (V_OLD,),
        (V_OLD, V_NEW),
        (V_OLD, V_NEW),
        (V_NEW,),
        (V_NEW,),
    ]
    # the checkpoint of the group that adds an event is signed by the keys before and after it
    assert history.signers(7, previous=4) == (V_OLD, V_NEW)
    assert history.signers(12, previous=8) == (V_OLD, V_NEW)
    assert history.signers(12, previous=10) == (V_NEW,)
    assert history.signers(4) == (V_OLD,)
    assert history.all_keys() == (V_OLD, V_NEW) and history.knows(V_NEW) and not history.knows(V_THIRD)


def test_a_log_that_never_named_its_key_is_signed_by_the_anchor() -> None:
    assert KeyHistory(V_THIRD, []).in_force(100) == (V_THIRD,)
    # once it names its key, the anchor stands for nothing: the log's first event says which key it had
    history = KeyHistory(V_THIRD, [started(4)])
    assert history.in_force(2) == (V_OLD,) and not history.knows(V_THIRD)


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            [started(1), started(2, V_OLD, V_THIRD)],
            f"entry 2: log_rollover_started while the rollover to {label(V_NEW)}",
        ),
        ([ended(1)], "entry 1: log_rollover_ended but no rollover was started"),
        (
            [started(1), ended(2, V_OLD, V_THIRD)],
            f"ends the rollover {label(V_OLD)} → {label(V_THIRD)}, but the one in progress is "
            f"{label(V_OLD)} → {label(V_NEW)}",
        ),
        (
            [event(0, "log_key", verifier_key=V_OLD), started(1, V_NEW, V_THIRD)],
            f"entry 1: log_rollover_started from {label(V_NEW)}, but the key in force is {label(V_OLD)}",
        ),
        (
            [event(0, "log_key", verifier_key=V_OLD), event(1, "log_key", verifier_key=V_NEW)],
            "changes only by a rollover",
        ),
        ([started(1), event(2, "log_key", verifier_key=V_OLD)], "during the rollover"),
        ([started(1, V_OLD, V_OLD)], "over to itself"),
        ([started(1, V_OLD, note.verifier_key("other.test/log", NEW.public_key()))], "the log's origin"),
    ],
)
def test_key_events_out_of_turn_are_refused(events: list[KeyEvent], message: str) -> None:
    with pytest.raises(VerificationError, match=re.escape(message)):
        KeyHistory(V_OLD, events)


def test_key_event_reads_log_entries_only_and_checks_their_keys() -> None:
    claim = {"type": "log_rollover_started", "data": {"old": V_OLD, "new": V_NEW}}
    assert key_event(3, {"subject": "log", "claim": claim}) == started(3)
    assert key_event(3, {"subject": "org:catl", "claim": claim}) is None
    assert key_event(3, {"pack": "X", "claim": {"type": "produced"}}) is None
    with pytest.raises(VerificationError, match="entry 3: log_rollover_started new: verifier key"):
        key_event(3, {"subject": "log", "claim": {**claim, "data": {"old": V_OLD, "new": "nonsense"}}})
    with pytest.raises(VerificationError, match="must hold old, new"):
        key_event(3, {"subject": "log", "claim": {**claim, "data": {"old": V_OLD}}})
    assert apply(KeyState(V_OLD), started(3)) == KeyState(V_OLD, V_NEW)


# --- the follower ---------------------------------------------------------------------------------------


@dataclass
class FakeLog:
    """A log in memory: entries appended in groups, each group sealed by a checkpoint signed by the keys
    given; serves what the HTTP API serves a follower."""

    entries: list[bytes] = field(default_factory=list)
    nodes: dict[tuple[int, int], bytes] = field(default_factory=dict)
    frontier: list[bytes] = field(default_factory=list)
    checkpoints: list[str] = field(default_factory=list)
    records: list[KeyRecord] = field(default_factory=list)
    log_chain: list[str] = field(default_factory=list)

    def append(self, items: Sequence[Mapping[str, Any] | str], keys: Sequence[Ed25519PrivateKey]) -> str:
        """Append items (a key event's claim type and data as a dict, or a pack's name) and sign."""
        logged: list[tuple[int, dict[str, Any]]] = []
        leaves = []
        for item in items:
            index = len(self.entries)
            entry: dict[str, Any]
            if isinstance(item, str):
                entry = {"claim": {"type": "produced"}, "index": index, "pack": item, "seq": 0, "v": 1}
            else:
                entry = self.log_entry(index, item)
                logged.append((index, entry))
            body = canonical(entry)
            self.entries.append(body)
            leaves.append(merkle.leaf_hash(body))
        created, self.frontier = merkle.append_leaves(len(self.entries) - len(leaves), self.frontier, leaves)
        self.nodes.update(created)
        size = len(self.entries)
        text = note.checkpoint_text(ORIGIN, size, merkle.root_from_frontier(self.frontier))
        signed = note.sign_note_keys(text, ORIGIN, keys)
        self.checkpoints.append(signed)
        self.records.extend(KeyRecord(index, entry, signed) for index, entry in logged)
        return signed

    def log_entry(self, index: int, claim: Mapping[str, Any]) -> dict[str, Any]:
        prev = self.log_chain[-1] if self.log_chain else None
        entry = {
            "claim": {"v": 1, "subject": "log", "by": "log", **claim},
            "index": index,
            "prev": prev,
            "recorded_at": "2026-12-04T10:00:00.000000Z",
            "seq": len(self.log_chain),
            "subject": "log",
            "v": 1,
        }
        self.log_chain.append(entry_hash(canonical(entry)))
        return entry

    # LogSource
    def checkpoint(self) -> str:
        return self.checkpoints[-1]

    def key_records(self) -> Sequence[KeyRecord]:
        return self.records

    def inclusion_proof(self, index: int, size: int) -> Sequence[bytes]:
        return merkle.resolve_proof(merkle.inclusion_ranges(index, size), self.nodes)

    def consistency_proof(self, old: int, new: int) -> Sequence[bytes]:
        return merkle.resolve_proof(merkle.consistency_ranges(old, new), self.nodes)


def rollover(kind: str, old: str = V_OLD, new: str = V_NEW) -> dict[str, Any]:
    return {"type": f"log_rollover_{kind}", "data": {"old": old, "new": new}}


def log_key(key: str = V_OLD) -> dict[str, Any]:
    return {"type": "log_key", "data": {"verifier_key": key}}


def before_rollover() -> FakeLog:
    log = FakeLog()
    log.append([log_key(), "P1", "P2"], [OLD])
    log.append(["P3"], [OLD])
    return log


def test_a_verifier_holding_the_old_key_follows_the_rollover_step_by_step() -> None:
    log = before_rollover()
    state = follow(Followed.start(V_OLD), log).state
    assert (state.size, state.keys) == (4, KeyState(V_OLD))

    log.append([rollover("started"), "P4"], [OLD, NEW])
    log.append(["P5"], [OLD, NEW])
    report = follow(state, log)
    assert report.changes == (f"entry 4: rollover started, now trusting {label(V_NEW)} too",)
    state = report.state
    assert (state.size, state.keys) == (7, KeyState(V_OLD, V_NEW))

    log.append(["P6", rollover("ended")], [OLD, NEW])
    log.append(["P7"], [NEW])
    report = follow(state, log)
    assert report.changes == (f"entry 8: rollover ended, {label(V_OLD)} dropped, trusting {label(V_NEW)} alone",)
    assert (report.state.size, report.state.keys) == (10, KeyState(V_NEW))
    assert follow(report.state, log) == replace(report, changes=())  # nothing new: nothing changes


def test_a_verifier_that_slept_through_the_rollover_catches_up_with_the_old_key() -> None:
    log = before_rollover()
    state = follow(Followed.start(V_OLD), log).state
    log.append([rollover("started")], [OLD, NEW])
    log.append(["P4"], [OLD, NEW])
    log.append([rollover("ended")], [OLD, NEW])
    log.append(["P5"], [NEW])
    log.append(["P6"], [NEW])
    report = follow(state, log)
    assert len(report.changes) == 2
    assert (report.state.size, report.state.keys) == (9, KeyState(V_NEW))
    # and a verifier that starts only now from the old key gets there too
    assert follow(Followed.start(V_OLD), log).state == report.state


def test_a_checkpoint_signed_by_the_new_key_alone_before_the_rollover_is_refused() -> None:
    log = before_rollover()
    state = follow(Followed.start(V_OLD), log).state
    log.append(["P4"], [NEW])
    with pytest.raises(VerificationError) as caught:
        follow(state, log)
    assert str(caught.value) == (
        f"checkpoint refused: note has no signature by a trusted key (trusted: {label(V_OLD)}); found signatures "
        f"by: {label(V_NEW)}. A key is trusted only once the log has shown its rollover, in an entry proven "
        "under a checkpoint already trusted"
    )


def test_a_rollover_announced_under_the_new_key_alone_teaches_nothing() -> None:
    log = before_rollover()
    state = follow(Followed.start(V_OLD), log).state
    log.append([rollover("started")], [NEW])  # whoever holds only the new key cannot vouch for it
    with pytest.raises(VerificationError, match="checkpoint refused: note has no signature by a trusted key"):
        follow(state, log)


def test_a_forged_rollover_entry_not_in_the_log_is_refused() -> None:
    log = before_rollover()
    state = follow(Followed.start(V_OLD), log).state
    forged = FakeLog(log_chain=list(log.log_chain)).log_entry(2, rollover("started"))
    proof = log.inclusion_proof(2, state.size)
    with pytest.raises(VerificationError) as caught:
        learn(state, 2, forged, proof)
    assert str(caught.value).startswith(
        "key event at entry 2 refused: it is not included in the accepted checkpoint of tree size 4 (inclusion proof "
        "does not verify"
    )
    assert state.keys == KeyState(V_OLD)
    with pytest.raises(VerificationError, match="it is not under the accepted checkpoint"):
        learn(state, 9, {**forged, "index": 9}, proof)


def test_a_server_serving_a_forged_rollover_record_is_refused() -> None:
    log = before_rollover()
    state = follow(Followed.start(V_OLD), log).state
    log.append(["P4"], [OLD])
    forged = FakeLog(log_chain=list(log.log_chain)).log_entry(4, rollover("started"))
    log.records.append(KeyRecord(4, forged, log.checkpoint()))  # entry 4 is P4, not this
    with pytest.raises(VerificationError, match="key event at entry 4 refused: it is not included"):
        follow(state, log)


def test_after_the_end_a_checkpoint_signed_by_the_old_key_alone_is_refused() -> None:
    log = before_rollover()
    log.append([rollover("started")], [OLD, NEW])
    log.append([rollover("ended")], [OLD, NEW])
    state = follow(Followed.start(V_OLD), log).state
    assert state.keys == KeyState(V_NEW)
    log.append(["P4"], [OLD])
    with pytest.raises(
        VerificationError, match=re.escape(f"trusted: {label(V_NEW)}); found signatures by: {label(V_OLD)}")
    ):
        follow(state, log)


def test_a_rollover_from_a_key_not_trusted_is_refused() -> None:
    log = before_rollover()
    state = follow(Followed.start(V_OLD), log).state
    log.append([rollover("started", V_THIRD, V_NEW)], [OLD])
    with pytest.raises(
        VerificationError, match=re.escape(f"from {label(V_THIRD)}, but the key in force is {label(V_OLD)}")
    ):
        follow(state, log)


def test_a_key_event_withheld_from_the_middle_of_the_chain_is_noticed() -> None:
    log = before_rollover()
    log.append([rollover("started")], [OLD, NEW])
    log.append([rollover("ended")], [OLD, NEW])
    del log.records[1]  # the server hides the start, shows the end
    with pytest.raises(VerificationError, match="the log's key chain continues with seq 1 after"):
        follow(Followed.start(V_OLD), log)


def test_rollbacks_and_forks_are_refused() -> None:
    log = before_rollover()
    state = follow(Followed.start(V_OLD), log).state
    with pytest.raises(VerificationError, match="tree size 3 is smaller than the 4 already accepted"):
        accept_checkpoint(state, log.checkpoints[0], ())
    fork = FakeLog()
    fork.append([log_key(), "P1", "Q2"], [OLD])
    fork.append(["Q3", "Q4"], [OLD])
    with pytest.raises(VerificationError, match="tree size 5 is not consistent with the accepted tree size 4"):
        follow(state, fork)


def test_the_state_file_round_trips_and_is_checked() -> None:
    log = before_rollover()
    log.append([rollover("started")], [OLD, NEW])
    state = follow(Followed.start(V_OLD), log).state
    saved = json.loads(json.dumps(state.to_json()))
    assert Followed.from_json(saved) == state
    with pytest.raises(VerificationError, match="follower state: its checkpoint does not match"):
        Followed.from_json({**saved, "size": 3})
    with pytest.raises(VerificationError, match="checkpoint refused: note has no signature by a trusted key"):
        Followed.from_json({**saved, "keys": [V_THIRD]})
    with pytest.raises(VerificationError, match="not a follower state"):
        Followed.from_json({"format": "something else"})

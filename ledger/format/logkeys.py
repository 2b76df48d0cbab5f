"""The log's own key over time, by the log's own evidence (docs/ledger-format.md §4.1).

Registry entries of subject `log` say which key signs the log's checkpoints:

    log_key               {verifier_key}   the key in force (recorded when the log first has it, or by the
                                           migration); it changes nothing that is not already so
    log_rollover_started  {old, new}       from here on checkpoints are signed by `old` and by `new`
    log_rollover_ended    {old, new}       from here on by `new` alone

Keys are C2SP verifier keys under one name, the log's origin. The keys *in force at tree size N* are
those after the log-subject entries with index < N; a checkpoint is signed by every key in force at any
size of the entries it adds (`KeyHistory.signers`): the checkpoint that adds `log_rollover_started`, and
the one that adds `log_rollover_ended`, carry both signatures.

Pure: no database, no clock. Untrusted input raises `VerificationError`.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from events.errors import VerificationError
from ledger.format import note

LOG_SUBJECT = "log"
LOG_KEY = "log_key"
ROLLOVER_STARTED = "log_rollover_started"
ROLLOVER_ENDED = "log_rollover_ended"
KEY_TYPES = (LOG_KEY, ROLLOVER_STARTED, ROLLOVER_ENDED)
_FIELDS = {LOG_KEY: ("verifier_key",), ROLLOVER_STARTED: ("old", "new"), ROLLOVER_ENDED: ("old", "new")}


def label(verifier_key: str) -> str:
    """`<name>+<key id>`: how notes and messages name a key."""
    return "+".join(verifier_key.split("+", 2)[:2])


@dataclass(frozen=True)
class KeyState:
    """The key in force, and during a rollover the key it rolls over to."""

    current: str
    next: str | None = None

    @property
    def in_force(self) -> tuple[str, ...]:
        """The keys that sign checkpoints: the current one, and during a rollover the next one too."""
        return (self.current,) if self.next is None else (self.current, self.next)

    def describe(self) -> str:
        if self.next is None:
            return label(self.current)
        return f"{label(self.current)} rolling over to {label(self.next)}"


@dataclass(frozen=True)
class KeyEvent:
    """One log-subject entry about the log's key: its index, type and data (verifier keys, checked)."""

    index: int
    type: str
    data: Mapping[str, str]


def key_event(index: int, entry: Mapping[str, Any]) -> KeyEvent | None:
    """The key event an entry object holds, or None for an entry of another subject or type."""
    if not isinstance(entry, Mapping) or entry.get("subject") != LOG_SUBJECT:
        return None
    claim = entry.get("claim")
    if not isinstance(claim, Mapping) or claim.get("type") not in KEY_TYPES:
        return None
    kind = str(claim["type"])
    data = claim.get("data")
    fields = _FIELDS[kind]
    if not isinstance(data, Mapping) or not all(isinstance(data.get(f), str) for f in fields):
        raise VerificationError(f"entry {index}: {kind} data must hold {', '.join(fields)} (verifier keys)")
    for f in fields:
        try:
            note.parse_verifier_key(data[f])
        except VerificationError as exc:
            raise VerificationError(f"entry {index}: {kind} {f}: {exc}") from None
    return KeyEvent(index, kind, {f: str(data[f]) for f in fields})


def apply(state: KeyState | None, event: KeyEvent) -> KeyState:
    """The keys in force after `event`, given those before it (None: the log has not named its key yet)."""
    at = f"entry {event.index}: {event.type}"
    if event.type == LOG_KEY:
        named = event.data["verifier_key"]
        if state is None:
            return KeyState(named)
        if state.next is not None:
            raise VerificationError(f"{at} during the rollover to {label(state.next)}, which has not ended")
        if named != state.current:
            raise VerificationError(
                f"{at} names {label(named)}, but the key in force is {label(state.current)}: the log's key "
                "changes only by a rollover"
            )
        return state
    old, new = event.data["old"], event.data["new"]
    if event.type == ROLLOVER_STARTED:
        if new == old:
            raise VerificationError(f"{at} rolls the key {label(old)} over to itself")
        if old.split("+", 1)[0] != new.split("+", 1)[0]:
            raise VerificationError(
                f"{at}: the new key is named {new.split('+', 1)[0]!r}, the old one {old.split('+', 1)[0]!r}: "
                "both must carry the log's origin"
            )
        if state is None:
            return KeyState(old, new)
        if state.next is not None:
            raise VerificationError(f"{at} while the rollover to {label(state.next)} has not ended")
        if old != state.current:
            raise VerificationError(f"{at} from {label(old)}, but the key in force is {label(state.current)}")
        return KeyState(old, new)
    if state is None or state.next is None:
        raise VerificationError(f"{at} but no rollover was started")
    if (old, new) != (state.current, state.next):
        raise VerificationError(
            f"{at} ends the rollover {label(old)} → {label(new)}, but the one in progress is "
            f"{label(state.current)} → {label(state.next)}"
        )
    return KeyState(new)


def state_after(before: KeyState | None, events: Iterable[KeyEvent]) -> KeyState | None:
    state = before
    for event in events:
        state = apply(state, event)
    return state


def latest_state(event: KeyEvent) -> KeyState:
    """The keys in force after a log whose latest key event is `event` (given the log's chain was valid)."""
    if event.type == LOG_KEY:
        return KeyState(event.data["verifier_key"])
    if event.type == ROLLOVER_STARTED:
        return KeyState(event.data["old"], event.data["new"])
    return KeyState(event.data["new"])


class KeyHistory:
    """Which keys were in force at each tree size. `anchor` is the key trusted from outside; it stands for
    the log's key only until the log names one (its first key event: `log_key`, or the old key of a first
    rollover), so a log without key events is signed by the anchor throughout."""

    def __init__(self, anchor: str, events: Sequence[KeyEvent]) -> None:
        note.parse_verifier_key(anchor)
        self.anchor = anchor
        first = state_after(None, events[:1])
        self.initial = KeyState(anchor) if first is None else KeyState(first.current)
        self._indices: list[int] = []
        self._states: list[KeyState] = []
        state: KeyState | None = self.initial
        for event in events:
            if self._indices and event.index <= self._indices[-1]:
                raise VerificationError(f"entry {event.index}: key events out of index order")
            state = apply(state, event)
            self._indices.append(event.index)
            self._states.append(state)

    def in_force(self, size: int) -> tuple[str, ...]:
        """The keys in force at tree size `size`: after the key events with index < size."""
        position = bisect.bisect_left(self._indices, size)
        return (self._states[position - 1] if position else self.initial).in_force

    def signers(self, size: int, previous: int | None = None) -> tuple[str, ...]:
        """The keys that sign the checkpoint of `size` written after the one of `previous`: every key in
        force at any size in [previous, size] (without `previous`: those in force at `size`)."""
        keys = list(self.in_force(previous if previous is not None else size))
        start = bisect.bisect_left(self._indices, previous if previous is not None else size)
        end = bisect.bisect_left(self._indices, size)
        for state in self._states[start:end]:
            keys.extend(k for k in state.in_force if k not in keys)
        return tuple(keys)

    def all_keys(self) -> tuple[str, ...]:
        """Every key the log had in force, in order."""
        found = list(self.initial.in_force)
        for state in self._states:
            found.extend(k for k in state.in_force if k not in found)
        return tuple(found)

    def knows(self, key: str) -> bool:
        return key in self.all_keys()


def checked_history(anchor: str, entries: Iterable[tuple[int, bytes]]) -> tuple[KeyHistory, list[tuple[int, str]]]:
    """The key history of a log's `log` subject entries (index, stored bytes), leaving out each entry that
    is not a valid key event in its turn: those come back as (index, why) for `packtrace verify` to report."""
    events: list[KeyEvent] = []
    problems: list[tuple[int, str]] = []
    state: KeyState | None = None
    for index, body in entries:
        try:
            event = key_event(index, json.loads(body))
            if event is not None:
                state = apply(state, event)
                events.append(event)
        except VerificationError as exc:
            problems.append((index, str(exc)))
        except ValueError as exc:
            problems.append((index, f"entry {index}: not a key event: {exc}"))
    return KeyHistory(anchor, events), problems

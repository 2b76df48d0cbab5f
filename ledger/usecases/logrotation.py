"""Rolling the log's own key over, by entries of the log itself (docs/ledger-format.md §4.1).

    start  (1) no rollover may be running; (2) the new key is made in `<file>.next` (mode 0600), or taken
           from there when an earlier start made it but did not get to announce it; (3) the registry entry
           `log_rollover_started {old, new}` is appended: its checkpoint, and every one after it, is signed
           by both keys (ledger.store.logmeta.checkpoint_keys).
    finish (1) a rollover must be running, and its new key held; (2) `log_rollover_ended {old, new}` is
           appended (its checkpoint signed by both), and in the same transaction `log_head` records the
           new key; from then on the new key alone signs; (3) the old key file is kept as
           `<file>.retired-<key id>` and `<file>.next` moves into `<file>`, so a restarted server finds
           the key in force where it always does. Run again after a crash between (2) and (3), finish
           does (3) alone.

Another process's checkpoints follow as soon as the entry commits: signers read the log's key state
under the head's lock, and find the new key in `<file>.next`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from events.errors import ConflictError
from events.registry import By, RegistryType, new_registry_claim
from ledger.append.outcome import Appended
from ledger.format.logfollow import KeyRecord
from ledger.format.logkey import create_key, load_key, next_key_path, swap_in_next
from ledger.format.logkeys import LOG_SUBJECT, KeyState, label
from ledger.log import Ledger
from ledger.store import logmeta
from ledger.store.driver import Connection
from ledger.usecases import logreads


@dataclass(frozen=True)
class Rollover:
    """What a step did: the keys, the entry's index (None when only the files were swapped), and where
    the key files are now."""

    old: str
    new: str
    index: int | None
    key_file: Path
    next_file: Path
    retired_file: Path | None = None


def key_state(ledger: Ledger) -> KeyState | None:
    """The log's key by its own entries (None: it has named none yet)."""
    with ledger.engine.connect() as conn:
        return logmeta.key_state_at(conn, None)


def _append(ledger: Ledger, kind: RegistryType, old: str, new: str, *, record_new: bool = False) -> int:
    claim = new_registry_claim(
        subject=LOG_SUBJECT, type=kind, by=By.LOG, data={"old": old, "new": new}, at=ledger.clock()
    )

    def record(conn: Connection, _appended: list[Appended]) -> None:
        logmeta.record_log_key(conn, new)

    appended = ledger.append_registry([(claim, None)], after=record if record_new else None)
    ledger.signer.adopt(key_state(ledger))
    return appended[0].index


def name_key(ledger: Ledger) -> int | None:
    """Record the key in force as a `log_key` entry if the log names no key yet (a new log, or one made
    before the registry was in the log); the entry's index, or None when there was nothing to record."""
    if key_state(ledger) is not None:
        return None
    claim = new_registry_claim(
        subject=LOG_SUBJECT,
        type=RegistryType.LOG_KEY,
        by=By.LOG,
        data={"verifier_key": ledger.signer.verifier_key},
        at=ledger.clock(),
    )
    index = ledger.append_registry([(claim, None)])[0].index
    ledger.signer.adopt(key_state(ledger))
    return index


def start(ledger: Ledger, key_file: Path) -> Rollover:
    state = key_state(ledger)
    # (1)
    if state is not None and state.next is not None:
        raise ConflictError(
            f"a rollover to the log key {label(state.next)} is already running: end it with "
            "`packtrace log rotate-key --finish`",
            code="rollover_running",
        )
    old = ledger.signer.verifier_key if state is None else state.current
    # (2)
    next_file = next_key_path(key_file)
    try:
        new_key = create_key(next_file)
    except FileExistsError:
        new_key = load_key(next_file)
    new = ledger.signer.hold(new_key)
    if new == old:
        raise ConflictError(f"{next_file} holds the key in force {label(old)}: move it away", code="same_key")
    # (3)
    index = _append(ledger, RegistryType.LOG_ROLLOVER_STARTED, old, new)
    return Rollover(old, new, index, key_file, next_file)


def finish(ledger: Ledger, key_file: Path) -> Rollover:
    state = key_state(ledger)
    next_file = next_key_path(key_file)
    if state is None or state.next is None:
        # (3) alone: a rollover ended, but the files were not swapped
        if state is not None and next_file.exists() and _key_in(ledger, next_file) == state.current:
            old = _key_in(ledger, key_file)
            retired = swap_in_next(key_file, old)
            return Rollover(old, state.current, None, key_file, next_file, retired)
        raise ConflictError(
            "no log key rollover is running: start one with `packtrace log rotate-key`", code="no_rollover"
        )
    # (1)
    ledger.signer.key_for(state.next)
    # (2)
    index = _append(ledger, RegistryType.LOG_ROLLOVER_ENDED, state.current, state.next, record_new=True)
    # (3)
    retired = swap_in_next(key_file, state.current)
    return Rollover(state.current, state.next, index, key_file, next_file, retired)


class LocalLog:
    """The log as its HTTP API serves it to a follower (ledger.format.logfollow), read from a ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def checkpoint(self) -> str:
        return logreads.latest_checkpoint(self.ledger)

    def key_records(self) -> Sequence[KeyRecord]:
        return [KeyRecord(e.index, e.entry, e.checkpoint) for e in logreads.log_key(self.ledger).key_events]

    def inclusion_proof(self, index: int, size: int) -> Sequence[bytes]:
        return self.ledger.inclusion_proof(index, size)

    def consistency_proof(self, old: int, new: int) -> Sequence[bytes]:
        return self.ledger.consistency_proof(old, new)


def _key_in(ledger: Ledger, path: Path) -> str:
    return ledger.signer.hold(load_key(path))

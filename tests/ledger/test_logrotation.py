"""Rolling the log's key over on a real ledger (ledger.usecases.logrotation): the entries, who signs each
checkpoint (in this process and in another one on the same database), the key files, `verify`, and a
verifier holding only the old key following it all (issue 13, acceptance 6)."""

from __future__ import annotations

import base64
import json
import re
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from events.errors import ConflictError, VerificationError
from events.registry import RegistryType
from ledger.format import note
from ledger.format.bundle import verify_bundle
from ledger.format.canonical import canonical
from ledger.format.logfollow import Followed, follow
from ledger.format.logkey import LogKeyMissing, LogSigner, key_finder, load_key, load_or_create_key
from ledger.format.logkeys import KeyState, label
from ledger.log import Ledger
from ledger.store import logmeta
from ledger.usecases import logreads, logrotation
from ledger.usecases.bundles import make_bundle
from ledger.usecases.logrotation import LocalLog
from ledger.usecases.verify import verify_database
from tests import specverify
from tests.support import PRODUCED, Actor, Clock, code, province

ORIGIN = "packtrace.test/log"


def signers_of(signed: str) -> list[str]:
    """The key labels of a note's signature lines, in order."""
    block = signed.rsplit("\n\n", 1)[1]
    return [f"{ORIGIN}+{base64.b64decode(line.rsplit(' ', 1)[1])[:4].hex()}" for line in block.splitlines()]


def latest(ledger: Ledger) -> str:
    checkpoint = ledger.latest_checkpoint()
    assert checkpoint is not None
    return checkpoint.note


def file_signer(path: Path) -> LogSigner:
    return LogSigner(ORIGIN, load_key(path), find_key=key_finder(path, ORIGIN))


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "log.key"
    load_or_create_key(path)
    return path


@pytest.fixture
def rotating(engine: Engine, key_file: Path) -> Iterator[Ledger]:
    lg = Ledger(engine, file_signer(key_file), clock=Clock())
    lg.init()
    yield lg
    lg.close()


@pytest.fixture
def maker(rotating: Ledger) -> Actor:
    return province(rotating)["catl"]


def produce(ledger: Ledger, maker: Actor, serial: int) -> None:
    ledger.append_one(*maker.claim(code(serial), "produced", PRODUCED))


def test_rotate_key_records_the_start_and_both_keys_sign_from_then_on(
    rotating: Ledger, maker: Actor, key_file: Path
) -> None:
    produce(rotating, maker, 1)
    old = rotating.signer.verifier_key
    assert signers_of(latest(rotating)) == [label(old)]

    started = logrotation.start(rotating, key_file)
    nxt = key_file.with_name("log.key.next")
    assert (started.old, started.next_file) == (old, nxt)
    assert stat.S_IMODE(nxt.stat().st_mode) == 0o600
    assert started.new == note.verifier_key(ORIGIN, load_key(nxt).public_key())
    (_, _, body), *_ = rotating.entries(started.index or 0, (started.index or 0) + 1)
    entry = canonical_entry(body)
    assert (entry["subject"], entry["claim"]["type"], entry["claim"]["by"]) == ("log", "log_rollover_started", "log")
    assert entry["claim"]["data"] == {"old": old, "new": started.new}

    assert signers_of(latest(rotating)) == [label(old), label(started.new)]  # the start's own checkpoint
    produce(rotating, maker, 2)
    assert signers_of(latest(rotating)) == [label(old), label(started.new)]
    assert note.open_note_all(latest(rotating), [old, started.new])
    for anchor in (old, started.new):  # the independent verifier written from the spec reads it with either key
        assert specverify.verify_checkpoint(latest(rotating), anchor).size == rotating.size()
    assert (rotating.signer.verifier_key, rotating.signer.next_verifier_key) == (old, started.new)
    key = logreads.log_key(rotating)
    assert (key.verifier_key, key.next_verifier_key) == (old, started.new)
    assert [e.entry["claim"]["type"] for e in key.key_events] == ["log_rollover_started"]
    assert verify_database(rotating.engine, old).problems == []


def canonical_entry(body: bytes) -> dict[str, Any]:
    entry: dict[str, Any] = json.loads(body)
    assert canonical(entry) == body
    return entry


def test_finishing_hands_over_to_the_new_key_and_swaps_the_files(
    rotating: Ledger, maker: Actor, key_file: Path, engine: Engine
) -> None:
    produce(rotating, maker, 1)
    started = logrotation.start(rotating, key_file)
    produce(rotating, maker, 2)
    ended = logrotation.finish(rotating, key_file)
    assert (ended.old, ended.new) == (started.old, started.new)
    assert signers_of(latest(rotating)) == [label(started.old), label(started.new)]  # the end's own checkpoint
    produce(rotating, maker, 3)
    assert signers_of(latest(rotating)) == [label(started.new)]

    retired = key_file.with_name(f"log.key.retired-{started.old.split('+')[1]}")
    assert ended.retired_file == retired
    assert note.verifier_key(ORIGIN, load_key(key_file).public_key()) == started.new
    assert note.verifier_key(ORIGIN, load_key(retired).public_key()) == started.old
    assert stat.S_IMODE(retired.stat().st_mode) == 0o600
    assert not key_file.with_name("log.key.next").exists()
    assert logmeta.recorded(engine).log_verifier_key == started.new
    assert logmeta.recorded(engine).key_state == KeyState(started.new)
    key = logreads.log_key(rotating)
    assert (key.verifier_key, key.next_verifier_key) == (started.new, None)
    # the whole log verifies from either end: the old key and the log's own entries, or the new key
    for anchor in (started.old, started.new):
        report = verify_database(engine, anchor)
        assert report.problems == [], report.problems
    # a bundle made after the end is signed by the new key alone: the old key's holder is told how to follow
    bundle = make_bundle(rotating, code(3))
    assert verify_bundle(bundle, started.new).pack == code(3)
    with pytest.raises(VerificationError) as refused:
        verify_bundle(bundle, started.old)
    assert refused.value.message == (
        f"note has no signature by {label(started.old)}; found signatures by: {label(started.new)}"
        "; the log's origin signed it with another key: if the log's key was rolled over, learn the new key by "
        "the log's own entries (packtrace log follow --url URL --log-key <the key you hold> --state FILE) and "
        "verify with it"
    )


def test_another_process_on_the_database_signs_with_both_keys_from_its_next_checkpoint(
    rotating: Ledger, maker: Actor, key_file: Path, engine: Engine
) -> None:
    other = Ledger(engine, file_signer(key_file), clock=Clock())  # a second server, started before
    try:
        other.append_one(*maker.claim(code(1), "produced", PRODUCED))
        started = logrotation.start(rotating, key_file)
        other.append_one(*maker.claim(code(2), "produced", PRODUCED))
        assert signers_of(latest(other)) == [label(started.old), label(started.new)]
        logrotation.finish(rotating, key_file)
        other.append_one(*maker.claim(code(3), "produced", PRODUCED))
        assert signers_of(latest(other)) == [label(started.new)]
        assert verify_database(engine, started.old).problems == []
    finally:
        other.close()


def test_a_process_without_the_new_key_signs_nothing_rather_than_a_checkpoint_without_it(
    rotating: Ledger, maker: Actor, key_file: Path, engine: Engine
) -> None:
    blind = Ledger(engine, LogSigner(ORIGIN, load_key(key_file)), clock=Clock())  # no key files to look in
    try:
        started = logrotation.start(rotating, key_file)
        size = rotating.size()
        with pytest.raises(LogKeyMissing, match=re.escape(f"the log key {label(started.new)} is in force")):
            blind.append_one(*maker.claim(code(1), "produced", PRODUCED))
        assert rotating.size() == size
    finally:
        blind.close()


def test_one_rollover_at_a_time(rotating: Ledger, key_file: Path) -> None:
    with pytest.raises(ConflictError, match="no log key rollover is running"):
        logrotation.finish(rotating, key_file)
    started = logrotation.start(rotating, key_file)
    with pytest.raises(ConflictError, match=re.escape(f"a rollover to the log key {label(started.new)} is already")):
        logrotation.start(rotating, key_file)
    logrotation.finish(rotating, key_file)
    again = logrotation.start(rotating, key_file)  # a second rollover, from the new key
    assert again.old == started.new and again.new not in (started.old, started.new)


def test_a_finish_interrupted_before_the_file_swap_completes_when_run_again(
    rotating: Ledger, key_file: Path, engine: Engine
) -> None:
    started = logrotation.start(rotating, key_file)
    logrotation._append(rotating, RegistryType.LOG_ROLLOVER_ENDED, started.old, started.new)
    # the crash: the entry is in, the files are not swapped; a fresh process still signs with the new key
    fresh = Ledger(engine, file_signer(key_file), clock=Clock())
    try:
        from ledger.usecases import keybinding

        files = keybinding.KeyFiles(key_file, key_file.with_name("sealing.key"), "test")
        keybinding.check_log_key(logmeta.recorded(engine), fresh.signer, files)
        assert fresh.signer.in_force == (started.new,)
        done = logrotation.finish(fresh, key_file)
    finally:
        fresh.close()
    assert done.index is None
    assert note.verifier_key(ORIGIN, load_key(key_file).public_key()) == started.new


def test_verify_refuses_a_rollover_checkpoint_missing_a_signature(
    rotating: Ledger, maker: Actor, key_file: Path, engine: Engine
) -> None:
    started = logrotation.start(rotating, key_file)
    produce(rotating, maker, 1)
    checkpoint = rotating.latest_checkpoint()
    assert checkpoint is not None
    resigned = rotating.signer.sign_checkpoint(checkpoint.size, checkpoint.root, [started.old])
    with engine.begin() as conn:
        conn.execute(text("UPDATE checkpoint SET note = :n WHERE size = :s"), {"n": resigned, "s": checkpoint.size})
    report = verify_database(engine, started.old)
    assert [str(p) for p in report.problems] == [
        f"step 4: checkpoint at size {checkpoint.size}: note has no signature by {label(started.new)} (required: "
        f"{label(started.old)}, {label(started.new)}); found signatures by: {label(started.old)}"
    ]


def test_verify_names_a_key_the_log_never_had(rotating: Ledger, key_file: Path, engine: Engine) -> None:
    started = logrotation.start(rotating, key_file)
    stranger = note.verifier_key(ORIGIN, Ed25519PrivateKey.generate().public_key())
    problems = verify_database(engine, stranger).problems
    assert str(min(problems)) == (
        f"step 4: the key {label(stranger)} was never the log's key by its own entries (it had "
        f"{label(started.old)}, {label(started.new)})"
    )


def test_acceptance6_a_verifier_holding_only_the_old_key_follows_the_rollover(
    rotating: Ledger, maker: Actor, key_file: Path
) -> None:
    log = LocalLog(rotating)
    produce(rotating, maker, 1)
    old = rotating.signer.verifier_key
    state = follow(Followed.start(old), log).state
    started = logrotation.start(rotating, key_file)
    produce(rotating, maker, 2)
    state = follow(state, log).state
    assert state.keys == KeyState(old, started.new)
    logrotation.finish(rotating, key_file)
    produce(rotating, maker, 3)
    report = follow(state, log)
    assert report.state.keys == KeyState(started.new) and report.state.size == rotating.size()
    # one that slept through it all, holding the old key, gets there as well
    assert follow(Followed.start(old), log).state == report.state
    # and a checkpoint the old key alone signs is refused from now on
    forged = LogSigner(ORIGIN, load_key(key_file.with_name(f"log.key.retired-{old.split('+')[1]}")))
    checkpoint = rotating.latest_checkpoint()
    assert checkpoint is not None
    with pytest.raises(VerificationError, match="no signature by a trusted key"):
        follow(report.state, FixedCheckpoint(log, forged.sign_checkpoint(checkpoint.size, checkpoint.root)))


class FixedCheckpoint(LocalLog):
    def __init__(self, log: LocalLog, checkpoint: str) -> None:
        super().__init__(log.ledger)
        self.fixed = checkpoint

    def checkpoint(self) -> str:
        return self.fixed


def test_a_log_names_its_key_once_and_rolls_over_from_it(rotating: Ledger, maker: Actor, key_file: Path) -> None:
    old = rotating.signer.verifier_key
    index = logrotation.name_key(rotating)
    assert index is not None and logrotation.name_key(rotating) is None
    (_, _, body), *_ = rotating.entries(index, index + 1)
    assert canonical_entry(body)["claim"]["data"] == {"verifier_key": old}
    assert signers_of(latest(rotating)) == [label(old)]
    started = logrotation.start(rotating, key_file)
    logrotation.finish(rotating, key_file)
    produce(rotating, maker, 1)
    assert [e.entry["claim"]["type"] for e in logreads.log_key(rotating).key_events] == [
        "log_key",
        "log_rollover_started",
        "log_rollover_ended",
    ]
    assert follow(Followed.start(old), LocalLog(rotating)).state.keys == KeyState(started.new)
    assert verify_database(rotating.engine, old).problems == []

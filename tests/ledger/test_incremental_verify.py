"""`packtrace verify --incremental` (ledger.usecases.incremental): from a checkpoint the verifier verified
before, the log's consistency with it and the entries after it; one fixture per attack."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app
from events.codes import make_code, make_second_life_code
from events.errors import VerificationError
from ledger.format import note
from ledger.format.logkey import LogSigner
from ledger.log import Ledger
from ledger.usecases.incremental import verify_since
from tests.ledger.conftest import ORIGIN
from tests.ledger.rewrites import edit_mass, rewrite_tree
from tests.support import PRODUCED, Actor, code

MODULE = make_code("001", "module", "B", "12", "ABCDEFG", date(2026, 1, 15), 7)


@pytest.fixture
def log_key_private() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def signer(log_key_private: Ed25519PrivateKey) -> LogSigner:
    return LogSigner(ORIGIN, log_key_private)


def _grow(ledger: Ledger, maker: Actor, first: int, count: int) -> None:
    """`count` new packs, each produced and shipped, from serial `first`."""
    for serial in range(first, first + count):
        ledger.append([maker.claim(code(serial), "produced", PRODUCED)])
        ledger.append_one(*maker.claim(code(serial), "shipped", {"to": "byd-auto"}))


@pytest.fixture
def verified(ledger: Ledger, actors: dict[str, Actor]) -> str:
    """Four packs appended, then a full verify: the checkpoint it stores."""
    _grow(ledger, actors["catl"], 0, 4)
    report = verify_since(ledger.engine, ledger.signer.verifier_key, None)
    assert report.problems == [] and report.checkpoint is not None and report.size == ledger.size()
    return report.checkpoint


def _latest(ledger: Ledger) -> tuple[int, str]:
    with ledger.engine.connect() as conn:
        row = conn.execute(text("SELECT size, note FROM checkpoint ORDER BY size DESC LIMIT 1")).one()
    return int(row.size), str(row.note)


def _size(checkpoint: str) -> int:
    return note.parse_checkpoint(checkpoint.split("\n\n")[0] + "\n").size


def test_first_run_is_a_full_verify_and_the_next_checks_only_what_came_after(
    ledger: Ledger, actors: dict[str, Actor], verified: str
) -> None:
    since = _size(verified)
    _grow(ledger, actors["catl"], 10, 3)
    report = verify_since(ledger.engine, ledger.signer.verifier_key, verified)
    assert report.problems == []
    assert (report.since, report.entries, report.packs, report.size) == (since, 6, 3, since + 6)
    assert report.checkpoint == _latest(ledger)[1]
    again = verify_since(ledger.engine, ledger.signer.verifier_key, report.checkpoint)
    assert (again.problems, again.entries, again.checkpoint) == ([], 0, report.checkpoint)


def test_an_entry_after_the_checkpoint_changed_is_found_by_the_entry_checks(
    ledger: Ledger, actors: dict[str, Actor], verified: str
) -> None:
    since = _size(verified)
    _grow(ledger, actors["catl"], 10, 3)
    edit_mass(ledger, since + 2, 1.0)
    report = verify_since(ledger.engine, ledger.signer.verifier_key, verified)
    assert report.checkpoint is None
    problems = [f"entry {p.index}: {p}" for p in sorted(report.problems)]
    assert problems[0] == f"entry {since + 2}: step 3: signature does not verify with key 'catl/1'"
    assert problems[1].startswith(f"entry {since + 3}: step 2: pack {code(11)}: prev ")  # its successor's link
    assert problems[2].startswith(f"entry {since + 5}: step 4: checkpoint at size {since + 6}: signed root ")
    assert len(problems) == 3


def test_an_old_entry_rewritten_with_its_tree_is_refused_by_the_consistency_check(
    ledger: Ledger, actors: dict[str, Actor], verified: str, log_key_private: Ed25519PrivateKey
) -> None:
    since = _size(verified)
    _grow(ledger, actors["catl"], 10, 1)
    edit_mass(ledger, since - 2, 1.0)  # the last pack's `produced`, before the verified checkpoint
    rewrite_tree(ledger)
    with pytest.raises(VerificationError) as caught:
        verify_since(ledger.engine, ledger.signer.verifier_key, verified)
    assert str(caught.value).startswith(
        f"the log at size {since + 2} is not consistent with the checkpoint verified at size {since}: "
        "consistency proof does not verify: computed old root "
    )


def test_a_forked_log_is_refused(ledger: Ledger, verified: str, log_key_private: Ed25519PrivateKey) -> None:
    """The log's key signed another tree at the verified size: the two cannot both be the log."""
    since = _size(verified)
    fork = note.sign_note(note.checkpoint_text(ORIGIN, since, b"\x22" * 32), ORIGIN, log_key_private)
    refusal = (
        rf"^the log at size {since} is not consistent with the checkpoint verified at size {since}: "
        rf"equal sizes {since} with different roots"
    )
    with pytest.raises(VerificationError, match=refusal):
        verify_since(ledger.engine, ledger.signer.verifier_key, fork)


def test_a_state_file_signed_by_another_key_is_refused(ledger: Ledger, verified: str) -> None:
    body = verified.split("\n\n")[0] + "\n"
    other = note.sign_note(body, ORIGIN, Ed25519PrivateKey.generate())
    with pytest.raises(VerificationError) as caught:
        verify_since(ledger.engine, ledger.signer.verifier_key, other)
    assert str(caught.value).startswith(
        f"the verified checkpoint in the state file does not verify with the log's key {ORIGIN}"
    )
    assert "note has no signature by a trusted key" in str(caught.value)


def test_a_log_shorter_than_the_verified_checkpoint_is_refused(ledger: Ledger, verified: str) -> None:
    since = _size(verified)
    with ledger.engine.begin() as conn:
        conn.execute(text("DELETE FROM checkpoint WHERE size >= :s"), {"s": since - 1})
        left = conn.execute(text("SELECT max(size) FROM checkpoint")).scalar_one()
    with pytest.raises(
        VerificationError,
        match=rf"^the log's latest checkpoint has size {left}, fewer than the {since} entries verified before: "
        "the log was truncated or replaced$",
    ):
        verify_since(ledger.engine, ledger.signer.verifier_key, verified)


def test_an_old_entry_of_a_pack_touched_after_is_checked(
    ledger: Ledger, actors: dict[str, Actor], verified: str
) -> None:
    """Replaying a pack with new entries re-reads its earlier ones: their links and the verified tree."""
    since = _size(verified)
    ledger.append_one(*actors["byd-auto"].claim(code(3), "received", {"from": "catl"}))
    edit_mass(ledger, since - 1, 2.0)  # not a mass: the shipment of pack 3, just before the checkpoint
    report = verify_since(ledger.engine, ledger.signer.verifier_key, verified)
    first = min(report.problems)
    assert f"entry {first.index}: {first}".startswith(
        f"entry {since - 1}: step 4: entry {since - 1} is not in the tree verified at size {since}: "
        "inclusion proof does not verify: computed root "
    )


SPARE = make_code("001", "module", "B", "12", "ABCDEFG", date(2026, 1, 15), 8)


@pytest.fixture
def module_verified(ledger: Ledger, actors: dict[str, Actor]) -> tuple[str, int]:
    """A module with its own chain and a pack, verified; the module's `produced` index."""
    maker = actors["catl"]
    ledger.append([maker.claim(MODULE, "produced", PRODUCED)])
    at = ledger.size() - 1
    ledger.append([maker.claim(code(20), "produced", PRODUCED)])
    report = verify_since(ledger.engine, ledger.signer.verifier_key, None)
    assert report.problems == [] and report.checkpoint is not None
    maker_service = {"description": "module replaced", "replaced_modules": [{"old": SPARE, "new": MODULE}]}
    ledger.append_one(*maker.claim(code(20), "serviced", maker_service))
    return report.checkpoint, at


def test_a_pack_the_rules_ask_about_is_read_from_the_verified_tree(
    ledger: Ledger, module_verified: tuple[str, int]
) -> None:
    """The `serviced` entry fits a module with a chain of its own: the rules ask for the module's state,
    which the replay folds from the module's entries before the checkpoint, checked against the tree."""
    verified, module_at = module_verified
    report = verify_since(ledger.engine, ledger.signer.verifier_key, verified)
    assert (report.problems, report.entries, report.packs) == ([], 1, 1)

    edit_mass(ledger, module_at, 3.0)
    report = verify_since(ledger.engine, ledger.signer.verifier_key, verified)
    first = min(report.problems)
    assert f"entry {first.index}: {first}".startswith(
        f"entry {module_at}: step 4: entry {module_at} is not in the tree verified at size {_size(verified)}: "
        "inclusion proof does not verify: computed root "
    )


def test_cli_verify_incremental_stores_its_checkpoint_and_refuses_a_rewritten_log(
    ledger: Ledger,
    actors: dict[str, Actor],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    log_key_private: Ed25519PrivateKey,
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    state = tmp_path / "state" / "packtrace" / "verified" / "packtrace.test%2Flog"
    runner = CliRunner()
    args = ["verify", "--incremental", "--database-url", database_url, "--log-key", ledger.signer.verifier_key]
    _grow(ledger, actors["catl"], 0, 2)
    size = ledger.size()
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"OK: no verified checkpoint in {state}: full verify of {size} entries, 2 packs, ")
    assert first.output.rstrip().endswith(f"; the checkpoint at size {size} is stored there")
    assert state.read_text() == _latest(ledger)[1]

    _grow(ledger, actors["catl"], 10, 1)
    second = runner.invoke(app, args)
    assert second.exit_code == 0, second.output
    assert second.output.startswith(
        f"OK: consistent with the checkpoint verified at size {size}; 2 entries after it verified, 1 packs replayed ("
    )
    assert second.output.rstrip().endswith(f"the checkpoint at size {size + 2} is stored in {state}")

    own = tmp_path / "mine.checkpoint"
    own.write_text(state.read_text())
    _grow(ledger, actors["catl"], 20, 1)
    edit_mass(ledger, size, 1.0)
    rewrite_tree(ledger)
    refused = runner.invoke(app, [*args, "--state", str(own)])
    assert refused.exit_code == 1
    assert (
        f"FAILED the log at size {size + 4} is not consistent with the checkpoint verified at size {size + 2}: "
        "consistency proof does not verify: computed old root " in refused.output
    )
    assert own.read_text() == state.read_text()  # a refusal keeps the checkpoint verified last


def test_a_second_life_product_replays_from_its_originals_read_from_the_verified_tree(
    ledger: Ledger, actors: dict[str, Actor]
) -> None:
    """The product's `produced` names its originals: the replay folds each original's chain up to it (their
    `repurposed` entries ask whether the product exists yet: not at that index)."""
    from tests.events.events_world import produced_data
    from tests.ledger.test_lifecycles import Timeline, retire_at_second_life

    t = Timeline()
    for pack in (code(1), code(2)):
        retire_at_second_life(ledger, actors, pack, t)
    product = make_second_life_code("S2L", "pack", "B", "A1", date(2026, 3, 1), 7)
    s2l, at = actors["s2l-energy"], t.next()
    ledger.append([
        s2l.claim(code(1), "repurposed", {"into": product}, at=at),
        s2l.claim(code(2), "repurposed", {"into": product}, at=at),
        s2l.claim(product, "produced", produced_data(**{"from": [code(1), code(2)]}), at=at),
    ])  # fmt: skip
    first = verify_since(ledger.engine, ledger.signer.verifier_key, None)
    assert first.problems == [] and first.checkpoint is not None
    ledger.append_one(*s2l.claim(product, "shipped", {"to": "byd-auto"}, at=t.next()))
    report = verify_since(ledger.engine, ledger.signer.verifier_key, first.checkpoint)
    assert (report.problems, report.entries, report.packs) == ([], 1, 1)

    produced_at, next_at = (row[0] for row in ledger.pack_entries(code(1))[:2])
    edit_mass(ledger, produced_at, 1.0)  # an original's first entry: the product's replay reads its chain
    report = verify_since(ledger.engine, ledger.signer.verifier_key, first.checkpoint)
    (only,) = report.problems
    assert f"entry {only.index}: {only}".startswith(f"entry {next_at}: step 2: pack {code(1)}: prev ")

"""One fixture per attack on the stored rows; `packtrace verify` names the first bad index of each."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, text
from typer.testing import CliRunner

from api.cli import app
from ledger.format import note
from ledger.log import Ledger
from ledger.usecases.verify import verify_database
from tests.support import PRODUCED, Actor, code

SIZE = 12  # the pack entries `filled` appends after the province's registry entries
Attack = Callable[[Connection, Ledger, int], None]  # the int: the index of the first pack entry


def _body(conn: Connection, index: int) -> dict:
    return json.loads(bytes(conn.execute(text("SELECT body FROM entry WHERE idx = :i"), {"i": index}).scalar_one()))


def edit_payload(conn: Connection, ledger: Ledger, base: int) -> None:
    entry = _body(conn, base + 5)
    entry["claim"]["data"]["mass_kg"] = 1.0
    conn.execute(text("UPDATE entry SET body = :b WHERE idx = :i"), {"b": rfc8785.dumps(entry), "i": base + 5})


def edit_registry_entry(conn: Connection, ledger: Ledger, base: int) -> None:
    entry = _body(conn, 1)
    entry["claim"]["at"] = "2020-01-01T00:00:00Z"
    conn.execute(text("UPDATE entry SET body = :b WHERE idx = 1"), {"b": rfc8785.dumps(entry)})


def edit_stored_hash(conn: Connection, ledger: Ledger, base: int) -> None:
    conn.execute(text("UPDATE entry SET hash = :h WHERE idx = :i"), {"h": "0" * 64, "i": base + 5})


def delete_middle(conn: Connection, ledger: Ledger, base: int) -> None:
    conn.execute(text("DELETE FROM entry WHERE idx = :i"), {"i": base + 5})


def truncate_last(conn: Connection, ledger: Ledger, base: int) -> None:
    conn.execute(text("DELETE FROM entry WHERE idx = :i"), {"i": base + SIZE - 1})
    conn.execute(text("UPDATE log_head SET size = :s"), {"s": base + SIZE - 1})


def insert_entry(conn: Connection, ledger: Ledger, base: int) -> None:
    """Shift entries base + 5.. up by one and put a well-formed entry of a new pack at base + 5."""
    at = base + 5
    for idx in range(base + SIZE - 1, at - 1, -1):
        conn.execute(text("UPDATE entry SET idx = :n WHERE idx = :o"), {"n": idx + 1, "o": idx})
    entry = _body(conn, at + 1)
    entry["pack"] = entry["claim"]["pack"] = code(999)
    entry["index"], entry["seq"], entry["prev"] = at, 0, None
    body = rfc8785.dumps(entry)

    conn.execute(
        text(
            "INSERT INTO entry (idx, pack, seq, hash, actor, claim_id, type, at, recorded_at, body) "
            "SELECT :at, :pack, 0, :hash, actor, 'x-inserted', type, at, recorded_at, :body "
            "FROM entry WHERE idx = :next"
        ),
        {"at": at, "next": at + 1, "pack": code(999), "hash": hashlib.sha256(body).hexdigest(), "body": body},
    )


def swap_two(conn: Connection, ledger: Ledger, base: int) -> None:
    first, second = base + 5, base + 6
    rows = {
        r.idx: (bytes(r.body), r.hash)
        for r in conn.execute(
            text("SELECT idx, body, hash FROM entry WHERE idx IN (:a, :b)"), {"a": first, "b": second}
        )
    }
    conn.execute(text("UPDATE entry SET hash = 'swap' WHERE idx = :i"), {"i": first})
    for idx, other in ((second, first), (first, second)):
        conn.execute(
            text("UPDATE entry SET body = :b, hash = :h WHERE idx = :i"),
            {"b": rows[other][0], "h": rows[other][1], "i": idx},
        )


def resign_checkpoint(conn: Connection, ledger: Ledger, base: int) -> None:
    row = conn.execute(text("SELECT size, note FROM checkpoint WHERE size = :s"), {"s": base + 8}).one()
    body = row.note.split("\n\n")[0] + "\n"
    forged = note.sign_note(body, ledger.signer.origin, Ed25519PrivateKey.generate())
    conn.execute(text("UPDATE checkpoint SET note = :n WHERE size = :s"), {"n": forged, "s": base + 8})


def change_checkpoint_root(conn: Connection, ledger: Ledger, base: int) -> None:
    row = conn.execute(text("SELECT note FROM checkpoint WHERE size = :s"), {"s": base + 8}).one()
    lines = row.note.split("\n")
    lines[2] = base64.b64encode(b"\x11" * 32).decode()
    conn.execute(
        text("UPDATE checkpoint SET note = :n, root = :r WHERE size = :s"),
        {"n": "\n".join(lines), "r": b"\x11" * 32, "s": base + 8},
    )


# attack, the first bad index as (registry index, or offset from the first pack entry), what it says
ATTACKS: dict[str, tuple[Attack, Callable[[int], int], Callable[[int], str]]] = {
    "edited payload": (edit_payload, lambda b: b + 5, lambda b: "step 1: stored hash"),
    "edited registry entry": (edit_registry_entry, lambda b: 1, lambda b: "step 1: stored hash"),
    "edited stored hash": (edit_stored_hash, lambda b: b + 5, lambda b: "step 1: stored hash 0000"),
    "deleted middle entry": (
        delete_middle,
        lambda b: b + 5,
        lambda b: f"step 2: index {b + 5} is missing: the next stored entry is {b + 6}",
    ),
    "deleted last entry": (
        truncate_last,
        lambda b: b + SIZE - 1,
        lambda b: f"checkpoint at size {b + SIZE} but the log holds only {b + SIZE - 1} entries",
    ),
    "inserted entry": (insert_entry, lambda b: b + 5, lambda b: f"entry {b + 5}: step"),
    "two entries swapped": (
        swap_two,
        lambda b: b + 5,
        lambda b: f"step 2: entry says index {b + 6} but is stored at index {b + 5}",
    ),
    "checkpoint re-signed with another key": (
        resign_checkpoint,
        lambda b: b + 7,
        lambda b: f"step 4: checkpoint at size {b + 8}",
    ),
    "checkpoint root changed": (
        change_checkpoint_root,
        lambda b: b + 7,
        lambda b: f"step 4: checkpoint at size {b + 8}",
    ),
}


@pytest.fixture
def filled(ledger: Ledger, actors: dict[str, Actor], base: int) -> Ledger:
    maker = actors["catl"]
    for i in range(4):  # four checkpoints of sizes base + 2, 4, 6, 8
        ledger.append(
            [maker.claim(code(2 * i), "produced", PRODUCED), maker.claim(code(2 * i + 1), "produced", PRODUCED)]
        )
    for i in range(4):  # and four of one entry each: base + 9 .. 12
        ledger.append_one(*maker.claim(code(i), "shipped", {"to": "byd-auto"}))
    assert ledger.size() == base + SIZE
    return ledger


def test_untouched_ledger_verifies(filled: Ledger, base: int) -> None:
    report = verify_database(filled.engine, filled.signer.verifier_key)
    assert report.problems == []
    assert (report.entries, report.packs, report.checkpoints) == (base + SIZE, 8, 9)  # and the registry's checkpoint


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_attack_is_detected_at_the_first_bad_index(filled: Ledger, base: int, name: str) -> None:
    attack, index_of, message_of = ATTACKS[name]
    index, message = index_of(base), message_of(base)
    with filled.engine.begin() as conn:
        attack(conn, filled, base)
    report = verify_database(filled.engine, filled.signer.verifier_key)
    first = min(report.problems)
    assert first.index == index, sorted(report.problems)
    assert any(message in f"entry {p.index}: {p}" for p in report.problems if p.index == index), report.problems


def test_cli_verify_exits_non_zero_naming_the_index(filled: Ledger, base: int, database_url: str, tmp_path) -> None:
    runner = CliRunner()
    args = ["verify", "--database-url", database_url, "--log-key", filled.signer.verifier_key]
    ok = runner.invoke(app, args)
    assert ok.exit_code == 0, ok.output
    assert f"OK: {base + SIZE} entries, 8 packs, 9 checkpoints verified" in ok.output

    with filled.engine.begin() as conn:
        delete_middle(conn, filled, base)
    bad = runner.invoke(app, args)
    assert bad.exit_code == 1
    assert (
        f"FAILED entry {base + 5}: step 2: index {base + 5} is missing: the next stored entry is {base + 6}"
        in bad.output
    )


def test_projection_edit_is_found_by_replay(filled: Ledger) -> None:
    from sqlalchemy import update

    from ledger.store.schema import PACK

    state = filled.pack_state(code(3))
    assert state is not None
    with filled.engine.begin() as conn:
        conn.execute(
            update(PACK)
            .where(PACK.c.code == code(3))
            .values(state={**state.to_dict(), "custodian": "byd-auto"}, custodian="byd-auto")
        )
    report = verify_database(filled.engine, filled.signer.verifier_key)
    assert [str(p) for p in report.problems] == [
        f"step 5: pack {code(3)}: stored state differs from the replayed state"
    ]

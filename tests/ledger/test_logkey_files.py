"""The log's key files across a rollover (ledger.format.logkey): the new key beside the current one, the
swap that ends the rollover, and a signer holding both keys."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.format import note
from ledger.format.logkey import (
    LogKeyMissing,
    LogSigner,
    create_key,
    key_finder,
    load_key,
    load_or_create_key,
    next_key_path,
    retired_key_path,
    swap_in_next,
)
from ledger.format.logkeys import KeyState, label

ORIGIN = "packtrace.test/log"


def vkey(key: Ed25519PrivateKey) -> str:
    return note.verifier_key(ORIGIN, key.public_key())


def test_the_next_key_is_made_beside_the_key_file_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "log.key"
    load_or_create_key(path)
    nxt = create_key(next_key_path(path))
    assert next_key_path(path) == tmp_path / "log.key.next"
    assert stat.S_IMODE(next_key_path(path).stat().st_mode) == 0o600
    assert vkey(load_key(next_key_path(path))) == vkey(nxt)
    with pytest.raises(FileExistsError):
        create_key(next_key_path(path))


def test_swapping_keeps_the_old_key_and_puts_the_new_one_in_place(tmp_path: Path) -> None:
    path = tmp_path / "log.key"
    old = load_or_create_key(path)
    new = create_key(next_key_path(path))
    retired = swap_in_next(path, vkey(old))
    assert retired == retired_key_path(path, vkey(old)) == tmp_path / f"log.key.retired-{label(vkey(old))[-8:]}"
    assert vkey(load_key(path)) == vkey(new)
    assert vkey(load_key(retired)) == vkey(old)
    assert stat.S_IMODE(retired.stat().st_mode) == 0o600
    assert not next_key_path(path).exists()
    assert swap_in_next(path, vkey(old)) == retired  # done already: nothing more to do
    assert vkey(load_key(path)) == vkey(new)


def test_a_swap_interrupted_after_the_retired_copy_finishes_when_run_again(tmp_path: Path) -> None:
    path = tmp_path / "log.key"
    old = load_or_create_key(path)
    new = create_key(next_key_path(path))
    retired_key_path(path, vkey(old)).write_bytes(path.read_bytes())  # the crash came after this step
    swap_in_next(path, vkey(old))
    assert (vkey(load_key(path)), vkey(load_key(retired_key_path(path, vkey(old))))) == (vkey(new), vkey(old))


def test_the_finder_looks_in_the_file_and_beside_it(tmp_path: Path) -> None:
    path = tmp_path / "log.key"
    old = load_or_create_key(path)
    find = key_finder(path, ORIGIN)
    new = Ed25519PrivateKey.generate()
    assert find(vkey(new)) is None  # not made yet: looked up when asked, not when the finder was made
    write_key(next_key_path(path), new)  # made later, by another process
    found_old, found_new = find(vkey(old)), find(vkey(new))
    assert found_old is not None and vkey(found_old) == vkey(old)
    assert found_new is not None and vkey(found_new) == vkey(new)


def write_key(path: Path, key: Ed25519PrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    path.write_bytes(pem)


def test_a_signer_signs_with_every_key_in_force_and_refuses_to_sign_without_one() -> None:
    old, new = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    signer = LogSigner(ORIGIN, old)
    assert signer.in_force == (vkey(old),) and signer.next_verifier_key is None
    signer.adopt(KeyState(vkey(old), vkey(new)))
    with pytest.raises(LogKeyMissing, match=re.escape(f"the log key {label(vkey(new))} is in force")):
        signer.sign_checkpoint(3, b"\x00" * 32)
    assert signer.hold(new) == vkey(new)
    signed = signer.sign_checkpoint(3, b"\x00" * 32)
    assert note.open_note_all(signed, [vkey(old), vkey(new)]).startswith(f"{ORIGIN}\n3\n")
    in_force: tuple[str, ...] = signer.in_force
    assert in_force == (vkey(old), vkey(new)) and signer.verifier_key == vkey(old)
    signer.adopt(KeyState(vkey(new)))
    assert signer.verifier_key == vkey(new) and signer.private_key is new
    only_new = signer.sign_checkpoint(4, b"\x00" * 32)
    assert len(only_new.split("\n\n", 1)[1].splitlines()) == 1


def test_the_signer_knows_the_state_only_after_its_commit() -> None:
    signer = LogSigner(ORIGIN, Ed25519PrivateKey.generate())
    state = KeyState(signer.own_key)
    signer.tentative(5, state)
    assert signer.known_at(5) == (False, None)  # rolled back, it would not be the log's
    signer.committed(5)
    assert signer.known_at(5) == (True, state) and signer.known_at(6) == (False, None)
    signer.tentative(7, None)
    signer.committed(6)  # another size committed: the tentative state is dropped
    assert signer.known_at(7) == (False, None)

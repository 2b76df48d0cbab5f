"""The log key is created once, readable by its owner only, and reused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from ledger.format.logkey import LogSigner, load_key, load_or_create_key
from tests import specverify


def test_key_file_is_created_0600_and_reused(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "log.key"
    first = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = load_or_create_key(path)
    assert LogSigner("a.example/log", first).verifier_key == LogSigner("a.example/log", again).verifier_key


def test_verifier_key_is_in_c2sp_form_and_checks_checkpoints(tmp_path: Path) -> None:
    signer = LogSigner("a.example/log", load_or_create_key(tmp_path / "log.key"))
    name, key_id, _ = signer.verifier_key.split("+", 2)
    assert name == "a.example/log" and len(key_id) == 8
    checkpoint = specverify.verify_checkpoint(signer.sign_checkpoint(5, b"\x07" * 32), signer.verifier_key)
    assert (checkpoint.origin, checkpoint.size, checkpoint.root) == ("a.example/log", 5, b"\x07" * 32)


def test_a_missing_key_is_not_made_by_load_key(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no log key at"):
        load_key(tmp_path / "absent.key")
    assert not (tmp_path / "absent.key").exists()

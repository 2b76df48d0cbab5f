"""The log's own Ed25519 key: it signs every checkpoint. Created with mode 0600 on first use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.format import note


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Read the PEM (PKCS #8) key at `path`, or create it there readable by its owner only."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return load_or_create_key(path)
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        return key
    return _parse(path, pem)


def load_key(path: Path) -> Ed25519PrivateKey:
    """Read an existing key; a missing file is an error here, not a reason to make a new key."""
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(f"no log key at {path}; pass --log-key or set PACKTRACE_LOG_KEY_FILE") from None
    return _parse(path, pem)


def _parse(path: Path, pem: bytes) -> Ed25519PrivateKey:
    loaded = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return loaded


@dataclass(frozen=True)
class LogSigner:
    """Signs checkpoints as C2SP tlog-checkpoint notes under the log's origin (its key name)."""

    origin: str
    private_key: Ed25519PrivateKey

    def sign_checkpoint(self, size: int, root: bytes) -> str:
        return note.sign_note(note.checkpoint_text(self.origin, size, root), self.origin, self.private_key)

    @property
    def verifier_key(self) -> str:
        return note.verifier_key(self.origin, self.private_key.public_key())

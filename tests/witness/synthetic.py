"""A synthetic log for witness tests: leaves, checkpoints signed by the log's key, consistency proofs."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.format import merkle, note

ORIGIN = "log.example.org/packtrace"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"packtrace witness tests: log").digest())
LOG_VKEY = note.verifier_key(ORIGIN, LOG_KEY.public_key())


class SyntheticLog:
    def __init__(self, size: int, *, fork_at: int | None = None, key: Ed25519PrivateKey = LOG_KEY) -> None:
        """`size` leaves; from leaf `fork_at` on, other leaves than the honest log's (a split view)."""
        tag = lambda i: b"fork" if fork_at is not None and i >= fork_at else b"leaf"  # noqa: E731
        self.leaves = [merkle.leaf_hash(tag(i) + str(i).encode()) for i in range(size)]
        self.key = key
        self.roots = merkle.root_at_sizes(self.leaves, range(size + 1))

    def root(self, size: int) -> bytes:
        return self.roots[size]

    def text(self, size: int) -> str:
        return note.checkpoint_text(ORIGIN, size, self.root(size))

    def checkpoint(self, size: int) -> str:
        return note.sign_note(self.text(size), ORIGIN, self.key)

    def proof(self, old: int, new: int) -> list[bytes]:
        return [merkle.root(self.leaves[start:end]) for start, end in merkle.consistency_ranges(old, new)]

    def request(self, old: int, new: int, *, proof: list[bytes] | None = None) -> bytes:
        """The add-checkpoint body for the checkpoint at `new` with a proof from `old`."""
        hashes = self.proof(old, new) if proof is None else proof
        lines = "".join(base64.b64encode(h).decode() + "\n" for h in hashes)
        return f"old {old}\n{lines}\n{self.checkpoint(new)}".encode()

"""C2SP tlog-proof@v1: an offline proof that an entry is in the log, as text.

    c2sp.org/tlog-proof@v1
    [extra <base64>]          optional, unauthenticated; this log writes none
    index <decimal, no leading zeroes>
    <base64 hash>             the RFC 6962 inclusion proof, the leaf's sibling first, one a line
    <blank line>
    <the checkpoint note, verbatim>

Parsing and verifying untrusted text raises `VerificationError`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass

from events.errors import VerificationError
from ledger.format import merkle, note

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]{0,19})")  # at most 20 digits: a uint64


@dataclass(frozen=True)
class TlogProof:
    index: int
    hashes: tuple[bytes, ...]
    checkpoint: str  # the signed note, verbatim
    extra: bytes | None = None


def encode(index: int, hashes: Sequence[bytes], checkpoint: str) -> str:
    lines = [HEADER, f"index {index}", *(base64.b64encode(h).decode("ascii") for h in hashes)]
    return "\n".join(lines) + "\n\n" + checkpoint


def is_tlog_proof(text: str) -> bool:
    return text.startswith(HEADER + "\n")


def _b64(text: str, what: str) -> bytes:
    return note.strict_b64decode(text, f"malformed tlog-proof: {what}")


def parse(text: str) -> TlogProof:
    """Read a tlog-proof strictly: header, optional extra, index, hashes, a blank line, the checkpoint."""
    # (1): the header line, then the lines up to the first blank line, then the checkpoint note.
    if not isinstance(text, str):
        raise VerificationError("malformed tlog-proof: not text")
    head, blank, checkpoint = text.partition("\n\n")
    if not blank or not checkpoint:
        raise VerificationError("malformed tlog-proof: no blank line before the checkpoint")
    lines = head.split("\n")
    if lines[0] != HEADER:
        raise VerificationError(f"malformed tlog-proof: the first line must be {HEADER!r}, found {lines[0][:60]!r}")
    rest = lines[1:]
    # (2): an optional `extra` line (never trusted).
    extra = None
    if rest and rest[0].startswith("extra "):
        extra = _b64(rest.pop(0)[len("extra ") :], "extra data")
    # (3): the index, decimal without leading zeroes.
    if not rest or not (found := _INDEX.fullmatch(rest[0])):
        line = rest[0] if rest else ""
        raise VerificationError(f"malformed tlog-proof: expected 'index <decimal>', found {line[:60]!r}")
    # (4): each further line is one 32-byte hash.
    hashes = []
    for number, line in enumerate(rest[1:]):
        raw = _b64(line, f"proof hash {number}")
        if len(raw) != merkle.HASH_SIZE:
            raise VerificationError(
                f"malformed tlog-proof: proof hash {number} is {len(raw)} bytes, expected {merkle.HASH_SIZE}"
            )
        hashes.append(raw)
    return TlogProof(int(found.group(1)), tuple(hashes), checkpoint, extra)


def verify(text: str, entry: bytes, verifier: str | note.Verifier) -> tuple[TlogProof, note.Checkpoint]:
    """Check that `entry` (its bytes) is the leaf at the proof's index under its checkpoint, signed by
    `verifier`; the parsed proof and checkpoint."""
    proof = parse(text)
    # (5): the checkpoint is signed by the log's key.
    checkpoint = note.parse_checkpoint(note.open_note(proof.checkpoint, verifier))
    # (6): the entry's leaf hash at the index, with the proof's hashes, gives the checkpoint's root.
    merkle.verify_inclusion(merkle.leaf_hash(entry), proof.index, checkpoint.size, proof.hashes, checkpoint.root)
    return proof, checkpoint

"""An independent verifier, written from the specification texts only, for tests.

Sources: RFC 6962 §2.1 (Merkle tree hash), RFC 9162 §2.1.3-§2.1.4 (inclusion and consistency proofs),
c2sp.org/signed-note and c2sp.org/tlog-checkpoint, RFC 8785 (through the `rfc8785` package).

It imports nothing from `ledger` or `events` and computes differently from `ledger.format.merkle` (textbook
recursion over the definitions instead of stored nodes and bit arithmetic), so a bug in one shows up
as a disagreement with the other. Every failure raises `SpecViolation`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class SpecViolation(AssertionError):
    """The input does not satisfy the specification."""


class VKey(NamedTuple):
    name: str
    key_id: bytes
    public_key: Ed25519PublicKey


class Checkpoint(NamedTuple):
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...]


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _b64(text: str) -> bytes:
    """RFC 4648 §4 standard base64, padded, canonical (spare bits zero)."""
    if not re.fullmatch(r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", text):
        raise SpecViolation(f"not standard base64: {text!r}")
    raw = base64.b64decode(text)
    if base64.b64encode(raw).decode() != text:
        raise SpecViolation(f"non-canonical base64: {text!r}")
    return raw


def _hash(value: bytes | str, what: str) -> bytes:
    """A 32-byte hash given as bytes or lowercase hex."""
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9a-f]{64}", value):
            raise SpecViolation(f"{what} is not 64 lowercase hex digits: {value!r}")
        return bytes.fromhex(value)
    if len(value) != 32:
        raise SpecViolation(f"{what} is {len(value)} bytes, not 32")
    return value


# --- RFC 8785 entries -------------------------------------------------------------------------------


def entry_bytes(entry: Mapping[str, Any]) -> bytes:
    """RFC 8785 canonical JSON of an entry."""
    return bytes(rfc8785.dumps(dict(entry)))


def entry_hash(entry: Mapping[str, Any]) -> str:
    """SHA-256 of the entry's canonical bytes, lowercase hex."""
    return hashlib.sha256(entry_bytes(entry)).hexdigest()


# --- RFC 6962 §2.1 Merkle tree hash -----------------------------------------------------------------


def _k(n: int) -> int:
    """The largest power of two smaller than n, for n > 1."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _node(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right)


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over the raw leaf inputs, straight from the recursive definition."""
    n = len(leaves)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + leaves[0])
    k = _k(n)
    return _node(mth(leaves[:k]), mth(leaves[k:n]))


# --- RFC 9162 §2.1.3 inclusion ----------------------------------------------------------------------


def _path_root(m: int, n: int, leaf: bytes, proof: list[bytes]) -> bytes:
    """The head of D[n] from PATH(m, D[n]); the sibling at the top split is the proof's last hash."""
    if n == 1:
        return leaf
    if not proof:
        raise SpecViolation("inclusion proof is too short")
    k = _k(n)
    sibling = proof.pop()
    if m < k:
        return _node(_path_root(m, k, leaf, proof), sibling)
    return _node(sibling, _path_root(m - k, n - k, leaf, proof))


def verify_inclusion(
    leaf: bytes,
    index: int,
    size: int,
    hashes: Sequence[str],
    root: bytes | str,
    *,
    hashed: bool = False,
) -> None:
    """Check an inclusion proof of entry bytes `leaf` (or of a leaf hash, with `hashed=True`)."""
    leaf_hash = _hash(leaf, "leaf hash") if hashed else _sha256(b"\x00" + leaf)
    proof = [_hash(h, "proof hash") for h in hashes]
    if not 0 <= index < size:
        raise SpecViolation(f"leaf index {index} is not inside a tree of size {size}")
    computed = _path_root(index, size, leaf_hash, proof)
    if proof:
        raise SpecViolation(f"inclusion proof has {len(proof)} hashes too many")
    if computed != _hash(root, "root"):
        raise SpecViolation(f"inclusion proof gives root {computed.hex()}, not {_hash(root, 'root').hex()}")


# --- RFC 9162 §2.1.4 consistency --------------------------------------------------------------------


def _subproof_heads(m: int, n: int, whole: bool, proof: list[bytes], old_root: bytes) -> tuple[bytes, bytes]:
    """(hash of the old leaves D[0:m], hash of D[n]) of this subtree, from SUBPROOF(m, D[n], whole)."""
    if m == n:
        if whole:
            return old_root, old_root
        if not proof:
            raise SpecViolation("consistency proof is too short")
        h = proof.pop()
        return h, h
    if not proof:
        raise SpecViolation("consistency proof is too short")
    k = _k(n)
    sibling = proof.pop()
    if m <= k:
        old, new = _subproof_heads(m, k, whole, proof, old_root)
        return old, _node(new, sibling)
    old, new = _subproof_heads(m - k, n - k, False, proof, old_root)
    return _node(sibling, old), _node(sibling, new)


def verify_consistency(
    old_size: int, new_size: int, hashes: Sequence[str], old_root: bytes | str, new_root: bytes | str
) -> None:
    """Check that the tree of `new_size` leaves extends the tree of `old_size` leaves."""
    old_head, new_head = _hash(old_root, "old root"), _hash(new_root, "new root")
    proof = [_hash(h, "proof hash") for h in hashes]
    if not 0 <= old_size <= new_size:
        raise SpecViolation(f"sizes {old_size} -> {new_size} do not grow")
    if old_size in (0, new_size):
        if proof:
            raise SpecViolation(f"consistency proof from {old_size} to {new_size} must be empty")
        if old_size == 0 and old_head != _sha256(b""):
            raise SpecViolation("the empty tree's root is SHA-256 of the empty string")
        if old_size == new_size and old_head != new_head:
            raise SpecViolation("two roots for the same tree size")
        return
    old, new = _subproof_heads(old_size, new_size, True, proof, old_head)
    if proof:
        raise SpecViolation(f"consistency proof has {len(proof)} hashes too many")
    if old != old_head or new != new_head:
        raise SpecViolation(f"consistency proof gives roots {old.hex()} and {new.hex()}")


# --- C2SP signed-note -------------------------------------------------------------------------------


def _key_name_ok(name: str) -> bool:
    return bool(name) and not any(c.isspace() or c == "+" or ord(c) < 0x20 for c in name)


def parse_vkey(vkey: str) -> VKey:
    """`<name>+<hex key id>+<base64(0x01 ‖ 32-byte Ed25519 key)>`."""
    name, _, rest = vkey.partition("+")
    id_hex, _, key_b64 = rest.partition("+")
    if not _key_name_ok(name) or not re.fullmatch(r"[0-9a-f]{8}", id_hex):
        raise SpecViolation(f"bad verifier key {vkey!r}")
    raw = _b64(key_b64)
    if len(raw) != 33 or raw[0] != 0x01:
        raise SpecViolation("verifier key is not type 0x01 followed by a 32-byte Ed25519 key")
    key_id = _sha256(name.encode() + b"\n" + raw)[:4]
    if key_id.hex() != id_hex:
        raise SpecViolation(f"verifier key id {id_hex} is not SHA-256(name, 0x0A, key)[:4] = {key_id.hex()}")
    return VKey(name, key_id, Ed25519PublicKey.from_public_bytes(raw[1:]))


def verify_note(note: str | bytes, vkey: str) -> str:
    """The note's text, if it carries a valid signature by `vkey`; unknown keys' lines are skipped."""
    key = parse_vkey(vkey)
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SpecViolation("a signed note must be valid UTF-8") from exc
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise SpecViolation("a signed note may hold no control characters but newline")
    if not note.endswith("\n"):
        raise SpecViolation("a signed note ends with a newline")
    lines = note.split("\n")[:-1]
    blanks = [i for i, line in enumerate(lines) if line == ""]
    if not blanks or blanks[-1] == 0:
        raise SpecViolation("a signed note is a non-empty text, a blank line, then signatures")
    text = "\n".join(lines[: blanks[-1]]) + "\n"
    signature_lines = lines[blanks[-1] + 1 :]
    if not signature_lines:
        raise SpecViolation("a signed note has at least one signature line")
    good = 0
    for line in signature_lines:
        match = re.fullmatch(r"\u2014 (\S+) (\S+)", line)
        if not match or not _key_name_ok(match[1]):
            raise SpecViolation(f"bad signature line {line!r}")
        blob = _b64(match[2])
        if len(blob) < 5:
            raise SpecViolation(f"signature line {line!r} is shorter than key id plus signature")
        if match[1] != key.name or blob[:4] != key.key_id:
            continue
        try:
            key.public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature:
            raise SpecViolation(f"signature by {key.name} fails") from None
        good += 1
    if not good:
        raise SpecViolation(f"no signature by {key.name}+{key.key_id.hex()}")
    return text


# --- C2SP tlog-checkpoint ---------------------------------------------------------------------------


def parse_checkpoint(text: str) -> Checkpoint:
    """Origin, tree size, root hash, and any extension lines of a checkpoint note text."""
    if not text.endswith("\n"):
        raise SpecViolation("checkpoint text ends in a newline")
    lines = text.split("\n")[:-1]
    if len(lines) < 3 or "" in lines:
        raise SpecViolation("checkpoint text is at least three non-empty lines")
    if not re.fullmatch(r"0|[1-9][0-9]*", lines[1]):
        raise SpecViolation(f"tree size {lines[1]!r} is not decimal without leading zeroes")
    root = _b64(lines[2])
    if len(root) != 32:
        raise SpecViolation(f"root hash is {len(root)} bytes, not 32")
    return Checkpoint(lines[0], int(lines[1]), root, tuple(lines[3:]))


def verify_checkpoint(note: str | bytes, vkey: str) -> Checkpoint:
    """A checkpoint signed by `vkey`."""
    return parse_checkpoint(verify_note(note, vkey))


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of an Ed25519 public key."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)

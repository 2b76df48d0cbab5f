"""C2SP signed notes with Ed25519 keys, and tlog-checkpoint note texts.

    <text, ending in a newline>
    <blank line>
    — <key name> base64(key id ‖ signature)        one line per signature

key id = SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)[:4]; a verifier key is published as
`<name>+<8 hex key id>+base64(0x01 ‖ public key)`. A checkpoint text is
`<origin>\\n<size>\\n<base64 root>\\n` followed by optional non-empty extension lines.

Reading untrusted input (`parse_verifier_key`, `open_note`, `parse_checkpoint`) raises
`VerificationError`; asking to write something the format cannot hold raises `InputError`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from events.errors import InputError, VerificationError

ED25519_TYPE = b"\x01"
COSIGNATURE_V1_TYPE = b"\x04"  # C2SP tlog-cosignature: an Ed25519 cosigner key
_TYPE_NAMES = {ED25519_TYPE: "Ed25519", COSIGNATURE_V1_TYPE: "Ed25519 cosignature/v1"}
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100
ROOT_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_KEY_ID_HEX = re.compile(r"[0-9a-f]{8}")
_TREE_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Verifier:
    """A trusted note key: signatures are matched by (name, key id) and checked with the public key."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @property
    def label(self) -> str:
        return f"{self.name}+{self.key_id.hex()}"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _bad_char(text: str) -> str | None:
    """Why `text` cannot appear in a note (ASCII control characters besides newline, lone surrogates)."""
    for position, char in enumerate(text):
        if char < " " and char != "\n":
            return f"control character U+{ord(char):04X} at offset {position}"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"not encodable as UTF-8 ({exc.reason} at offset {exc.start})"
    return None


def _name_problem(name: str) -> str | None:
    if not name:
        return "key name is empty"
    if any(char.isspace() or char == "+" for char in name):
        return f"key name {name!r} contains a space or '+'"
    return _bad_char(name)


def strict_b64decode(text: str, what: str) -> bytes:
    """Strict, canonical standard base64 (RFC 4648 §4): no stray characters, padding or spare bits."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise VerificationError(f"{what} is not valid base64: {text!r}") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise VerificationError(f"{what} is not canonical base64: {text!r}")
    return raw


# --- Keys -------------------------------------------------------------------------------------------


def key_id(name: str, public_key: Ed25519PublicKey, key_type: bytes = ED25519_TYPE) -> bytes:
    """SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4]; type 0x01 signs notes, 0x04 cosigns checkpoints."""
    return hashlib.sha256(name.encode() + b"\n" + key_type + _raw(public_key)).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey, key_type: bytes = ED25519_TYPE) -> str:
    """The C2SP verifier key text `<name>+<hex key id>+<base64(type ‖ public key)>`."""
    if problem := _name_problem(name):
        raise InputError(problem)
    encoded = base64.b64encode(key_type + _raw(public_key)).decode("ascii")
    return f"{name}+{key_id(name, public_key, key_type).hex()}+{encoded}"


def parse_verifier_key(text: str, key_type: bytes = ED25519_TYPE) -> Verifier:
    """Parse and check a verifier key: name rules, the type byte (Ed25519 by default), key id matching the key."""
    # (1): three '+'-separated fields; the name may not contain '+', the base64 key may.
    parts = text.split("+", 2)
    if len(parts) != 3:
        raise VerificationError(f"verifier key must be <name>+<key id>+<key>, found {len(parts)} fields")
    name, id_hex, encoded = parts
    # (2): the name follows the key-name rules; the key id is 8 lowercase hex digits.
    if problem := _name_problem(name):
        raise VerificationError(f"verifier key: {problem}")
    if not _KEY_ID_HEX.fullmatch(id_hex):
        raise VerificationError(f"verifier key id must be 8 lowercase hex digits, found {id_hex!r}")
    # (3): the key is the Ed25519 type byte and 32 key bytes.
    raw = strict_b64decode(encoded, "verifier key")
    if raw[:1] != key_type:
        found = raw[:1].hex() or "nothing"
        raise VerificationError(f"verifier key type must be {key_type.hex()} ({_TYPE_NAMES[key_type]}), found {found}")
    if len(raw) != 33:
        raise VerificationError(f"Ed25519 verifier key must be 32 bytes, found {len(raw) - 1}")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    # (4): the key id is derived from name and key.
    expected = key_id(name, public_key, key_type)
    if expected.hex() != id_hex:
        raise VerificationError(f"verifier key id does not match its key: expected {expected.hex()}, found {id_hex}")
    return Verifier(name, expected, public_key)


# --- Notes ------------------------------------------------------------------------------------------


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Sign `text` (which must end in a newline) as key `name`; return the signed note."""
    return sign_note_keys(text, name, [private_key])


def sign_note_keys(text: str, name: str, private_keys: Sequence[Ed25519PrivateKey]) -> str:
    """Sign `text` as key `name` with each of `private_keys`, one signature line each in the order given.
    Several keys under one name is how a log rolls its key over: the lines differ in their key ids."""
    if not text.endswith("\n"):
        raise InputError("note text must end in a newline")
    if problem := _bad_char(text) or _name_problem(name):
        raise InputError(f"cannot sign note: {problem}")
    ids = [key_id(name, private_key.public_key()) for private_key in private_keys]
    if not ids or len(set(ids)) != len(ids):
        raise InputError(
            f"a note is signed by one or more distinct keys, found {len(ids)} key(s) with {len(set(ids))} ids"
        )
    lines = []
    for private_key, id_ in zip(private_keys, ids, strict=True):
        signature = private_key.sign(text.encode("utf-8"))
        lines.append(f"{SIGNATURE_PREFIX}{name} {base64.b64encode(id_ + signature).decode('ascii')}\n")
    return f"{text}\n{''.join(lines)}"


def _signature_line(line: str, number: int) -> tuple[str, bytes, bytes]:
    """(key name, key id, signature) of one signature line."""
    if not line.startswith(SIGNATURE_PREFIX):
        raise VerificationError(f"malformed note: signature line {number} does not start with '— '")
    name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not space:
        raise VerificationError(f"malformed note: signature line {number} has no signature after the name")
    if problem := _name_problem(name):
        raise VerificationError(f"malformed note: signature line {number}: {problem}")
    raw = strict_b64decode(encoded, f"malformed note: signature line {number}")
    if len(raw) < 5:
        raise VerificationError(f"malformed note: signature line {number} holds {len(raw)} bytes, at least 5")
    return name, raw[:4], raw[4:]


def _verifiers(verifiers: Sequence[str | Verifier]) -> list[Verifier]:
    return [parse_verifier_key(v) if isinstance(v, str) else v for v in verifiers]


def split_note(note: str | bytes) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """The note's text and its signature lines as (key name, key id, signature), unverified."""
    # (1): the note is UTF-8 without ASCII control characters other than newline.
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VerificationError(f"malformed note: invalid UTF-8 at byte {exc.start}") from None
    if problem := _bad_char(note):
        raise VerificationError(f"malformed note: {problem}")
    # (2): the last blank line separates the text (with its final newline) from the signature lines.
    split = note.rfind("\n\n")
    if split < 0:
        raise VerificationError("malformed note: no blank line between the text and the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    if not block.endswith("\n"):
        raise VerificationError("malformed note: signature lines must follow the blank line, ending in a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise VerificationError(f"malformed note: {len(lines)} signatures, at most {MAX_SIGNATURES} accepted")
    return text, [_signature_line(line, number) for number, line in enumerate(lines, start=1)]


def _check_signatures(note: str | bytes, verifiers: Sequence[Verifier]) -> tuple[str, list[Verifier], list[str]]:
    """(text, the verifiers that signed it, the labels of the other signers) once the note parses and every
    signature naming one of `verifiers` verifies; a bad signature by a known key is never ignored."""
    text, lines = split_note(note)
    # (3): every line parses; those naming a verifier's (name, key id) must verify, others are ignored.
    known = {(v.name, v.key_id): v for v in verifiers}
    others: list[str] = []
    signed: list[Verifier] = []
    for name, line_key_id, signature in lines:
        verifier = known.get((name, line_key_id))
        if verifier is None:
            others.append(f"{name}+{line_key_id.hex()}")
            continue
        if len(signature) != _ED25519_SIGNATURE_SIZE:
            raise VerificationError(
                f"signature by {verifier.label} is {len(signature)} bytes, expected {_ED25519_SIGNATURE_SIZE}"
            )
        try:
            verifier.public_key.verify(signature, text.encode("utf-8"))
        except InvalidSignature:
            raise VerificationError(f"signature by {verifier.label} does not verify over the note text") from None
        if all(v.label != verifier.label for v in signed):
            signed.append(verifier)
    return text, signed, others


def open_note(note: str | bytes, verifier: str | Verifier) -> str:
    """Return the note's text once its signature by `verifier` checks; other keys' signatures are ignored."""
    (parsed,) = _verifiers([verifier])
    text, signed, others = _check_signatures(note, [parsed])
    # (4): at least one signature by the verifier.
    if not signed:
        found = ", ".join(others) or "none"
        raise VerificationError(f"note has no signature by {parsed.label}; found signatures by: {found}")
    return text


def open_note_any(note: str | bytes, verifiers: Sequence[str | Verifier]) -> tuple[str, list[Verifier]]:
    """The note's text and which of the trusted `verifiers` signed it: at least one must have, and every
    signature by one of them must verify (a follower of a log trusting one or two keys)."""
    parsed = _verifiers(verifiers)
    text, signed, others = _check_signatures(note, parsed)
    if not signed:
        trusted = ", ".join(v.label for v in parsed) or "none"
        found = ", ".join(others) or "none"
        raise VerificationError(
            f"note has no signature by a trusted key (trusted: {trusted}); found signatures by: {found}"
        )
    return text, signed


def open_note_all(note: str | bytes, verifiers: Sequence[str | Verifier]) -> str:
    """The note's text once every one of `verifiers` signed it (a checkpoint made during a key rollover)."""
    parsed = _verifiers(verifiers)
    text, signed, others = _check_signatures(note, parsed)
    labels = {v.label for v in signed}
    missing = [v.label for v in parsed if v.label not in labels]
    if missing:
        found = ", ".join([v.label for v in signed] + others) or "none"
        raise VerificationError(
            f"note has no signature by {', '.join(missing)} (required: {', '.join(v.label for v in parsed)}); "
            f"found signatures by: {found}"
        )
    return text


# --- Checkpoints ------------------------------------------------------------------------------------


def checkpoint_text(origin: str, size: int, root: bytes, extensions: Sequence[str] = ()) -> str:
    """The tlog-checkpoint note text `origin\\nsize\\nbase64(root)\\n` plus extension lines."""
    lines = [origin, *extensions]
    if any(not line or "\n" in line or _bad_char(line) for line in lines):
        raise InputError("checkpoint origin and extension lines must be non-empty single lines")
    if size < 0 or len(root) != ROOT_SIZE:
        raise InputError(f"checkpoint needs size >= 0 and a {ROOT_SIZE}-byte root, found {size} and {len(root)}")
    body = [origin, str(size), base64.b64encode(root).decode("ascii"), *extensions]
    return "\n".join(body) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse a checkpoint note text strictly."""
    # (1): at least three non-empty lines, each ending in a newline.
    if not text.endswith("\n"):
        raise VerificationError("malformed checkpoint: text must end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise VerificationError(f"malformed checkpoint: expected at least 3 lines, found {len(lines)}")
    for number, line in enumerate(lines, start=1):
        if not line:
            raise VerificationError(f"malformed checkpoint: line {number} is empty")
        if problem := _bad_char(line):
            raise VerificationError(f"malformed checkpoint: line {number}: {problem}")
    origin, size_line, root_line, *extensions = lines
    # (2): the size is ASCII decimal without leading zeroes.
    if not _TREE_SIZE.fullmatch(size_line):
        raise VerificationError(
            f"malformed checkpoint: tree size must be decimal without leading zeroes, found {size_line!r}"
        )
    # (3): the root is base64 of exactly 32 bytes.
    root = strict_b64decode(root_line, "malformed checkpoint: root hash")
    if len(root) != ROOT_SIZE:
        raise VerificationError(f"malformed checkpoint: root hash is {len(root)} bytes, expected {ROOT_SIZE}")
    return Checkpoint(origin, int(size_line), root, tuple(extensions))

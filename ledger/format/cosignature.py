"""C2SP tlog-cosignature `cosignature/v1`: a witness's Ed25519 cosignature on a checkpoint.

    signed message = "cosignature/v1\\n" ‖ "time <POSIX seconds>\\n" ‖ checkpoint note text
    signature line = — <cosigner name> base64(key id ‖ u64 big-endian timestamp ‖ Ed25519 signature)
    key id         = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ public key)[:4]
    verifier key   = <name>+<8 hex key id>+base64(0x04 ‖ public key)

The message carries the whole checkpoint text, extension lines included, but not the cosigner's name: an
Ed25519 cosigner key serves one cosigner only. Reading untrusted input raises `VerificationError`.
"""

from __future__ import annotations

import base64
import struct

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from events.errors import InputError, VerificationError
from ledger.format import note
from ledger.format.note import COSIGNATURE_V1_TYPE, SIGNATURE_PREFIX, Verifier

HEADER = "cosignature/v1\n"
MAX_TIMESTAMP = 2**63 - 1
_SIGNATURE_SIZE = 8 + 64  # timestamp ‖ Ed25519 signature, after the key id


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    return note.key_id(name, public_key, COSIGNATURE_V1_TYPE)


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The cosigner's verifier key `<name>+<key id>+base64(0x04 ‖ public key)`."""
    return note.verifier_key(name, public_key, COSIGNATURE_V1_TYPE)


def parse_verifier_key(text: str) -> Verifier:
    """A cosigner's verifier key, checked like a note key but with the type byte 0x04."""
    return note.parse_verifier_key(text, COSIGNATURE_V1_TYPE)


def signed_message(checkpoint_text: str, timestamp: int) -> bytes:
    """The bytes an Ed25519 cosignature signs: header line, time line, the checkpoint's note text."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise InputError(f"cosignature timestamp must lie in [0, 2^63-1], found {timestamp}")
    if not checkpoint_text.endswith("\n"):
        raise InputError("checkpoint note text must end in a newline")
    return f"{HEADER}time {timestamp}\n{checkpoint_text}".encode()


def cosign(checkpoint_text: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """The signature line (ending in a newline) of `name`'s cosignature on the checkpoint at `timestamp`."""
    signature = private_key.sign(signed_message(checkpoint_text, timestamp))
    raw = key_id(name, private_key.public_key()) + struct.pack(">Q", timestamp) + signature
    return f"{SIGNATURE_PREFIX}{name} {base64.b64encode(raw).decode('ascii')}\n"


def verify_cosignature(signed_note: str | bytes, cosigner: str | Verifier) -> int:
    """The timestamp of `cosigner`'s cosignature on the checkpoint note; other signatures are ignored."""
    verifier = parse_verifier_key(cosigner) if isinstance(cosigner, str) else cosigner
    # (1): the note parses; its signature lines name a key and carry its key id.
    text, lines = note.split_note(signed_note)
    mine = [sig for name, id_, sig in lines if (name, id_) == (verifier.name, verifier.key_id)]
    if not mine:
        raise VerificationError(f"checkpoint has no cosignature by {verifier.label}")
    for signature in mine:
        # (2): a timestamped signature: u64 big-endian seconds, then 64 bytes of Ed25519 signature.
        if len(signature) != _SIGNATURE_SIZE:
            raise VerificationError(
                f"cosignature by {verifier.label} is {len(signature)} bytes after the key id, "
                f"expected {_SIGNATURE_SIZE}"
            )
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            raise VerificationError(f"cosignature by {verifier.label} has timestamp {timestamp}, above 2^63-1")
        # (3): the signature covers header, time line and the whole checkpoint text.
        try:
            verifier.public_key.verify(signature[8:], signed_message(text, timestamp))
        except InvalidSignature:
            raise VerificationError(
                f"cosignature by {verifier.label} does not verify over the checkpoint at time {timestamp}"
            ) from None
    return timestamp

"""C2SP tlog-cosignature `cosignature/v1` verification written from the specification's text alone: it
imports nothing from packtrace, so it checks the witness against the spec, not against itself."""

from __future__ import annotations

import base64
import hashlib

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


def verify(checkpoint_body: str, line: str, vkey: str) -> int:
    """Check one cosignature line on the checkpoint's note body; return its timestamp or raise ValueError."""
    # vkey = <name>+<hex key id>+base64(0x04 || 32-byte key)
    name, id_hex, encoded = vkey.split("+", 2)
    raw_key = base64.b64decode(encoded, validate=True)
    if len(raw_key) != 33 or raw_key[0] != 0x04:
        raise ValueError("not an Ed25519 cosignature/v1 verifier key")
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x04" + raw_key[1:]).digest()[:4]
    if key_id.hex() != id_hex:
        raise ValueError("verifier key id does not match")
    # — <name> base64(key id || u64 big-endian timestamp || 64-byte Ed25519 signature)\n
    prefix = "\u2014 " + name + " "
    if not line.startswith(prefix) or not line.endswith("\n"):
        raise ValueError(f"not a signature line of {name}: {line!r}")
    blob = base64.b64decode(line[len(prefix) : -1], validate=True)
    if len(blob) != 4 + 8 + 64 or blob[:4] != key_id:
        raise ValueError("wrong length or key id")
    timestamp = int.from_bytes(blob[4:12], "big")
    message = b"cosignature/v1\n" + b"time " + str(timestamp).encode() + b"\n" + checkpoint_body.encode()
    Ed25519PublicKey.from_public_bytes(raw_key[1:]).verify(blob[12:], message)  # raises InvalidSignature
    return timestamp

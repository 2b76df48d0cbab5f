"""ledger.format.cosignature: C2SP tlog-cosignature cosignature/v1, against the spec's example and an
independent verifier (tests/witness/independent.py)."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.errors import VerificationError
from ledger.format import cosignature, note
from tests.witness import independent

# The checkpoint and cosignature line of the specification's example (it publishes no key for them).
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_LINE = (
    "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZ"
    "qhf5nNo0xUe+mbIUBkBIfZ+qnA==\n"
)
KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"packtrace witness tests: witness").digest())
NAME = "witness.example.org/w1"


def test_signed_message_is_the_specs_example() -> None:
    assert cosignature.signed_message(SPEC_BODY, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
        b"CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    )


def test_the_specs_cosignature_line_frames_key_id_timestamp_and_signature() -> None:
    _, [(name, key_id, signature)] = note.split_note(f"{SPEC_BODY}\n{SPEC_LINE}")
    assert (name, key_id.hex(), len(signature)) == ("witness.example.com/w1", "8d66cf3f", 72)
    assert int.from_bytes(signature[:8], "big") == 1679315147  # the spec's "time 1679315147"


def test_key_id_and_verifier_key_use_type_0x04() -> None:
    raw = KEY.public_key().public_bytes_raw()
    expected_id = hashlib.sha256(NAME.encode() + b"\n\x04" + raw).digest()[:4]
    assert cosignature.key_id(NAME, KEY.public_key()) == expected_id
    assert cosignature.verifier_key(NAME, KEY.public_key()) == (
        f"{NAME}+{expected_id.hex()}+{base64.b64encode(bytes([4]) + raw).decode()}"
    )
    assert expected_id != note.key_id(NAME, KEY.public_key())  # not the note-signing key id (type 0x01)


def test_cosign_writes_the_line_the_independent_verifier_accepts() -> None:
    line = cosignature.cosign(SPEC_BODY, NAME, KEY, 1679315147)
    vkey = cosignature.verifier_key(NAME, KEY.public_key())
    assert independent.verify(SPEC_BODY, line, vkey) == 1679315147
    assert cosignature.verify_cosignature(f"{SPEC_BODY}\n{SPEC_LINE}{line}", vkey) == 1679315147


def test_a_note_signing_key_is_not_a_cosigner_key() -> None:
    with pytest.raises(VerificationError, match=r"^verifier key type must be 04 \(Ed25519 cosignature/v1\), found 01$"):
        cosignature.parse_verifier_key(note.verifier_key(NAME, KEY.public_key()))


def test_a_cosignature_over_another_checkpoint_is_refused() -> None:
    line = cosignature.cosign(SPEC_BODY, NAME, KEY, 1679315147)
    vkey = cosignature.verifier_key(NAME, KEY.public_key())
    other = SPEC_BODY.replace("20852163", "20852164")
    with pytest.raises(
        VerificationError,
        match=rf"^cosignature by {NAME}\+[0-9a-f]{{8}} does not verify over the checkpoint at time 1679315147$",
    ):
        cosignature.verify_cosignature(f"{other}\n{line}", vkey)


def test_a_changed_timestamp_is_refused() -> None:
    line = cosignature.cosign(SPEC_BODY, NAME, KEY, 1679315147)
    name, _, encoded = line[2:-1].partition(" ")
    raw = bytearray(base64.b64decode(encoded))
    raw[11] ^= 1
    forged = f"— {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(VerificationError, match=r"does not verify over the checkpoint at time 1679315146$"):
        cosignature.verify_cosignature(f"{SPEC_BODY}\n{forged}", cosignature.verifier_key(NAME, KEY.public_key()))


def test_a_missing_cosignature_is_refused() -> None:
    vkey = cosignature.verifier_key(NAME, KEY.public_key())
    with pytest.raises(VerificationError, match=rf"^checkpoint has no cosignature by {NAME}\+[0-9a-f]{{8}}$"):
        cosignature.verify_cosignature(f"{SPEC_BODY}\n{SPEC_LINE}", vkey)

"""ledger.format.note: the C2SP signed-note example, tampering, malformed notes, keys and checkpoints."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events.errors import InputError, VerificationError
from ledger.format import note
from tests import vectors

EXAMPLE = vectors.load("c2sp-signed-note-example.json")
VKEY: str = EXAMPLE["verifier_key"]
NOTE: str = EXAMPLE["note"]
TEXT = "This is an example message.\n"
SIGNATURE_B64 = NOTE.rsplit(" ", 1)[1].rstrip("\n")

LOG = "packtrace.test/log"
LOG_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(1, 33)))
LOG_VKEY = note.verifier_key(LOG, LOG_KEY.public_key())


def with_signature(raw: bytes) -> str:
    return NOTE.replace(SIGNATURE_B64, base64.b64encode(raw).decode())


# --- The C2SP example -------------------------------------------------------------------------------


def test_example_note_opens_with_its_key() -> None:
    assert note.open_note(NOTE, VKEY) == TEXT
    assert note.open_note(NOTE.encode(), note.parse_verifier_key(VKEY)) == TEXT


def test_example_key_parses_and_reencodes() -> None:
    verifier = note.parse_verifier_key(VKEY)
    assert (verifier.name, verifier.key_id.hex(), verifier.label) == (
        "example.com/foo",
        "530d903a",
        "example.com/foo+530d903a",
    )
    assert note.key_id(verifier.name, verifier.public_key) == verifier.key_id
    assert note.verifier_key(verifier.name, verifier.public_key) == VKEY


@pytest.mark.parametrize(
    "changed",
    [
        NOTE.replace("example message", "example messagE"),
        NOTE.replace("This is", "This  is"),
        NOTE.replace(TEXT, TEXT[:-1] + " \n"),
        "Prefix\n" + NOTE,
    ],
)
def test_example_rejected_when_its_text_changes(changed: str) -> None:
    with pytest.raises(VerificationError, match=r"signature by example\.com/foo\+530d903a does not verify"):
        note.open_note(changed, VKEY)


@pytest.mark.parametrize("position", [4, 5, 30, 67])
def test_example_rejected_when_its_signature_changes(position: int) -> None:
    raw = bytearray(base64.b64decode(SIGNATURE_B64))
    raw[position] ^= 0x40
    with pytest.raises(VerificationError, match=r"signature by example\.com/foo\+530d903a does not verify"):
        note.open_note(with_signature(bytes(raw)), VKEY)


def test_example_rejected_when_its_signature_is_truncated() -> None:
    raw = base64.b64decode(SIGNATURE_B64)
    with pytest.raises(VerificationError, match="is 63 bytes, expected 64"):
        note.open_note(with_signature(raw[:-1]), VKEY)


def test_example_rejected_when_the_key_id_in_the_signature_changes() -> None:
    raw = bytearray(base64.b64decode(SIGNATURE_B64))
    raw[0] ^= 1
    with pytest.raises(VerificationError, match=r"no signature by example\.com/foo\+530d903a.*520d903a"):
        note.open_note(with_signature(bytes(raw)), VKEY)


def test_example_rejected_with_another_key() -> None:
    other = note.verifier_key("example.com/foo", OTHER_KEY.public_key())
    with pytest.raises(VerificationError, match=r"no signature by example\.com/foo\+[0-9a-f]{8}; found .*530d903a"):
        note.open_note(NOTE, other)


def test_example_rejected_with_a_key_that_claims_its_name_and_id() -> None:
    impostor = note.Verifier("example.com/foo", bytes.fromhex("530d903a"), OTHER_KEY.public_key())
    with pytest.raises(VerificationError, match="does not verify"):
        note.open_note(NOTE, impostor)


def test_non_canonical_base64_in_the_signature_is_rejected() -> None:
    # "aQM=" and "aQN=" decode alike; only the canonical form is accepted.
    assert SIGNATURE_B64.endswith("aQM=")
    with pytest.raises(VerificationError, match="not canonical base64"):
        note.open_note(NOTE.replace("aQM=", "aQN="), VKEY)


# --- Signing, and signatures by other keys ----------------------------------------------------------


@pytest.mark.parametrize("text", ["a\n", "\n", "line one\n\nline three after a blank\n", "中文 ✓\n\n\n"])
def test_sign_and_open_round_trip(text: str) -> None:
    signed = note.sign_note(text, LOG, LOG_KEY)
    assert signed.startswith(text + "\n\u2014 " + LOG + " ")
    assert note.open_note(signed, LOG_VKEY) == text


def test_signatures_by_unknown_keys_are_ignored() -> None:
    mine = note.sign_note(TEXT, LOG, LOG_KEY)
    theirs = note.sign_note(TEXT, "witness.example/w1", OTHER_KEY).split("\n\n")[1]
    same_name = note.sign_note(TEXT, LOG, OTHER_KEY).split("\n\n")[1]
    assert note.open_note(mine + theirs + same_name, LOG_VKEY) == TEXT
    assert note.open_note(TEXT + "\n" + theirs + mine.split("\n\n")[1], LOG_VKEY) == TEXT
    witness = note.verifier_key("witness.example/w1", OTHER_KEY.public_key())
    assert note.open_note(mine + theirs, witness) == TEXT


def test_a_bad_signature_by_the_known_key_rejects_the_note_despite_a_good_one() -> None:
    good = note.sign_note(TEXT, LOG, LOG_KEY).split("\n\n")[1]
    bad = note.sign_note("other text\n", LOG, LOG_KEY).split("\n\n")[1]
    with pytest.raises(VerificationError, match="does not verify"):
        note.open_note(TEXT + "\n" + good + bad, LOG_VKEY)


@pytest.mark.parametrize(
    ("text", "name", "message"),
    [
        ("no final newline", LOG, "must end in a newline"),
        ("tab\there\n", LOG, "control character U\\+0009"),
        ("ok\n", "has space", "contains a space or '\\+'"),
        ("ok\n", "a+b", "contains a space or '\\+'"),
        ("ok\n", "", "key name is empty"),
    ],
)
def test_sign_note_refuses_what_the_format_cannot_hold(text: str, name: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        note.sign_note(text, name, LOG_KEY)


# --- Malformed notes --------------------------------------------------------------------------------

SIG_LINE = f"\u2014 example.com/foo {SIGNATURE_B64}\n"


@pytest.mark.parametrize(
    ("malformed", "message"),
    [
        (TEXT + SIG_LINE, "no blank line between the text and the signatures"),
        (TEXT + "\n", "signature lines must follow the blank line"),
        (NOTE[:-1], "signature lines must follow the blank line, ending in a newline"),
        (NOTE + "\n", "signature lines must follow the blank line"),
        (TEXT + "\n" + SIG_LINE.replace("\u2014", "--"), "signature line 1 does not start with '— '"),
        (TEXT + "\n" + SIG_LINE.replace("\u2014 ", "\u2014"), "signature line 1 does not start with '— '"),
        (TEXT + "\n" + f"\u2014 example.com/foo{SIGNATURE_B64}\n", "signature line 1 has no signature"),
        (TEXT + "\n" + SIG_LINE.replace("foo ", "foo  "), "signature line 1 is not valid base64"),
        (TEXT + "\n" + SIG_LINE.replace("Uw2Q", "Uw2Q!"), "signature line 1 is not valid base64"),
        (TEXT + "\n" + SIG_LINE.replace("aQM=", "aQM"), "signature line 1 is not valid base64"),
        (TEXT + "\n" + SIG_LINE + "\u2014 a AAAA\n", "signature line 2 holds 3 bytes, at least 5"),
        (
            TEXT + "\n" + SIG_LINE.replace("foo", "f\u00a0oo"),
            "signature line 1: key name 'example.com/f\\\\xa0oo' contains",
        ),
        (NOTE.replace("This", "Th\ris"), "control character U\\+000D"),
        (TEXT + "\n" + SIG_LINE * 101, "101 signatures, at most 100 accepted"),
    ],
)
def test_malformed_notes_are_rejected(malformed: str, message: str) -> None:
    with pytest.raises(VerificationError, match="malformed note: " + message):
        note.open_note(malformed, VKEY)


def test_invalid_utf8_is_rejected() -> None:
    with pytest.raises(VerificationError, match="malformed note: invalid UTF-8 at byte 4"):
        note.open_note(b"This\xff is\n\n" + SIG_LINE.encode(), VKEY)


def test_many_signatures_within_the_limit_are_accepted() -> None:
    others = "".join(note.sign_note(TEXT, f"w{i}.example", OTHER_KEY).split("\n\n")[1] for i in range(99))
    assert note.open_note(TEXT + "\n" + others + SIG_LINE, VKEY) == TEXT


# --- Verifier keys ----------------------------------------------------------------------------------

KEY_B64 = VKEY.rsplit("+", 1)[1]


@pytest.mark.parametrize(
    ("vkey", "message"),
    [
        ("example.com/foo+530d903a", "must be <name>\\+<key id>\\+<key>, found 2 fields"),
        ("example.com/foo+530d903a+" + KEY_B64 + "+x", "not valid base64"),
        ("example.com/foo+530D903A+" + KEY_B64, "8 lowercase hex digits, found '530D903A'"),
        ("example.com/foo+530d903+" + KEY_B64, "8 lowercase hex digits"),
        (
            "example.com/fob+530d903a+" + KEY_B64,
            "key id does not match its key: expected [0-9a-f]{8}, found 530d903a",
        ),
        ("example com+530d903a+" + KEY_B64, "contains a space"),
        ("+530d903a+" + KEY_B64, "key name is empty"),
        ("example.com/foo+530d903a+" + KEY_B64[:-4], "key must be 32 bytes, found 29"),
        ("example.com/foo+530d903a+AA==", "type must be 01 \\(Ed25519\\), found 00"),
        ("example.com/foo+530d903a+" + base64.b64encode(b"\x02" + bytes(32)).decode(), "found 02"),
        ("example.com/foo+530d903a+" + KEY_B64[:-1], "not valid base64"),
    ],
)
def test_bad_verifier_keys_are_rejected(vkey: str, message: str) -> None:
    with pytest.raises(VerificationError, match=message):
        note.parse_verifier_key(vkey)


def test_a_verifier_key_whose_base64_holds_plus_signs_parses() -> None:
    encoded = LOG_VKEY.split("+", 2)[2]
    assert "+" in encoded
    verifier = note.parse_verifier_key(LOG_VKEY)
    assert (verifier.name, verifier.key_id) == (LOG, note.key_id(LOG, LOG_KEY.public_key()))


def test_open_note_with_a_bad_verifier_key_string_fails() -> None:
    with pytest.raises(VerificationError, match="key id does not match"):
        note.open_note(NOTE, VKEY.replace("530d903a", "530d903b"))


# --- Checkpoints ------------------------------------------------------------------------------------

ROOT = bytes(range(32))


def test_checkpoint_example_body_parses() -> None:
    checkpoint = note.parse_checkpoint(EXAMPLE["checkpoint_body_example"])
    assert checkpoint == note.Checkpoint(
        "example.com/behind-the-sofa",
        20852163,
        base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I="),
    )
    assert (
        note.checkpoint_text(checkpoint.origin, checkpoint.size, checkpoint.root)
        == (EXAMPLE["checkpoint_body_example"])
    )


@pytest.mark.parametrize("size", [0, 1, 10, 2**63])
def test_checkpoint_round_trip_through_a_signed_note(size: int) -> None:
    text = note.checkpoint_text(LOG, size, ROOT)
    assert text == f"{LOG}\n{size}\n{base64.b64encode(ROOT).decode()}\n"
    opened = note.open_note(note.sign_note(text, LOG, LOG_KEY), LOG_VKEY)
    assert note.parse_checkpoint(opened) == note.Checkpoint(LOG, size, ROOT)


def test_checkpoint_extension_lines_are_kept() -> None:
    text = note.checkpoint_text(LOG, 5, ROOT, ["ext one", "ext two"])
    assert text.endswith("\next one\next two\n")
    assert note.parse_checkpoint(text).extensions == ("ext one", "ext two")


ROOT_LINE = base64.b64encode(ROOT).decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{LOG}\n5\n{ROOT_LINE}", "text must end in a newline"),
        (f"{LOG}\n5\n", "expected at least 3 lines, found 2"),
        (f"\n5\n{ROOT_LINE}\n", "line 1 is empty"),
        (f"{LOG}\n5\n{ROOT_LINE}\n\n", "line 4 is empty"),
        (f"{LOG}\n05\n{ROOT_LINE}\n", "tree size must be decimal without leading zeroes, found '05'"),
        (f"{LOG}\n+5\n{ROOT_LINE}\n", "tree size must be decimal without leading zeroes, found '\\+5'"),
        (f"{LOG}\n 5\n{ROOT_LINE}\n", "tree size must be decimal without leading zeroes, found ' 5'"),
        (f"{LOG}\n5_0\n{ROOT_LINE}\n", "tree size must be decimal without leading zeroes, found '5_0'"),
        (f"{LOG}\n\u0665\n{ROOT_LINE}\n", "tree size must be decimal"),
        (f"{LOG}\n-1\n{ROOT_LINE}\n", "tree size must be decimal"),
        (f"{LOG}\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", "root hash is 31 bytes, expected 32"),
        (f"{LOG}\n5\n{ROOT.hex()}\n", "root hash is 48 bytes, expected 32"),
        (f"{LOG}\n5\n{ROOT_LINE.rstrip('=')}\n", "root hash is not valid base64"),
        (f"{LOG}\t\n5\n{ROOT_LINE}\n", "line 1: control character U\\+0009"),
    ],
)
def test_malformed_checkpoints_are_rejected(text: str, message: str) -> None:
    with pytest.raises(VerificationError, match="malformed checkpoint: " + message):
        note.parse_checkpoint(text)


@pytest.mark.parametrize(
    ("origin", "size", "root", "extensions", "message"),
    [
        ("", 1, ROOT, [], "non-empty single lines"),
        ("a\nb", 1, ROOT, [], "non-empty single lines"),
        (LOG, 1, ROOT, [""], "non-empty single lines"),
        (LOG, -1, ROOT, [], "found -1 and 32"),
        (LOG, 1, ROOT[:31], [], "found 1 and 31"),
    ],
)
def test_checkpoint_text_refuses_what_the_format_cannot_hold(
    origin: str, size: int, root: bytes, extensions: list[str], message: str
) -> None:
    with pytest.raises(InputError, match=message):
        note.checkpoint_text(origin, size, root, extensions)

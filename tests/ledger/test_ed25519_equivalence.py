"""packtrace's one Ed25519 verifier (ledger.format.ed25519) gives the same answer whichever library does the
arithmetic: `cryptography` (OpenSSL) and libsodium (PyNaCl) accept and refuse the same signatures under
packtrace's rule, on RFC 8032's vectors, random signatures, bit flips, non-canonical encodings, small-order
and mixed-order keys and R points. Without the rule the two libraries disagree; those cases are shown too.

The adversarial signatures are made here with the curve arithmetic of ledger.format.edwards, from secret
scalars chosen by the test (an honest signer could never make most of them)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.format import ed25519, edwards
from ledger.format.signatures import failures

P, L = edwards.P, edwards.L
BASE = edwards.decode(bytes.fromhex("58" + "66" * 31))
assert not isinstance(BASE, edwards.Refusal)
LIBRARIES = ("cryptography", "libsodium")
OPENSSL, SODIUM = ed25519.LIBRARIES["cryptography"], ed25519.LIBRARIES["libsodium"]


def encode(point: edwards.Point) -> bytes:
    x, y, z, _ = point
    inverse = pow(z, P - 2, P)
    x, y = x * inverse % P, y * inverse % P
    return (y | (x & 1) << 255).to_bytes(32, "little")


def point(raw: bytes) -> edwards.Point:
    decoded = edwards.decode(raw)
    assert not isinstance(decoded, edwards.Refusal), decoded
    return decoded


def challenge(r: bytes, a: bytes, message: bytes) -> int:
    return int.from_bytes(hashlib.sha512(r + a + message).digest(), "little") % L


def scalar(n: int) -> bytes:
    return n.to_bytes(32, "little")


# The 8 points of small order: multiples of one point of order 8.
T8 = point(scalar(ed25519.ORDER_8_Y[0]))
TORSION = [edwards.multiply(n, T8) for n in range(8)]
SECRET = 0x1234567890ABCDEF1234567890ABCDEF1234567890ABCDEF1234567890ABCDE % L
PUBLIC = encode(edwards.multiply(SECRET, BASE))
MESSAGE = b'{"actor":"catl","type":"produced"}'


def honest(message: bytes = MESSAGE, secret: int = SECRET, r: int = 7, public: bytes | None = None) -> bytes:
    """A signature by `secret` with the nonce r (the key `public`, if given, stands in for [secret]B)."""
    a = public or encode(edwards.multiply(secret, BASE))
    big_r = encode(edwards.multiply(r, BASE))
    return big_r + scalar((r + challenge(big_r, a, message) * secret) % L)


def forged_for_small_order_key(public: bytes, order: int) -> bytes:
    """(R = [r]B, S = r) verifies (cofactorless) for a key of small order whenever [k]A is the identity,
    that is whenever `order` divides k: try nonces until it does (about `order` tries)."""
    for r in range(1, 1000):
        big_r = encode(edwards.multiply(r, BASE))
        if challenge(big_r, public, MESSAGE) % order == 0:
            return big_r + scalar(r)
    raise AssertionError("no nonce found")


def mixed_key_signature() -> tuple[bytes, bytes]:
    """A key [a]B + T8 (a small-order component) and a signature that verifies cofactorless: k ≡ 0 mod 8."""
    public = encode(edwards.add(edwards.multiply(SECRET, BASE), T8))
    for r in range(1, 1000):
        big_r = encode(edwards.multiply(r, BASE))
        k = challenge(big_r, public, MESSAGE)
        if k % 8 == 0:
            return public, big_r + scalar((r + k * SECRET) % L)
    raise AssertionError("no nonce found")


def identity_r_signature() -> bytes:
    """R = the identity, S = k·a: the equation holds with an honest key (a signer that chose r = 0)."""
    big_r = encode(edwards.IDENTITY)
    return big_r + scalar(challenge(big_r, PUBLIC, MESSAGE) * SECRET % L)


@dataclass(frozen=True)
class Case:
    name: str
    public: bytes
    signature: bytes
    message: bytes
    openssl: bool  # what each library says alone
    sodium: bool
    packtrace: bool  # what packtrace's rule says, whichever library is underneath


def cases() -> list[Case]:
    valid = honest()
    s = int.from_bytes(valid[32:], "little")
    identity = encode(edwards.IDENTITY)
    identity_y_plus_p = scalar(P + 1)  # the identity, y not reduced
    identity_signed = scalar(1 | 1 << 255)  # the identity, x = 0 with the sign bit set
    mixed_public, mixed_signature = mixed_key_signature()
    order8 = encode(T8)
    order4 = encode(TORSION[2])
    order2 = encode(TORSION[4])
    r_identity = identity_r_signature()
    out = [
        Case("honest", PUBLIC, valid, MESSAGE, True, True, True),
        Case("S + L (non-canonical S)", PUBLIC, valid[:32] + scalar(s + L), MESSAGE, False, False, False),
        Case("S = L", PUBLIC, valid[:32] + scalar(L), MESSAGE, False, False, False),
        Case("S all ones", PUBLIC, valid[:32] + b"\xff" * 32, MESSAGE, False, False, False),
        Case("R is the identity (r = 0)", PUBLIC, r_identity, MESSAGE, True, False, False),
        Case(
            "R is the identity, y not reduced",
            PUBLIC,
            identity_y_plus_p + r_identity[32:],
            MESSAGE,
            False,
            False,
            False,
        ),
        Case(
            "R is the identity, sign bit set", PUBLIC, identity_signed + r_identity[32:], MESSAGE, False, False, False
        ),
        Case("R not on the curve", PUBLIC, scalar(2) + valid[32:], MESSAGE, False, False, False),
        Case("R with y = p + 3 (not reduced)", PUBLIC, scalar(P + 3) + valid[32:], MESSAGE, False, False, False),
        Case("key is the identity", identity, forged_for_small_order_key(identity, 1), MESSAGE, True, False, False),
        Case(
            "key is the identity, y not reduced",
            identity_y_plus_p,
            forged_for_small_order_key(identity_y_plus_p, 1),
            MESSAGE,
            True,
            False,
            False,
        ),
        Case(
            "key is the identity, sign bit set",
            identity_signed,
            forged_for_small_order_key(identity_signed, 1),
            MESSAGE,
            True,
            False,
            False,
        ),
        Case("key of order 2", order2, forged_for_small_order_key(order2, 2), MESSAGE, True, False, False),
        Case("key of order 4", order4, forged_for_small_order_key(order4, 4), MESSAGE, True, False, False),
        Case("key of order 8", order8, forged_for_small_order_key(order8, 8), MESSAGE, True, False, False),
        Case("key with a small-order component", mixed_public, mixed_signature, MESSAGE, True, True, False),
        Case("key not on the curve", scalar(2), valid, MESSAGE, False, False, False),
        Case("key with y = p + 3 (not reduced)", scalar(P + 3), valid, MESSAGE, False, False, False),
        Case("signature 63 bytes", PUBLIC, valid[:63], MESSAGE, False, False, False),
        Case("key 31 bytes", PUBLIC[:31], valid, MESSAGE, False, False, False),
    ]
    # R is each of the 8 points of small order, with S = k·a: only the identity makes the equation hold
    for n, torsion in enumerate(TORSION[1:], start=1):
        big_r = encode(torsion)
        signature = big_r + scalar(challenge(big_r, PUBLIC, MESSAGE) * SECRET % L)
        out.append(Case(f"R = {n}·T8 (small order)", PUBLIC, signature, MESSAGE, False, False, False))
    return out


CASES = cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_both_libraries_give_packtraces_answer(case: Case) -> None:
    for library in LIBRARIES:
        assert ed25519.verifier(library)(case.public, case.signature, case.message) is case.packtrace, library


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_what_each_library_says_alone(case: Case) -> None:
    """Where the two disagree, packtrace's rule (above) decides; this pins the disagreement down, so a
    library upgrade that changes it is noticed."""
    assert OPENSSL(case.public, case.signature, case.message) is case.openssl
    assert SODIUM(case.public, case.signature, case.message) is case.sodium


def test_the_libraries_disagree_without_the_rule() -> None:
    assert {case.name for case in CASES if case.openssl != case.sodium} == {
        "R is the identity (r = 0)",
        "key is the identity",
        "key is the identity, y not reduced",
        "key is the identity, sign bit set",
        "key of order 2",
        "key of order 4",
        "key of order 8",
    }
    assert [case.name for case in CASES if case.openssl and case.sodium and not case.packtrace] == [
        "key with a small-order component"
    ]


def test_small_order_y_values_name_exactly_the_8_torsion_points() -> None:
    assert len({encode(t) for t in TORSION}) == 8
    assert {int.from_bytes(encode(t), "little") & ((1 << 255) - 1) for t in TORSION} == ed25519.SMALL_ORDER_Y
    for t in TORSION:
        assert edwards.is_identity(edwards.multiply(8, t))
    assert not edwards.is_identity(edwards.multiply(4, T8))


def test_the_keys_refused_here_are_the_keys_refused_at_registration() -> None:
    for case in CASES:
        if len(case.public) == 32:
            assert ed25519.key_accepted(case.public) is (edwards.refusal(case.public) is None), case.name


# RFC 8032 §7.1, TEST 1, 2, 3 and SHA(abc): secret key, public key, message, signature
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize("secret, public, message, signature", RFC8032)
def test_rfc8032_vectors(secret: str, public: str, message: str, signature: str) -> None:
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    raw, msg, sig = bytes.fromhex(public), bytes.fromhex(message), bytes.fromhex(signature)
    assert key.public_key().public_bytes_raw() == raw
    assert key.sign(msg) == sig
    for library in LIBRARIES:
        verify = ed25519.verifier(library)
        assert verify(raw, sig, msg) is True
        assert verify(raw, sig, msg + b"\0") is False
        assert verify(raw, sig[:32] + scalar(int.from_bytes(sig[32:], "little") + L), msg) is False


@settings(max_examples=60, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), message=st.binary(max_size=300), flip=st.integers(0, 255))
def test_random_signatures_and_their_bit_flips(seed: bytes, message: bytes, flip: int) -> None:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    public = key.public_key().public_bytes_raw()
    signature = key.sign(message)

    def flipped(raw: bytes, bit: int) -> bytes:
        out = bytearray(raw)
        out[bit // 8] ^= 1 << (bit % 8)
        return bytes(out)

    variants = [
        (public, signature, message, True),
        (public, flipped(signature, flip * 2), message, False),  # any of the 512 bits of the signature
        (public, signature, flipped(message, flip % (8 * len(message))) if message else b"\0", False),
        (flipped(public, flip), signature, message, False),
    ]
    for raw, sig, msg, expected in variants:
        answers = {library: ed25519.verifier(library)(raw, sig, msg) for library in LIBRARIES}
        assert answers == {"cryptography": expected, "libsodium": expected}


def test_the_ingest_path_refuses_what_packtraces_rule_refuses() -> None:
    """The signature checks of an append (ledger.format.signatures) use the one verifier: R = identity
    is refused there although OpenSSL alone would accept it."""
    r_identity = identity_r_signature()
    jobs = [(PUBLIC, honest(), MESSAGE), (PUBLIC, r_identity, MESSAGE), (PUBLIC, honest(r=9), MESSAGE)]
    assert failures(jobs) == [1]


def test_libsodium_is_used_where_it_is_installed() -> None:
    assert ed25519.LIBRARY == "libsodium"

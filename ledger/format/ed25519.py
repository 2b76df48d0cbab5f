"""The one Ed25519 verifier of claim signatures: packtrace's rule, checked the same whichever library
does the curve arithmetic underneath (docs/ledger-format.md, "Which signatures verify").

libsodium (through PyNaCl) verifies about twice as fast as OpenSSL (through `cryptography`) here, so it
is used where it is installed. The two libraries do not accept the same signatures: libsodium refuses a
signature whose R is a point of small order, and a public key of small order or with a non-canonical
encoding, all of which OpenSSL accepts when the equation holds; neither refuses a public key with a
small-order component. So packtrace's rule is applied here, before either library is asked:

1. the signature is 64 bytes and the key 32;
2. S is canonical: S < L (RFC 8032 §5.1.7; both libraries check it too);
3. R is a canonical encoding (its y below p) and not one of the 8 points of small order, whatever its sign
   bit (libsodium's rule, which OpenSSL lacks);
4. the public key is one a key may be: a canonical encoding of a point of the prime-order subgroup
   (ledger.format.edwards, the rule of key registration; checked once per key and remembered);
5. then the library's cofactorless check, [S]B = R + [k]A with R compared byte for byte.

tests/ledger/test_ed25519_equivalence.py shows both libraries give the same answers under this rule, and
where they differ without it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger.format import edwards

Verify = Callable[[bytes, bytes, bytes], bool]  # (public key, signature, message) -> verifies

_Y_MASK = (1 << 255) - 1
# The y coordinates of the 8 points of small order (the torsion subgroup): the identity (1), the point of
# order 2 (p - 1), the two of order 4 (0), and the four of order 8 (two y values, each with either x).
ORDER_8_Y = (
    int.from_bytes(bytes.fromhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"), "little"),
    int.from_bytes(bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"), "little"),
)
SMALL_ORDER_Y = frozenset({1, edwards.P - 1, 0, *ORDER_8_Y})


@lru_cache(maxsize=1 << 16)  # every key of a province (a miss costs a few ms; an entry ~150 bytes)
def key_accepted(public: bytes) -> bool:
    """Rule 4: a canonical encoding of a point of the prime-order subgroup (a few ms, once per key)."""
    return edwards.refusal(public) is None


def structure_accepted(public: bytes, signature: bytes) -> bool:
    """Rules 1 to 4: everything packtrace requires besides the equation itself."""
    if len(public) != 32 or len(signature) != 64:
        return False
    if int.from_bytes(signature[32:], "little") >= edwards.L:
        return False
    r_y = int.from_bytes(signature[:32], "little") & _Y_MASK
    if r_y >= edwards.P or r_y in SMALL_ORDER_Y:
        return False
    return key_accepted(public)


@lru_cache(maxsize=4096)
def _openssl_key(public: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public)


def openssl_verifies(public: bytes, signature: bytes, message: bytes) -> bool:
    """`cryptography` (OpenSSL) alone, without packtrace's rule."""
    try:
        _openssl_key(public).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


LIBRARIES: dict[str, Verify] = {"cryptography": openssl_verifies}

try:
    from nacl.exceptions import BadSignatureError, CryptoError
    from nacl.signing import VerifyKey
except ImportError:  # pragma: no cover - PyNaCl is a dependency; `cryptography` stands in without it
    pass
else:

    @lru_cache(maxsize=4096)
    def _sodium_key(public: bytes) -> VerifyKey:
        return VerifyKey(public)

    def sodium_verifies(public: bytes, signature: bytes, message: bytes) -> bool:
        """libsodium (PyNaCl) alone, without packtrace's rule."""
        try:
            _sodium_key(public).verify(message, signature)
        except (BadSignatureError, CryptoError, ValueError, TypeError):
            return False
        return True

    LIBRARIES["libsodium"] = sodium_verifies


def verifier(library: str) -> Verify:
    """packtrace's rule with `library` ("libsodium" or "cryptography") doing the equation."""
    check = LIBRARIES[library]

    def verify(public: bytes, signature: bytes, message: bytes) -> bool:
        return structure_accepted(public, signature) and check(public, signature, message)

    return verify


LIBRARY = "libsodium" if "libsodium" in LIBRARIES else "cryptography"
verify: Verify = verifier(LIBRARY)

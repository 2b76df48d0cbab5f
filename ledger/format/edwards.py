"""Which Ed25519 public keys the platform accepts: canonical encodings of points of the prime-order
subgroup, nothing else (RFC 8032 §5.1.3 decoding, §5.1.4 point addition).

A small-order public key (the identity, or any of the 8 torsion points) lets one constant "signature"
verify for every message; a key with a small-order component, or a non-canonical encoding, lets one
signature be read differently by different verifiers. An honest key, [a]B for a secret scalar a, is
never any of these. `cryptography` checks none of this, so the curve arithmetic is written out here: it
runs once per key registration, in a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493  # the order of the prime-order subgroup
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

Point = tuple[int, int, int, int]  # extended homogeneous coordinates (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z
IDENTITY: Point = (0, 1, 1, 0)


@dataclass(frozen=True)
class Refusal:
    weak: bool  # True: a point, but not one a key may be; False: not a point of the curve at all
    reason: str


def add(p: Point, q: Point) -> Point:
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def multiply(scalar: int, point: Point) -> Point:
    result = IDENTITY
    while scalar:
        if scalar & 1:
            result = add(result, point)
        point = add(point, point)
        scalar >>= 1
    return result


def is_identity(point: Point) -> bool:
    return point[0] % P == 0 and (point[1] - point[2]) % P == 0


def decode(raw: bytes) -> Point | Refusal:
    """The point a 32-byte encoding names (RFC 8032 §5.1.3), or why it names none canonically."""
    number = int.from_bytes(raw, "little")
    sign, y = number >> 255, number & ((1 << 255) - 1)
    if y >= P:
        return Refusal(True, "a non-canonical encoding (its y coordinate is not below 2^255 - 19)")
    u, v = (y * y - 1) % P, (D * y * y + 1) % P
    x = u * pow(v, 3, P) * pow(u * pow(v, 7, P), (P - 5) // 8, P) % P
    if (v * x * x - u) % P != 0:
        if (v * x * x + u) % P != 0:
            return Refusal(False, "not a point of the Ed25519 curve")
        x = x * SQRT_M1 % P
    if x == 0 and sign:
        return Refusal(True, "a non-canonical encoding (x is 0 but its sign bit is set)")
    if x & 1 != sign:
        x = P - x
    return (x, y, 1, x * y % P)


def refusal(raw: bytes) -> Refusal | None:
    """Why the 32 bytes `raw` may not be a public key, or None if they may."""
    point = decode(raw)
    if isinstance(point, Refusal):
        return point
    if is_identity(multiply(8, point)):
        return Refusal(True, "a point of small order (one of the 8 torsion points)")
    if not is_identity(multiply(L, point)):
        return Refusal(True, "a point with a small-order component (not in the prime-order subgroup)")
    return None
